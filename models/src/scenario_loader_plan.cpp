// Scenario loader: the migration `plan:`, its waves, their changes, rollout settings and gates.
#include "scenario_loader.hpp"

#include "policy_yaml.hpp"

namespace meshtwin::models::detail {

void ScenarioLoader::readRollout(const YAML::Node& n, const std::string& obj, RolloutSettings& out) {
  if (!r_.isMap(n, obj, "rollout")) return;
  r_.checkKeys(n, obj, {"maxSurge", "maxUnavailable"});
  if (auto v = r_.quantity(n, "maxSurge", obj, parseIntOrPercent)) out.max_surge = *v;
  if (auto v = r_.quantity(n, "maxUnavailable", obj, parseIntOrPercent)) out.max_unavailable = *v;
  const auto zero = [](const IntOrPercent& x) { return x.is_percent ? x.percent == 0 : x.count == 0; };
  if (zero(out.max_surge) && zero(out.max_unavailable))
    r_.error(n, obj, "maxSurge and maxUnavailable are both zero", "a rollout could never progress; allow one of them");
}

void ScenarioLoader::readPlan(const YAML::Node& p) {
  const std::string obj = "plan";
  if (!r_.isMap(p, obj, "plan")) return;
  r_.checkKeys(p, obj, {"name", "rollout", "waves"});
  s_.plan.name = r_.str(p, "name", obj).value_or("plan");
  RolloutSettings plan_rollout;
  if (const auto ro = p["rollout"]; ro.IsDefined()) readRollout(ro, obj, plan_rollout);
  const auto waves = p["waves"];
  if (!waves.IsDefined()) {
    r_.error(p, obj, "missing required field \"waves\"", "a plan is an ordered list of waves");
    return;
  }
  if (!r_.isSeq(waves, obj, "waves")) return;
  for (const auto& wn : waves) readWave(wn, plan_rollout);
}

void ScenarioLoader::readWave(const YAML::Node& wn, const RolloutSettings& plan_rollout) {
  if (!r_.isMap(wn, "wave", "waves[]")) return;
  Wave wave;
  wave.loc = r_.loc(wn);
  wave.name = r_.str(wn, "name", "wave #" + std::to_string(s_.plan.waves.size() + 1), true).value_or("");
  const std::string wobj = "wave " + wave.name;
  r_.checkKeys(wn, wobj, {"name", "changes", "rollout", "gates"});
  for (const auto& other : s_.plan.waves) {
    if (other.name == wave.name) r_.error(wn["name"], wobj, "wave name is used twice");
  }
  wave.rollout = plan_rollout;
  if (const auto ro = wn["rollout"]; ro.IsDefined()) readRollout(ro, wobj, wave.rollout);
  if (const auto ch = wn["changes"]; !ch.IsDefined()) {
    r_.error(wn, wobj, "missing required field \"changes\"", "a wave is a list of changes, e.g. changes: [{setMode: {namespace: shop, mode: ambient}}]");
  } else if (r_.isSeq(ch, wobj, "changes")) {
    for (const auto& c : ch) readChange(c, wobj, wave);
  }
  if (wave.changes.empty() && wn["changes"].IsDefined() && wn["changes"].size() == 0)
    r_.error(wn["changes"], wobj, "the wave has no changes");
  if (const auto gates = wn["gates"]; gates.IsDefined() && r_.isSeq(gates, wobj, "gates")) {
    for (const auto& g : gates) readGate(g, wobj, wave);
  }
  s_.plan.waves.push_back(std::move(wave));
}

// Reads every `addWaypoint` of the plan ahead of the mesh's bindings; malformed plans are
// reported later by readPlan.
void ScenarioLoader::preReadPlanWaypoints(const YAML::Node& plan) {
  if (!plan.IsMap()) return;
  const auto waves = plan["waves"];
  if (!waves.IsDefined() || !waves.IsSequence()) return;
  for (const auto& wn : waves) {
    if (!wn.IsMap()) continue;
    const auto changes = wn["changes"];
    if (!changes.IsDefined() || !changes.IsSequence()) continue;
    for (const auto& c : changes) {
      if (!c.IsMap() || c.size() != 1 || c.begin()->first.as<std::string>("") != "addWaypoint") continue;
      const YAML::Node v = c.begin()->second;
      if (auto id = readWaypoint(v, false)) plan_waypoints_[markOf(v)] = *id;
    }
  }
}

void ScenarioLoader::readChange(const YAML::Node& n, const std::string& obj, Wave& wave) {
  static const std::vector<std::string> kinds = {"setMode", "addWaypoint", "useWaypoint", "addPolicy",
                                                 "removePolicy", "movePolicy"};
  if (!n.IsMap() || n.size() != 1) {
    r_.error(n, obj, "a change must be a single-key map", "one of: setMode, addWaypoint, useWaypoint, addPolicy, removePolicy, movePolicy");
    return;
  }
  const auto kind = n.begin()->first.as<std::string>("");
  const YAML::Node v = n.begin()->second;
  const SourceLoc loc = r_.loc(n);
  if (kind == "setMode") {
    readSetMode(v, obj, loc, wave);
  } else if (kind == "addWaypoint") {
    // Read ahead by preReadPlanWaypoints; a malformed one was reported there.
    if (auto it = plan_waypoints_.find(markOf(v)); it != plan_waypoints_.end())
      wave.changes.emplace_back(AddWaypoint{it->second, loc});
  } else if (kind == "useWaypoint") {
    if (auto id = readBinding(v, false)) wave.changes.emplace_back(BindWaypoint{*id, loc});
  } else if (kind == "addPolicy") {
    if (auto id = readPolicy(v, false)) {
      if (id->first) wave.changes.emplace_back(AddPolicy{id->second, loc});
      else wave.changes.emplace_back(SetPeerAuthentication{id->second, loc});
    }
  } else if (kind == "removePolicy") {
    const auto text = r_.scalar(v, obj, "removePolicy");
    if (!text) return;
    if (auto id = policyByKey(*text, v, obj)) wave.changes.emplace_back(RemovePolicy{*id, loc});
  } else if (kind == "movePolicy") {
    readMovePolicy(v, obj, loc, wave);
  } else {
    r_.error(n.begin()->first, obj, "unknown change \"" + kind + "\"", suggestionHint(kind, kinds, "changes"));
  }
}

void ScenarioLoader::readSetMode(const YAML::Node& v, const std::string& obj, const SourceLoc& loc, Wave& wave) {
  if (!r_.isMap(v, obj, "setMode")) return;
  r_.checkKeys(v, obj, {"namespace", "workload", "mode"});
  ModeChange mc;
  mc.loc = loc;
  const auto ns = r_.str(v, "namespace", obj);
  const auto wl = r_.str(v, "workload", obj);
  if ((ns.has_value()) == (wl.has_value())) {
    r_.error(v, obj, "setMode needs exactly one of namespace or workload", "e.g. setMode: {namespace: shop, mode: ambient}");
    return;
  }
  if (ns) {
    if (!namespaceKnown(*ns, v["namespace"], obj)) return;
    mc.ns = *ns;
  } else {
    mc.whole_namespace = false;
    mc.workload = workloadByKey(*wl, v["workload"], obj);
    if (!mc.workload) return;
    mc.ns = s_.workloads[*mc.workload].ns;
  }
  const auto mode = r_.str(v, "mode", obj, true);
  if (!mode) return;
  const auto m = modeOrError(*mode, v["mode"], obj);
  if (!m) return;
  mc.to = *m;
  wave.changes.emplace_back(mc);
}

void ScenarioLoader::readMovePolicy(const YAML::Node& v, const std::string& obj, const SourceLoc& loc, Wave& wave) {
  if (!r_.isMap(v, obj, "movePolicy")) return;
  r_.checkKeys(v, obj, {"policy", "targetRefs"});
  const auto text = r_.str(v, "policy", obj, true);
  if (!text) return;
  const auto id = policyByKey(*text, v["policy"], obj);
  if (!id) return;
  const auto refs_node = v["targetRefs"];
  if (!refs_node.IsDefined()) {
    r_.error(v, obj, "movePolicy needs targetRefs", "e.g. targetRefs: [{kind: Service, name: checkout}]");
    return;
  }
  auto refs = parseTargetRefs(r_, refs_node, obj);
  if (!refs) return;
  if (refs->empty()) {
    r_.error(refs_node, obj, "movePolicy needs at least one targetRef", "e.g. targetRefs: [{kind: Service, name: checkout}]");
    return;
  }
  checkTargetRefs(s_.authz_policies[*id].ns, *refs, refs_node, obj);
  wave.changes.emplace_back(MovePolicy{*id, std::move(*refs), loc});
}

void ScenarioLoader::readGate(const YAML::Node& n, const std::string& obj, Wave& wave) {
  if (!n.IsMap() || n.size() != 1) {
    r_.error(n, obj, "a gate must be latency or errorRate", "e.g. - latency: {path: web, percentile: p99, threshold: 250ms}");
    return;
  }
  const auto kind = n.begin()->first.as<std::string>("");
  const YAML::Node v = n.begin()->second;
  Gate g;
  g.loc = r_.loc(n);
  if (!r_.isMap(v, obj, kind.c_str())) return;
  if (kind == "latency") {
    g.kind = Gate::Kind::Latency;
    r_.checkKeys(v, obj, {"path", "percentile", "threshold"});
    g.path = r_.str(v, "path", obj, true).value_or("");
    const auto pct = r_.str(v, "percentile", obj).value_or("p99");
    static const std::map<std::string, double> pcts = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}};
    if (auto it = pcts.find(pct); it != pcts.end()) g.percentile = it->second;
    else r_.error(v["percentile"], obj, "unknown percentile \"" + pct + "\"", "use p50, p90, p99 or p99.9");
    g.threshold_ns = r_.quantity(v, "threshold", obj, parseDurationNs, true).value_or(0);
  } else if (kind == "errorRate") {
    g.kind = Gate::Kind::ErrorRate;
    r_.checkKeys(v, obj, {"path", "max"});
    g.path = r_.str(v, "path", obj).value_or("");
    g.max_error_rate = r_.quantity(v, "max", obj, parseFraction, true).value_or(0);
  } else {
    r_.error(n.begin()->first, obj, "unknown gate \"" + kind + "\"", suggestionHint(kind, {"latency", "errorRate"}, "gates"));
    return;
  }
  if (!g.path.empty()) {
    TrafficPath tp;
    if (!resolveTrafficPath(g.path, v["path"], obj, "gate", tp)) return;
    g.entry_point = tp.entry_point;
    g.edge_from = tp.edge_from;
    g.edge_to = tp.edge_to;
  }
  wave.gates.push_back(std::move(g));
}

// A traffic path (of a gate or an SLO) is an entry point name, or a traffic edge
// "namespace/workload -> service" (the service as a script would name it) that the
// workload's script really calls.
bool ScenarioLoader::resolveTrafficPath(const std::string& path, const YAML::Node& at, const std::string& obj,
                                        const char* what, TrafficPath& out) {
  const auto arrow = path.find("->");
  if (arrow == std::string::npos) {
    for (std::size_t i = 0; i < s_.entry_points.size(); ++i) {
      if (s_.entry_points[i].name == path) {
        out.entry_point = i;
        return true;
      }
    }
    std::vector<std::string> names;
    for (const auto& ep : s_.entry_points) names.push_back(ep.name);
    r_.error(at, obj, std::string(what) + " path \"" + path + "\" is not an entry point",
             suggestionHint(path, names, "entry points") + " (or name an edge as \"ns/workload -> service\")");
    return false;
  }
  auto trim = [](std::string t) {
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    return t;
  };
  const auto from = workloadByKey(trim(path.substr(0, arrow)), at, obj);
  if (!from) return false;
  const auto to = resolveService({trim(path.substr(arrow + 2)), s_.workloads[*from].ns, r_.loc(at)}, obj);
  if (!to) return false;
  if (!s_.workloads[*from].calls(*to)) {
    r_.error(at, obj, "workload " + s_.workloads[*from].key() + " never calls " + s_.services[*to].key(),
             std::string(what[0] == 'S' ? "an " : "a ") + what + " on an edge needs a call in the workload's script");
    return false;
  }
  out.edge_from = from;
  out.edge_to = to;
  return true;
}

}  // namespace meshtwin::models::detail
