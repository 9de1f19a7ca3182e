// PhaseSim's run: its stations and pods at the start, the measured window, and the run to its end.
#include <algorithm>
#include <memory>
#include <vector>

#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

void PhaseSim::build() {
  nodes_.resize(s_.nodes.size());
  host_cpu_.vcpus = o_.host_vcpus;
  pass_rng_ = engine::RngStream(seed_, "proxy-pass-latency");
  const models::ComponentProfile* kinds[] = {&s_.profile.sidecar, &s_.profile.ztunnel, &s_.profile.waypoint};
  for (std::size_t k = 0; k < 3; ++k) {
    auto& d = pass_delay_[k];
    d.mean_ns = std::max<std::int64_t>(0, kinds[k]->latency_per_pass_ns);
    d.spread = d.mean_ns > 0 && kinds[k]->latency_per_pass_p99_ns > d.mean_ns &&
               engine::LogNormal::fromMeanP99(static_cast<double>(d.mean_ns),
                                              static_cast<double>(kinds[k]->latency_per_pass_p99_ns), d.ln);
  }
  node_free_.resize(s_.nodes.size());
  zone_bytes_.assign(s_.zones.size() * s_.zones.size(), 0.0);
  zone_pair_used_.assign(s_.zones.size() * s_.zones.size(), 0);
  bool ambient = false;
  for (const auto* st : {&m_, to_ ? &*to_ : nullptr}) {
    if (!st) continue;
    for (auto mode : st->workload_mode) ambient = ambient || mode == MeshMode::Ambient;
    for (bool present : st->waypoint_present) ambient = ambient || present;
  }
  const auto& zt = s_.profile.ztunnel.resources;
  for (models::NodeId n = 0; n < s_.nodes.size(); ++n) {
    const auto& pool = s_.pools[s_.nodes[n].pool];
    nodes_[n].vcpus = static_cast<double>(pool.cpu_millicores) / 1000.0;
    node_free_[n] = {static_cast<double>(pool.cpu_millicores - (ambient ? zt.cpu_request_millicores : 0)),
                     static_cast<double>(pool.memory_bytes - (ambient ? zt.memory_request_bytes : 0))};
  }
  pods_rt_.resize(s_.pods.size());
  ztunnel_station_.assign(s_.nodes.size(), std::nullopt);
  // The baseline placement's pods are running and ready; waypoints absent in this phase
  // have no pods yet (their placement is only a plan).
  for (auto& list : s_.workload_pods) list.clear();
  for (auto& list : s_.waypoint_pods) list.clear();
  for (PodId p = 0; p < s_.pods.size(); ++p) {
    const auto& pod = s_.pods[p];
    const bool waypoint = pod.owner == models::Pod::Owner::Waypoint;
    if (waypoint && !m_.waypoint_present[pod.owner_id]) {
      pods_rt_[p].terminating = true;  // never started
      continue;
    }
    const auto [cpu, mem] = podRequests(pod.owner, pod.owner_id);
    pods_rt_[p].cpu_req_m = cpu;
    pods_rt_[p].mem_req = mem;
    node_free_[pod.node].first -= cpu;
    node_free_[pod.node].second -= mem;
    attachStations(p);
    markReady(p);
  }
  if (ambient) {
    // ztunnel is a DaemonSet: one per node once any workload is ambient.
    for (models::NodeId n = 0; n < s_.nodes.size(); ++n)
      ztunnel_station_[n] = newStation(&s_.profile.ztunnel, "ztunnel", s_.nodes[n].name, n,
                                       s_.profile.ztunnel.worker_threads, o_.proxy_queue_limit);
  }
  for (const auto& wl : s_.workloads) workload_rng_.emplace_back(seed_, "workload/" + wl.key());
  for (const auto& ep : s_.entry_points) entry_rng_.emplace_back(seed_, "entry/" + ep.name);
  entry_hist_.resize(s_.entry_points.size());
  entry_requests_.assign(s_.entry_points.size(), 0);
  entry_errors_.assign(s_.entry_points.size(), 0);
}

std::size_t PhaseSim::newStation(const models::ComponentProfile* prof, std::string kind, std::string name,
                                 models::NodeId node, int servers, int queue_limit) {
  NodeCpu* cpu = o_.host_vcpus > 0 ? &host_cpu_ : &nodes_[node];
  if (kind == "app" && !o_.app_service_is_cpu) cpu = nullptr;  // its service time is a wait
  stations_.push_back(std::make_unique<Station>(sim_, cpu, servers, queue_limit));
  if (sim_.now() >= measure_from_ && measure_from_ > 0) stations_.back()->startMeasuring();
  const PassDelay* pass = nullptr;
  const models::ComponentProfile* kinds[] = {&s_.profile.sidecar, &s_.profile.ztunnel, &s_.profile.waypoint};
  for (std::size_t k = 0; k < 3; ++k)
    if (prof == kinds[k] && pass_delay_[k].mean_ns > 0) pass = &pass_delay_[k];
  hot_.push_back({prof, pass, kind == "ztunnel"});
  info_.push_back({std::move(kind), std::move(name), node, prof, 0, sim_.now(), INT64_MAX, std::nullopt});
  return stations_.size() - 1;
}

std::int64_t PhaseSim::schedulePhase() {
  std::int64_t duration = 0;
  for (const auto& ep : s_.entry_points) duration = std::max(duration, ep.durationNs());
  if (o_.duration_ns) duration = *o_.duration_ns;
  if (duration <= 0) duration = 60'000'000'000;
  const auto warmup = std::min(o_.warmup_ns, duration / 5);
  end_ns_ = to_ ? warmup + o_.rollout_limit_ns : duration;
  measure_from_ = warmup;
  measure_to_ = end_ns_;
  for (std::size_t e = 0; e < s_.entry_points.size(); ++e) sim_.schedule(0, [this, e] { entryArrival(e); });
  for (models::WaypointId wp = 0; wp < s_.waypoints.size(); ++wp) {
    if (!m_.waypoint_present[wp]) continue;
    hpa_[wp].spec = static_cast<int>(s_.waypoint_pods[wp].size());
    recordReplicas(wp);
    if (s_.waypoints[wp].hpa) sim_.schedule(15'000'000'000, [this, wp] { hpaTick(wp); });
  }
  scheduleFaults();
  return warmup;
}

// Runs to `until_ns` in slices of one simulated second, asking the caller between slices
// whether to stop. The same events run in the same order as in one runUntil(until_ns), so
// reports do not depend on whether anyone polls. False when cancelled.
bool PhaseSim::runTo(std::int64_t until_ns) {
  if (!cancelled_ || !*cancelled_) {
    sim_.runUntil(until_ns);
    return true;
  }
  constexpr std::int64_t kPollEveryNs = 1'000'000'000;
  do {
    if ((*cancelled_)()) return false;
    sim_.runUntil(std::min(until_ns, sim_.now() + kPollEveryNs));
  } while (sim_.now() < until_ns);
  return true;
}

std::optional<models::PhaseReport> PhaseSim::run() {
  const auto warmup = schedulePhase();
  if (!runTo(warmup)) return std::nullopt;
  for (auto& st : stations_) st->startMeasuring();
  // The wave starts 1 s into the window, so the requests it cuts were started inside it.
  if (to_) sim_.schedule(1'000'000'000, [this] { startRollout(); });
  // A rollout ends itself (maybeFinishRollout moves end_ns_ closer); run in slices.
  while (sim_.now() < end_ns_) {
    if (!runTo(std::min(end_ns_, sim_.now() + 10'000'000'000))) return std::nullopt;
  }
  arrivals_open_ = false;
  // CPU is the work done inside the window; then requests still in flight may finish
  // (for at most a minute) so that slow ones started late are counted too.
  Window w;
  w.work_ns.resize(stations_.size());
  for (std::size_t i = 0; i < stations_.size(); ++i) w.work_ns[i] = stations_[i]->workNs();
  w.ingress_work_ns = ingress_work_ns_;
  w.from_ns = warmup;
  w.to_ns = sim_.now();
  w.ns = static_cast<double>(w.to_ns - w.from_ns);
  w.s = w.ns / 1e9;
  if (!runTo(w.to_ns + 60'000'000'000)) return std::nullopt;
  return report(w);
}

}  // namespace meshtwin::sim::detail
