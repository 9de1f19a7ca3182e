// kubeconfig as kubectl reads it: which files (--kubeconfig, $KUBECONFIG, ~/.kube/config),
// how several merge, and how one context resolves into what a client needs (ClusterAccess).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/http_client.hpp"

namespace meshtwin::kube {

// The process environment as the loader sees it, so tests need not touch the real one.
struct KubeEnvironment {
  std::function<std::optional<std::string>(const std::string&)> get_env;
  std::string home_dir;
  // getenv and $HOME (or the password database).
  static KubeEnvironment process();
};

// users[].user.exec: a credential plugin (client.authentication.k8s.io v1 or v1beta1).
struct ExecConfig {
  std::string api_version;  // "client.authentication.k8s.io/v1" or ".../v1beta1"
  std::string command;      // a relative path with a '/' is already resolved against the kubeconfig's dir
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // "Never", "IfAvailable", "Always" or "" (unset)
  nlohmann::json cluster;        // spec.cluster for KUBERNETES_EXEC_INFO when provide_cluster_info
};

// One named entry of each list, as written in one file; relative paths are already absolute
// (against that file's directory) and *-data fields already base64-decoded.
struct KubeconfigCluster {
  std::string name, server, certificate_authority, certificate_authority_data, tls_server_name, proxy_url;
  bool insecure_skip_tls_verify = false;
  nlohmann::json exec_extension;  // extensions[name=client.authentication.k8s.io/exec].extension
  std::string source;             // the file it came from
};
struct KubeconfigUser {
  std::string name, client_certificate, client_certificate_data, client_key, client_key_data;
  std::string token, token_file, username, password;
  std::optional<ExecConfig> exec;
  std::string auth_provider;  // the name of a legacy auth-provider (unsupported, reported on use)
  std::string source;
};
struct KubeconfigContext {
  std::string name, cluster, user, ns;
  std::string source;
};

struct Kubeconfig {
  std::vector<KubeconfigCluster> clusters;
  std::vector<KubeconfigUser> users;
  std::vector<KubeconfigContext> contexts;
  std::string current_context;
  std::vector<std::string> files;  // the files merged, first one wins

  [[nodiscard]] const KubeconfigCluster* cluster(const std::string& name) const;
  [[nodiscard]] const KubeconfigUser* user(const std::string& name) const;
  [[nodiscard]] const KubeconfigContext* context(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> contextNames() const;
};

// The flags kubectl takes for this: --kubeconfig, --context, --namespace.
struct KubeconfigOptions {
  std::string kubeconfig;
  std::string context;
  std::string ns;
};

// One file's YAML; `path` names it in errors (file:line:col) and anchors relative paths.
Result<Kubeconfig> parseKubeconfig(const std::string& yaml, const std::string& path);
// kubectl's rule: the first file to set a cluster, user or context name wins (entries are
// never merged field by field), and so does the first to set current-context.
Kubeconfig mergeKubeconfigs(const std::vector<Kubeconfig>& in_order);

// The files to read, in order: --kubeconfig alone (it must exist); else every existing file
// of $KUBECONFIG (':'-separated, duplicates dropped); else ~/.kube/config.
Result<std::vector<std::string>> kubeconfigFiles(const KubeconfigOptions& options, const KubeEnvironment& env);
Result<Kubeconfig> loadKubeconfig(const KubeconfigOptions& options, const KubeEnvironment& env);

// Everything a client needs to talk to one cluster as one user.
struct ClusterAccess {
  std::string context, cluster, user;
  std::string server;
  std::string ca_pem;  // from certificate-authority-data or the certificate-authority file
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string client_cert_pem, client_key_pem;
  std::string token;
  std::string token_file;  // re-read on use: projected tokens rotate
  std::string username, password;
  std::optional<ExecConfig> exec;
  std::string ns = "default";
  std::vector<std::string> warnings;  // for the caller to print (insecure mode, ignored fields)

  [[nodiscard]] TlsOptions tls() const;
};

// The context named in options (else current-context) with its cluster and user; reads the
// certificate files it names.
Result<ClusterAccess> resolveAccess(const Kubeconfig& config, const KubeconfigOptions& options);
// loadKubeconfig then resolveAccess.
Result<ClusterAccess> loadClusterAccess(const KubeconfigOptions& options, const KubeEnvironment& env);

}  // namespace meshtwin::kube
