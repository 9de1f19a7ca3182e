// Selectors and queries over Istio's request metrics for a scenario's entry points and edges.
#include "meshtwin/deploy/istio_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace meshtwin::deploy {

std::string requestSelector(const models::Scenario& s, std::optional<std::size_t> entry_point,
                            std::optional<models::WorkloadId> edge_from, std::optional<models::ServiceId> edge_to,
                            const std::string& entry_selector) {
  if (entry_point) {
    const auto& svc = s.services[s.entry_points.at(*entry_point).service];
    std::string sel = fmt::format(R"(destination_service_name="{}",destination_service_namespace="{}")", svc.name, svc.ns);
    return entry_selector.empty() ? sel : entry_selector + "," + sel;
  }
  if (!edge_from || !edge_to) throw std::invalid_argument("requestSelector: neither an entry point nor an edge");
  const auto& from = s.workloads.at(*edge_from);
  const auto& to = s.services.at(*edge_to);
  return fmt::format(
      R"(reporter=~"source|waypoint",source_workload="{}",source_workload_namespace="{}",destination_service_name="{}",destination_service_namespace="{}")",
      from.name, from.ns, to.name, to.ns);
}

std::string promDuration(std::chrono::milliseconds d) {
  return fmt::format("{}s", std::max<long long>(1, static_cast<long long>(d.count() / 1000)));
}

std::string errorRatioQuery(const std::string& sel, const std::string& w) {
  return fmt::format(R"(sum(rate(istio_requests_total{{{0},{2}}}[{1}])) / sum(rate(istio_requests_total{{{0}}}[{1}])))", sel, w,
                     kFailedResponse);
}

std::string latencyQuery(const std::string& sel, const std::string& w, double percentile) {
  return fmt::format("histogram_quantile({}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{}}}[{}])))",
                     percentile / 100.0, sel, w);
}

}  // namespace meshtwin::deploy
