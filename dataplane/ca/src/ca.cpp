// The workload CA: key generation, issuance, PEM, rotation decisions and peer verification
// over OpenSSL 3, every OpenSSL object owned by a unique_ptr.
#include "meshtwin/dataplane/ca.hpp"

#include <ctime>
#include <limits>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::dataplane {
namespace {

struct BioDeleter {
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct X509ExtDeleter {
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
struct X509NameDeleter {
  void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
};
struct StoreDeleter {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_free(p); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;

Error sslError(std::string what, std::string object, std::string step, std::string hint = {}) {
  return Error{std::move(what), std::move(object), step + " failed: " + opensslErrors(), std::move(hint)};
}

Bio memBio(std::string_view data) {
  // The read-only buffer is not copied: the BIO must not outlive `data`.
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string drainBio(BIO* bio) {
  std::string out(BIO_ctrl_pending(bio), '\0');
  if (!out.empty()) {
    const int n = BIO_read(bio, out.data(), static_cast<int>(out.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0U);
  }
  return out;
}

std::time_t toTimeT(UnixTime t) { return static_cast<std::time_t>(t.time_since_epoch().count()); }

UnixTime fromAsn1(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return UnixTime{};
  return UnixTime{std::chrono::seconds(timegm(&tm))};
}

bool validName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s.find(':') == std::string::npos;
}

// Adds one extension in openssl.cnf syntax, e.g. ("basicConstraints", "critical,CA:TRUE").
bool addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, X509ExtDeleter> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool setRandomSerial(X509* cert) {
  unsigned char bytes[16];  // 128 random bits, as the CA/Browser Forum asks for at least 64
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] = static_cast<unsigned char>(bytes[0] | 0x01U);  // never zero, never a short serial
  std::unique_ptr<BIGNUM, BnDeleter> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

// Fields every certificate we make shares: v3, serial, validity, public key.
bool setCommon(X509* cert, EVP_PKEY* key, UnixTime not_before, UnixTime not_after) {
  return X509_set_version(cert, X509_VERSION_3) == 1 && setRandomSerial(cert) &&
         ASN1_TIME_set(X509_getm_notBefore(cert), toTimeT(not_before)) != nullptr &&
         ASN1_TIME_set(X509_getm_notAfter(cert), toTimeT(not_after)) != nullptr &&
         X509_set_pubkey(cert, key) == 1;
}

}  // namespace

std::string opensslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += ", ";
    out += buf;
  }
  return out.empty() ? std::string("(OpenSSL reported no error detail)") : out;
}

std::string Error::text() const {
  std::string out = what;
  if (!object.empty()) out += ": " + object;
  if (!cause.empty()) out += ": " + cause;
  if (!hint.empty()) out += "; " + hint;
  return out;
}

std::string WorkloadIdentity::uri() const {
  return "spiffe://" + trust_domain + "/ns/" + service_account.ns + "/sa/" + service_account.name;
}

Result<WorkloadIdentity> parseSpiffeUri(std::string_view uri) {
  const auto bad = [&](const std::string& cause) {
    return Error{"parse SPIFFE identity", std::string(uri), cause,
                 "expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>"};
  };
  constexpr std::string_view scheme = "spiffe://";
  if (uri.substr(0, scheme.size()) != scheme) return bad("not a spiffe:// URI");
  std::string_view rest = uri.substr(scheme.size());
  std::vector<std::string> parts;
  while (true) {
    const auto slash = rest.find('/');
    parts.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.size() != 5 || parts[1] != "ns" || parts[3] != "sa") return bad("path is not /ns/<ns>/sa/<sa>");
  if (parts[0].empty() || !validName(parts[2]) || !validName(parts[4])) return bad("empty trust domain, namespace or service account");
  return WorkloadIdentity{parts[0], ServiceAccount{parts[2], parts[4]}};
}

// ---- PrivateKey ----

PrivateKey::PrivateKey(const PrivateKey& other) : key_(other.key_.get()) {
  if (key_) EVP_PKEY_up_ref(key_.get());
}

PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
  if (this != &other) {
    if (other.key_) EVP_PKEY_up_ref(other.key_.get());
    key_.reset(other.key_.get());
  }
  return *this;
}

Result<PrivateKey> PrivateKey::generateP256() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1 ||
      EVP_PKEY_generate(ctx.get(), &key) != 1) {
    return sslError("generate key", "ECDSA P-256", "EVP_PKEY_generate", "check the OpenSSL 3 installation and its providers");
  }
  return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::fromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) {
    return sslError("read private key", "PEM", "PEM_read_bio_PrivateKey",
                    "expected an unencrypted \"-----BEGIN PRIVATE KEY-----\" block");
  }
  return PrivateKey(key);
}

Result<std::string> PrivateKey::toPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return sslError("write private key", "PEM", "PEM_write_bio_PrivateKey");
  }
  return drainBio(bio.get());
}

// ---- Certificate ----

Certificate::Certificate(const Certificate& other) : cert_(other.cert_.get()) {
  if (cert_) X509_up_ref(cert_.get());
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    if (other.cert_) X509_up_ref(other.cert_.get());
    cert_.reset(other.cert_.get());
  }
  return *this;
}

Result<Certificate> Certificate::fromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  X509* cert = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (cert == nullptr) {
    return sslError("read certificate", "PEM", "PEM_read_bio_X509", "expected a \"-----BEGIN CERTIFICATE-----\" block");
  }
  return Certificate(cert);
}

Result<std::vector<Certificate>> Certificate::chainFromPem(std::string_view pem) {
  Bio bio = memBio(pem);
  std::vector<Certificate> out;
  while (bio) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    out.emplace_back(cert);
  }
  if (out.empty()) {
    return sslError("read certificate chain", "PEM", "PEM_read_bio_X509", "expected \"-----BEGIN CERTIFICATE-----\" blocks");
  }
  ERR_clear_error();  // the read past the last block is the expected end, not a failure
  return out;
}

Result<std::string> Certificate::toPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert_.get()) != 1) {
    return sslError("write certificate", describe(), "PEM_write_bio_X509");
  }
  return drainBio(bio.get());
}

UnixTime Certificate::notBefore() const { return fromAsn1(X509_get0_notBefore(cert_.get())); }
UnixTime Certificate::notAfter() const { return fromAsn1(X509_get0_notAfter(cert_.get())); }

std::string Certificate::serialHex() const {
  std::unique_ptr<BIGNUM, BnDeleter> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

std::vector<std::string> Certificate::uriSans() const {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert_.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  const int n = sk_GENERAL_NAME_num(names.get());
  for (int i = 0; i < n; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_IA5STRING* s = gn->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

std::string Certificate::subject() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert_.get()), 0, XN_FLAG_ONELINE) < 0) return {};
  return drainBio(bio.get());
}

std::string Certificate::describe() const {
  const auto uris = uriSans();
  if (!uris.empty()) return "certificate for " + uris.front();
  const std::string s = subject();
  return s.empty() ? "certificate with serial " + serialHex() : "certificate " + s;
}

// ---- rotation ----

UnixTime rotationTime(const Certificate& cert, const RotationPolicy& policy) {
  const auto lifetime = cert.notAfter() - cert.notBefore();
  return cert.notBefore() + lifetime * policy.percent_of_lifetime / 100;
}

bool needsRotation(const Certificate& cert, UnixTime now, const RotationPolicy& policy) {
  return now >= rotationTime(cert, policy);
}

// ---- CA ----

std::map<std::string, std::set<ServiceAccount>> serviceAccountsByNode(const models::Scenario& scenario) {
  std::map<std::string, std::set<ServiceAccount>> out;
  for (const auto& node : scenario.nodes) out[node.name];  // a node with no pods is known, and empty
  for (const auto& pod : scenario.pods) {
    if (pod.owner == models::Pod::Owner::Workload) {
      const auto& w = scenario.workloads.at(pod.owner_id);
      out[scenario.nodes.at(pod.node).name].insert(ServiceAccount{w.ns, w.service_account});
    } else {  // a waypoint runs as a service account named after it
      const auto& w = scenario.waypoints.at(pod.owner_id);
      out[scenario.nodes.at(pod.node).name].insert(ServiceAccount{w.ns, w.name});
    }
  }
  return out;
}

Result<CertificateAuthority> CertificateAuthority::create(const CaOptions& options, UnixTime now) {
  const std::string what = "create root CA";
  const std::string object = "root " + options.root_common_name;
  auto key = PrivateKey::generateP256();
  if (!key) return key.error();
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  std::unique_ptr<X509_NAME, X509NameDeleter> name(X509_NAME_new());
  if (!cert || !name ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.trust_domain.c_str()), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.root_common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 || X509_set_issuer_name(cert.get(), name.get()) != 1) {
    return sslError(what, object, "X509_NAME");
  }
  if (!setCommon(cert.get(), key->native(), now - options.backdate, now + options.root_ttl)) {
    return sslError(what, object, "setting serial, validity and key");
  }
  if (!addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
    return sslError(what, object, "adding extensions");
  }
  if (X509_sign(cert.get(), key->native(), EVP_sha256()) <= 0) return sslError(what, object, "X509_sign");
  return CertificateAuthority(Certificate(cert.release()), std::move(key).value(), options);
}

Result<CertificateAuthority> CertificateAuthority::fromRoot(Certificate root, PrivateKey root_key,
                                                            const CaOptions& options) {
  if (X509_check_private_key(root.native(), root_key.native()) != 1) {
    return sslError("load root CA", root.describe(), "X509_check_private_key",
                    "the key does not belong to this certificate; pass the root's own key");
  }
  if (X509_check_ca(root.native()) == 0) {
    return Error{"load root CA", root.describe(), "not a CA certificate (no basicConstraints CA:TRUE)",
                 "use the certificate made by CertificateAuthority::create"};
  }
  return CertificateAuthority(std::move(root), std::move(root_key), options);
}

void CertificateAuthority::setNodeWorkloads(const std::string& node, std::set<ServiceAccount> accounts) {
  node_accounts_[node] = std::move(accounts);
}

void CertificateAuthority::setNodeWorkloads(const models::Scenario& scenario) {
  for (auto& [node, accounts] : serviceAccountsByNode(scenario)) setNodeWorkloads(node, std::move(accounts));
}

Result<IssuedCertificate> CertificateAuthority::issue(const std::string& node, const ServiceAccount& account,
                                                      UnixTime now) const {
  const auto it = node_accounts_.find(node);
  if (it == node_accounts_.end()) {
    return Error{"issue certificate", "node " + node, "unknown node, no workloads registered for it",
                 "register the node's pods first (setNodeWorkloads)"};
  }
  if (!it->second.contains(account)) {
    std::string here;
    for (const auto& a : it->second) here += (here.empty() ? "" : ", ") + a.text();
    return Error{"issue certificate", "node " + node, "service account " + account.text() + " has no pod on this node",
                 "a node may only obtain identities of pods scheduled on it (" +
                     (here.empty() ? std::string("none here") : "here: " + here) +
                     "); request the certificate from the node that runs the pod"};
  }
  return issueUnbound(account, now);
}

Result<IssuedCertificate> CertificateAuthority::issueUnbound(const ServiceAccount& account, UnixTime now) const {
  const WorkloadIdentity id{options_.trust_domain, account};
  const std::string what = "issue certificate";
  const std::string object = id.uri();
  if (!validName(account.ns) || !validName(account.name)) {
    return Error{what, object, "namespace and service account must be non-empty and contain no '/' or ':'",
                 "pass the pod's namespace and spec.serviceAccountName"};
  }
  auto key = PrivateKey::generateP256();
  if (!key) return key.error();
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(root_.native())) != 1) {
    return sslError(what, object, "X509_set_issuer_name");
  }
  // X.509-SVID: the identity lives only in the URI SAN, which is then critical (empty subject).
  if (!setCommon(cert.get(), key->native(), now - options_.backdate, now + options_.workload_ttl)) {
    return sslError(what, object, "setting serial, validity and key");
  }
  if (!addExtension(cert.get(), root_.native(), NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), root_.native(), NID_key_usage, "critical,digitalSignature,keyAgreement") ||
      !addExtension(cert.get(), root_.native(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !addExtension(cert.get(), root_.native(), NID_subject_alt_name, "critical,URI:" + id.uri()) ||
      !addExtension(cert.get(), root_.native(), NID_authority_key_identifier, "keyid:always")) {
    return sslError(what, object, "adding extensions");
  }
  if (X509_sign(cert.get(), root_key_.native(), EVP_sha256()) <= 0) return sslError(what, object, "X509_sign");
  return IssuedCertificate{id, Certificate(cert.release()), std::move(key).value()};
}

Result<std::optional<IssuedCertificate>> CertificateAuthority::renewIfDue(const std::string& node,
                                                                          const Certificate& current, UnixTime now,
                                                                          const RotationPolicy& policy) const {
  if (!needsRotation(current, now, policy)) return std::optional<IssuedCertificate>{};
  const auto uris = current.uriSans();
  if (uris.size() != 1) {
    return Error{"renew certificate", current.describe(), "expected exactly one URI SAN, found " + std::to_string(uris.size()),
                 "renew only certificates this CA issued"};
  }
  auto id = parseSpiffeUri(uris.front());
  if (!id) return id.error();
  auto issued = issue(node, id->service_account, now);
  if (!issued) return issued.error();
  return std::optional<IssuedCertificate>(std::move(issued).value());
}

// ---- verification ----

Result<WorkloadIdentity> verifyPeer(const std::vector<Certificate>& chain, const Certificate& root, UnixTime now) {
  const std::string what = "verify peer certificate";
  if (chain.empty()) return Error{what, "peer", "the peer presented no certificate", "the peer must use mTLS"};
  const Certificate& leaf = chain.front();
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  std::unique_ptr<STACK_OF(X509), X509StackDeleter> untrusted(sk_X509_new_null());
  if (!store || !ctx || !untrusted || X509_STORE_add_cert(store.get(), root.native()) != 1) {
    return sslError(what, leaf.describe(), "setting up the trust store");
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].native()) <= 0) return sslError(what, leaf.describe(), "sk_X509_push");
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), untrusted.get()) != 1) {
    return sslError(what, leaf.describe(), "X509_STORE_CTX_init");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, toTimeT(now));  // the node's clock, not the wall clock
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();  // the verify result says more than the queue
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    Certificate failing = leaf;
    if (bad != nullptr && X509_up_ref(bad) == 1) failing = Certificate(bad);
    const std::string object = failing.describe();
    if (err == X509_V_ERR_CERT_NOT_YET_VALID) {
      return Error{what, object,
                   "not yet valid: NotBefore " + formatUtc(failing.notBefore()) + " is " +
                       formatDuration(failing.notBefore() - now) + " after this node's clock (" + formatUtc(now) + ")",
                   "check the node's clock (NTP)"};
    }
    if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
      return Error{what, object,
                   "expired: NotAfter " + formatUtc(failing.notAfter()) + " is " +
                       formatDuration(now - failing.notAfter()) + " before this node's clock (" + formatUtc(now) + ")",
                   "check the node's clock (NTP), then whether the peer renews its certificate"};
    }
    return Error{what, object, std::string("chain does not verify: ") + X509_verify_cert_error_string(err),
                 "the peer's certificate must be issued by this mesh's root CA (same trust domain)"};
  }
  const auto uris = leaf.uriSans();
  if (uris.size() != 1) {
    return Error{what, leaf.describe(), "expected exactly one URI SAN, found " + std::to_string(uris.size()),
                 "a workload certificate names one SPIFFE identity"};
  }
  auto id = parseSpiffeUri(uris.front());
  if (!id) return Error{what, leaf.describe(), id.error().cause, id.error().hint};
  return id;
}

std::string formatUtc(UnixTime t) {
  const std::time_t tt = toTimeT(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string formatDuration(std::chrono::seconds d) {
  std::string out = d < std::chrono::seconds(0) ? "-" : "";
  auto s = d < std::chrono::seconds(0) ? -d.count() : d.count();
  const auto days = s / 86400;
  const auto hours = (s / 3600) % 24;
  const auto minutes = (s / 60) % 60;
  s %= 60;
  bool started = false;
  if (days > 0) {
    out += std::to_string(days) + "d";
    started = true;
  }
  if (started || hours > 0) {
    out += std::to_string(hours) + "h";
    started = true;
  }
  if (started || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(s) + "s";
  return out;
}

}  // namespace meshtwin::dataplane
