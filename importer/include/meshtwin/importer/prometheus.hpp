// The Prometheus reader: the PromQL an import runs against a cluster's Prometheus (Istio's
// standard metrics and cAdvisor), a pure reading of the answers into Traffic, and what Traffic
// does to a Draft (calls, sizes, entry loads, service times) and to a calibration profile.
// It speaks to no server itself: fetchTraffic runs the queries through whatever client the
// caller wires in (the CLI wires kube::PrometheusClient).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/importer/draft.hpp"
#include "meshtwin/importer/traffic.hpp"
#include "meshtwin/kube/error.hpp"
#include "meshtwin/models/profile.hpp"

namespace meshtwin::kube {
class PrometheusClient;
}

namespace meshtwin::importer {

// One query of the import: an instant query at `time_s`, or a range query over start..end.
struct NamedQuery {
  std::string name;     // the key of its answer ("requests", "entry_rps", ...)
  std::string purpose;  // one phrase for messages ("HTTP and gRPC requests per edge")
  std::string promql;
  bool range = false;
  std::int64_t time_s = 0;                          // instant
  std::int64_t start_s = 0, end_s = 0, step_s = 0;  // range
};

// The queries an import runs for `w`, in a fixed order.
std::vector<NamedQuery> trafficQueries(const TrafficWindow& w);

// What the client hands back for one query: the API's `data` object and its `warnings`.
struct QueryAnswer {
  nlohmann::json data;
  std::vector<std::string> warnings;
};
using QueryFn = std::function<kube::Result<QueryAnswer>(const NamedQuery&)>;
// The QueryFn that runs each query through `client` (which must outlive it): /api/v1/query at
// the query's time, or /api/v1/query_range over its start, end and step.
QueryFn queryThrough(const kube::PrometheusClient& client);

// The answers hold no usable Istio traffic, or are not what the API promises (exit 2).
struct TrafficError {
  std::string object;   // "Prometheus http://prom:9090" or "query requests"
  std::string message;
  std::string hint;
};
std::string format(const TrafficError& e);  // "object: message (hint)"

// Traffic, or why there is none: a TrafficError from the reading, or the client's kube::Error
// passed through untouched (the CLI maps it to exit 3).
class TrafficResult {
 public:
  TrafficResult(Traffic t) : v_(std::move(t)) {}         // NOLINT(google-explicit-constructor)
  TrafficResult(TrafficError e) : v_(std::move(e)) {}    // NOLINT(google-explicit-constructor)
  TrafficResult(kube::Error e) : v_(std::move(e)) {}     // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  Traffic& operator*() { return std::get<0>(v_); }
  const Traffic& operator*() const { return std::get<0>(v_); }
  Traffic* operator->() { return &std::get<0>(v_); }
  const Traffic* operator->() const { return &std::get<0>(v_); }
  [[nodiscard]] bool isClientError() const { return v_.index() == 2; }
  [[nodiscard]] const TrafficError& readError() const { return std::get<1>(v_); }
  [[nodiscard]] const kube::Error& clientError() const { return std::get<2>(v_); }
  [[nodiscard]] std::string errorText() const;  // either error, formatted

 private:
  std::variant<Traffic, TrafficError, kube::Error> v_;
};

// Pure: the answers (query name -> the API's `data`) to trafficQueries(w), and the API's
// warnings, read into Traffic. Every query of trafficQueries(w) must have an answer.
TrafficResult readTraffic(const std::map<std::string, nlohmann::json>& answers, const std::vector<std::string>& warnings,
                          const TrafficWindow& w);
// Runs trafficQueries(w) through `query`, then readTraffic. The first client error is returned as is.
TrafficResult fetchTraffic(const TrafficWindow& w, const QueryFn& query);

// Observed traffic into the Draft: calls in the callers' scripts, sizes, entry-point rps curves,
// service times; objects seen only in traffic are created; all of it noted and assumed in `report`.
void applyTraffic(const Traffic& t, Draft& d, ImportReport& report);

// A calibration profile (models/profiles/*.yaml format) that is `base` with the proxies' memory
// and CPU per request replaced by what the cluster measured, for the kinds it measured.
std::string measuredProfileYaml(const Traffic& t, const models::Profile& base);

// Parts shared by the reader's source files; not an interface.
namespace detail {

struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;                                  // instant vector
  std::vector<std::pair<std::int64_t, double>> points;  // range matrix: (unix s, value)
  [[nodiscard]] std::string label(const std::string& name) const;  // "" when absent
};
using Answers = std::map<std::string, std::vector<Sample>>;

// `data` of a vector or matrix answer; non-finite values are dropped. Throws TrafficError.
std::vector<Sample> parseAnswer(const nlohmann::json& data, const NamedQuery& q);
// destination 0, waypoint 1, source 2, anything else 3: the lower counts a request once.
int reporterRank(const std::string& reporter);
// The reports of one (source, service) that count each request once: by rank, the destination
// workloads that saw traffic. The best rank counts; after a destination (sidecar) report, lower
// ranks add the backends it lacks (no sidecar of their own: a service half-way through a
// migration); after a waypoint report they add nothing (the waypoint serves the whole service).
using ReportsByRank = std::map<int, std::vector<std::string>>;
std::vector<std::pair<int, std::string>> pickReports(const ReportsByRank& by);
bool fullMatch(const std::string& pattern, const std::string& text);
bool fromOutside(const TrafficWindow& w, const std::string& source_workload);

std::vector<TrafficEdge> readEdges(const Answers& a, const TrafficWindow& w, std::vector<std::string>& warnings);
std::vector<EntryLoad> readEntryLoads(const Answers& a, const TrafficWindow& w, const std::vector<TrafficEdge>& edges,
                                      std::vector<std::string>& warnings);
std::vector<WorkloadLatency> readLatencies(const Answers& a);
std::vector<ProxyUsage> readProxies(const Answers& a, const TrafficWindow& w, const std::vector<TrafficEdge>& edges,
                                    std::vector<std::string>& warnings);

// applyTraffic's second half: service times from latencies less the time spent in calls.
void applyServiceTimes(const Traffic& t, Draft& d, ImportReport& report);

}  // namespace detail

}  // namespace meshtwin::importer
