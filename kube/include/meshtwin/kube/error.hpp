// Errors of the cluster clients: what was asked (verb, URL), what came back (HTTP status and
// the server's reason and message), and a hint for the person at the keyboard.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace meshtwin::kube {

struct Error {
  enum class Kind {
    Config,       // kubeconfig or client settings are wrong (bad input)
    Unreachable,  // DNS, connect, TLS handshake, timeout: nothing usable came back
    Http,         // the server answered with an error status (see status, reason)
    Protocol,     // the server answered, but not with what the API promises (bad JSON, ...)
  };
  Kind kind = Kind::Http;
  int status = 0;       // HTTP status, 0 when none
  std::string verb;     // "GET", "list", ...
  std::string url;      // what was asked
  std::string reason;   // Kubernetes Status.reason ("Forbidden", "Expired", ...) or Prometheus errorType
  std::string message;  // the server's message, or what went wrong
  std::string hint;     // what to try
  // Status.details.causes: one per field at fault, e.g. {"FieldManagerConflict", "conflict with
  // \"kubectl-client-side-apply\" using apps/v1", ".spec.replicas"} for a server-side apply conflict.
  struct Cause {
    std::string reason, message, field;
  };
  std::vector<Cause> causes{};
  std::string details_name{};  // Status.details.name: the object the answer is about, when the server names it
};

// "GET https://host/api/v1/pods: 403 Forbidden: pods is forbidden: ... (hint)"
std::string format(const Error& e);

// A value or an Error.
template <class T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}          // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::move(e)) {}      // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace meshtwin::kube
