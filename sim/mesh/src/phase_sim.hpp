// PhaseSim: one phase's simulated mesh, whose mechanisms are defined each in its own .cpp.
// Internal to sim/mesh.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "authz_key.hpp"
#include "meshtwin/engine/histogram.hpp"
#include "meshtwin/engine/rng.hpp"
#include "meshtwin/engine/simulator.hpp"
#include "meshtwin/models/routing.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "pool_table.hpp"
#include "station.hpp"

namespace meshtwin::sim::detail {

using models::HopKind;
using models::MeshMode;
using models::PodId;
using models::ServiceId;
using models::Tunnel;
using models::WorkloadId;

// Per traffic edge (client workload -> service): what the report gives per edge.
struct EdgeStats {
  std::string name;      // "ns/workload -> ns/service"
  bool measured = false;  // a call on it started in the window
  std::uint64_t calls = 0, errors = 0;
  std::unique_ptr<engine::LatencyHistogram> hist;  // successful calls (30 KiB: made on first use)
};
constexpr std::uint32_t kEntryEdge = UINT32_MAX;  // entry requests: reported per entry point, not per edge

struct CallFlow;

// Someone waiting for a call to finish: a script step or an entry request.
struct CallWaiter {
  virtual ~CallWaiter() = default;
  virtual void callDone(bool ok, const std::string& cause) = 0;
};

// A pod's life in the simulation: its stations, where it runs, and whether it takes traffic.
struct PodRuntime {
  std::size_t app = SIZE_MAX;
  std::optional<std::size_t> sidecar, waypoint;
  double cpu_req_m = 0, mem_req = 0;  // what it holds on its node
  bool ready = false, terminating = false;
  std::uint32_t epoch = 0;  // bumped when the pod is enrolled in ambient: its connections reset
};

class PhaseSim {
 public:
  PhaseSim(const models::Scenario& s, const models::MeshState& m, const SimOptions& o,
           const models::MeshState* target = nullptr, std::string wave = {},
           const std::function<bool()>* cancelled = nullptr)
      : s_(s), m_(m), o_(o), seed_(o.seed ? o.seed : s.seed), wave_(std::move(wave)), cancelled_(cancelled) {
    if (target) to_ = *target;
    build();
  }

  // nullopt only when cancelled.
  std::optional<models::PhaseReport> run();
  [[nodiscard]] std::vector<StationStats> stationStats() const;
  [[nodiscard]] RunStats runStats() const { return {sim_.eventsRun(), calls_}; }

  // ---- pieces used by the flow objects (call_flow.cpp, traffic.cpp) -------------------
  engine::Simulator& sim() { return sim_; }
  const models::Scenario& scenario() const { return s_; }
  bool measuring(std::int64_t t) const { return t >= measure_from_ && t <= measure_to_; }
  engine::RngStream& workloadRng(WorkloadId w) { return workload_rng_[w]; }
  void callService(PodId src, WorkloadId src_w, const models::Call& call, CallWaiter* waiter);
  void serve(PodId pod, std::function<void(bool, const std::string&, std::int64_t resp_bytes)> done);
  void entryArrival(std::size_t ep);
  void recordEntry(std::size_t ep, std::int64_t started, bool ok, const std::string& cause);
  void recordEdge(std::uint32_t edge, std::int64_t started, bool ok);
  std::uint32_t edgeId(WorkloadId from, ServiceId to);
  // RBAC along the path, cached per (client, destination, modes, waypoint, path).
  void authorizeFlow(CallFlow& flow, std::optional<PodId> src, ServiceId dst, const std::string& method,
                     const std::string& http_path);
  std::uint32_t epochOf(std::optional<PodId> p) const { return p && *p < pods_rt_.size() ? pods_rt_[*p].epoch : 0; }
  void countReset() {
    if (measuring(sim_.now())) ++resets_;
  }
  // The latency of one pass through a proxy station beyond its CPU work (0 for apps).
  std::int64_t passLatency(std::size_t station) {
    const auto* d = hot_[station].pass;
    if (!d) return 0;
    return d->spread ? static_cast<std::int64_t>(d->ln.sample(pass_rng_)) : d->mean_ns;
  }
  // Why a new mTLS handshake with a proxy on node n fails now, if it does.
  std::optional<std::string> handshakeBlocked(models::NodeId n) const;
  // CPU of a testbed process beside the proxies (SimOptions::app_cpu_per_request_ns and
  // ingress_cpu_per_request_ns): it holds one of the host's vCPUs while it runs, slowed like
  // any job when the host is busy, and delays nothing.
  void hostWork(std::int64_t work_ns);

 private:
  friend struct CallFlow;
  void build();
  std::size_t newStation(models::ComponentProfile const* prof, std::string kind, std::string name,
                         models::NodeId node, int servers, int queue_limit);
  std::optional<std::size_t> stationOf(const models::Hop& h) const;
  Pool* poolFor(std::size_t from_station, std::size_t to_station, PodId src, Tunnel t, models::Protocol proto);
  double waypointEndpoints(std::size_t station) const;
  double scopedSidecarEndpoints(std::size_t station) const;

  // Pod lifecycle (pods.cpp).
  struct PodRequest {
    models::Pod::Owner owner;
    std::size_t owner_id;
    std::function<void(PodId)> on_ready;
  };
  bool podHasSidecar(models::Pod::Owner owner, std::size_t owner_id) const;
  std::pair<double, double> podRequests(models::Pod::Owner owner, std::size_t owner_id) const;
  void createPod(PodRequest req);   // schedules it, or queues it as pending
  bool tryPlace(PodRequest& req);
  void attachStations(PodId p);
  void markReady(PodId p);
  void terminatePod(PodId p);
  void retryPending();

  // Faults (faults.cpp).
  void scheduleFaults();
  void loseNode(models::NodeId n, const std::string& cause);
  void crashWaypoint(models::WaypointId wp);
  std::vector<bool> node_dead_;
  struct Skew {
    std::int64_t from_ns, to_ns, amount_ns;
  };
  std::vector<std::vector<Skew>> skews_;  // per node

  // Controllers (rollout.cpp, waypoint_hpa.cpp).
  void startRollout();
  void rolloutStep(WorkloadId w);
  void maybeFinishRollout();
  void hpaTick(models::WaypointId wp);
  void recordReplicas(models::WaypointId wp);

  // The run (phase_sim.cpp) and its report (phase_report.cpp).
  // The measured window, once the run is over: from the end of the warm-up to when
  // arrivals stopped, and the work each station did inside it.
  struct Window {
    std::int64_t from_ns = 0, to_ns = 0;
    double ns = 0, s = 0;  // its length
    std::vector<std::int64_t> work_ns;  // per station
    std::int64_t ingress_work_ns = 0;   // the load generator's (hostWork)
  };
  // Per station, what it used in the window: CPU, memory while alive, and the fraction of
  // the window it was alive.
  struct StationUse {
    std::vector<double> cpu_m, mem, alive;
  };
  std::int64_t schedulePhase();  // the window's bounds and what starts at 0; returns the warm-up
  bool runTo(std::int64_t until_ns);
  models::PhaseReport report(const Window& w) const;
  void reportLatency(models::PhaseReport& r) const;
  StationUse reportComponents(models::PhaseReport& r, const Window& w) const;
  double stationMemoryBytes(std::size_t station, std::size_t mesh_endpoints) const;
  void reportSeries(models::PhaseReport& r) const;
  void reportZoneTraffic(models::PhaseReport& r, double window_s) const;
  void reportNodesNeeded(models::PhaseReport& r) const;
  void reportMeshCompute(models::PhaseReport& r, const StationUse& use) const;

  models::Scenario s_;  // own copy: pod lists change as pods start and stop
  models::MeshState m_;
  std::optional<models::MeshState> to_;  // rollout target
  SimOptions o_;
  std::uint64_t seed_;
  std::string wave_;
  const std::function<bool()>* cancelled_;  // the caller's cancel poll, or null
  engine::Simulator sim_;
  std::vector<NodeCpu> nodes_;
  NodeCpu host_cpu_;  // all nodes' stations when SimOptions::host_vcpus > 0
  std::int64_t ingress_work_ns_ = 0;  // the load generator's CPU in the window (hostWork)
  std::vector<std::pair<double, double>> node_free_;  // cpu millicores, memory bytes
  std::vector<std::unique_ptr<Station>> stations_;
  struct StationInfo {
    std::string kind;  // app | sidecar | ztunnel | waypoint
    std::string name;
    models::NodeId node = 0;
    const models::ComponentProfile* profile = nullptr;
    int connections = 0;  // pooled connections opened by or to this proxy
    std::int64_t created_ns = 0;
    std::int64_t ended_ns = INT64_MAX;
    std::optional<PodId> pod;  // the pod it runs in (none for a ztunnel)
  };
  std::vector<StationInfo> info_;
  // Per station, what every hop reads, packed apart from info_ (whose entries hold two
  // strings): in a 10,000-pod mesh the stations do not fit in cache.
  // A proxy kind's latency per pass, solved once per run (null in StationHot: none).
  struct PassDelay {
    std::int64_t mean_ns = 0;
    bool spread = false;  // lognormal with the profile's p99, else constant
    engine::LogNormal ln;
  };
  std::array<PassDelay, 3> pass_delay_;  // sidecar, ztunnel, waypoint
  struct StationHot {
    const models::ComponentProfile* profile = nullptr;
    const PassDelay* pass = nullptr;
    bool ztunnel = false;  // kind "ztunnel": pools per source workload
  };
  std::vector<StationHot> hot_;
  std::vector<PodRuntime> pods_rt_;
  std::vector<std::optional<std::size_t>> ztunnel_station_;  // per node
  PoolTable pools_;
  std::vector<engine::RngStream> workload_rng_, entry_rng_;
  engine::RngStream pass_rng_{0};  // seeded in build()
  std::int64_t measure_from_ = 0, measure_to_ = 0, end_ns_ = 0;
  bool arrivals_open_ = true;
  std::vector<engine::LatencyHistogram> entry_hist_;
  std::vector<std::uint64_t> entry_requests_, entry_errors_;
  std::vector<EdgeStats> edges_;
  std::unordered_map<std::uint64_t, std::uint32_t> edge_ids_;  // (workload << 32 | service) -> edges_
  std::map<std::string, std::uint64_t> causes_;
  std::unordered_map<AuthzKey, models::PathAuthz, AuthzKeyHash, AuthzKeyEq> authz_cache_;
  // Bytes per (from zone, to zone), row-major; a pair is reported once a call sent bytes on it.
  std::vector<double> zone_bytes_;
  std::vector<char> zone_pair_used_;
  void addZoneBytes(models::ZoneId from, models::ZoneId to, double bytes) {
    const std::size_t i = from * s_.zones.size() + to;
    zone_bytes_[i] += bytes;
    zone_pair_used_[i] = 1;
  }
  std::uint64_t resets_ = 0;
  std::uint64_t calls_ = 0;
  struct SeriesBucket {
    engine::LatencyHistogram hist;
    std::uint64_t requests = 0, errors = 0;
  };
  std::map<std::int64_t, SeriesBucket> series_;  // by step index
  // Pending pods and controllers.
  std::deque<PodRequest> pending_;
  int max_pending_ = 0;
  struct Rollout {
    std::vector<PodId> old_pods;  // ready, in the old mode, not yet terminated
    int new_created = 0, new_ready = 0;
    bool done = false;
  };
  std::map<WorkloadId, Rollout> rollouts_;
  std::set<models::WaypointId> waypoints_starting_;
  std::int64_t rollout_started_ = -1, rollout_done_ = -1;
  struct Hpa {
    int spec = 0;
    std::int64_t last_work = 0;
    std::deque<std::pair<std::int64_t, int>> recommendations;  // (time, desired) for the scale-down window
  };
  std::map<models::WaypointId, Hpa> hpa_;
  std::map<models::WaypointId, std::vector<std::pair<double, int>>> replica_series_;
};

}  // namespace meshtwin::sim::detail
