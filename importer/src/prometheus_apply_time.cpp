// Service times from observed latency: a workload's server-side mean (what its inbound proxy
// timed) less the time it spent waiting on its own calls (as its outbound proxy timed them),
// with the spread of the measured distribution kept.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer::detail {

namespace {

// A service time below this share of the measured latency is not believed: calls overlapped.
constexpr double kFloorShare = 0.05;

struct Downstream {
  double ms = 0;       // expected time in calls per request served
  int calls = 0;       // distinct services called
  std::vector<std::string> unknown;  // services whose call latency is not known
};

double served(const Traffic& t, const std::string& key) {
  double rps = 0;
  for (const auto& e : t.edges) {
    if (e.destKey() == key) rps += e.rps;
  }
  return rps;
}

// Mean latency of a call to `service_key` from `source_key`: the caller's proxy's timing, or
// the callees' server-side means weighted by rps.
std::optional<double> callLatency(const Traffic& t, const std::string& source_key, const std::string& service_key) {
  double rps = 0, ms = 0;
  for (const auto& e : t.edges) {
    if (e.sourceKey() != source_key || e.serviceKey() != service_key) continue;
    if (e.client_latency_ms) return e.client_latency_ms;
    if (const auto* l = t.latency(e.dest_ns, e.dest_workload)) rps += e.rps, ms += e.rps * l->mean_ms;
  }
  if (rps <= 0) return std::nullopt;
  return ms / rps;
}

Downstream downstream(const Traffic& t, const std::string& key, double in_rps) {
  std::map<std::string, double> per_service;  // service key -> calls per request
  for (const auto& e : t.edges) {
    if (e.sourceKey() == key && !e.from_outside) per_service[e.serviceKey()] += e.rps / in_rps;
  }
  Downstream d;
  for (const auto& [svc, ratio] : per_service) {
    ++d.calls;
    if (const auto ms = callLatency(t, key, svc)) d.ms += ratio * *ms;
    else d.unknown.push_back(svc);
  }
  return d;
}

models::ServiceTime serviceTime(double est_ms, const WorkloadLatency& l) {
  models::ServiceTime st;
  st.mean_ns = std::max<std::int64_t>(1000, std::llround(est_ms * 1e6));
  if (l.p99_ms && *l.p99_ms > l.mean_ms && l.mean_ms > 0) {
    st.kind = models::ServiceTime::Kind::LogNormal;
    st.p99_ns = std::max<std::int64_t>(st.mean_ns + 1, std::llround(static_cast<double>(st.mean_ns) * *l.p99_ms / l.mean_ms));
  } else {
    st.kind = models::ServiceTime::Kind::Exponential;
  }
  return st;
}

std::string howNote(const Traffic& t, const WorkloadLatency& l, const Downstream& d, double est_ms, bool floored) {
  std::string s = fmt::format("service time {:.3g} ms from Prometheus ({} to {}): server-side mean {:.3g} ms "
                              "(reporter={})",
                              est_ms, formatWindow(t.window.window_ns), t.evaluated_at, l.mean_ms, l.reporter);
  if (d.calls > 0) s += fmt::format(" less {:.3g} ms waiting on {} called service(s) as the caller's proxy timed them", d.ms, d.calls);
  if (!d.unknown.empty()) s += fmt::format(" (no latency known for {})", fmt::join(d.unknown, ", "));
  if (floored)
    s += fmt::format("; the calls took longer than that, so they overlap (concurrent calls): floored at {:.0f}% of the "
                     "measured mean",
                     100 * kFloorShare);
  s += l.reporter == "waypoint" ? "; measured at the waypoint, so it includes the hop from the waypoint to the pod"
                                : "; the inbound proxy's own time stays in (no per-pass figure to subtract it by)";
  if (l.p99_ms && *l.p99_ms > l.mean_ms) s += fmt::format("; lognormal with the measured p99/mean ratio {:.3g}", *l.p99_ms / l.mean_ms);
  return s;
}

}  // namespace

void applyServiceTimes(const Traffic& t, Draft& d, ImportReport& report) {
  for (const auto& l : t.latencies) {
    DraftWorkload* w = d.findWorkload(l.ns, l.workload);
    if (!w || l.mean_ms <= 0) continue;
    const double in = served(t, l.key());
    const Downstream down = in > 0 ? downstream(t, l.key(), in) : Downstream{};
    double est = l.mean_ms - down.ms;
    const bool floored = est < kFloorShare * l.mean_ms;
    if (floored) est = kFloorShare * l.mean_ms;
    w->service_time = serviceTime(est, l);
    w->notes.push_back(howNote(t, l, down, est, floored));
    if (floored)
      report.assume("workload " + w->key(),
                    fmt::format("its calls take {:.3g} ms per request of a {:.3g} ms server-side mean: they run "
                                "concurrently; service time floored at {:.3g} ms",
                                down.ms, l.mean_ms, est));
  }
}

}  // namespace meshtwin::importer::detail
