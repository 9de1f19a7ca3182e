// Pod lifecycle: placement like the scheduler's (or pending), stations, readiness, graceful termination.
#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

bool PhaseSim::podHasSidecar(models::Pod::Owner owner, std::size_t owner_id) const {
  return owner == models::Pod::Owner::Workload && m_.workload_mode[owner_id] == MeshMode::Sidecar;
}

std::pair<double, double> PhaseSim::podRequests(models::Pod::Owner owner, std::size_t owner_id) const {
  const auto& res = owner == models::Pod::Owner::Workload ? s_.workloads[owner_id].resources : s_.waypoints[owner_id].resources;
  double cpu = static_cast<double>(res.cpu_request_millicores), mem = static_cast<double>(res.memory_request_bytes);
  if (podHasSidecar(owner, owner_id)) {
    cpu += static_cast<double>(s_.profile.sidecar.resources.cpu_request_millicores);
    mem += static_cast<double>(s_.profile.sidecar.resources.memory_request_bytes);
  }
  return {cpu, mem};
}

void PhaseSim::attachStations(PodId p) {
  const auto& pod = s_.pods[p];
  auto& rt = pods_rt_[p];
  if (pod.owner == models::Pod::Owner::Workload) {
    const auto& wl = s_.workloads[pod.owner_id];
    rt.app = newStation(nullptr, "app", pod.name, pod.node, wl.concurrency, o_.app_queue_limit);
    info_[rt.app].pod = p;
    if (m_.modeOf(s_, p) == MeshMode::Sidecar) {
      rt.sidecar = newStation(&s_.profile.sidecar, "sidecar", pod.name, pod.node, s_.profile.sidecar.worker_threads,
                              o_.proxy_queue_limit);
      info_[*rt.sidecar].pod = p;
    }
  } else {
    rt.waypoint = newStation(&s_.profile.waypoint, "waypoint", pod.name, pod.node, s_.profile.waypoint.worker_threads,
                             o_.proxy_queue_limit);
    info_[*rt.waypoint].pod = p;
  }
}

// Places a new pod like the scheduler would (models/ placement rule: preferred zone by
// rotation, then the node with the most free CPU); false when nothing fits.
bool PhaseSim::tryPlace(PodRequest& req) {
  const auto [cpu, mem] = podRequests(req.owner, req.owner_id);
  const auto& zones = req.owner == models::Pod::Owner::Workload ? s_.workloads[req.owner_id].zones
                                                                : s_.waypoints[req.owner_id].zones;
  std::size_t ordinal = 0;
  for (const auto& pod : s_.pods) ordinal += (pod.owner == req.owner && pod.owner_id == req.owner_id) ? 1 : 0;
  for (std::size_t attempt = 0; attempt < zones.size(); ++attempt) {
    const auto z = zones[(req.owner_id + ordinal + attempt) % zones.size()];
    std::optional<models::NodeId> best;
    for (models::NodeId n = 0; n < s_.nodes.size(); ++n) {
      if (s_.nodes[n].zone != z || node_free_[n].first < cpu || node_free_[n].second < mem) continue;
      if (!best || node_free_[n].first > node_free_[*best].first) best = n;
    }
    if (!best) continue;
    node_free_[*best].first -= cpu;
    node_free_[*best].second -= mem;
    const auto& base = req.owner == models::Pod::Owner::Workload ? s_.workloads[req.owner_id].name : s_.waypoints[req.owner_id].name;
    s_.pods.push_back({base + "-r" + std::to_string(ordinal), req.owner, req.owner_id, *best});
    const PodId p = s_.pods.size() - 1;
    pods_rt_.emplace_back();
    pods_rt_[p].cpu_req_m = cpu;
    pods_rt_[p].mem_req = mem;
    attachStations(p);
    const bool sidecar = pods_rt_[p].sidecar.has_value();
    sim_.schedule(o_.pod_startup_ns + (sidecar ? o_.sidecar_startup_ns : 0), [this, p, cb = std::move(req.on_ready)] {
      if (pods_rt_[p].terminating) return;
      markReady(p);
      if (cb) cb(p);
    });
    return true;
  }
  return false;
}

void PhaseSim::createPod(PodRequest req) {
  if (!tryPlace(req)) {
    pending_.push_back(std::move(req));
    max_pending_ = std::max(max_pending_, static_cast<int>(pending_.size()));
  }
}

void PhaseSim::retryPending() {
  std::deque<PodRequest> still;
  while (!pending_.empty()) {
    auto req = std::move(pending_.front());
    pending_.pop_front();
    if (!tryPlace(req)) still.push_back(std::move(req));
  }
  pending_ = std::move(still);
}

void PhaseSim::markReady(PodId p) {
  auto& rt = pods_rt_[p];
  rt.ready = true;
  const auto& pod = s_.pods[p];
  auto& list = pod.owner == models::Pod::Owner::Workload ? s_.workload_pods[pod.owner_id] : s_.waypoint_pods[pod.owner_id];
  list.push_back(p);
}

// Stops routing to the pod; requests it holds finish (graceful termination) and its
// requests go back to the node at once.
void PhaseSim::terminatePod(PodId p) {
  auto& rt = pods_rt_[p];
  if (rt.terminating) return;
  rt.terminating = true;
  const auto& pod = s_.pods[p];
  auto& list = pod.owner == models::Pod::Owner::Workload ? s_.workload_pods[pod.owner_id] : s_.waypoint_pods[pod.owner_id];
  list.erase(std::remove(list.begin(), list.end(), p), list.end());
  node_free_[pod.node].first += rt.cpu_req_m;
  node_free_[pod.node].second += rt.mem_req;
  for (auto st : {std::optional<std::size_t>(rt.app), rt.sidecar, rt.waypoint}) {
    if (st && *st != SIZE_MAX) info_[*st].ended_ns = std::min(info_[*st].ended_ns, sim_.now());
  }
  retryPending();
}

}  // namespace meshtwin::sim::detail
