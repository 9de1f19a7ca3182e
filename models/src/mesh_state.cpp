// MeshState: applies waves in order. Mode precedence follows Istio's labels: a workload's
// own setting beats its namespace's, which beats the mesh default. A service's
// use-waypoint binding beats its namespace's.
#include "meshtwin/models/mesh_state.hpp"

#include <algorithm>
#include <map>

namespace meshtwin::models {

MeshMode MeshState::modeOf(const Scenario& s, PodId p) const {
  const auto& pod = s.pods[p];
  if (pod.owner == Pod::Owner::Waypoint) return MeshMode::Ambient;  // waypoints speak HBONE themselves
  if (p < pod_mode.size() && pod_mode[p]) return *pod_mode[p];
  return workload_mode[pod.owner_id];
}

namespace {

struct Builder {
  const Scenario& s;
  std::map<std::string, MeshMode> ns_modes;
  std::map<WorkloadId, MeshMode> wl_modes;
  std::vector<bool> binding_active;
  std::vector<bool> policy_present;
  std::vector<std::vector<TargetRef>> moved_refs;  // non-empty: the policy was moved to targetRefs
  std::vector<bool> pa_present;
  MeshState st;

  explicit Builder(const Scenario& sc) : s(sc) {
    ns_modes = s.namespace_modes;
    wl_modes = s.workload_modes;
    binding_active = s.binding_initial;
    policy_present = s.authz_initial;
    moved_refs.resize(s.authz_policies.size());
    pa_present = s.peer_authn_initial;
    st.waypoint_present = s.waypoint_initial;
    st.phase_name = "baseline";
  }

  void apply(const Wave& w) {
    for (const auto& c : w.changes) {
      std::visit([&](const auto& ch) { applyOne(ch); }, c);
    }
  }

  void applyOne(const ModeChange& c) {
    if (c.whole_namespace) ns_modes[c.ns] = c.to;
    else wl_modes[*c.workload] = c.to;
  }
  void applyOne(const AddWaypoint& c) { st.waypoint_present[c.waypoint] = true; }
  void applyOne(const BindWaypoint& c) {
    // A later binding for the same target replaces the earlier one.
    const auto& nb = s.bindings[c.binding];
    for (std::size_t i = 0; i < s.bindings.size(); ++i) {
      if (binding_active[i] && s.bindings[i].scope == nb.scope && s.bindings[i].target == nb.target) binding_active[i] = false;
    }
    binding_active[c.binding] = true;
  }
  void applyOne(const AddPolicy& c) { policy_present[c.policy] = true; }
  void applyOne(const RemovePolicy& c) { policy_present[c.policy] = false; }
  void applyOne(const MovePolicy& c) { moved_refs[c.policy] = c.target_refs; }
  void applyOne(const SetPeerAuthentication& c) {
    const auto& pa = s.peer_authns[c.peer_authn];
    for (std::size_t i = 0; i < s.peer_authns.size(); ++i) {
      if (pa_present[i] && s.peer_authns[i].key() == pa.key()) pa_present[i] = false;
    }
    pa_present[c.peer_authn] = true;
  }

  MeshState finish(std::size_t phase) {
    st.phase = phase;
    if (phase > 0) st.phase_name = s.plan.waves[phase - 1].name;
    st.workload_mode.resize(s.workloads.size());
    for (WorkloadId w = 0; w < s.workloads.size(); ++w) {
      MeshMode m = s.default_mode;
      if (auto it = ns_modes.find(s.workloads[w].ns); it != ns_modes.end()) m = it->second;
      if (auto it = wl_modes.find(w); it != wl_modes.end()) m = it->second;
      st.workload_mode[w] = m;
    }
    st.policies.clear();
    for (std::size_t i = 0; i < s.authz_policies.size(); ++i) {
      if (!policy_present[i]) continue;
      auto p = s.authz_policies[i];
      if (!moved_refs[i].empty()) {
        p.selector.reset();
        p.target_refs = moved_refs[i];
      }
      st.policies.push_back(std::move(p));
    }
    st.peer_authns.clear();
    for (std::size_t i = 0; i < s.peer_authns.size(); ++i) {
      if (pa_present[i]) st.peer_authns.push_back(s.peer_authns[i]);
    }
    resolveBindings();
    return st;
  }

  void resolveBindings() {
    st.service_waypoint.assign(s.services.size(), std::nullopt);
    st.service_binding_missing.assign(s.services.size(), std::nullopt);
    st.workload_waypoint.assign(s.workloads.size(), std::nullopt);
    // Active bindings by scope; `none` opts out and is kept as an explicit "no waypoint".
    std::map<std::string, const WaypointBinding*> ns_b, svc_b, wl_b;
    for (std::size_t i = 0; i < s.bindings.size(); ++i) {
      if (!binding_active[i]) continue;
      const auto& b = s.bindings[i];
      auto& m = b.scope == WaypointBinding::Scope::Namespace ? ns_b
                : b.scope == WaypointBinding::Scope::Service ? svc_b : wl_b;
      m[b.target] = &b;
    }
    auto serves = [&](const WaypointBinding* b, bool service_traffic) -> bool {
      if (!b || !b->waypoint) return false;
      const auto t = s.waypoints[*b->waypoint].traffic;
      return t == WaypointFor::All || (service_traffic ? t == WaypointFor::Service : t == WaypointFor::Workload);
    };
    auto assign = [&](const WaypointBinding* b, std::optional<WaypointId>& out, std::optional<WaypointId>* missing) {
      if (!st.waypoint_present[*b->waypoint]) {
        if (missing) *missing = b->waypoint;
        return;
      }
      out = b->waypoint;
    };
    for (ServiceId sv = 0; sv < s.services.size(); ++sv) {
      const auto& svc = s.services[sv];
      const WaypointBinding* b = nullptr;
      if (auto it = svc_b.find(svc.key()); it != svc_b.end()) b = it->second;
      else if (auto it2 = ns_b.find(svc.ns); it2 != ns_b.end()) b = it2->second;
      if (serves(b, true)) assign(b, st.service_waypoint[sv], &st.service_binding_missing[sv]);
    }
    for (WorkloadId w = 0; w < s.workloads.size(); ++w) {
      const WaypointBinding* b = nullptr;
      if (auto it = wl_b.find(s.workloads[w].key()); it != wl_b.end()) b = it->second;
      else if (auto it2 = ns_b.find(s.workloads[w].ns); it2 != ns_b.end()) b = it2->second;
      if (serves(b, false)) assign(b, st.workload_waypoint[w], nullptr);
    }
  }
};

}  // namespace

MeshState meshStateAt(const Scenario& s, std::size_t phase) {
  Builder b(s);
  const auto n = std::min(phase, s.plan.waves.size());
  for (std::size_t i = 0; i < n; ++i) b.apply(s.plan.waves[i]);
  return b.finish(n);
}

std::vector<MeshState> allPhases(const Scenario& s) {
  std::vector<MeshState> out;
  Builder b(s);
  out.push_back(b.finish(0));
  for (std::size_t i = 0; i < s.plan.waves.size(); ++i) {
    b.apply(s.plan.waves[i]);
    out.push_back(b.finish(i + 1));
  }
  return out;
}

}  // namespace meshtwin::models
