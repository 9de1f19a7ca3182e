// readTraffic and fetchTraffic: the answers to the import's queries into Traffic, and the
// queries run through a caller's client.
#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer {

namespace {

std::string where(const TrafficWindow& w) { return w.url.empty() ? "Prometheus" : "Prometheus " + w.url; }

std::optional<TrafficError> noIstio(const detail::Answers& a, const TrafficWindow& w) {
  for (const char* q : {"requests", "tcp_connections", "proxy_requests", "proxy_connections"}) {
    if (!a.at(q).empty()) return std::nullopt;
  }
  return TrafficError{
      where(w),
      fmt::format("no Istio series in the {} to {}: looked for istio_requests_total, istio_request_bytes, "
                  "istio_request_duration_milliseconds and istio_tcp_connections_opened_total (reporter source, "
                  "destination or waypoint)",
                  formatWindow(w.window_ns), rfc3339(w.eval_unix_s)),
      "is this the Prometheus that scrapes Istio's proxies (sidecars and waypoints on :15020/stats/prometheus, "
      "ztunnel on :15020/metrics)? is the window right (evaluation time and window length)?"};
}

TrafficError noTraffic(const TrafficWindow& w) {
  return {where(w),
          fmt::format("Istio series exist but carried no traffic in the {} to {}", formatWindow(w.window_ns),
                      rfc3339(w.eval_unix_s)),
          "choose an evaluation time and window when the mesh was serving requests"};
}

}  // namespace

TrafficResult readTraffic(const std::map<std::string, nlohmann::json>& answers, const std::vector<std::string>& warnings,
                          const TrafficWindow& w) {
  if (w.window_ns < w.step_ns || w.step_ns < 1'000'000'000 || w.window_ns % 1'000'000'000 != 0)
    return TrafficError{where(w), "the window must be whole seconds and at least one step (of 1s or more)",
                        "e.g. a 1h window at 1m steps"};
  Traffic t;
  t.window = w;
  t.evaluated_at = rfc3339(w.eval_unix_s);
  t.warnings = warnings;
  try {
    detail::Answers a;
    for (const auto& q : trafficQueries(w)) {
      const auto it = answers.find(q.name);
      if (it == answers.end())
        return TrafficError{"query " + q.name, "has no answer (" + q.purpose + ")",
                            "readTraffic takes one answer per query of trafficQueries()"};
      a[q.name] = detail::parseAnswer(it->second, q);
    }
    if (auto e = noIstio(a, w)) return *e;
    t.edges = detail::readEdges(a, w, t.warnings);
    if (t.edges.empty()) return noTraffic(w);
    t.entry_loads = detail::readEntryLoads(a, w, t.edges, t.warnings);
    t.latencies = detail::readLatencies(a);
    t.proxies = detail::readProxies(a, w, t.edges, t.warnings);
  } catch (const TrafficError& e) {
    return e;
  }
  return t;
}

TrafficResult fetchTraffic(const TrafficWindow& w, const QueryFn& query) {
  std::map<std::string, nlohmann::json> answers;
  std::vector<std::string> warnings;
  for (const auto& q : trafficQueries(w)) {
    auto r = query(q);
    if (!r.ok()) return r.error();
    for (const auto& msg : r->warnings) warnings.push_back("query " + q.name + ": " + msg);
    answers[q.name] = std::move(r->data);
  }
  return readTraffic(answers, warnings, w);
}

}  // namespace meshtwin::importer
