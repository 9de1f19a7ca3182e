// Finding and merging kubeconfig files as kubectl does, and resolving a context into the
// ClusterAccess a client needs.
#include "meshtwin/kube/kubeconfig.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "meshtwin/kube/base64.hpp"

namespace meshtwin::kube {

namespace {

Error configError(std::string where, std::string message, std::string hint = "") {
  return Error{Error::Kind::Config, 0, "", std::move(where), "", std::move(message), std::move(hint)};
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> splitList(const std::string& list) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ':');)
    if (!item.empty() && seen.insert(item).second) out.push_back(item);
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

template <class T>
const T* findByName(const std::vector<T>& items, const std::string& name) {
  for (const auto& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

template <class T>
void mergeList(std::vector<T>& into, const std::vector<T>& from) {
  for (const auto& item : from)
    if (findByName(into, item.name) == nullptr) into.push_back(item);
}

// A *-data field, else the file it names, read now.
Result<std::string> pemFrom(const std::string& data, const std::string& file, const std::string& field, const std::string& source) {
  if (!data.empty() || file.empty()) return data;
  auto body = readFile(file);
  if (!body) return configError(file, std::string("cannot read ") + field + ": " + std::strerror(errno),
                                "named by " + field + " in " + source);
  return *body;
}

Result<const KubeconfigContext*> pickContext(const Kubeconfig& config, const KubeconfigOptions& options) {
  const std::string name = options.context.empty() ? config.current_context : options.context;
  const std::string where = config.files.empty() ? "kubeconfig" : joined(config.files);
  const std::string available = "available contexts: " + joined(config.contextNames());
  if (name.empty())
    return configError(where, "current-context is not set and no context was given; " + available,
                       "pick one with --context or kubectl config use-context");
  const auto* ctx = config.context(name);
  if (ctx == nullptr)
    return configError(where, "context \"" + name + "\" not found; " + available, "kubectl config get-contexts lists them");
  return ctx;
}

std::optional<Error> applyCluster(const KubeconfigCluster& c, ClusterAccess& out) {
  if (c.server.empty()) return configError(c.source, "cluster \"" + c.name + "\" has no server", "set clusters[].cluster.server");
  out.server = c.server;
  out.tls_server_name = c.tls_server_name;
  out.insecure_skip_tls_verify = c.insecure_skip_tls_verify;
  if (c.insecure_skip_tls_verify && (!c.certificate_authority.empty() || !c.certificate_authority_data.empty()))
    return configError(c.source, "cluster \"" + c.name + "\": a certificate authority together with insecure-skip-tls-verify",
                       "kubectl refuses this too: drop one of them");
  auto ca = pemFrom(c.certificate_authority_data, c.certificate_authority, "certificate-authority", c.source);
  if (!ca) return ca.error();
  out.ca_pem = *ca;
  if (c.insecure_skip_tls_verify)
    out.warnings.push_back("cluster \"" + c.name + "\" sets insecure-skip-tls-verify: the server's certificate is not checked");
  if (!c.proxy_url.empty()) out.warnings.push_back("cluster \"" + c.name + "\" sets proxy-url, which is ignored: connecting directly");
  return std::nullopt;
}

nlohmann::json execClusterInfo(const KubeconfigCluster& c, const ClusterAccess& access) {
  nlohmann::json info{{"server", access.server}, {"insecure-skip-tls-verify", access.insecure_skip_tls_verify}};
  if (!access.tls_server_name.empty()) info["tls-server-name"] = access.tls_server_name;
  // []byte in client-go's Cluster type, so base64 in its JSON.
  if (!access.ca_pem.empty()) info["certificate-authority-data"] = base64Encode(access.ca_pem);
  if (!c.exec_extension.is_null()) info["config"] = c.exec_extension;
  return info;
}

std::optional<Error> applyUser(const KubeconfigUser& u, const KubeconfigCluster& c, ClusterAccess& out) {
  if (!u.auth_provider.empty())
    return configError(u.source, "user \"" + u.name + "\" uses auth-provider \"" + u.auth_provider + "\", which kubectl no longer supports",
                       "use its exec credential plugin (gke-gcloud-auth-plugin, kubelogin, ...)");
  auto cert = pemFrom(u.client_certificate_data, u.client_certificate, "client-certificate", u.source);
  if (!cert) return cert.error();
  auto key = pemFrom(u.client_key_data, u.client_key, "client-key", u.source);
  if (!key) return key.error();
  out.client_cert_pem = *cert;
  out.client_key_pem = *key;
  out.token = u.token;
  out.token_file = u.token_file;
  out.username = u.username;
  out.password = u.password;
  out.exec = u.exec;
  if (out.exec && out.exec->provide_cluster_info) out.exec->cluster = execClusterInfo(c, out);
  return std::nullopt;
}

}  // namespace

KubeEnvironment KubeEnvironment::process() {
  KubeEnvironment env;
  env.get_env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  };
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') env.home_dir = home;
  else if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) env.home_dir = pw->pw_dir;
  return env;
}

const KubeconfigCluster* Kubeconfig::cluster(const std::string& name) const { return findByName(clusters, name); }
const KubeconfigUser* Kubeconfig::user(const std::string& name) const { return findByName(users, name); }
const KubeconfigContext* Kubeconfig::context(const std::string& name) const { return findByName(contexts, name); }

std::vector<std::string> Kubeconfig::contextNames() const {
  std::vector<std::string> out;
  for (const auto& c : contexts) out.push_back(c.name);
  return out;
}

Kubeconfig mergeKubeconfigs(const std::vector<Kubeconfig>& in_order) {
  Kubeconfig out;
  for (const auto& k : in_order) {
    mergeList(out.clusters, k.clusters);
    mergeList(out.users, k.users);
    mergeList(out.contexts, k.contexts);
    if (out.current_context.empty()) out.current_context = k.current_context;
    out.files.insert(out.files.end(), k.files.begin(), k.files.end());
  }
  return out;
}

Result<std::vector<std::string>> kubeconfigFiles(const KubeconfigOptions& options, const KubeEnvironment& env) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!options.kubeconfig.empty()) {
    if (!fs::is_regular_file(options.kubeconfig, ec))
      return configError(options.kubeconfig, "the file given with --kubeconfig does not exist", "check the path");
    return std::vector<std::string>{options.kubeconfig};
  }
  const auto list = env.get_env ? env.get_env("KUBECONFIG") : std::nullopt;
  if (list && !list->empty()) {
    std::vector<std::string> found;
    for (const auto& f : splitList(*list))
      if (fs::is_regular_file(f, ec)) found.push_back(f);  // kubectl skips the missing ones
    if (found.empty()) return configError("$KUBECONFIG", "none of its files exist: " + *list, "check the paths in KUBECONFIG");
    return found;
  }
  const std::string home = env.home_dir.empty() ? "~" : env.home_dir;
  const std::string fallback = (fs::path(home) / ".kube" / "config").string();
  if (!fs::is_regular_file(fallback, ec))
    return configError(fallback, "no kubeconfig: --kubeconfig not given, $KUBECONFIG not set and this file does not exist",
                       "point --kubeconfig or KUBECONFIG at the cluster's kubeconfig");
  return std::vector<std::string>{fallback};
}

Result<Kubeconfig> loadKubeconfig(const KubeconfigOptions& options, const KubeEnvironment& env) {
  auto files = kubeconfigFiles(options, env);
  if (!files) return files.error();
  std::vector<Kubeconfig> parsed;
  for (const auto& f : *files) {
    auto body = readFile(f);
    if (!body) return configError(f, std::string("cannot read kubeconfig: ") + std::strerror(errno));
    auto one = parseKubeconfig(*body, f);
    if (!one) return one.error();
    parsed.push_back(std::move(*one));
  }
  return mergeKubeconfigs(parsed);
}

TlsOptions ClusterAccess::tls() const {
  return TlsOptions{ca_pem, insecure_skip_tls_verify, tls_server_name, client_cert_pem, client_key_pem};
}

Result<ClusterAccess> resolveAccess(const Kubeconfig& config, const KubeconfigOptions& options) {
  auto ctx = pickContext(config, options);
  if (!ctx) return ctx.error();
  const KubeconfigContext& c = **ctx;
  ClusterAccess out;
  out.context = c.name;
  out.cluster = c.cluster;
  out.user = c.user;
  const auto* cluster = config.cluster(c.cluster);
  if (cluster == nullptr)
    return configError(c.source, "context \"" + c.name + "\" names cluster \"" + c.cluster + "\", which no kubeconfig defines",
                       "kubectl config get-clusters lists them");
  if (auto err = applyCluster(*cluster, out)) return *err;
  if (!c.user.empty()) {
    const auto* user = config.user(c.user);
    if (user == nullptr)
      return configError(c.source, "context \"" + c.name + "\" names user \"" + c.user + "\", which no kubeconfig defines",
                         "kubectl config view lists the users");
    if (auto err = applyUser(*user, *cluster, out)) return *err;
  }
  out.ns = !options.ns.empty() ? options.ns : (!c.ns.empty() ? c.ns : "default");
  return out;
}

Result<ClusterAccess> loadClusterAccess(const KubeconfigOptions& options, const KubeEnvironment& env) {
  auto config = loadKubeconfig(options, env);
  if (!config) return config.error();
  return resolveAccess(*config, options);
}

}  // namespace meshtwin::kube
