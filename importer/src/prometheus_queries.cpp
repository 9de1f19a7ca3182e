// The PromQL of an import. Each request is counted once by the reader, which keeps, per
// (source, service), the best reporter present: destination (the server's sidecar), then
// waypoint, then source (the caller's sidecar or gateway, when the server has neither). So
// the queries keep `reporter` in their grouping and leave the choice to the reader.
#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer {

namespace {

constexpr const char* kEdge =
    "source_workload, source_workload_namespace, destination_service_name, destination_service_namespace, "
    "destination_workload, destination_workload_namespace";
constexpr const char* kPair = "source_workload, source_workload_namespace, destination_service_name, destination_service_namespace";
constexpr const char* kServer = "destination_workload, destination_workload_namespace";
constexpr const char* kL7Reporters = R"(reporter=~"source|destination|waypoint")";
constexpr const char* kL4Reporters = R"(reporter=~"source|destination")";

// sum by (G) (rate(NUM[W])) / sum by (G) (rate(DEN[W])): a mean per group.
std::string meanOf(const std::string& by, const std::string& num, const std::string& den, const std::string& sel,
                   std::int64_t w) {
  return fmt::format("sum by ({0}) (rate({1}{{{3}}}[{4}s])) / sum by ({0}) (rate({2}{{{3}}}[{4}s]))", by, num, den,
                     sel, w);
}

std::string sumRate(const std::string& by, const std::string& metric, const std::string& sel, std::int64_t w) {
  return fmt::format("sum by ({}) (rate({}{{{}}}[{}s]))", by, metric, sel, w);
}

std::string quantile(double q, std::int64_t w) {
  return fmt::format(
      "histogram_quantile({}, sum by (reporter, {}, le) "
      "(rate(istio_request_duration_milliseconds_bucket{{reporter=~\"destination|waypoint\"}}[{}s])))",
      q, kServer, w);
}

NamedQuery instant(std::string name, std::string purpose, std::string promql, const TrafficWindow& w) {
  NamedQuery q;
  q.name = std::move(name);
  q.purpose = std::move(purpose);
  q.promql = std::move(promql);
  q.time_s = w.eval_unix_s;
  return q;
}

NamedQuery range(std::string name, std::string purpose, std::string promql, const TrafficWindow& w) {
  NamedQuery q = instant(std::move(name), std::move(purpose), std::move(promql), w);
  q.range = true;
  q.step_s = w.stepSeconds();
  q.end_s = w.eval_unix_s;
  q.start_s = w.eval_unix_s - w.windowSeconds() + q.step_s;  // window / step points, each the rate up to it
  return q;
}

std::vector<NamedQuery> edgeQueries(const TrafficWindow& w) {
  const auto W = w.windowSeconds();
  const std::string edge = std::string("reporter, ") + kEdge;
  return {
      instant("requests", "HTTP and gRPC requests per edge, reporter and response code",
              sumRate(edge + ", request_protocol, response_code, grpc_response_status", "istio_requests_total",
                      kL7Reporters, W),
              w),
      instant("request_bytes", "mean request size per edge",
              meanOf(edge, "istio_request_bytes_sum", "istio_request_bytes_count", kL7Reporters, W), w),
      instant("response_bytes", "mean response size per edge",
              meanOf(edge, "istio_response_bytes_sum", "istio_response_bytes_count", kL7Reporters, W), w),
      instant("client_latency", "mean request duration per edge as the caller's proxy timed it",
              meanOf(kPair, "istio_request_duration_milliseconds_sum", "istio_request_duration_milliseconds_count",
                     R"(reporter="source")", W),
              w),
      instant("tcp_connections", "TCP connections opened per edge (sidecars' TCP listeners, ztunnel)",
              sumRate(edge, "istio_tcp_connections_opened_total", kL4Reporters, W), w),
      instant("tcp_received_bytes", "TCP bytes received from the callers per edge",
              sumRate(edge, "istio_tcp_received_bytes_total", kL4Reporters, W), w),
      instant("tcp_sent_bytes", "TCP bytes sent back to the callers per edge",
              sumRate(edge, "istio_tcp_sent_bytes_total", kL4Reporters, W), w),
  };
}

std::vector<NamedQuery> serverQueries(const TrafficWindow& w) {
  const auto W = w.windowSeconds();
  return {
      instant("server_latency", "mean server-side request duration per workload",
              meanOf(std::string("reporter, ") + kServer, "istio_request_duration_milliseconds_sum",
                     "istio_request_duration_milliseconds_count", R"(reporter=~"destination|waypoint")", W),
              w),
      instant("server_latency_p50", "server-side p50 per workload", quantile(0.5, W), w),
      instant("server_latency_p90", "server-side p90 per workload", quantile(0.9, W), w),
      instant("server_latency_p99", "server-side p99 per workload", quantile(0.99, W), w),
  };
}

std::vector<NamedQuery> entryQueries(const TrafficWindow& w) {
  const auto R = w.curveRateSeconds();
  const std::string by = std::string("reporter, ") + kEdge;
  const std::string outside = fmt::format(R"(source_workload=~"unknown|{}")", w.ingress_workloads);
  return {
      range("entry_rps", "requests from outside the mesh per service, at each step",
            sumRate(by, "istio_requests_total", std::string(kL7Reporters) + ", " + outside, R), w),
      range("entry_connections", "TCP connections from outside the mesh per service, at each step",
            sumRate(by, "istio_tcp_connections_opened_total", std::string(kL4Reporters) + ", " + outside, R), w),
  };
}

std::vector<NamedQuery> proxyQueries(const TrafficWindow& w) {
  const auto W = w.windowSeconds();
  return {
      instant("proxy_cpu", "CPU cores of every istio-proxy container (sidecars, ztunnel, waypoints, gateways)",
              fmt::format(R"(max by (namespace, pod) (rate(container_cpu_usage_seconds_total{{container="istio-proxy"}}[{}s])))", W),
              w),
      instant("proxy_memory", "working set of every istio-proxy container, mean over the window",
              fmt::format(R"(max by (namespace, pod) (avg_over_time(container_memory_working_set_bytes{{container="istio-proxy"}}[{}s])))", W),
              w),
      instant("proxy_requests", "requests each proxy reported", sumRate("namespace, pod, reporter", "istio_requests_total", "", W), w),
      instant("proxy_connections", "TCP connections each proxy reported",
              sumRate("namespace, pod, reporter", "istio_tcp_connections_opened_total", "", W), w),
  };
}

}  // namespace

std::vector<NamedQuery> trafficQueries(const TrafficWindow& w) {
  std::vector<NamedQuery> out;
  for (auto part : {edgeQueries(w), serverQueries(w), entryQueries(w), proxyQueries(w)}) {
    for (auto& q : part) out.push_back(std::move(q));
  }
  return out;
}

}  // namespace meshtwin::importer
