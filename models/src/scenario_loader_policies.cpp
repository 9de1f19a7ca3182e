// Scenario loader: Istio policies (AuthorizationPolicy, PeerAuthentication) in `mesh.policies`
// and a plan's policy changes, checked against the scenario's namespaces, services and waypoints.
#include "scenario_loader.hpp"

#include <variant>

#include "policy_yaml.hpp"

namespace meshtwin::models::detail {

// Returns (true, authz index) or (false, peer-authentication index).
std::optional<std::pair<bool, std::size_t>> ScenarioLoader::readPolicy(const YAML::Node& n, bool initial) {
  // Remember the key of a policy that is rejected, so a later movePolicy or removePolicy
  // of it does not add a second, misleading "unknown policy" error.
  std::string key;
  if (n.IsMap() && n["metadata"].IsMap()) {
    const auto md = n["metadata"];
    const auto ns = md["namespace"].IsScalar() ? md["namespace"].Scalar() : std::string("default");
    if (md["name"].IsScalar()) key = ns + "/" + md["name"].Scalar();
  }
  auto res = parseIstioResource(r_, n);
  if (!res) {
    rejected_policies_.insert(key);
    return std::nullopt;
  }
  if (auto* ap = std::get_if<AuthorizationPolicy>(&*res)) {
    if (!checkPolicyNamespace(ap->ns, n, "AuthorizationPolicy " + ap->key())) {
      rejected_policies_.insert(key);
      return std::nullopt;
    }
    for (const auto& other : s_.authz_policies) {
      if (other.key() == ap->key()) {
        r_.error(n, "AuthorizationPolicy " + ap->key(), "policy is defined twice");
        return std::nullopt;
      }
    }
    checkTargetRefs(ap->ns, ap->target_refs, n["spec"], "AuthorizationPolicy " + ap->key());
    s_.authz_policies.push_back(std::move(*ap));
    s_.authz_initial.push_back(initial);
    return std::make_pair(true, s_.authz_policies.size() - 1);
  }
  auto& pa = std::get<PeerAuthentication>(*res);
  if (!checkPolicyNamespace(pa.ns, n, "PeerAuthentication " + pa.key())) return std::nullopt;
  if (initial) {
    for (std::size_t i = 0; i < s_.peer_authns.size(); ++i) {
      if (s_.peer_authn_initial[i] && s_.peer_authns[i].key() == pa.key()) {
        r_.error(n, "PeerAuthentication " + pa.key(), "policy is defined twice");
        return std::nullopt;
      }
    }
  }
  s_.peer_authns.push_back(std::move(pa));
  s_.peer_authn_initial.push_back(initial);
  return std::make_pair(false, s_.peer_authns.size() - 1);
}

bool ScenarioLoader::checkPolicyNamespace(const std::string& ns, const YAML::Node& n, const std::string& obj) {
  if (ns == "istio-system" || namespaceSet().count(ns) || extra_namespaces_.count(ns)) return true;
  std::vector<std::string> names(namespaceSet().begin(), namespaceSet().end());
  names.push_back("istio-system");
  r_.error(n["metadata"]["namespace"].IsDefined() ? n["metadata"]["namespace"] : n, obj,
           "unknown namespace \"" + ns + "\"", suggestionHint(ns, names, "namespaces"));
  return false;
}

void ScenarioLoader::checkTargetRefs(const std::string& ns, const std::vector<TargetRef>& refs, const YAML::Node& at,
                                     const std::string& obj) {
  for (const auto& ref : refs) {
    if (ref.kind == "Service" && !s_.findService(ns, ref.name)) {
      r_.error(at, obj, "targetRefs names unknown Service \"" + ref.name + "\" in " + ns,
               suggestionHint(ref.name, serviceNamesIn(ns), "services in " + ns));
    } else if (ref.kind == "Gateway" && !s_.findWaypoint(ns, ref.name)) {
      std::vector<std::string> names;
      for (const auto& w : s_.waypoints) {
        if (w.ns == ns) names.push_back(w.name);
      }
      r_.error(at, obj, "targetRefs names unknown Gateway (waypoint) \"" + ref.name + "\" in " + ns,
               names.empty() ? "no waypoint is defined in " + ns
                             : suggestionHint(ref.name, names, "waypoints in " + ns));
    }
  }
}

// An AuthorizationPolicy named "ns/name" by a plan's removePolicy or movePolicy.
std::optional<std::size_t> ScenarioLoader::policyByKey(const std::string& key, const YAML::Node& at,
                                                       const std::string& obj) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < s_.authz_policies.size(); ++i) {
    if (s_.authz_policies[i].key() == key) return i;
    keys.push_back(s_.authz_policies[i].key());
  }
  if (rejected_policies_.count(key)) return std::nullopt;  // already reported where it is defined
  r_.error(at, obj, "unknown AuthorizationPolicy \"" + key + "\"",
           key.find('/') == std::string::npos ? "write it as namespace/name" : suggestionHint(key, keys, "policies"));
  return std::nullopt;
}

}  // namespace meshtwin::models::detail
