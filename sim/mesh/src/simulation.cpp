// Phase simulation: entry arrivals -> app replicas running isotope scripts -> calls along
// hopPath through sidecar / ztunnel / waypoint stations and network links, and back.
#include "meshtwin/sim/simulation.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <climits>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "meshtwin/engine/histogram.hpp"
#include "meshtwin/engine/rng.hpp"
#include "meshtwin/engine/simulator.hpp"
#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/routing.hpp"
#include "station.hpp"

namespace meshtwin::sim {

using models::HopKind;
using models::MeshMode;
using models::PodId;
using models::ServiceId;
using models::Tunnel;
using models::WorkloadId;

namespace {

constexpr double kHoursPerMonth = 730.0;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::int64_t proxyWorkNs(const models::ComponentProfile& c, std::int64_t bytes, bool with_request_cost) {
  return (with_request_cost ? c.cpu_per_request_ns : 0) + c.cpu_per_kib_ns * bytes / 1024;
}

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

// A connection pool between two proxies: how many streams are open now and how many
// connections it had to open for them.
struct Pool {
  int streams_per_connection = 100;
  int active = 0;
  int connections = 0;
};

// The pools, keyed by (from station, to station, source pod or 0). Looked up on every link
// a call crosses; a 10,000-pod mesh holds ~10^5 of them, so a lookup is cache misses:
// an open-addressing table (linear probing, 24-byte slots) costs one for the slot and one
// for the pool, where std::unordered_map costs three (bucket, previous node, node). Pools
// live in a deque, so their addresses are stable and flows hold Pool pointers.
class PoolTable {
 public:
  // The pool for the key, made (zeroed) if there is none yet.
  Pool& at(std::size_t from, std::size_t to, PodId src) {
    if (slots_.empty() || 2 * (pools_.size() + 1) > slots_.size()) grow();
    const auto f = static_cast<std::uint32_t>(from), t = static_cast<std::uint32_t>(to), s = static_cast<std::uint32_t>(src);
    if (f != from || t != to || s != src) throw std::length_error("PoolTable: index beyond 32 bits");
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(f, t, s) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (!slot.pool) {
        slot = {f, t, s, &pools_.emplace_back()};
        return *slot.pool;
      }
      if (slot.from == f && slot.to == t && slot.src == s) return *slot.pool;
    }
  }

 private:
  struct Slot {
    std::uint32_t from = 0, to = 0, src = 0;
    Pool* pool = nullptr;  // nullptr: empty
  };
  static std::size_t hash(std::uint32_t f, std::uint32_t t, std::uint32_t s) {
    std::uint64_t h = ((static_cast<std::uint64_t>(f) << 32) | t) * 0x9e3779b97f4a7c15ULL;
    h = (h ^ (h >> 29) ^ s) * 0xbf58476d1ce4e5b9ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const auto& o : old) {
      if (!o.pool) continue;
      std::size_t i = hash(o.from, o.to, o.src) & mask;
      while (slots_[i].pool) i = (i + 1) & mask;
      slots_[i] = o;
    }
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::deque<Pool> pools_;
};

// The RBAC decision cache's key: client workload and mode (-1: an entry request),
// destination workload and mode, waypoint (-1: none), service, method and path. Looked up
// on every call with string views (no string is built); stored with its own strings.
struct AuthzKeyView {
  std::int64_t src_workload = -1;
  int src_mode = 0;
  std::size_t dst_workload = 0;
  int dst_mode = 0;
  std::int64_t waypoint = -1;
  ServiceId service = 0;
  std::string_view method, path;
  bool operator==(const AuthzKeyView&) const = default;
};
struct AuthzKey {
  AuthzKeyView ids;  // method and path unset: they are the strings below
  std::string method, path;
  [[nodiscard]] AuthzKeyView view() const {
    AuthzKeyView v = ids;
    v.method = method;
    v.path = path;
    return v;
  }
};
struct AuthzKeyHash {
  using is_transparent = void;
  std::size_t operator()(const AuthzKeyView& k) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(k.method) * 31 + std::hash<std::string_view>{}(k.path);
    for (const auto x : {static_cast<std::uint64_t>(k.src_workload), static_cast<std::uint64_t>(k.src_mode),
                         static_cast<std::uint64_t>(k.dst_workload), static_cast<std::uint64_t>(k.dst_mode),
                         static_cast<std::uint64_t>(k.waypoint), static_cast<std::uint64_t>(k.service)})
      h = (h ^ static_cast<std::size_t>(x)) * 0x100000001b3ULL + (h >> 17);
    return h;
  }
  std::size_t operator()(const AuthzKey& k) const noexcept { return (*this)(k.view()); }
};
struct AuthzKeyEq {
  using is_transparent = void;
  bool operator()(const AuthzKey& a, const AuthzKey& b) const { return a.view() == b.view(); }
  bool operator()(const AuthzKeyView& a, const AuthzKey& b) const { return a == b.view(); }
  bool operator()(const AuthzKey& a, const AuthzKeyView& b) const { return a.view() == b; }
};

// Per traffic edge (client workload -> service): what the report gives per edge.
struct EdgeStats {
  std::string name;      // "ns/workload -> ns/service"
  bool measured = false;  // a call on it started in the window
  std::uint64_t calls = 0, errors = 0;
  std::unique_ptr<engine::LatencyHistogram> hist;  // successful calls (30 KiB: made on first use)
};
constexpr std::uint32_t kEntryEdge = UINT32_MAX;  // entry requests: reported per entry point, not per edge

class PhaseSim;
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

  // ---- pieces used by the flow objects below ---------------------------------------
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

  // Pod lifecycle.
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

  // Faults.
  void scheduleFaults();
  void loseNode(models::NodeId n, const std::string& cause);
  void crashWaypoint(models::WaypointId wp);
  std::vector<bool> node_dead_;
  struct Skew {
    std::int64_t from_ns, to_ns, amount_ns;
  };
  std::vector<std::vector<Skew>> skews_;  // per node

  // Controllers.
  void startRollout();
  void rolloutStep(WorkloadId w);
  void maybeFinishRollout();
  void hpaTick(models::WaypointId wp);
  void recordReplicas(models::WaypointId wp);
  bool runTo(std::int64_t until_ns);

  models::Scenario s_;  // own copy: pod lists change as pods start and stop
  models::MeshState m_;
  std::optional<models::MeshState> to_;  // rollout target
  SimOptions o_;
  std::uint64_t seed_;
  std::string wave_;
  const std::function<bool()>* cancelled_;  // the caller's cancel poll, or null
  engine::Simulator sim_;
  std::vector<detail::NodeCpu> nodes_;
  detail::NodeCpu host_cpu_;  // all nodes' stations when SimOptions::host_vcpus > 0
  std::int64_t ingress_work_ns_ = 0;  // the load generator's CPU in the window (hostWork)
  std::vector<std::pair<double, double>> node_free_;  // cpu millicores, memory bytes
  std::vector<std::unique_ptr<detail::Station>> stations_;
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

// ---- a call from a client over a hop path and back ----------------------------------
struct CallFlow final : detail::StationClient {
  PhaseSim& ps;
  models::HopPath path;
  std::int64_t req_bytes = 0;
  std::int64_t resp_bytes = 0;
  std::int64_t started = 0;
  std::uint32_t edge = kEntryEdge;
  CallWaiter* waiter = nullptr;
  std::size_t pos = 0;  // index of the next hop to traverse
  // Per hop index: the pool a link uses (nullptr if none) and whether it opened a
  // connection. hopPath gives at most 7 hops (app, proxy, link, waypoint, link, proxy, app).
  static constexpr std::size_t kMaxHops = 8;
  std::array<Pool*, kMaxHops> pools{};
  std::array<bool, kMaxHops> new_connection{};
  std::size_t at_station = 0;  // the proxy station the flow waits on
  bool returning = false;      // the response is on its way back (backward())
  std::uint32_t src_epoch = 0, dst_epoch = 0;
  std::optional<std::size_t> deny_hop;  // the proxy that denies this request (RBAC)
  std::string deny_cause;

  CallFlow(PhaseSim& p, models::HopPath hp) : ps(p), path(std::move(hp)) {
    if (path.hops.size() > kMaxHops) throw std::logic_error("CallFlow: hop path longer than kMaxHops");
    src_epoch = ps.epochOf(path.hops.front().pod);
    dst_epoch = ps.epochOf(path.destination_pod);
  }

  // Enrolment of either end in ambient while the call was open resets its connection.
  bool wasReset() const {
    return ps.epochOf(path.hops.front().pod) != src_epoch || ps.epochOf(path.destination_pod) != dst_epoch;
  }

  void fail(const std::string& cause) {
    const std::string why = cause;  // `cause` may live in this flow (deny_cause)
    releasePools();
    ps.recordEdge(edge, started, false);
    auto* w = waiter;
    delete this;
    w->callDone(false, why);
  }

  void releasePools() {
    for (auto* p : pools) {
      if (p) --p->active;
    }
  }

  std::string failureOf(std::size_t st) const {
    const auto& station = *ps.stations_[st];
    return station.dead() ? station.deathCause() : ps.info_[st].kind + " " + ps.info_[st].name + ": queue full";
  }

  // Forward: hop `pos` onward.
  void forward() {
    while (pos < path.hops.size()) {
      const auto& h = path.hops[pos];
      if (h.kind == HopKind::App) {
        if (pos == 0) {  // the client itself
          ++pos;
          continue;
        }
        // The destination: serve, then come back.
        ps.serve(*h.pod, [this](bool ok, const std::string& cause, std::int64_t rb) {
          if (!ok) return fail(cause);
          resp_bytes = rb;
          pos = path.hops.size() - 1;
          returning = true;
          backward();
        });
        return;
      }
      if (h.kind == HopKind::Link) {
        std::int64_t handshake_ns = 0;
        if (auto err = openConnection(pos, handshake_ns)) return fail(*err);
        const auto delay = linkDelay(pos, req_bytes, true) + handshake_ns;
        ++pos;
        ps.sim().schedule(delay, [this] { forward(); });
        return;
      }
      const auto st = *ps.stationOf(h);
      const auto& prof = *ps.hot_[st].profile;
      std::int64_t work = proxyWorkNs(prof, req_bytes, true);
      if (pos > 0 && new_connection[pos - 1]) work += prof.cpu_per_connection_ns;  // accepting side
      ++pos;
      at_station = st;
      ps.stations_[st]->submit(work, this);  // served() goes on
      return;
    }
  }

  // The proxy at `at_station` is done with the request (forward) or the response (back).
  void served(bool ok) override {
    if (!ok) return fail(failureOf(at_station));
    if (const auto d = ps.passLatency(at_station); d > 0) {
      ps.sim().schedule(d, [this] { proceed(); });
      return;
    }
    proceed();
  }
  void proceed() {
    if (returning) return backward();
    if (deny_hop == pos - 1) return fail(deny_cause);
    forward();
  }

  // Backward: from hop `pos` down to the client.
  void backward() {
    // pos points at the destination app; walk back from the hop before it.
    while (pos > 0) {
      --pos;
      const auto& h = path.hops[pos];
      if (h.kind == HopKind::App) break;  // the client: done
      if (h.kind == HopKind::Link) {
        const auto delay = linkDelay(pos, resp_bytes, false);
        ps.sim().schedule(delay, [this] { backward(); });
        return;
      }
      const auto st = *ps.stationOf(h);
      at_station = st;
      ps.stations_[st]->submit(proxyWorkNs(*ps.hot_[st].profile, resp_bytes, false), this);  // served() goes on
      return;
    }
    if (wasReset()) {
      ps.countReset();
      return fail("connection reset by ambient enrolment");
    }
    if (ps.sim().now() - started > ps.o_.request_timeout_ns) {
      return fail("timeout after " + models::formatDurationNs(ps.o_.request_timeout_ns) + " (503 UT)");
    }
    releasePools();
    ps.recordEdge(edge, started, true);
    auto* w = waiter;
    delete this;
    w->callDone(true, "");
  }

  std::int64_t linkDelay(std::size_t i, std::int64_t bytes, bool is_forward) {
    const auto& h = path.hops[i];
    const auto& s = ps.scenario();
    const auto& net = s.network;
    const auto& prof = s.profile.network;
    double wire = static_cast<double>(bytes);
    wire += static_cast<double>(prof.message_overhead_bytes);
    if (h.tunnel == Tunnel::Hbone) wire += static_cast<double>(prof.hbone_overhead_bytes_per_stream) / 2;
    if (h.tunnel != Tunnel::Plaintext) wire *= 1 + prof.tls_overhead_fraction;
    const auto to_zone = s.nodes[h.node].zone;
    const auto from_zone = h.from_node ? s.nodes[*h.from_node].zone : entry_zone;  // ingress: the client's zone
    // Bytes belong to the window of the call that sends them, so each call counts whole.
    if (ps.measuring(started) && (h.from_node || ps.o_.count_entry_zone_bytes)) {
      if (is_forward) ps.addZoneBytes(from_zone, to_zone, wire);
      else ps.addZoneBytes(to_zone, from_zone, wire);
    }
    return net.rttNs(h.locality) / 2 + static_cast<std::int64_t>(wire * 8e9 / net.bandwidth_bps);
  }

  // Before the request crosses link i: the proxy in front of it takes a pooled mTLS
  // connection to the next proxy, opening (and paying for) a new one when all are full.
  // Returns why the handshake failed, if it did.
  std::optional<std::string> openConnection(std::size_t i, std::int64_t& extra_delay_ns) {
    const auto& h = path.hops[i];
    if (h.tunnel == Tunnel::Plaintext || i == 0) return std::nullopt;
    const auto from_st = ps.stationOf(path.hops[i - 1]);
    const auto to_st = i + 1 < path.hops.size() ? ps.stationOf(path.hops[i + 1]) : std::nullopt;
    if (!from_st || !to_st) return std::nullopt;
    const auto src_pod = path.hops.front().pod.value_or(0);
    Pool* pool = ps.poolFor(*from_st, *to_st, src_pod, h.tunnel, protocol);
    if (pool->active + 1 > pool->connections * pool->streams_per_connection) {
      for (auto st : {*from_st, *to_st}) {
        if (auto why = ps.handshakeBlocked(ps.info_[st].node)) return why;
      }
      ++pool->connections;
      new_connection[i] = true;
      ps.info_[*from_st].connections += 1;
      ps.info_[*to_st].connections += 1;
      ps.stations_[*from_st]->addBackgroundWork(ps.info_[*from_st].profile->cpu_per_connection_ns);
      // TCP and TLS 1.3 handshakes cost one more round trip before the request goes.
      extra_delay_ns = ps.scenario().network.rttNs(h.locality);
    }
    ++pool->active;
    pools[i] = pool;
    return std::nullopt;
  }

  models::ZoneId entry_zone = 0;
  models::Protocol protocol = models::Protocol::Http;
};

// ---- a request served by one workload replica ---------------------------------------
struct ServeFlow final : CallWaiter, detail::StationClient {
  PhaseSim& ps;
  PodId pod;
  WorkloadId w;
  std::function<void(bool, const std::string&, std::int64_t)> done;
  std::size_t step = 0;
  int pending = 0;
  bool failed = false;
  std::string cause;

  ServeFlow(PhaseSim& p, PodId pd, std::function<void(bool, const std::string&, std::int64_t)> d)
      : ps(p), pod(pd), w(p.scenario().pods[pd].owner_id), done(std::move(d)) {}

  void runStep() {
    const auto& wl = ps.scenario().workloads[w];
    while (step < wl.script.size()) {
      const auto& st = wl.script[step++];
      if (st.kind == models::ScriptStep::Kind::Sleep) {
        ps.sim().schedule(st.sleep_ns, [this] { runStep(); });
        return;
      }
      // Decide every call of the step first, then launch them: a call's completion always
      // arrives on a later event, so `pending` is complete before any callDone.
      // (Indices of the calls made, in a small inline buffer: a step has a few calls.)
      constexpr std::size_t kInline = 16;
      std::array<std::uint32_t, kInline> inline_made;
      std::vector<std::uint32_t> more;
      std::size_t n = 0;
      for (std::size_t i = 0; i < st.calls.size(); ++i) {
        const auto& c = st.calls[i];
        if (!(c.probability >= 1.0 || ps.workloadRng(w).bernoulli(c.probability))) continue;
        if (n < kInline) inline_made[n] = static_cast<std::uint32_t>(i);
        else more.push_back(static_cast<std::uint32_t>(i));
        ++n;
      }
      if (n == 0) continue;
      pending = static_cast<int>(n);
      for (std::size_t k = 0; k < n; ++k)
        ps.callService(pod, w, st.calls[k < kInline ? inline_made[k] : more[k - kInline]], this);
      return;
    }
    finish();
  }

  // The app station served the request (run the script) or turned it away (queue full, or
  // its node is gone).
  void served(bool ok) override {
    if (!ok) return rejected();
    runStep();
  }

  void rejected() {
    auto d = std::move(done);
    std::string why = "app " + ps.scenario().pods[pod].name + ": queue full";
    delete this;
    d(false, why, 0);
  }

  void callDone(bool ok, const std::string& why) override {
    if (!ok && !failed) {
      failed = true;
      cause = why;
    }
    if (--pending > 0) return;
    if (failed) return finish();
    runStep();
  }

  void finish() {
    const auto rb = ps.scenario().workloads[w].response_bytes;
    auto d = std::move(done);
    const bool ok = !failed;
    const auto c = cause;
    delete this;
    d(ok, c, rb);
  }
};

// ---- an entry request from a client outside the mesh ---------------------------------
struct EntryFlow : CallWaiter {
  PhaseSim& ps;
  std::size_t ep;
  std::int64_t started;
  EntryFlow(PhaseSim& p, std::size_t e, std::int64_t t) : ps(p), ep(e), started(t) {}
  void callDone(bool ok, const std::string& cause) override {
    ps.recordEntry(ep, started, ok, cause);
    delete this;
  }
};

std::optional<std::size_t> PhaseSim::stationOf(const models::Hop& h) const {
  switch (h.kind) {
    case HopKind::Sidecar: return pods_rt_[*h.pod].sidecar;
    case HopKind::Ztunnel: return ztunnel_station_[h.node];
    case HopKind::Waypoint: return pods_rt_[*h.pod].waypoint;
    default: return std::nullopt;
  }
}

Pool* PhaseSim::poolFor(std::size_t from_station, std::size_t to_station, PodId src, Tunnel t, models::Protocol proto) {
  // ztunnel pools per source workload (identity and IP): key on the source pod for
  // ztunnel; a sidecar or waypoint pools per upstream.
  const bool per_source = hot_[from_station].ztunnel;
  auto& p = pools_.at(from_station, to_station, per_source ? src : PodId{0});
  if (p.connections == 0 && p.active == 0)
    p.streams_per_connection = (t == Tunnel::Hbone || proto == models::Protocol::Grpc) ? 100 : 1;
  return &p;
}

std::size_t PhaseSim::newStation(const models::ComponentProfile* prof, std::string kind, std::string name,
                                 models::NodeId node, int servers, int queue_limit) {
  detail::NodeCpu* cpu = o_.host_vcpus > 0 ? &host_cpu_ : &nodes_[node];
  if (kind == "app" && !o_.app_service_is_cpu) cpu = nullptr;  // its service time is a wait
  stations_.push_back(std::make_unique<detail::Station>(sim_, cpu, servers, queue_limit));
  if (sim_.now() >= measure_from_ && measure_from_ > 0) stations_.back()->startMeasuring();
  const PassDelay* pass = nullptr;
  const models::ComponentProfile* kinds[] = {&s_.profile.sidecar, &s_.profile.ztunnel, &s_.profile.waypoint};
  for (std::size_t k = 0; k < 3; ++k)
    if (prof == kinds[k] && pass_delay_[k].mean_ns > 0) pass = &pass_delay_[k];
  hot_.push_back({prof, pass, kind == "ztunnel"});
  info_.push_back({std::move(kind), std::move(name), node, prof, 0, sim_.now(), INT64_MAX, std::nullopt});
  return stations_.size() - 1;
}

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

void PhaseSim::serve(PodId pod, std::function<void(bool, const std::string&, std::int64_t)> done) {
  const auto w = s_.pods[pod].owner_id;
  const auto& wl = s_.workloads[w];
  auto& rng = workload_rng_[w];
  double st = static_cast<double>(wl.service_time.mean_ns);
  switch (wl.service_time.kind) {
    case models::ServiceTime::Kind::Constant: break;
    case models::ServiceTime::Kind::Exponential: st = rng.exponential(st); break;
    case models::ServiceTime::Kind::LogNormal: {
      engine::LogNormal ln;
      if (engine::LogNormal::fromMeanP99(st, static_cast<double>(wl.service_time.p99_ns), ln)) st = ln.sample(rng);
      break;
    }
  }
  auto* flow = new ServeFlow(*this, pod, std::move(done));
  auto& app = *stations_[pods_rt_[pod].app];
  if (o_.app_cpu_per_request_ns > 0 && o_.host_vcpus > 0) {
    app.addBackgroundWork(o_.app_cpu_per_request_ns);
    hostWork(o_.app_cpu_per_request_ns);
  }
  app.submit(static_cast<std::int64_t>(st), flow);
}

void PhaseSim::hostWork(std::int64_t work_ns) {
  ++host_cpu_.busy;
  const double speed = std::min(1.0, host_cpu_.vcpus / static_cast<double>(host_cpu_.busy));
  sim_.schedule(static_cast<std::int64_t>(static_cast<double>(work_ns) / speed), [this] { --host_cpu_.busy; });
}

void PhaseSim::callService(PodId src, WorkloadId src_w, const models::Call& call, CallWaiter* waiter) {
  const ServiceId dst = call.service;
  const std::int64_t req_bytes = call.request_bytes;
  auto path = models::hopPath(s_, m_, src, dst, workload_rng_[src_w].next());
  const std::uint32_t edge = edgeId(src_w, dst);
  if (!path.error.empty()) {
    recordEdge(edge, sim_.now(), false);
    sim_.schedule(0, [waiter, e = path.error] { waiter->callDone(false, e); });
    return;
  }
  ++calls_;
  auto* flow = new CallFlow(*this, std::move(path));
  flow->req_bytes = req_bytes;
  flow->started = sim_.now();
  flow->edge = edge;
  flow->waiter = waiter;
  flow->protocol = s_.services[dst].ports.front().protocol;
  authorizeFlow(*flow, src, dst, call.method, call.path);
  flow->forward();
}

void PhaseSim::authorizeFlow(CallFlow& flow, std::optional<PodId> src, ServiceId dst, const std::string& method,
                             const std::string& http_path) {
  if (m_.policies.empty() && m_.peer_authns.empty()) return;
  const auto& p = flow.path;
  if (!p.destination_pod) return;
  const auto dpod = *p.destination_pod;
  AuthzKeyView key;
  if (src) {
    key.src_workload = static_cast<std::int64_t>(s_.pods[*src].owner_id);
    key.src_mode = static_cast<int>(m_.modeOf(s_, *src));
  }
  key.dst_workload = s_.pods[dpod].owner_id;
  key.dst_mode = static_cast<int>(m_.modeOf(s_, dpod));
  key.waypoint = p.waypoint ? static_cast<std::int64_t>(*p.waypoint) : -1;
  key.service = dst;
  key.method = method;
  key.path = http_path;
  auto it = authz_cache_.find(key);
  if (it == authz_cache_.end()) {
    AuthzKey stored{key, method, http_path};
    stored.ids.method = {};
    stored.ids.path = {};
    it = authz_cache_.emplace(std::move(stored), models::authorizePath(s_, m_, p, src, dst, method, http_path)).first;
  }
  if (!it->second.allowed) {
    flow.deny_hop = it->second.hop;
    flow.deny_cause = "403 RBAC: " + it->second.reason;
  }
}

void PhaseSim::entryArrival(std::size_t ep_index) {
  const auto& ep = s_.entry_points[ep_index];
  auto& rng = entry_rng_[ep_index];
  // Offered rate now, from the load segments played back to back (and again from the
  // start when a rollout outlasts them).
  const auto cycle = ep.durationNs();
  std::int64_t t = cycle > 0 ? sim_.now() % cycle : 0, offset = 0;
  double rate = 0;
  for (const auto& seg : ep.load) {
    if (t < offset + seg.duration_ns) {
      rate = seg.rpsAt(t - offset);
      break;
    }
    offset += seg.duration_ns;
  }
  if (!arrivals_open_) return;
  if (rate > 0) {
    if (o_.ingress_cpu_per_request_ns > 0 && o_.host_vcpus > 0) {
      if (measuring(sim_.now())) ingress_work_ns_ += o_.ingress_cpu_per_request_ns;
      hostWork(o_.ingress_cpu_per_request_ns);
    }
    const auto zone = ep.client_zones[rng.below(ep.client_zones.size())];
    auto path = models::ingressPath(s_, m_, zone, ep.service, rng.next());
    auto* waiter = new EntryFlow(*this, ep_index, sim_.now());
    if (!path.error.empty()) {
      sim_.schedule(0, [waiter, e = path.error] { waiter->callDone(false, e); });
    } else {
      ++calls_;
      auto* flow = new CallFlow(*this, std::move(path));
      flow->req_bytes = s_.workloads[s_.services[ep.service].backends.front()].request_bytes;
      flow->started = sim_.now();
      flow->edge = kEntryEdge;
      flow->waiter = waiter;
      flow->entry_zone = zone;
      flow->protocol = s_.services[ep.service].ports.front().protocol;
      authorizeFlow(*flow, std::nullopt, ep.service, "GET", ep.path);
      flow->forward();
    }
  }
  const double gap_ns = rate > 0 ? (ep.arrival == models::EntryPoint::Arrival::Poisson ? rng.exponential(1e9 / rate)
                                                                                       : 1e9 / rate)
                                 : 1e8;  // idle: look again in 100 ms
  const auto next = sim_.now() + std::max<std::int64_t>(1, static_cast<std::int64_t>(gap_ns));
  if (next < end_ns_) sim_.scheduleAt(next, [this, ep_index] { entryArrival(ep_index); });
}

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

// ---- rollout of a wave ----------------------------------------------------------------

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

// ---- waypoint HPA (Kubernetes' algorithm on CPU utilisation of the pods' requests) -------
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
  std::vector<std::int64_t> work(stations_.size());
  for (std::size_t i = 0; i < stations_.size(); ++i) work[i] = stations_[i]->workNs();
  const std::int64_t ingress_work = ingress_work_ns_;
  const auto window_end = sim_.now();
  if (!runTo(window_end + 60'000'000'000)) return std::nullopt;

  const double window_ns = static_cast<double>(window_end - warmup);
  const double window_s = window_ns / 1e9;
  models::PhaseReport r;
  r.name = to_ ? "rollout " + wave_ : m_.phase_name;
  r.kind = to_ ? "rollout" : "steady";
  r.duration_s = window_s;
  if (to_) {
    r.rollout_complete = rollout_done_ >= 0;
    r.rollout_s = static_cast<double>((r.rollout_complete ? rollout_done_ : window_end) - rollout_started_) / 1e9;
    r.max_pending_pods = max_pending_;
    r.connections_reset = resets_;
  }
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

  // Components: CPU from the work done in the window; memory from the profile's model,
  // weighted by how long each instance was alive in the window.
  std::size_t mesh_endpoints = 0;
  for (const auto& pods : s_.workload_pods) mesh_endpoints += pods.size();
  std::map<std::string, models::ComponentUsage> usage;
  for (const char* k : {"app", "sidecar", "ztunnel", "waypoint"}) usage[k].kind = k;
  std::vector<double> station_cpu_m(stations_.size()), station_mem(stations_.size()), alive(stations_.size());
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    const auto& inf = info_[i];
    const double from = static_cast<double>(std::max<std::int64_t>(inf.created_ns, warmup));
    const double to = static_cast<double>(std::min<std::int64_t>(inf.ended_ns, window_end));
    alive[i] = std::max(0.0, to - from) / window_ns;
    if (alive[i] <= 0) continue;
    const double cpu_m = static_cast<double>(work[i]) / window_ns * 1000.0;
    double mem = 0;
    if (inf.profile) {
      double endpoints = static_cast<double>(mesh_endpoints);
      if (inf.kind == "waypoint") endpoints = waypointEndpoints(i);
      if (inf.kind == "sidecar" && s_.sidecar_scope == models::Scenario::SidecarScope::Namespace)
        endpoints = scopedSidecarEndpoints(i);
      mem = static_cast<double>(inf.profile->memory_base_bytes) +
            static_cast<double>(inf.profile->memory_per_connection_bytes) * inf.connections +
            static_cast<double>(inf.profile->memory_per_endpoint_bytes) * endpoints;
    }
    station_cpu_m[i] = cpu_m;
    station_mem[i] = mem;
    auto& u = usage[inf.kind];
    u.instances += alive[i];
    u.cpu_millicores += cpu_m;
    u.memory_bytes += mem * alive[i];
    u.max_instance_cpu_millicores = std::max(u.max_instance_cpu_millicores, alive[i] > 0 ? cpu_m / alive[i] : 0.0);
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
    in.cpu_millicores = static_cast<double>(ingress_work) / window_ns * 1000.0;
    in.max_instance_cpu_millicores = in.cpu_millicores;
    r.components.push_back(in);
  }
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

  // Network: bytes per zone pair, priced per direction for cross-zone pairs.
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

  // Compute: nodes needed by bin-packing the requests of the pods running at the end, per
  // zone (first fit decreasing), and the mesh's OpenCost-style share.
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
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    const auto& inf = info_[i];
    if (!inf.profile || alive[i] <= 0) continue;
    const auto& pool = s_.pools[s_.nodes[inf.node].pool];
    const double ratio = s_.profile.pricing.cpu_usd_per_vcpu_hour / s_.profile.pricing.ram_usd_per_gib_hour;
    const double vcpu = static_cast<double>(pool.cpu_millicores) / 1000.0;
    const double gib = static_cast<double>(pool.memory_bytes) / kGiB;
    const double ram_price = pool.price_usd_per_hour / (vcpu * ratio + gib);
    const double cpu_price = ram_price * ratio;
    const auto& req = inf.profile->resources;
    const double cores = std::max(static_cast<double>(req.cpu_request_millicores) * alive[i], station_cpu_m[i]) / 1000.0;
    const double mem_gib = std::max(static_cast<double>(req.memory_request_bytes), station_mem[i]) * alive[i] / kGiB;
    r.mesh_compute_usd_per_month += (cpu_price * cores + ram_price * mem_gib) * kHoursPerMonth;
  }
  return r;
}

// ---- faults ---------------------------------------------------------------------------
void PhaseSim::scheduleFaults() {
  const std::string phase = to_ ? "rollout " + wave_ : m_.phase_name;
  node_dead_.assign(s_.nodes.size(), false);
  skews_.assign(s_.nodes.size(), {});
  for (const auto& f : s_.faults) {
    if (!f.appliesTo(phase)) continue;
    const auto at = f.at_ns;  // from the start of the phase, warm-up included
    switch (f.kind) {
      case models::Fault::Kind::NodeLoss:
        sim_.scheduleAt(at, [this, n = *f.node] { loseNode(n, "node " + s_.nodes[n].name + " lost"); });
        break;
      case models::Fault::Kind::ZoneLoss:
        sim_.scheduleAt(at, [this, z = *f.zone] {
          for (models::NodeId n = 0; n < s_.nodes.size(); ++n) {
            if (s_.nodes[n].zone == z) loseNode(n, "zone " + s_.zones[z].name + " lost");
          }
        });
        break;
      case models::Fault::Kind::WaypointCrash:
        sim_.scheduleAt(at, [this, wp = *f.waypoint] { crashWaypoint(wp); });
        break;
      case models::Fault::Kind::ClockSkew:
        skews_[*f.node].push_back({at, f.duration_ns > 0 ? at + f.duration_ns : INT64_MAX, f.skew_ns});
        break;
    }
  }
}

std::optional<std::string> PhaseSim::handshakeBlocked(models::NodeId n) const {
  for (const auto& sk : skews_.empty() ? std::vector<Skew>{} : skews_[n]) {
    if (sim_.now() >= sk.from_ns && sim_.now() < sk.to_ns && sk.amount_ns > o_.certificate_backdate_ns)
      return "mTLS handshake failed on node " + s_.nodes[n].name + ": certificate not yet valid (clock " +
             models::formatDurationNs(sk.amount_ns) + " behind)";
  }
  return std::nullopt;
}

// The node is gone at once: whatever its stations hold fails. Its pods stay endpoints
// until the node controller notices (node-monitor grace period), so calls routed to them
// fail too; then the ReplicaSets replace them elsewhere, or leave them pending.
void PhaseSim::loseNode(models::NodeId n, const std::string& cause) {
  if (node_dead_[n]) return;
  node_dead_[n] = true;
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    if (info_[i].node == n && !stations_[i]->dead()) {
      stations_[i]->kill(cause);
      info_[i].ended_ns = sim_.now();
    }
  }
  sim_.schedule(o_.node_failure_detection_ns, [this, n] {
    std::vector<PodId> lost;
    for (PodId p = 0; p < s_.pods.size(); ++p) {
      if (s_.pods[p].node == n && !pods_rt_[p].terminating) lost.push_back(p);
    }
    for (auto p : lost) terminatePod(p);
    node_free_[n] = {-1e18, -1e18};  // nothing schedules there any more
    for (auto p : lost) createPod({s_.pods[p].owner, s_.pods[p].owner_id, {}});
  });
}

// Every replica of the waypoint crashes; each is replaced and ready again after a pod
// startup. Meanwhile ambient clients of its services have no waypoint to go through.
void PhaseSim::crashWaypoint(models::WaypointId wp) {
  std::vector<PodId> crashed;
  for (PodId p = 0; p < s_.pods.size(); ++p) {
    const auto& pod = s_.pods[p];
    if (pod.owner != models::Pod::Owner::Waypoint || pod.owner_id != wp || pods_rt_[p].terminating) continue;
    if (pods_rt_[p].waypoint) stations_[*pods_rt_[p].waypoint]->kill("waypoint " + s_.waypoints[wp].key() + " crashed");
    crashed.push_back(p);
  }
  for (auto p : crashed) terminatePod(p);
  for (std::size_t i = 0; i < crashed.size(); ++i) createPod({models::Pod::Owner::Waypoint, wp, {}});
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

std::string gatePathKey(const models::Scenario& s, const models::Gate& g) {
  if (g.entry_point) return s.entry_points[*g.entry_point].name;
  if (g.edge_from) return s.workloads[*g.edge_from].key() + " -> " + s.services[*g.edge_to].key();
  return "";
}

models::GateResult evaluateGate(const models::Scenario& s, const models::Gate& g, const models::PhaseReport& pr) {
  models::GateResult gr;
  const auto key = gatePathKey(s, g);
  const models::LatencySummary* lat = nullptr;
  if (g.entry_point) {
    if (auto it = pr.entry_latency.find(key); it != pr.entry_latency.end()) lat = &it->second;
  } else if (g.edge_from) {
    if (auto it = pr.edge_latency.find(key); it != pr.edge_latency.end()) lat = &it->second;
  }
  if (g.kind == models::Gate::Kind::Latency) {
    const std::string pname = g.percentile == 99.9 ? "p99.9" : "p" + std::to_string(static_cast<int>(g.percentile));
    gr.description = pname + " of " + key + " <= " + models::formatDurationNs(g.threshold_ns);
    gr.unit = "ms";
    gr.threshold = static_cast<double>(g.threshold_ns) / 1e6;
    if (lat && lat->count > 0) {
      gr.value = g.percentile == 50 ? lat->p50_ms : g.percentile == 90 ? lat->p90_ms : g.percentile == 99 ? lat->p99_ms : lat->p999_ms;
      gr.holds = gr.value <= gr.threshold;
    } else {
      gr.holds = false;  // no successful request to judge: the gate cannot pass
    }
    return gr;
  }
  char pct[32];
  std::snprintf(pct, sizeof pct, "%g%%", g.max_error_rate * 100);
  gr.description = "error rate" + (key.empty() ? std::string() : " of " + key) + " <= " + pct;
  gr.unit = "fraction";
  gr.threshold = g.max_error_rate;
  if (key.empty()) gr.value = pr.errorRate();
  else if (lat && lat->requests > 0) gr.value = static_cast<double>(lat->errors) / static_cast<double>(lat->requests);
  gr.holds = gr.value <= gr.threshold;
  return gr;
}

}  // namespace

models::PhaseReport simulatePhase(const models::Scenario& s, const models::MeshState& m, const SimOptions& opts,
                                  std::vector<StationStats>* stations, RunStats* stats) {
  PhaseSim ps(s, m, opts);
  auto r = *ps.run();  // nobody can cancel: always a report
  if (stations) *stations = ps.stationStats();
  if (stats) *stats = ps.runStats();
  r.findings = models::analyzePhase(s, m);
  return r;
}

models::PhaseReport simulateRollout(const models::Scenario& s, const models::MeshState& from,
                                    const models::MeshState& to, const std::string& wave, const SimOptions& opts) {
  PhaseSim ps(s, from, opts, &to, wave);
  auto r = *ps.run();
  r.findings = models::analyzePhase(s, to);
  return r;
}

std::size_t phaseCount(const models::Scenario& s, const SimOptions& opts) {
  const std::size_t states = s.plan.waves.size() + 1;
  return opts.rollouts ? 2 * states - 1 : states;
}

std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const RunControl& control) {
  models::Report rep;
  rep.scenario = s.name;
  rep.scenario_file = s.file;
  rep.profile = s.profile.name;
  rep.profile_kind = s.profile.provenance.kind;
  rep.seed = opts.seed ? opts.seed : s.seed;
  const auto phases = models::allPhases(s);
  const std::size_t total = phaseCount(s, opts);
  const std::function<bool()>* cancelled = control.cancelled ? &control.cancelled : nullptr;
  // Simulates one phase; false when cancelled inside it or right after it.
  const auto finish = [&](PhaseSim& ps, const models::MeshState& judged, const models::Wave* wave) {
    auto pr = ps.run();
    if (!pr) return false;
    pr->findings = models::analyzePhase(s, judged);
    // A wave's gates judge its rollout window and the steady state after it: capacity dips
    // are what gates catch.
    if (wave) {
      for (const auto& g : wave->gates) pr->gates.push_back(evaluateGate(s, g, *pr));
    }
    rep.phases.push_back(std::move(*pr));
    if (control.phase_done) control.phase_done(rep.phases.back(), rep.phases.size() - 1, total);
    return !(cancelled && (*cancelled)());
  };
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const models::Wave* wave = i > 0 ? &s.plan.waves[i - 1] : nullptr;
    if (wave && opts.rollouts) {
      PhaseSim ps(s, phases[i - 1], opts, &phases[i], wave->name, cancelled);
      if (!finish(ps, phases[i], wave)) return std::nullopt;
    }
    PhaseSim ps(s, phases[i], opts, nullptr, {}, cancelled);
    if (!finish(ps, phases[i], wave)) return std::nullopt;
  }
  return rep;
}

std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const ProgressFn& progress) {
  if (!progress) return simulateScenario(s, opts, RunControl{});
  // The progress callback answers after each phase; between its calls nothing cancels.
  bool stop = false;
  RunControl control;
  control.cancelled = [&stop] { return stop; };
  control.phase_done = [&](const models::PhaseReport&, std::size_t index, std::size_t total) {
    if (progress && !progress(index + 1, total)) stop = true;
  };
  return simulateScenario(s, opts, control);
}

}  // namespace meshtwin::sim
