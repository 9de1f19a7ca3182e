// CallFlow: a call over its hop path and back through proxy stations, links and pooled mTLS connections.
#include "call_flow.hpp"

#include <stdexcept>

#include "meshtwin/models/routing.hpp"

namespace meshtwin::sim::detail {

namespace {

std::int64_t proxyWorkNs(const models::ComponentProfile& c, std::int64_t bytes, bool with_request_cost) {
  return (with_request_cost ? c.cpu_per_request_ns : 0) + c.cpu_per_kib_ns * bytes / 1024;
}

}  // namespace

CallFlow::CallFlow(PhaseSim& p, models::HopPath hp) : ps(p), path(std::move(hp)) {
  if (path.hops.size() > kMaxHops) throw std::logic_error("CallFlow: hop path longer than kMaxHops");
  src_epoch = ps.epochOf(path.hops.front().pod);
  dst_epoch = ps.epochOf(path.destination_pod);
}

bool CallFlow::wasReset() const {
  return ps.epochOf(path.hops.front().pod) != src_epoch || ps.epochOf(path.destination_pod) != dst_epoch;
}

void CallFlow::fail(const std::string& cause) {
  const std::string why = cause;  // `cause` may live in this flow (deny_cause)
  releasePools();
  ps.recordEdge(edge, started, false);
  auto* w = waiter;
  delete this;
  w->callDone(false, why);
}

void CallFlow::releasePools() {
  for (auto* p : pools) {
    if (p) --p->active;
  }
}

std::string CallFlow::failureOf(std::size_t st) const {
  const auto& station = *ps.stations_[st];
  return station.dead() ? station.deathCause() : ps.info_[st].kind + " " + ps.info_[st].name + ": queue full";
}

void CallFlow::forward() {
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

void CallFlow::served(bool ok) {
  if (!ok) return fail(failureOf(at_station));
  if (const auto d = ps.passLatency(at_station); d > 0) {
    ps.sim().schedule(d, [this] { proceed(); });
    return;
  }
  proceed();
}

void CallFlow::proceed() {
  if (returning) return backward();
  if (deny_hop == pos - 1) return fail(deny_cause);
  forward();
}

void CallFlow::backward() {
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

std::int64_t CallFlow::linkDelay(std::size_t i, std::int64_t bytes, bool is_forward) {
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

std::optional<std::string> CallFlow::openConnection(std::size_t i, std::int64_t& extra_delay_ns) {
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

}  // namespace meshtwin::sim::detail
