// Prometheus metrics with Istio's names and labels, rendered in the text exposition format.
// A proxy's metrics live on its io_context's thread; no locking.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshtwin::dataplane {

using Labels = std::vector<std::pair<std::string, std::string>>;  // in exposition order

struct Counter {
  std::uint64_t value = 0;
  void add(std::uint64_t n = 1) { value += n; }
};

struct Gauge {
  double value = 0;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}
  void observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  [[nodiscard]] const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, not cumulative
  [[nodiscard]] double sum() const { return sum_; }
  [[nodiscard]] std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Istio's default request-duration buckets, milliseconds.
std::vector<double> istioDurationBucketsMs();

class MetricsRegistry {
 public:
  // Counters, gauges and histograms are created on first use and live as long as the
  // registry: keep the returned reference for the life of a connection.
  Counter& counter(const std::string& name, const Labels& labels);
  Gauge& gauge(const std::string& name, const Labels& labels);
  Histogram& histogram(const std::string& name, const Labels& labels, const std::vector<double>& bounds);
  void describe(const std::string& name, std::string help);
  // The whole registry in Prometheus' text format (version 0.0.4).
  [[nodiscard]] std::string render() const;
  // A counter's value, 0 when it does not exist (for tests and the testbed).
  [[nodiscard]] std::uint64_t counterValue(const std::string& name, const Labels& subset) const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::map<std::string, std::pair<Labels, std::unique_ptr<Counter>>> counters;
    std::map<std::string, std::pair<Labels, std::unique_ptr<Gauge>>> gauges;
    std::map<std::string, std::pair<Labels, std::unique_ptr<Histogram>>> histograms;
  };
  Family& family(const std::string& name, const char* type);
  std::map<std::string, Family> families_;
};

std::string renderLabels(const Labels& labels);

// This process's resident memory and CPU time as Prometheus's client libraries name them
// (process_resident_memory_bytes, process_cpu_seconds_total), read from /proc and getrusage
// at each scrape, so a Prometheus without cAdvisor still sees what a proxy costs.
std::string renderProcessMetrics();

// Istio's standard metric labels for one connection (TCP metrics) or request (HTTP metrics),
// in the order Istio exposes them. Canonical service and app are the workload's name;
// versions and revisions are not modelled.
struct IstioLabels {
  std::string reporter;  // source | destination | waypoint
  std::string source_workload = "unknown", source_namespace = "unknown", source_principal = "unknown";
  std::string destination_service = "unknown", destination_service_namespace = "unknown",
              destination_service_name = "unknown";
  std::string destination_workload = "unknown", destination_namespace = "unknown",
              destination_principal = "unknown";
  std::string request_protocol = "tcp";
  std::optional<std::string> response_code;  // HTTP only
  std::string response_flags = "-";
  std::string security_policy = "unknown";  // mutual_tls | unknown
  [[nodiscard]] Labels labels() const;
};  // {a="x",b="y"} with escaping

}  // namespace meshtwin::dataplane
