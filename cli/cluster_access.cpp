// connectCluster / prometheusConfig: kubeconfig loading and credentials files for the
// subcommands that reach a cluster.
#include "cluster_access.hpp"

#include <fmt/format.h>

#include <fstream>
#include <ostream>
#include <sstream>

namespace meshtwin::cli {
namespace {

std::optional<std::string> fileText(const std::string& path, const std::string& cmd, const char* flag, std::ostream& err) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  if (!f) {
    err << fmt::format("meshtwin {}: {} {}: cannot read the file\n", cmd, flag, path);
    return std::nullopt;
  }
  auto text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

std::optional<kube::Client> connectCluster(const ClusterFlags& f, const std::string& cmd, std::ostream& err) {
  const kube::KubeconfigOptions ko{f.kubeconfig, f.context, f.ns};
  const auto access = kube::loadClusterAccess(ko, kube::KubeEnvironment::process());
  if (!access) {
    err << "meshtwin " << cmd << ": kubeconfig: " << kube::format(access.error()) << "\n";
    return std::nullopt;
  }
  if (access->insecure_skip_tls_verify) {
    err << fmt::format("meshtwin {}: warning: context {} skips TLS verification (insecure-skip-tls-verify): the "
                       "API server's identity is not checked\n",
                       cmd, access->context);
  }
  kube::ClientOptions co;
  co.warn = [&err, cmd](const std::string& w) { err << "meshtwin " << cmd << ": warning: " << w << "\n"; };
  auto client = kube::Client::create(*access, co);
  if (!client) {
    err << "meshtwin " << cmd << ": " << kube::format(client.error()) << "\n";
    return std::nullopt;
  }
  return std::move(*client);
}

std::optional<kube::PrometheusConfig> prometheusConfig(const PrometheusFlags& f, const std::string& cmd, std::ostream& err) {
  kube::PrometheusConfig c;
  c.url = f.url;
  if (!f.token_file.empty()) {
    auto token = fileText(f.token_file, cmd, "--prometheus-token-file", err);
    if (!token) return std::nullopt;
    c.bearer_token = *token;
  }
  if (!f.user.empty()) {
    c.basic_user = f.user;
    if (!f.password_file.empty()) {
      auto pw = fileText(f.password_file, cmd, "--prometheus-password-file", err);
      if (!pw) return std::nullopt;
      c.basic_password = *pw;
    }
  }
  return c;
}

}  // namespace meshtwin::cli
