// Look-ups and printing of the observed-traffic model.
#include "meshtwin/importer/traffic.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "meshtwin/models/units.hpp"

namespace meshtwin::importer {

std::int64_t TrafficWindow::curveRateSeconds() const {
  const std::int64_t scrape = scrape_interval_ns / 1'000'000'000;
  return std::max(stepSeconds() + scrape, 4 * scrape);
}

std::string TrafficEdge::describe() const {
  return fmt::format("{}/{} -> {}.{} ({})", source_ns, source_workload, service, service_ns, dest_workload);
}

double EntryLoad::meanRps() const {
  if (rps.empty()) return 0;
  double sum = 0;
  for (const double v : rps) sum += v;
  return sum / static_cast<double>(rps.size());
}

const WorkloadLatency* Traffic::latency(const std::string& ns, const std::string& workload) const {
  for (const auto& l : latencies) {
    if (l.ns == ns && l.workload == workload) return &l;
  }
  return nullptr;
}

const ProxyUsage* Traffic::proxy(const std::string& kind) const {
  for (const auto& p : proxies) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

std::string Traffic::provenance() const {
  return fmt::format("Prometheus {}: {} to {}", window.url, formatWindow(window.window_ns), evaluated_at);
}

std::string rfc3339(std::int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string formatWindow(std::int64_t ns) { return models::formatDurationNs(ns); }

}  // namespace meshtwin::importer
