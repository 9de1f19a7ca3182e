// The waypoints' HPA: Kubernetes' algorithm on the CPU utilisation of the pods' requests.
#include <algorithm>
#include <cmath>

#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

void PhaseSim::hpaTick(models::WaypointId wp) {
  const auto& w = s_.waypoints[wp];
  if (!w.hpa || sim_.now() >= end_ns_) return;
  auto& h = hpa_[wp];
  constexpr std::int64_t kPeriod = 15'000'000'000;
  std::int64_t work = 0;
  int ready = 0;
  for (PodId p = 0; p < s_.pods.size(); ++p) {
    if (s_.pods[p].owner != models::Pod::Owner::Waypoint || s_.pods[p].owner_id != wp || !pods_rt_[p].waypoint) continue;
    work += stations_[*pods_rt_[p].waypoint]->totalWorkNs();
    ready += pods_rt_[p].ready && !pods_rt_[p].terminating ? 1 : 0;
  }
  const double used_cores = static_cast<double>(work - h.last_work) / static_cast<double>(kPeriod);
  h.last_work = work;
  const double request_cores = static_cast<double>(w.resources.cpu_request_millicores) / 1000.0;
  int desired = h.spec;
  if (ready > 0 && request_cores > 0) {
    const double utilisation = used_cores / (ready * request_cores);
    const double ratio = utilisation / (w.hpa->target_cpu_percent / 100.0);
    if (std::abs(ratio - 1.0) > 0.1) desired = static_cast<int>(std::ceil(h.spec * ratio - 1e-9));
  }
  desired = std::clamp(desired, w.hpa->min_replicas, w.hpa->max_replicas);
  // Scale-down stabilisation: the highest recommendation of the last 300 s.
  h.recommendations.emplace_back(sim_.now(), desired);
  while (!h.recommendations.empty() && h.recommendations.front().first < sim_.now() - 300'000'000'000)
    h.recommendations.pop_front();
  int target = desired;
  if (desired < h.spec) {
    for (const auto& [t, d] : h.recommendations) target = std::max(target, d);
    target = std::min(target, h.spec);
  } else if (desired > h.spec) {
    // Scale-up policies: 100% or 4 pods per period, whichever allows more.
    target = std::min(desired, std::max(h.spec * 2, h.spec + 4));
  }
  if (target > h.spec) {
    for (int i = h.spec; i < target; ++i) createPod({models::Pod::Owner::Waypoint, wp, {}});
  } else if (target < h.spec) {
    // Remove the newest pods first.
    int remove = h.spec - target;
    for (PodId p = s_.pods.size(); p-- > 0 && remove > 0;) {
      if (s_.pods[p].owner == models::Pod::Owner::Waypoint && s_.pods[p].owner_id == wp && !pods_rt_[p].terminating) {
        terminatePod(p);
        --remove;
      }
    }
  }
  if (target != h.spec) {
    h.spec = target;
    recordReplicas(wp);
  }
  sim_.schedule(kPeriod, [this, wp] { hpaTick(wp); });
}

void PhaseSim::recordReplicas(models::WaypointId wp) {
  replica_series_[wp].emplace_back(static_cast<double>(sim_.now()) / 1e9, hpa_[wp].spec);
}

}  // namespace meshtwin::sim::detail
