// The mesh as it stands in one phase of a plan: before any wave (phase 0) or after wave k
// (phase k). Pure data derived from the Scenario; nothing here does I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

struct MeshState {
  std::size_t phase = 0;          // 0 = baseline, k = after wave k
  std::string phase_name;         // "baseline" or the wave's name
  std::vector<MeshMode> workload_mode;     // per workload
  std::vector<bool> waypoint_present;      // per Scenario::waypoints
  std::vector<AuthorizationPolicy> policies;        // in force, in their current shape
  std::vector<PeerAuthentication> peer_authns;      // in force
  // Derived from the active use-waypoint bindings:
  std::vector<std::optional<WaypointId>> service_waypoint;   // per service: waypoint for service-addressed traffic
  std::vector<std::optional<WaypointId>> service_binding_missing;  // bound to a waypoint not (yet) deployed
  std::vector<std::optional<WaypointId>> workload_waypoint;  // per workload: waypoint for pod-addressed traffic
  // Per pod, when it differs from its workload's mode: during a rolling restart the old
  // pods keep the mode they were started with. Indexed by PodId; may be shorter than pods.
  std::vector<std::optional<MeshMode>> pod_mode;
  // Per pod: true when it is not an endpoint (terminating or not ready, as an EndpointSlice
  // condition), so no request is routed to it. Indexed by PodId; may be shorter than pods
  // (the simulator leaves it empty: its rollouts model readiness themselves).
  std::vector<bool> pod_unready;
  [[nodiscard]] bool ready(PodId p) const { return p >= pod_unready.size() || !pod_unready[p]; }

  [[nodiscard]] MeshMode modeOf(const Scenario& s, PodId p) const;
};

// State after `phase` waves have been applied (0 <= phase <= plan.waves.size()).
MeshState meshStateAt(const Scenario& s, std::size_t phase);
// Every phase: baseline, then after each wave.
std::vector<MeshState> allPhases(const Scenario& s);

}  // namespace meshtwin::models
