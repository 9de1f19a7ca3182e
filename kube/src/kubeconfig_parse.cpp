// Reading one kubeconfig file's YAML into Kubeconfig, with file:line:col on every error.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/kubeconfig.hpp"

namespace meshtwin::kube {

namespace {

// Thrown inside the parser, caught once at its edge and turned into an Error.
struct YamlFault {
  YAML::Mark mark;
  std::string message;
  std::string hint;
};

std::string location(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

YAML::Node field(const YAML::Node& map, const char* key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node();
  return map[key];
}

std::string text(const YAML::Node& map, const char* key) {
  const YAML::Node n = field(map, key);
  if (!n.IsDefined() || n.IsNull()) return "";
  if (!n.IsScalar()) throw YamlFault{n.Mark(), std::string(key) + " must be a string", ""};
  return n.Scalar();
}

bool flag(const YAML::Node& map, const char* key) {
  const YAML::Node n = field(map, key);
  if (!n.IsDefined() || n.IsNull()) return false;
  bool value = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value))
    throw YamlFault{n.Mark(), std::string(key) + " must be true or false", ""};
  return value;
}

std::string decoded(const YAML::Node& map, const char* key) {
  const std::string raw = text(map, key);
  if (raw.empty()) return "";
  auto bytes = base64Decode(raw);
  if (!bytes) throw YamlFault{field(map, key).Mark(), std::string(key) + " is not base64", "encode the PEM with base64 -w0"};
  return *bytes;
}

std::string absolute(const std::string& p, const std::filesystem::path& base) {
  if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

// A list of {name, <inner>} entries; null or absent is an empty list.
std::vector<YAML::Node> entries(const YAML::Node& root, const char* key) {
  const YAML::Node list = field(root, key);
  if (!list.IsDefined() || list.IsNull()) return {};
  if (!list.IsSequence()) throw YamlFault{list.Mark(), std::string(key) + " must be a list", ""};
  std::vector<YAML::Node> out;
  for (const auto& item : list) {
    if (!item.IsMap()) throw YamlFault{item.Mark(), std::string(key) + " entries must be maps with a name", ""};
    out.push_back(item);
  }
  return out;
}

std::string entryName(const YAML::Node& item, const char* list, std::set<std::string>& seen) {
  const std::string name = text(item, "name");
  if (name.empty()) throw YamlFault{item.Mark(), std::string(list) + " entry without a name", ""};
  if (!seen.insert(name).second)
    throw YamlFault{item.Mark(), "duplicate name \"" + name + "\" in " + list, "each name may appear once per file"};
  return name;
}

nlohmann::json toJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : n) out[kv.first.Scalar()] = toJson(kv.second);
    return out;
  }
  if (n.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : n) out.push_back(toJson(item));
    return out;
  }
  if (n.IsScalar()) return n.Scalar();
  return nullptr;
}

nlohmann::json execExtension(const YAML::Node& cluster) {
  for (const auto& ext : entries(cluster, "extensions"))
    if (text(ext, "name") == "client.authentication.k8s.io/exec") return toJson(field(ext, "extension"));
  return nullptr;
}

KubeconfigCluster parseCluster(const YAML::Node& item, const std::string& name, const std::filesystem::path& base) {
  const YAML::Node c = field(item, "cluster");
  KubeconfigCluster out;
  out.name = name;
  out.server = text(c, "server");
  out.certificate_authority = absolute(text(c, "certificate-authority"), base);
  out.certificate_authority_data = decoded(c, "certificate-authority-data");
  out.insecure_skip_tls_verify = flag(c, "insecure-skip-tls-verify");
  out.tls_server_name = text(c, "tls-server-name");
  out.proxy_url = text(c, "proxy-url");
  out.exec_extension = execExtension(c);
  return out;
}

std::vector<std::string> strings(const YAML::Node& map, const char* key) {
  std::vector<std::string> out;
  const YAML::Node list = field(map, key);
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) throw YamlFault{list.Mark(), std::string(key) + " must be a list of strings", ""};
  for (const auto& item : list) {
    if (!item.IsScalar()) throw YamlFault{item.Mark(), std::string(key) + " must be a list of strings", ""};
    out.push_back(item.Scalar());
  }
  return out;
}

ExecConfig parseExec(const YAML::Node& e, const std::filesystem::path& base) {
  ExecConfig out;
  out.api_version = text(e, "apiVersion");
  if (out.api_version != "client.authentication.k8s.io/v1" && out.api_version != "client.authentication.k8s.io/v1beta1")
    throw YamlFault{e.Mark(), "exec apiVersion \"" + out.api_version + "\" is not supported",
                    "use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1"};
  out.command = text(e, "command");
  if (out.command.empty()) throw YamlFault{e.Mark(), "exec without a command", ""};
  // client-go resolves a relative command only when it names a path, not a name on $PATH.
  if (out.command.find('/') != std::string::npos) out.command = absolute(out.command, base);
  out.args = strings(e, "args");
  const YAML::Node env = field(e, "env");
  if (env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) throw YamlFault{env.Mark(), "exec env must be a list of {name, value}", ""};
    for (const auto& kv : env) out.env.emplace_back(text(kv, "name"), text(kv, "value"));
  }
  out.install_hint = text(e, "installHint");
  out.provide_cluster_info = flag(e, "provideClusterInfo");
  out.interactive_mode = text(e, "interactiveMode");
  return out;
}

KubeconfigUser parseUser(const YAML::Node& item, const std::string& name, const std::filesystem::path& base) {
  const YAML::Node u = field(item, "user");
  KubeconfigUser out;
  out.name = name;
  out.client_certificate = absolute(text(u, "client-certificate"), base);
  out.client_certificate_data = decoded(u, "client-certificate-data");
  out.client_key = absolute(text(u, "client-key"), base);
  out.client_key_data = decoded(u, "client-key-data");
  out.token = text(u, "token");
  out.token_file = absolute(text(u, "tokenFile"), base);
  out.username = text(u, "username");
  out.password = text(u, "password");
  const YAML::Node exec = field(u, "exec");
  if (exec.IsDefined() && !exec.IsNull()) out.exec = parseExec(exec, base);
  const YAML::Node provider = field(u, "auth-provider");
  if (provider.IsDefined() && !provider.IsNull()) out.auth_provider = text(provider, "name");
  return out;
}

KubeconfigContext parseContext(const YAML::Node& item, const std::string& name) {
  const YAML::Node c = field(item, "context");
  return KubeconfigContext{name, text(c, "cluster"), text(c, "user"), text(c, "namespace"), ""};
}

Kubeconfig parseRoot(const YAML::Node& root, const std::string& path) {
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) throw YamlFault{root.Mark(), "a kubeconfig must be a map", ""};
  const auto base = std::filesystem::absolute(path).parent_path();
  Kubeconfig out;
  out.files.push_back(path);
  std::set<std::string> clusters, users, contexts;
  for (const auto& item : entries(root, "clusters")) out.clusters.push_back(parseCluster(item, entryName(item, "clusters", clusters), base));
  for (const auto& item : entries(root, "users")) out.users.push_back(parseUser(item, entryName(item, "users", users), base));
  for (const auto& item : entries(root, "contexts")) out.contexts.push_back(parseContext(item, entryName(item, "contexts", contexts)));
  out.current_context = text(root, "current-context");
  for (auto& c : out.clusters) c.source = path;
  for (auto& u : out.users) u.source = path;
  for (auto& c : out.contexts) c.source = path;
  return out;
}

Error configError(const std::string& where, std::string message, std::string hint) {
  return Error{Error::Kind::Config, 0, "", where, "", std::move(message), std::move(hint)};
}

}  // namespace

Result<Kubeconfig> parseKubeconfig(const std::string& yaml, const std::string& path) {
  try {
    return parseRoot(YAML::Load(yaml), path);
  } catch (const YamlFault& f) {
    return configError(location(path, f.mark), f.message, f.hint);
  } catch (const YAML::Exception& e) {
    return configError(location(path, e.mark), e.msg, "the file is not valid YAML");
  }
}

}  // namespace meshtwin::kube
