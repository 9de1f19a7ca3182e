// Scenario loader: the name lookups and checks every section shares (zones, namespaces,
// workloads, services, modes), each reporting an unknown name with a "did you mean".
#include "scenario_loader.hpp"

namespace meshtwin::models::detail {

// A `zones:` list resolved to ids; all zones when absent.
std::vector<ZoneId> ScenarioLoader::zoneList(const YAML::Node& m, const std::string& obj) {
  std::vector<ZoneId> out;
  const auto names = r_.strings(m, "zones", obj);
  if (!names) {
    for (ZoneId z = 0; z < s_.zones.size(); ++z) out.push_back(z);
    return out;
  }
  if (names->empty()) {
    r_.error(m["zones"], obj, "the zones list is empty", "name at least one zone, or leave zones out to allow all");
    return out;
  }
  std::size_t i = 0;
  for (const auto& n : *names) {
    if (auto z = s_.findZone(n)) {
      out.push_back(*z);
    } else {
      r_.error(m["zones"][i], obj, "unknown zone \"" + n + "\"", suggestionHint(n, zoneNames(), "zones"));
    }
    ++i;
  }
  return out;
}

std::vector<std::string> ScenarioLoader::zoneNames() const {
  std::vector<std::string> out;
  for (const auto& z : s_.zones) out.push_back(z.name);
  return out;
}

std::vector<std::string> ScenarioLoader::workloadNamesIn(const std::string& ns) const {
  std::vector<std::string> out;
  for (const auto& w : s_.workloads) {
    if (w.ns == ns) out.push_back(w.name);
  }
  return out;
}

std::vector<std::string> ScenarioLoader::serviceNamesIn(const std::string& ns) const {
  std::vector<std::string> out;
  for (const auto& sv : s_.services) {
    if (sv.ns == ns) out.push_back(sv.name);
  }
  return out;
}

std::vector<std::string> ScenarioLoader::serviceRefs(const std::string& context_ns) const {
  std::vector<std::string> out;
  for (const auto& sv : s_.services) out.push_back(sv.ns == context_ns ? sv.name : sv.name + "." + sv.ns);
  return out;
}

// Resolves "name", "name.ns" or "name.ns.svc.cluster.local". A bare name looks in the
// context namespace first, then anywhere if it is unique.
std::optional<ServiceId> ScenarioLoader::resolveService(const PendingRef& ref, const std::string& obj) {
  std::string text = ref.text;
  if (const auto colon = text.find(':'); colon != std::string::npos) text.resize(colon);
  const std::string suffix = ".svc.cluster.local";
  if (text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0)
    text.resize(text.size() - suffix.size());
  std::string name = text, ns = ref.context_ns;
  if (const auto dot = text.find('.'); dot != std::string::npos) {
    name = text.substr(0, dot);
    ns = text.substr(dot + 1);
  }
  if (auto id = s_.findService(ns, name)) return id;
  if (text.find('.') == std::string::npos) {
    std::optional<ServiceId> unique;
    int count = 0;
    for (ServiceId i = 0; i < s_.services.size(); ++i) {
      if (s_.services[i].name == name) {
        unique = i;
        ++count;
      }
    }
    if (count == 1) return unique;
    if (count > 1) {
      r_.error(ref.loc, obj, "service \"" + name + "\" exists in several namespaces",
               "qualify it as " + name + ".<namespace>");
      return std::nullopt;
    }
  }
  r_.error(ref.loc, obj, "unknown service \"" + ref.text + "\"",
           suggestionHint(ref.text, serviceRefs(ref.context_ns), "services"));
  return std::nullopt;
}

std::optional<WorkloadId> ScenarioLoader::workloadByKey(const std::string& key, const YAML::Node& at,
                                                        const std::string& obj) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) {
    r_.error(at, obj, "workload \"" + key + "\" must be written namespace/name", "e.g. shop/frontend");
    return std::nullopt;
  }
  if (auto id = s_.findWorkload(key.substr(0, slash), key.substr(slash + 1))) return id;
  std::vector<std::string> keys;
  for (const auto& w : s_.workloads) keys.push_back(w.key());
  r_.error(at, obj, "unknown workload \"" + key + "\"", suggestionHint(key, keys, "workloads"));
  return std::nullopt;
}

std::optional<MeshMode> ScenarioLoader::modeOrError(const std::string& text, const YAML::Node& at,
                                                    const std::string& obj) {
  if (auto m = meshModeFrom(text)) return m;
  r_.error(at, obj, "unknown data-plane mode \"" + text + "\"", suggestionHint(text, {"none", "sidecar", "ambient"}, "modes"));
  return std::nullopt;
}

bool ScenarioLoader::namespaceKnown(const std::string& ns, const YAML::Node& at, const std::string& where) {
  if (namespaceSet().count(ns)) return true;
  std::vector<std::string> names(namespaceSet().begin(), namespaceSet().end());
  r_.error(at, where, "unknown namespace \"" + ns + "\"", suggestionHint(ns, names, "namespaces"));
  return false;
}

// The namespaces the workloads live in, gathered on first use (after workloads are read).
const std::set<std::string>& ScenarioLoader::namespaceSet() {
  if (ns_set_.empty()) {
    for (const auto& w : s_.workloads) ns_set_.insert(w.ns);
  }
  return ns_set_;
}

bool ScenarioLoader::validDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

std::optional<Protocol> ScenarioLoader::protocolFrom(const std::string& s) {
  if (s == "http") return Protocol::Http;
  if (s == "grpc") return Protocol::Grpc;
  if (s == "tcp") return Protocol::Tcp;
  return std::nullopt;
}

// A node's position, which identifies an `addWaypoint` between the pre-read and readPlan.
std::pair<int, int> ScenarioLoader::markOf(const YAML::Node& n) { return {n.Mark().line, n.Mark().column}; }

}  // namespace meshtwin::models::detail
