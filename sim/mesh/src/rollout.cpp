// Rollout of a wave: instant changes, then the Deployment controller's rolling restart of changed pods.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

// Starts the wave at the current time: instant changes first (policies, enrolment without
// restart, waypoints starting), then a rolling restart of every deployment whose pods must
// gain or lose a sidecar, all deployments at once (kubectl rollout restart -n NS).
void PhaseSim::startRollout() {
  const auto& to = *to_;
  rollout_started_ = sim_.now();
  m_.policies = to.policies;
  m_.peer_authns = to.peer_authns;
  authz_cache_.clear();
  for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
    const auto from = m_.workload_mode[w], next = to.workload_mode[w];
    if (from == next) continue;
    const bool restart = (from == MeshMode::Sidecar) != (next == MeshMode::Sidecar);
    if (!restart) {
      // Enrolment (or removal) without restart: connections open now are reset.
      m_.workload_mode[w] = next;
      for (auto p : s_.workload_pods[w]) ++pods_rt_[p].epoch;
      continue;
    }
    // Old pods keep the mode they run in; new pods start in the new one.
    if (m_.pod_mode.size() < s_.pods.size()) m_.pod_mode.resize(s_.pods.size());
    Rollout r;
    for (auto p : s_.workload_pods[w]) {
      m_.pod_mode[p] = from;
      r.old_pods.push_back(p);
    }
    m_.workload_mode[w] = next;
    rollouts_[w] = std::move(r);
  }
  for (models::WaypointId wp = 0; wp < s_.waypoints.size(); ++wp) {
    if (!to.waypoint_present[wp] || m_.waypoint_present[wp]) continue;
    waypoints_starting_.insert(wp);
    const auto& w = s_.waypoints[wp];
    const int replicas = w.hpa ? std::max(w.hpa->min_replicas, w.replicas) : w.replicas;
    hpa_[wp].spec = replicas;
    auto remaining = std::make_shared<int>(replicas);
    for (int i = 0; i < replicas; ++i) {
      createPod({models::Pod::Owner::Waypoint, wp, [this, wp, remaining](PodId) {
                   if (--*remaining > 0) return;
                   // All replicas ready: the waypoint exists for routing and its HPA starts.
                   m_.waypoint_present[wp] = true;
                   waypoints_starting_.erase(wp);
                   recordReplicas(wp);
                   if (s_.waypoints[wp].hpa) sim_.schedule(15'000'000'000, [this, wp] { hpaTick(wp); });
                   maybeFinishRollout();
                 }});
    }
  }
  for (auto& [w, r] : rollouts_) rolloutStep(w);
  maybeFinishRollout();
}

// One pass of the Deployment controller for workload w: surge new pods up to
// replicas + maxSurge, and remove old ones while at least replicas - maxUnavailable are
// available. maxSurge rounds up, maxUnavailable down (Kubernetes' rule).
void PhaseSim::rolloutStep(WorkloadId w) {
  auto& r = rollouts_[w];
  if (r.done) return;
  const auto& wl = s_.workloads[w];
  const auto& wave_rollout = [&]() -> const models::RolloutSettings& {
    for (const auto& wave : s_.plan.waves) {
      if (wave.name == wave_) return wave.rollout;
    }
    static const models::RolloutSettings defaults;
    return defaults;
  }();
  const int desired = wl.replicas;
  auto resolve = [&](const models::IntOrPercent& v, bool round_up) {
    if (!v.is_percent) return static_cast<int>(v.count);
    const double x = v.percent / 100.0 * desired;
    return static_cast<int>(round_up ? std::ceil(x - 1e-9) : std::floor(x + 1e-9));
  };
  int surge = resolve(wave_rollout.max_surge, true);
  const int unavailable = resolve(wave_rollout.max_unavailable, false);
  if (surge == 0 && unavailable == 0) surge = 1;
  // Like the Deployment controller, act until a pass changes nothing: removing an old pod
  // makes room under the surge limit at once.
  for (bool changed = true; changed;) {
    changed = false;
    const int total = static_cast<int>(r.old_pods.size()) + r.new_created;
    const int to_create = std::min(desired - r.new_created, desired + surge - total);
    for (int i = 0; i < to_create; ++i) {
      ++r.new_created;
      changed = true;
      createPod({models::Pod::Owner::Workload, w, [this, w](PodId) {
                   ++rollouts_[w].new_ready;
                   rolloutStep(w);
                 }});
    }
    const int available = static_cast<int>(r.old_pods.size()) + r.new_ready;
    int can_remove = std::min(available - (desired - unavailable), static_cast<int>(r.old_pods.size()));
    while (can_remove-- > 0) {
      terminatePod(r.old_pods.front());
      r.old_pods.erase(r.old_pods.begin());
      changed = true;
    }
  }
  // Otherwise the next step comes when a new pod is ready (or a pending one is scheduled).
  if (r.new_ready >= desired && r.old_pods.empty()) {
    r.done = true;
    maybeFinishRollout();
  }
}

void PhaseSim::maybeFinishRollout() {
  if (rollout_done_ >= 0 || rollout_started_ < 0 || !waypoints_starting_.empty()) return;
  for (const auto& [w, r] : rollouts_) {
    if (!r.done) return;
  }
  // Bindings switch once the wave's waypoints are ready (activate waypoints first, as the
  // migration guide orders); dangling bindings stay dangling.
  m_.service_waypoint = to_->service_waypoint;
  m_.service_binding_missing = to_->service_binding_missing;
  m_.workload_waypoint = to_->workload_waypoint;
  m_.waypoint_present = to_->waypoint_present;
  rollout_done_ = sim_.now();
  const auto end = rollout_done_ + o_.rollout_settle_ns;
  end_ns_ = std::min(end_ns_, end);
  measure_to_ = end_ns_;
}

}  // namespace meshtwin::sim::detail
