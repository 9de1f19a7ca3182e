// Measurement: what the window records per entry point, edge and step, and the PhaseReport built from it.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "meshtwin/engine/histogram.hpp"
#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

namespace {

constexpr double kHoursPerMonth = 730.0;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

models::LatencySummary summarize(const engine::LatencyHistogram& h) {
  models::LatencySummary l;
  l.count = h.count();
  if (!l.count) return l;
  l.mean_ms = h.mean() / 1e6;
  l.p50_ms = static_cast<double>(h.percentile(50)) / 1e6;
  l.p90_ms = static_cast<double>(h.percentile(90)) / 1e6;
  l.p99_ms = static_cast<double>(h.percentile(99)) / 1e6;
  l.p999_ms = static_cast<double>(h.percentile(99.9)) / 1e6;
  return l;
}

}  // namespace

void PhaseSim::recordEntry(std::size_t ep, std::int64_t started, bool ok, const std::string& cause) {
  if (!measuring(started)) return;
  if (o_.series_step_ns > 0) {
    auto& b = series_[(started - measure_from_) / o_.series_step_ns];
    ++b.requests;
    if (ok) b.hist.record(sim_.now() - started);
    else ++b.errors;
  }
  ++entry_requests_[ep];
  if (ok) {
    entry_hist_[ep].record(sim_.now() - started);
  } else {
    ++entry_errors_[ep];
    ++causes_[cause];
  }
}

std::uint32_t PhaseSim::edgeId(WorkloadId from, ServiceId to) {
  const auto key = (static_cast<std::uint64_t>(from) << 32) | static_cast<std::uint64_t>(to);
  const auto [it, added] = edge_ids_.try_emplace(key, static_cast<std::uint32_t>(edges_.size()));
  if (added) {
    edges_.emplace_back();
    edges_.back().name = s_.workloads[from].key() + " -> " + s_.services[to].key();
  }
  return it->second;
}

void PhaseSim::recordEdge(std::uint32_t edge, std::int64_t started, bool ok) {
  if (!measuring(started) || edge == kEntryEdge) return;
  auto& e = edges_[edge];
  e.measured = true;
  ++e.calls;
  if (ok) {
    if (!e.hist) e.hist = std::make_unique<engine::LatencyHistogram>();
    e.hist->record(sim_.now() - started);
  } else {
    ++e.errors;
  }
}

models::PhaseReport PhaseSim::report(const Window& w) const {
  models::PhaseReport r;
  r.name = to_ ? "rollout " + wave_ : m_.phase_name;
  r.kind = to_ ? "rollout" : "steady";
  r.duration_s = w.s;
  if (to_) {
    r.rollout_complete = rollout_done_ >= 0;
    r.rollout_s = static_cast<double>((r.rollout_complete ? rollout_done_ : w.to_ns) - rollout_started_) / 1e9;
    r.max_pending_pods = max_pending_;
    r.connections_reset = resets_;
  }
  reportLatency(r);
  const auto use = reportComponents(r, w);
  reportSeries(r);
  reportZoneTraffic(r, w.s);
  reportNodesNeeded(r);
  reportMeshCompute(r, use);
  return r;
}

// Latency and errors per entry point and per edge.
void PhaseSim::reportLatency(models::PhaseReport& r) const {
  for (std::size_t e = 0; e < s_.entry_points.size(); ++e) {
    auto& l = r.entry_latency[s_.entry_points[e].name];
    l = summarize(entry_hist_[e]);
    l.requests = entry_requests_[e];
    l.errors = entry_errors_[e];
    r.requests += entry_requests_[e];
    r.errors += entry_errors_[e];
  }
  r.errors_by_cause = causes_;
  for (const auto& e : edges_) {
    if (!e.measured) continue;
    auto& l = r.edge_latency[e.name];
    l = e.hist ? summarize(*e.hist) : models::LatencySummary{};
    l.requests = e.calls;
    l.errors = e.errors;
  }
}

// Components: CPU from the work done in the window; memory from the profile's model,
// weighted by how long each instance was alive in the window.
PhaseSim::StationUse PhaseSim::reportComponents(models::PhaseReport& r, const Window& w) const {
  std::size_t mesh_endpoints = 0;
  for (const auto& pods : s_.workload_pods) mesh_endpoints += pods.size();
  std::map<std::string, models::ComponentUsage> usage;
  for (const char* k : {"app", "sidecar", "ztunnel", "waypoint"}) usage[k].kind = k;
  StationUse use;
  use.cpu_m.assign(stations_.size(), 0.0);
  use.mem.assign(stations_.size(), 0.0);
  use.alive.assign(stations_.size(), 0.0);
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    const auto& inf = info_[i];
    const double from = static_cast<double>(std::max<std::int64_t>(inf.created_ns, w.from_ns));
    const double to = static_cast<double>(std::min<std::int64_t>(inf.ended_ns, w.to_ns));
    const double alive = use.alive[i] = std::max(0.0, to - from) / w.ns;
    if (alive <= 0) continue;
    const double cpu_m = static_cast<double>(w.work_ns[i]) / w.ns * 1000.0;
    const double mem = stationMemoryBytes(i, mesh_endpoints);
    use.cpu_m[i] = cpu_m;
    use.mem[i] = mem;
    auto& u = usage[inf.kind];
    u.instances += alive;
    u.cpu_millicores += cpu_m;
    u.memory_bytes += mem * alive;
    u.max_instance_cpu_millicores = std::max(u.max_instance_cpu_millicores, alive > 0 ? cpu_m / alive : 0.0);
    u.max_instance_memory_bytes = std::max(u.max_instance_memory_bytes, mem);
    u.connections_opened += static_cast<std::uint64_t>(inf.connections);
  }
  for (const char* k : {"app", "sidecar", "ztunnel", "waypoint"}) {
    r.components.push_back(usage[k]);
    if (std::string(k) != "app") {
      r.mesh_cpu_millicores += usage[k].cpu_millicores;
      r.mesh_memory_bytes += usage[k].memory_bytes;
    }
  }
  if (o_.ingress_cpu_per_request_ns > 0 && o_.host_vcpus > 0) {  // the testbed's load generator, outside the mesh
    models::ComponentUsage in;
    in.kind = "ingress";
    in.instances = static_cast<double>(s_.entry_points.size());
    in.cpu_millicores = static_cast<double>(w.ingress_work_ns) / w.ns * 1000.0;
    in.max_instance_cpu_millicores = in.cpu_millicores;
    r.components.push_back(in);
  }
  return use;
}

// A proxy's memory from the profile's model (0 for an app): base, per connection it
// opened or took, per endpoint it holds configuration for.
double PhaseSim::stationMemoryBytes(std::size_t station, std::size_t mesh_endpoints) const {
  const auto& inf = info_[station];
  if (!inf.profile) return 0;
  double endpoints = static_cast<double>(mesh_endpoints);
  if (inf.kind == "waypoint") endpoints = waypointEndpoints(station);
  if (inf.kind == "sidecar" && s_.sidecar_scope == models::Scenario::SidecarScope::Namespace)
    endpoints = scopedSidecarEndpoints(station);
  return static_cast<double>(inf.profile->memory_base_bytes) +
         static_cast<double>(inf.profile->memory_per_connection_bytes) * inf.connections +
         static_cast<double>(inf.profile->memory_per_endpoint_bytes) * endpoints;
}

// Waypoint replicas over time, and the time series of entry requests.
void PhaseSim::reportSeries(models::PhaseReport& r) const {
  for (const auto& [wp, series] : replica_series_) r.waypoint_replicas[s_.waypoints[wp].key()] = series;
  for (const auto& [step, b] : series_) {
    models::SeriesPoint pt;
    pt.t_s = static_cast<double>(step * o_.series_step_ns) / 1e9;
    pt.requests = b.requests;
    pt.errors = b.errors;
    pt.p50_ms = static_cast<double>(b.hist.percentile(50)) / 1e6;
    pt.p99_ms = static_cast<double>(b.hist.percentile(99)) / 1e6;
    r.series.push_back(pt);
  }
}

// Network: bytes per zone pair, priced per direction for cross-zone pairs.
void PhaseSim::reportZoneTraffic(models::PhaseReport& r, double window_s) const {
  const double to_month = kHoursPerMonth * 3600.0 / window_s;
  for (std::size_t zi = 0; zi < zone_bytes_.size(); ++zi) {
    if (!zone_pair_used_[zi]) continue;
    const std::pair<models::ZoneId, models::ZoneId> zp{zi / s_.zones.size(), zi % s_.zones.size()};
    const double bytes = zone_bytes_[zi];
    models::ZonePairTraffic z;
    z.from = s_.zones[zp.first].name;
    z.to = s_.zones[zp.second].name;
    z.bytes = bytes;
    z.gib_per_month = bytes * to_month / kGiB;
    if (zp.first != zp.second)
      z.usd_per_month = z.gib_per_month * (s_.network.cross_zone_usd_per_gib_egress + s_.network.cross_zone_usd_per_gib_ingress);
    r.cross_zone_usd_per_month += z.usd_per_month;
    r.zone_pairs.push_back(z);
  }
}

// Compute: nodes needed by bin-packing the requests of the pods running at the end, per
// zone (first fit decreasing).
void PhaseSim::reportNodesNeeded(models::PhaseReport& r) const {
  const bool ambient = std::any_of(ztunnel_station_.begin(), ztunnel_station_.end(), [](auto& z) { return z.has_value(); });
  for (models::ZoneId z = 0; z < s_.zones.size(); ++z) {
    const models::NodePool* pool = nullptr;
    for (const auto& p : s_.pools) {
      if (std::find(p.zones.begin(), p.zones.end(), z) != p.zones.end()) {
        pool = &p;
        break;
      }
    }
    if (!pool) continue;
    const auto& zt = s_.profile.ztunnel.resources;
    const double cap_cpu = static_cast<double>(pool->cpu_millicores - (ambient ? zt.cpu_request_millicores : 0));
    const double cap_mem = static_cast<double>(pool->memory_bytes - (ambient ? zt.memory_request_bytes : 0));
    std::vector<std::pair<double, double>> items;
    for (PodId p = 0; p < s_.pods.size(); ++p) {
      if (s_.zoneOfPod(p) != z || pods_rt_[p].terminating) continue;
      items.emplace_back(pods_rt_[p].cpu_req_m, pods_rt_[p].mem_req);
    }
    std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<std::pair<double, double>> bins;
    for (const auto& [c, mm] : items) {
      bool placed = false;
      for (auto& b : bins) {
        if (b.first >= c && b.second >= mm) {
          b.first -= c;
          b.second -= mm;
          placed = true;
          break;
        }
      }
      if (!placed) bins.emplace_back(cap_cpu - c, cap_mem - mm);
    }
    r.nodes_needed += static_cast<int>(bins.size());
    r.compute_usd_per_month += static_cast<double>(bins.size()) * pool->price_usd_per_hour * kHoursPerMonth;
  }
}

// The mesh's OpenCost-style share of compute: each proxy's CPU and memory (the greater of
// its request and its use) at its node's price split between CPU and RAM.
void PhaseSim::reportMeshCompute(models::PhaseReport& r, const StationUse& use) const {
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    const auto& inf = info_[i];
    if (!inf.profile || use.alive[i] <= 0) continue;
    const auto& pool = s_.pools[s_.nodes[inf.node].pool];
    const double ratio = s_.profile.pricing.cpu_usd_per_vcpu_hour / s_.profile.pricing.ram_usd_per_gib_hour;
    const double vcpu = static_cast<double>(pool.cpu_millicores) / 1000.0;
    const double gib = static_cast<double>(pool.memory_bytes) / kGiB;
    const double ram_price = pool.price_usd_per_hour / (vcpu * ratio + gib);
    const double cpu_price = ram_price * ratio;
    const auto& req = inf.profile->resources;
    const double cores = std::max(static_cast<double>(req.cpu_request_millicores) * use.alive[i], use.cpu_m[i]) / 1000.0;
    const double mem_gib = std::max(static_cast<double>(req.memory_request_bytes), use.mem[i]) * use.alive[i] / kGiB;
    r.mesh_compute_usd_per_month += (cpu_price * cores + ram_price * mem_gib) * kHoursPerMonth;
  }
}

std::vector<StationStats> PhaseSim::stationStats() const {
  std::vector<StationStats> out;
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    const auto& st = *stations_[i];
    StationStats x;
    x.kind = info_[i].kind;
    x.name = info_[i].name;
    x.servers = st.servers();
    x.arrivals = st.arrivals();
    x.completions = st.completions();
    x.rejections = st.rejections();
    x.window_ns = static_cast<double>(sim_.now() - st.measuredSinceNs());
    x.occupancy_integral = st.occupancyIntegral();
    x.sojourn_sum_ns = st.sojournSumNs();
    out.push_back(std::move(x));
  }
  return out;
}

// A namespace-scoped sidecar knows its namespace's services and those its workload calls.
double PhaseSim::scopedSidecarEndpoints(std::size_t station) const {
  const auto p = info_[station].pod;
  if (!p) return 0;
  const auto& wl = s_.workloads[s_.pods[*p].owner_id];
  double n = 0;
  for (ServiceId sv = 0; sv < s_.services.size(); ++sv) {
    if (s_.services[sv].ns != wl.ns && !wl.calls(sv)) continue;
    for (auto w : s_.services[sv].backends) n += static_cast<double>(s_.workload_pods[w].size());
  }
  return n;
}

// A waypoint holds configuration only for the endpoints of the services it serves.
double PhaseSim::waypointEndpoints(std::size_t station) const {
  const auto p = info_[station].pod;
  if (!p) return 0;
  const auto wp = s_.pods[*p].owner_id;
  double n = 0;
  for (ServiceId sv = 0; sv < s_.services.size(); ++sv) {
    if (m_.service_waypoint[sv] != wp) continue;
    for (auto w : s_.services[sv].backends) n += static_cast<double>(s_.workload_pods[w].size());
  }
  return n;
}

}  // namespace meshtwin::sim::detail
