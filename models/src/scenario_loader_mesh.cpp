// Scenario loader: the `mesh:` section (data-plane modes, waypoints and useWaypoint bindings);
// its policies and routes have files of their own.
#include "scenario_loader.hpp"

namespace meshtwin::models::detail {

void ScenarioLoader::readMesh(const YAML::Node& m) {
  const std::string obj = "mesh";
  if (!r_.isMap(m, obj, "mesh")) return;
  r_.checkKeys(m, obj,
               {"defaultMode", "namespaces", "workloads", "waypoints", "useWaypoint", "policies", "sidecarScope", "routes"});
  if (auto sc = r_.str(m, "sidecarScope", obj)) {
    if (*sc == "mesh") s_.sidecar_scope = Scenario::SidecarScope::Mesh;
    else if (*sc == "namespace") s_.sidecar_scope = Scenario::SidecarScope::Namespace;
    else r_.error(m["sidecarScope"], obj, "unknown sidecarScope \"" + *sc + "\"", "use mesh (every endpoint) or namespace");
  }
  if (auto d = r_.str(m, "defaultMode", obj)) {
    if (auto mode = modeOrError(*d, m["defaultMode"], obj)) s_.default_mode = *mode;
  }
  if (const auto nsm = m["namespaces"]; nsm.IsDefined() && r_.isMap(nsm, obj, "namespaces")) readNamespaceModes(nsm, obj);
  if (const auto wm = m["workloads"]; wm.IsDefined() && r_.isMap(wm, obj, "workloads")) readWorkloadModes(wm, obj);
  if (const auto b = m["useWaypoint"]; b.IsDefined() && r_.isSeq(b, obj, "useWaypoint")) {
    for (const auto& n : b) readBinding(n, true);
  }
  if (const auto ps = m["policies"]; ps.IsDefined() && r_.isSeq(ps, obj, "policies")) {
    for (const auto& n : ps) readPolicy(n, true);
  }
  if (const auto rs = m["routes"]; rs.IsDefined() && r_.isSeq(rs, obj, "routes")) {
    for (const auto& n : rs) readRoute(n);
  }
}

// mesh.namespaces: namespace -> mode.
void ScenarioLoader::readNamespaceModes(const YAML::Node& nsm, const std::string& obj) {
  for (auto it = nsm.begin(); it != nsm.end(); ++it) {
    const auto ns = r_.scalar(it->first, obj, "namespaces");
    const auto mode_text = r_.scalar(it->second, obj, "namespaces");
    if (!ns || !mode_text) continue;
    if (!namespaceKnown(*ns, it->first, "mesh.namespaces")) continue;
    if (auto mode = modeOrError(*mode_text, it->second, "namespace " + *ns)) s_.namespace_modes[*ns] = *mode;
  }
}

// mesh.workloads: namespace/name -> mode.
void ScenarioLoader::readWorkloadModes(const YAML::Node& wm, const std::string& obj) {
  for (auto it = wm.begin(); it != wm.end(); ++it) {
    const auto key = r_.scalar(it->first, obj, "workloads");
    const auto mode_text = r_.scalar(it->second, obj, "workloads");
    if (!key || !mode_text) continue;
    auto w = workloadByKey(*key, it->first, obj);
    if (!w) continue;
    if (auto mode = modeOrError(*mode_text, it->second, "workload " + *key)) s_.workload_modes[*w] = *mode;
  }
}

std::optional<WaypointId> ScenarioLoader::readWaypoint(const YAML::Node& n, bool initial) {
  if (!r_.isMap(n, "waypoint", "waypoints[]")) return std::nullopt;
  Waypoint wp;
  wp.loc = r_.loc(n);
  wp.name = r_.str(n, "name", "waypoint", true).value_or("");
  wp.ns = r_.str(n, "namespace", "waypoint").value_or("default");
  const std::string obj = "waypoint " + wp.key();
  r_.checkKeys(n, obj, {"name", "namespace", "for", "replicas", "zones", "hpa", "resources"});
  if (!wp.name.empty() && !validDnsLabel(wp.name)) r_.error(n["name"], obj, "name is not a valid Kubernetes name");
  if (auto f = r_.str(n, "for", obj)) {
    if (*f == "service") wp.traffic = WaypointFor::Service;
    else if (*f == "workload") wp.traffic = WaypointFor::Workload;
    else if (*f == "all") wp.traffic = WaypointFor::All;
    else if (*f == "none") wp.traffic = WaypointFor::None;
    else r_.error(n["for"], obj, "unknown waypoint traffic type \"" + *f + "\"",
                  suggestionHint(*f, {"service", "workload", "all", "none"}, "values (istio.io/waypoint-for)"));
  }
  wp.replicas = static_cast<int>(r_.integer(n, "replicas", obj, 1, 10000).value_or(1));
  wp.zones = zoneList(n, obj);
  if (const auto h = n["hpa"]; h.IsDefined() && r_.isMap(h, obj, "hpa")) readWaypointHpa(h, obj, wp);
  const auto& prof = s_.profile.waypoint.resources;
  wp.resources = {prof.cpu_request_millicores, prof.cpu_limit_millicores, prof.memory_request_bytes,
                  prof.memory_limit_bytes};
  if (const auto res = n["resources"]; res.IsDefined()) readResources(res, obj, wp.resources);
  if (s_.findWaypoint(wp.ns, wp.name)) {
    r_.error(n, obj, "waypoint is defined twice");
    return std::nullopt;
  }
  if (!namespaceSet().count(wp.ns)) {
    // A waypoint may live in a namespace of its own; that is fine but worth knowing it exists.
    extra_namespaces_.insert(wp.ns);
  }
  s_.waypoints.push_back(std::move(wp));
  s_.waypoint_initial.push_back(initial);
  return s_.waypoints.size() - 1;
}

void ScenarioLoader::readWaypointHpa(const YAML::Node& h, const std::string& obj, Waypoint& wp) {
  r_.checkKeys(h, obj, {"minReplicas", "maxReplicas", "targetCpu"});
  Hpa hpa;
  hpa.min_replicas = static_cast<int>(r_.integer(h, "minReplicas", obj, 1, 10000).value_or(wp.replicas));
  hpa.max_replicas = static_cast<int>(r_.integer(h, "maxReplicas", obj, 1, 10000, true).value_or(hpa.min_replicas));
  if (auto t = r_.quantity(h, "targetCpu", obj, parseFraction)) hpa.target_cpu_percent = static_cast<int>(*t * 100 + 0.5);
  if (hpa.max_replicas < hpa.min_replicas) r_.error(h["maxReplicas"], obj, "maxReplicas is below minReplicas");
  if (wp.replicas < hpa.min_replicas) wp.replicas = hpa.min_replicas;
  wp.hpa = hpa;
}

std::optional<std::size_t> ScenarioLoader::readBinding(const YAML::Node& n, bool initial) {
  if (!r_.isMap(n, "useWaypoint", "useWaypoint[]")) return std::nullopt;
  r_.checkKeys(n, "useWaypoint", {"namespace", "service", "workload", "waypoint"});
  WaypointBinding b;
  b.loc = r_.loc(n);
  YAML::Node target_node;
  if (!readBindingScope(n, b, target_node)) return std::nullopt;
  const std::string obj = std::string("useWaypoint ") + toString(b.scope) + " " + b.target;
  std::string target_ns = b.target;
  if (!checkBindingTarget(b, target_node, obj, target_ns)) return std::nullopt;
  const auto wp_text = r_.str(n, "waypoint", obj, true);
  if (!wp_text) return std::nullopt;
  if (*wp_text != "none" && !bindWaypoint(n, *wp_text, target_ns, obj, b)) return std::nullopt;
  s_.bindings.push_back(std::move(b));
  s_.binding_initial.push_back(initial);
  return s_.bindings.size() - 1;
}

// Exactly one of namespace, service or workload: sets b's scope and target.
bool ScenarioLoader::readBindingScope(const YAML::Node& n, WaypointBinding& b, YAML::Node& target_node) {
  int scopes = 0;
  if (auto ns = r_.str(n, "namespace", "useWaypoint")) {
    b.scope = WaypointBinding::Scope::Namespace;
    b.target = *ns;
    target_node = n["namespace"];
    ++scopes;
  }
  if (auto sv = r_.str(n, "service", "useWaypoint")) {
    b.scope = WaypointBinding::Scope::Service;
    b.target = *sv;
    target_node = n["service"];
    ++scopes;
  }
  if (auto wl = r_.str(n, "workload", "useWaypoint")) {
    b.scope = WaypointBinding::Scope::Workload;
    b.target = *wl;
    target_node = n["workload"];
    ++scopes;
  }
  if (scopes != 1) {
    r_.error(n, "useWaypoint", "a binding needs exactly one of namespace, service or workload",
             "e.g. - {namespace: payments, waypoint: payments-waypoint}");
    return false;
  }
  return true;
}

// The binding's target exists; target_ns becomes the namespace it lives in.
bool ScenarioLoader::checkBindingTarget(const WaypointBinding& b, const YAML::Node& target_node,
                                        const std::string& obj, std::string& target_ns) {
  switch (b.scope) {
    case WaypointBinding::Scope::Namespace:
      if (!namespaceKnown(b.target, target_node, obj)) return false;
      break;
    case WaypointBinding::Scope::Service: {
      const auto slash = b.target.find('/');
      if (slash == std::string::npos) {
        r_.error(target_node, obj, "service must be written namespace/name", "e.g. payments/checkout");
        return false;
      }
      target_ns = b.target.substr(0, slash);
      if (!s_.findService(target_ns, b.target.substr(slash + 1))) {
        std::vector<std::string> keys;
        for (const auto& sv : s_.services) keys.push_back(sv.key());
        r_.error(target_node, obj, "unknown service \"" + b.target + "\"", suggestionHint(b.target, keys, "services"));
        return false;
      }
      break;
    }
    case WaypointBinding::Scope::Workload: {
      const auto w = workloadByKey(b.target, target_node, obj);
      if (!w) return false;
      target_ns = s_.workloads[*w].ns;
      break;
    }
  }
  return true;
}

// Resolves the binding's `waypoint:` ("name" in the target's namespace, or "ns/name") and
// checks that the waypoint takes this kind of traffic.
bool ScenarioLoader::bindWaypoint(const YAML::Node& n, const std::string& wp_text, const std::string& target_ns,
                                  const std::string& obj, WaypointBinding& b) {
  std::string wns = target_ns, wname = wp_text;
  if (const auto slash = wp_text.find('/'); slash != std::string::npos) {
    wns = wp_text.substr(0, slash);
    wname = wp_text.substr(slash + 1);
  }
  const auto id = s_.findWaypoint(wns, wname);
  if (!id) {
    std::vector<std::string> keys;
    for (const auto& w : s_.waypoints) keys.push_back(w.ns == target_ns ? w.name : w.key());
    r_.error(n["waypoint"], obj, "unknown waypoint \"" + wp_text + "\"",
             keys.empty() ? "define it under mesh.waypoints or add it with addWaypoint in a wave"
                          : suggestionHint(wp_text, keys, "waypoints"));
    return false;
  }
  const auto traffic = s_.waypoints[*id].traffic;
  const bool service_scope = b.scope != WaypointBinding::Scope::Workload;
  if (traffic == WaypointFor::None ||
      (service_scope && b.scope == WaypointBinding::Scope::Service && traffic == WaypointFor::Workload) ||
      (b.scope == WaypointBinding::Scope::Workload && traffic == WaypointFor::Service)) {
    r_.error(n["waypoint"], obj, std::string("waypoint ") + s_.waypoints[*id].key() + " is for " +
                                     toString(traffic) + " traffic and cannot take this binding",
             b.scope == WaypointBinding::Scope::Workload ? "set `for: workload` or `for: all` on the waypoint"
                                                         : "set `for: service` or `for: all` on the waypoint");
    return false;
  }
  b.waypoint = id;
  return true;
}

}  // namespace meshtwin::models::detail
