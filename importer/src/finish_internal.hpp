// The finishing step's parts, shared by its files: defaults with assumptions, the starting
// plan, and the Draft's meshtwin/v1 text.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/importer/draft.hpp"
#include "meshtwin/models/profile.hpp"

namespace meshtwin::importer::detail {

// Every unknown the scenario needs gets a value, and the report says which and why.
void fillDefaults(Draft& d, const models::Profile& profile, ImportReport& report);

// A wave of the starting plan: one namespace to ambient, with the waypoint its L7 needs.
struct PolicyMove {
  std::string policy;                 // "ns/name"
  std::vector<std::string> services;  // the Services in ns the policy's selector covers
};
struct PlannedWave {
  std::string name;
  std::string ns;
  std::string add_waypoint;   // a new waypoint's name, "" = none
  int waypoint_replicas = 2;  // and its size: one per zone of the cluster, at least 2, with an HPA to twice that
  std::string bind_waypoint;  // a waypoint the namespace is bound to in this wave, "" = none
  std::vector<PolicyMove> moves;
  std::vector<std::string> reasons;  // why the wave has its waypoint, for the report
};
// One wave per namespace not yet ambient, callees first on the namespace call graph.
std::vector<PlannedWave> startingPlan(const Draft& d, ImportReport& report);

// The Draft (defaults filled) and plan as meshtwin/v1 YAML, for the loader.
std::string draftYaml(const Draft& d, const std::vector<PlannedWave>& plan);

// Does this AuthorizationPolicy (meshtwin/v1 mesh.policies JSON) have rules only a proxy
// that parses HTTP can enforce?
bool hasL7Rules(const nlohmann::json& policy);

}  // namespace meshtwin::importer::detail
