// Observed traffic: what a cluster's Prometheus says its mesh carried over a window (who calls
// whom, how often, how large, how slow, what the proxies cost), as plain data that the
// Prometheus reader fills and applyTraffic turns into the Draft.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::importer {

// Which Prometheus, which stretch of time, and how pods and workloads are told apart. The
// patterns are anchored regular expressions (Prometheus RE2 and std::regex ECMAScript agree on
// the subset used here).
struct TrafficWindow {
  std::string url;                              // the Prometheus base URL, for provenance
  std::int64_t eval_unix_s = 0;                 // the end of the window (the evaluation time)
  std::int64_t window_ns = 3'600'000'000'000;   // 1h
  std::int64_t step_ns = 60'000'000'000;        // entry-load curve resolution
  std::int64_t scrape_interval_ns = 15'000'000'000;
  // Sources that are outside the mesh: besides "unknown", workloads matching this are ingress gateways.
  std::string ingress_workloads = "istio-ingressgateway|.+-ingressgateway|.+-istio";
  // Pods whose istio-proxy container is not a sidecar (cAdvisor and the `pod` label of scraped metrics).
  std::string ztunnel_pods = "ztunnel-.+";
  std::string waypoint_pods = "waypoint-.+|.+-waypoint-.+";
  std::string gateway_pods = "istio-(ingress|egress)gateway-.+|.+-(ingress|egress)gateway-.+|.+-istio-[a-z0-9]+-[a-z0-9]+";
  // Seconds of the rate() range at each curve point: Grafana's $__rate_interval, max(step + scrape, 4 x scrape).
  [[nodiscard]] std::int64_t curveRateSeconds() const;
  [[nodiscard]] std::int64_t windowSeconds() const { return window_ns / 1'000'000'000; }
  [[nodiscard]] std::int64_t stepSeconds() const { return step_ns / 1'000'000'000; }
};

// One observed edge: a source workload calling a service, answered by one destination workload.
struct TrafficEdge {
  std::string source_ns, source_workload;  // "unknown" when the caller is outside the mesh
  std::string service_ns, service;         // destination_service_namespace / _name
  std::string dest_ns, dest_workload;      // "unknown" when the reporter could not tell
  models::Protocol protocol = models::Protocol::Http;
  std::string reporter;   // whose report counted it: destination | waypoint | source
  double rps = 0;         // requests per second (tcp: connections opened per second)
  double request_bytes = 0, response_bytes = 0;  // mean per request (tcp: per connection)
  double error_ratio = 0;                        // 5xx or no response / all; gRPC: non-OK status / all
  std::optional<double> client_latency_ms;       // mean as the caller's proxy timed it (reporter=source)
  bool from_outside = false;                     // source is "unknown" or an ingress gateway
  [[nodiscard]] std::string sourceKey() const { return source_ns + "/" + source_workload; }
  [[nodiscard]] std::string serviceKey() const { return service_ns + "/" + service; }
  [[nodiscard]] std::string destKey() const { return dest_ns + "/" + dest_workload; }
  [[nodiscard]] std::string describe() const;  // "shop/frontend -> cart.shop (cart)"
};

// Load entering the mesh at one service, from outside it, over the window.
struct EntryLoad {
  std::string service_ns, service;
  std::vector<std::string> sources;  // sorted: "unknown", "istio-system/istio-ingressgateway", ...
  std::vector<double> rps;           // one value per step, oldest first
  std::int64_t step_ns = 0;
  [[nodiscard]] double meanRps() const;
  [[nodiscard]] std::string serviceKey() const { return service_ns + "/" + service; }
};

// Server-side latency of one workload (reporter=destination; waypoint when it has no sidecar).
struct WorkloadLatency {
  std::string ns, workload;
  std::string reporter;
  double mean_ms = 0;
  std::optional<double> p50_ms, p90_ms, p99_ms;
  [[nodiscard]] std::string key() const { return ns + "/" + workload; }
};

// What the proxies of one kind cost over the window, and what they carried.
struct ProxyUsage {
  std::string kind;  // sidecar | ztunnel | waypoint
  int proxies = 0;   // istio-proxy containers seen
  double cpu_cores = 0;            // sum over the proxies, mean over the window
  double memory_bytes_mean = 0;    // working set per proxy, mean over the proxies and the window
  double rps = 0;                  // requests they reported (ztunnel: connections opened), summed over passes
  double bytes_per_request = 0;    // request + response bytes per request they carried
};

struct Traffic {
  TrafficWindow window;
  std::string evaluated_at;  // RFC3339, UTC
  std::vector<TrafficEdge> edges;          // sorted by source, service, destination workload
  std::vector<EntryLoad> entry_loads;      // sorted by service
  std::vector<WorkloadLatency> latencies;  // sorted by workload
  std::vector<ProxyUsage> proxies;         // sidecar, ztunnel, waypoint, those seen
  std::vector<std::string> warnings;       // the API's and the reader's, in order
  [[nodiscard]] const WorkloadLatency* latency(const std::string& ns, const std::string& workload) const;
  [[nodiscard]] const ProxyUsage* proxy(const std::string& kind) const;
  [[nodiscard]] std::string provenance() const;  // "Prometheus http://...: 1h to 2025-01-01T10:00:00Z"
};

// 2025-01-01T10:00:00Z
std::string rfc3339(std::int64_t unix_s);
// "1h", "90s": a window as a person reads it.
std::string formatWindow(std::int64_t ns);

}  // namespace meshtwin::importer
