// Scenario loader: `faults:` (nodeLoss, zoneLoss, waypointCrash, clockSkew) and the phases they apply in.
#include "scenario_loader.hpp"

#include <algorithm>

namespace meshtwin::models::detail {

void ScenarioLoader::readFaults(const YAML::Node& list) {
  if (!r_.isSeq(list, "scenario", "faults")) return;
  for (const auto& n : list) readFault(n);
}

void ScenarioLoader::readFault(const YAML::Node& n) {
  static const std::vector<std::string> kinds = {"nodeLoss", "zoneLoss", "waypointCrash", "clockSkew"};
  if (!n.IsMap() || n.size() != 1) {
    r_.error(n, "fault", "a fault must be one of nodeLoss, zoneLoss, waypointCrash or clockSkew",
             "e.g. - nodeLoss: {node: general-eu-west-1a-0, at: 60s}");
    return;
  }
  const auto kind = n.begin()->first.as<std::string>("");
  const YAML::Node v = n.begin()->second;
  const std::string obj = "fault " + kind;
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    r_.error(n.begin()->first, "fault", "unknown fault \"" + kind + "\"", suggestionHint(kind, kinds, "faults"));
    return;
  }
  if (!r_.isMap(v, obj, kind.c_str())) return;
  Fault f;
  f.loc = r_.loc(n);
  if (kind == "nodeLoss" || kind == "clockSkew") readNodeFault(v, obj, kind, f);
  else if (kind == "zoneLoss") readZoneFault(v, obj, f);
  else readWaypointFault(v, obj, f);
  f.at_ns = r_.quantity(v, "at", obj, parseDurationNs, true).value_or(0);
  readFaultPhases(v, obj, f);
  s_.faults.push_back(std::move(f));
}

// nodeLoss and clockSkew: a node by name; clockSkew adds skew and duration.
void ScenarioLoader::readNodeFault(const YAML::Node& v, const std::string& obj, const std::string& kind, Fault& f) {
  f.kind = kind == "nodeLoss" ? Fault::Kind::NodeLoss : Fault::Kind::ClockSkew;
  if (kind == "nodeLoss") r_.checkKeys(v, obj, {"node", "at", "phases"});
  else r_.checkKeys(v, obj, {"node", "at", "duration", "skew", "phases"});
  if (auto name = r_.str(v, "node", obj, true)) {
    std::vector<std::string> names;
    for (models::NodeId i = 0; i < s_.nodes.size(); ++i) {
      if (s_.nodes[i].name == *name) f.node = i;
      names.push_back(s_.nodes[i].name);
    }
    if (!f.node) r_.error(v["node"], obj, "unknown node \"" + *name + "\"", suggestionHint(*name, names, "nodes") + " (nodes are named <pool>-<zone>-<index>)");
  }
  if (kind == "clockSkew") {
    f.skew_ns = r_.quantity(v, "skew", obj, parseDurationNs, true).value_or(0);
    f.duration_ns = r_.quantity(v, "duration", obj, parseDurationNs).value_or(0);
  }
}

void ScenarioLoader::readZoneFault(const YAML::Node& v, const std::string& obj, Fault& f) {
  f.kind = Fault::Kind::ZoneLoss;
  r_.checkKeys(v, obj, {"zone", "at", "phases"});
  if (auto z = r_.str(v, "zone", obj, true)) {
    f.zone = s_.findZone(*z);
    if (!f.zone) r_.error(v["zone"], obj, "unknown zone \"" + *z + "\"", suggestionHint(*z, zoneNames(), "zones"));
  }
}

void ScenarioLoader::readWaypointFault(const YAML::Node& v, const std::string& obj, Fault& f) {
  f.kind = Fault::Kind::WaypointCrash;
  r_.checkKeys(v, obj, {"waypoint", "at", "phases"});
  if (auto w = r_.str(v, "waypoint", obj, true)) {
    const auto slash = w->find('/');
    if (slash != std::string::npos) f.waypoint = s_.findWaypoint(w->substr(0, slash), w->substr(slash + 1));
    if (!f.waypoint) {
      std::vector<std::string> keys;
      for (const auto& wp : s_.waypoints) keys.push_back(wp.key());
      r_.error(v["waypoint"], obj, "unknown waypoint \"" + *w + "\"",
               slash == std::string::npos ? "write it as namespace/name" : suggestionHint(*w, keys, "waypoints"));
    }
  }
}

// `phases:`, each "baseline" or a wave's name; all phases when absent.
void ScenarioLoader::readFaultPhases(const YAML::Node& v, const std::string& obj, Fault& f) {
  auto phases = r_.strings(v, "phases", obj);
  if (!phases) return;
  std::size_t i = 0;
  for (const auto& p : *phases) {
    bool known = p == "baseline";
    std::vector<std::string> names{"baseline"};
    for (const auto& w : s_.plan.waves) {
      known = known || w.name == p;
      names.push_back(w.name);
    }
    if (!known) r_.error(v["phases"][i], obj, "unknown phase \"" + p + "\"", suggestionHint(p, names, "phases"));
    ++i;
  }
  f.phases = *phases;
}

}  // namespace meshtwin::models::detail
