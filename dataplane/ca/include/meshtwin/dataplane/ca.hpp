// A small certificate authority for workload identities (X.509-SVIDs with a SPIFFE URI SAN),
// node-bound issuance, rotation decisions and the peer verification the proxies use.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace meshtwin::models {
struct Scenario;
}

namespace meshtwin::dataplane {

// Wall-clock instants at one-second resolution (X.509 times have no finer grain). Every
// function takes the time as an argument: the CA never reads the clock itself.
using UnixTime = std::chrono::sys_seconds;

// A failure, shown as `<what failed>: <object>: <cause>; <hint>`. Where OpenSSL failed,
// `cause` carries the text of its error queue.
struct Error {
  Error(std::string what_failed, std::string object_, std::string cause_, std::string hint_ = {}, std::string code_ = {})
      : what(std::move(what_failed)), object(std::move(object_)), cause(std::move(cause_)), hint(std::move(hint_)),
        code(std::move(code_)) {}
  std::string what;    // e.g. "issue certificate"
  std::string object;  // e.g. "node n-a-0"
  std::string cause;
  std::string hint;  // may be empty
  std::string code;  // a machine-readable kind where callers branch on it (e.g. response_flags)
  [[nodiscard]] std::string text() const;
};

// Drains OpenSSL's error queue into one line; never empty, so a cause is always shown.
std::string opensslErrors();

// A value or an Error (C++20 has no std::expected).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}   // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] T& value() & { return std::get<T>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<T>(v_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(v_)); }
  [[nodiscard]] const Error& error() const { return std::get<Error>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

// A Kubernetes service account, the unit a workload certificate names.
struct ServiceAccount {
  std::string ns;
  std::string name;
  [[nodiscard]] std::string text() const { return ns + "/" + name; }  // "shop/cart"
  auto operator<=>(const ServiceAccount&) const = default;
};

// spiffe://<trust_domain>/ns/<ns>/sa/<service account>
struct WorkloadIdentity {
  std::string trust_domain = "cluster.local";
  ServiceAccount service_account;
  [[nodiscard]] std::string uri() const;
  auto operator<=>(const WorkloadIdentity&) const = default;
};

// Parses a SPIFFE URI of the Istio shape above.
Result<WorkloadIdentity> parseSpiffeUri(std::string_view uri);

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};

// An ECDSA P-256 private key. Copies share the (immutable) OpenSSL object by reference count.
class PrivateKey {
 public:
  explicit PrivateKey(EVP_PKEY* owned) : key_(owned) {}
  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;
  ~PrivateKey() = default;

  static Result<PrivateKey> generateP256();
  static Result<PrivateKey> fromPem(std::string_view pem);
  [[nodiscard]] Result<std::string> toPem() const;  // unencrypted PKCS#8
  [[nodiscard]] EVP_PKEY* native() const { return key_.get(); }

 private:
  std::unique_ptr<EVP_PKEY, EvpPkeyDeleter> key_;
};

// An X.509 certificate. Copies share the (immutable) OpenSSL object by reference count.
class Certificate {
 public:
  explicit Certificate(X509* owned) : cert_(owned) {}
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  static Result<Certificate> fromPem(std::string_view pem);
  // Every certificate of a PEM bundle, in order (leaf first for a peer chain).
  static Result<std::vector<Certificate>> chainFromPem(std::string_view pem);
  [[nodiscard]] Result<std::string> toPem() const;

  [[nodiscard]] UnixTime notBefore() const;
  [[nodiscard]] UnixTime notAfter() const;
  [[nodiscard]] std::string serialHex() const;
  [[nodiscard]] std::vector<std::string> uriSans() const;
  [[nodiscard]] std::string subject() const;  // one-line form, "" when empty
  // The SPIFFE URI when there is one, else the subject: how messages name the certificate.
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] X509* native() const { return cert_.get(); }

 private:
  std::unique_ptr<X509, X509Deleter> cert_;
};

struct IssuedCertificate {
  WorkloadIdentity identity;
  Certificate certificate;
  PrivateKey key;
};

struct CaOptions {
  std::string trust_domain = "cluster.local";
  std::chrono::seconds workload_ttl = std::chrono::hours(24);
  // NotBefore = now - backdate, so a node whose clock is a little behind the CA's still
  // accepts a fresh certificate. Same assumption as sim::SimOptions::certificate_backdate_ns.
  std::chrono::seconds backdate = std::chrono::minutes(5);
  std::chrono::seconds root_ttl = std::chrono::hours(24 * 3650);
  std::string root_common_name = "meshtwin root CA";
};

// When a workload certificate is renewed: once `percent_of_lifetime` of its lifetime
// (NotAfter - NotBefore, backdate included) has elapsed. 50 % is Istio's default
// (SECRET_GRACE_PERIOD_RATIO), which leaves half the lifetime to ride out a CA outage.
struct RotationPolicy {
  int percent_of_lifetime = 50;
};
[[nodiscard]] UnixTime rotationTime(const Certificate& cert, const RotationPolicy& policy = {});
[[nodiscard]] bool needsRotation(const Certificate& cert, UnixTime now, const RotationPolicy& policy = {});

// Service accounts with at least one pod on each node, by node name: workload pods' accounts
// and, for waypoint pods, the waypoint's own (Istio names a waypoint's account after it).
std::map<std::string, std::set<ServiceAccount>> serviceAccountsByNode(const models::Scenario& scenario);

class CertificateAuthority {
 public:
  // A fresh root: ECDSA P-256 key, self-signed, CA:TRUE, keyCertSign, NotBefore backdated.
  static Result<CertificateAuthority> create(const CaOptions& options, UnixTime now);
  // An existing root, e.g. read back from PEM.
  static Result<CertificateAuthority> fromRoot(Certificate root, PrivateKey root_key, const CaOptions& options);

  [[nodiscard]] const Certificate& root() const { return root_; }
  [[nodiscard]] const PrivateKey& rootKey() const { return root_key_; }
  [[nodiscard]] const CaOptions& options() const { return options_; }

  // Which service accounts run on a node; replaces what was known for that node.
  void setNodeWorkloads(const std::string& node, std::set<ServiceAccount> accounts);
  // Every node of a scenario's baseline placement (workload and waypoint pods).
  void setNodeWorkloads(const models::Scenario& scenario);

  // Node-bound issuance: refused unless `account` has a pod on `node`.
  [[nodiscard]] Result<IssuedCertificate> issue(const std::string& node, const ServiceAccount& account,
                                                UnixTime now) const;
  // Renews `current` for the same identity when the policy says so; nullopt when not due.
  [[nodiscard]] Result<std::optional<IssuedCertificate>> renewIfDue(const std::string& node,
                                                                    const Certificate& current, UnixTime now,
                                                                    const RotationPolicy& policy = {}) const;
  // Issuance without the node check, for the CA's own tooling and tests.
  [[nodiscard]] Result<IssuedCertificate> issueUnbound(const ServiceAccount& account, UnixTime now) const;

 private:
  CertificateAuthority(Certificate root, PrivateKey root_key, CaOptions options)
      : root_(std::move(root)), root_key_(std::move(root_key)), options_(std::move(options)) {}

  Certificate root_;
  PrivateKey root_key_;
  CaOptions options_;
  std::map<std::string, std::set<ServiceAccount>> node_accounts_;
};

// Verifies a peer chain (leaf first, then any intermediates) against `root` as of `now`, the
// verifying node's clock, and returns the leaf's SPIFFE identity. A certificate outside its
// validity window yields an error that names both times and the node's clock.
Result<WorkloadIdentity> verifyPeer(const std::vector<Certificate>& chain, const Certificate& root, UnixTime now);

// "2026-11-22T14:55:00Z"
std::string formatUtc(UnixTime t);
// "9m12s", "1h0m5s", "2d3h0m0s", "0s"
std::string formatDuration(std::chrono::seconds d);

}  // namespace meshtwin::dataplane
