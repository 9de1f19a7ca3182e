// Exec credential plugins (client.authentication.k8s.io): run the command kubeconfig names,
// read its ExecCredential, cache it until it expires, run it again when the server says 401.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/kubeconfig.hpp"

namespace meshtwin::kube {

struct ExecCredential {
  std::string token;
  std::string client_certificate_pem;  // status.clientCertificateData (PEM, not base64)
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: valid until a 401
};

// "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123+02:00".
Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// The plugin's stdout: an ExecCredential of the apiVersion the kubeconfig asked for, with a
// token or a client certificate and key.
Result<ExecCredential> parseExecCredential(std::string_view json, const ExecConfig& config);

// KUBERNETES_EXEC_INFO as client-go sets it: {"apiVersion", "kind": "ExecCredential",
// "spec": {"interactive": false[, "cluster": ...]}}.
std::string execInfo(const ExecConfig& config);

using TextSink = std::function<void(std::string_view)>;

// Runs the plugin with KUBERNETES_EXEC_INFO and the config's env added to ours, stdin from
// /dev/null, within `timeout` (then killed). Its stderr goes to `stderr_sink` (our stderr when
// empty). Returns its stdout when it exits 0.
Result<std::string> runExecPlugin(const ExecConfig& config, std::chrono::milliseconds timeout, const TextSink& stderr_sink = {});

struct ExecCacheOptions {
  std::chrono::milliseconds timeout{60000};
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
  TextSink stderr_sink;
};

// One plugin's credential, shared by every request of a client (thread-safe).
class ExecCredentialCache {
 public:
  explicit ExecCredentialCache(ExecConfig config, ExecCacheOptions options = {});
  // The cached credential, or a fresh one when there is none or it has expired.
  Result<ExecCredential> get();
  // Forget the cached credential (the server answered 401 with it).
  void invalidate();
  [[nodiscard]] int runs() const;

 private:
  ExecConfig config_;
  ExecCacheOptions options_;
  mutable std::mutex mu_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace meshtwin::kube
