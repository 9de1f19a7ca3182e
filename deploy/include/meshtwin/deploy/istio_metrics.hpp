// PromQL over Istio's standard request metrics (istio_requests_total,
// istio_request_duration_milliseconds_bucket) for a scenario's paths: the selectors and
// queries deploy gates, SLO rules and the migration dashboard share.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::deploy {

// The label matchers of a path's requests: an entry point (the north-south hop to its
// Service, with `entry_selector` saying who reports it) or an edge "ns/workload -> service"
// (the caller's view: reporter source or waypoint). Exactly one of the two must be set.
std::string requestSelector(const models::Scenario& s, std::optional<std::size_t> entry_point,
                            std::optional<models::WorkloadId> edge_from, std::optional<models::ServiceId> edge_to,
                            const std::string& entry_selector);

// Matchers of a failed request: 5xx, or 0 (reset before a response).
inline constexpr const char* kFailedResponse = R"(response_code=~"5..|0")";

// "60s" for a range selector (at least 1s).
std::string promDuration(std::chrono::milliseconds d);
// Failed over all requests of `selector` over `window` (a PromQL duration such as "5m").
std::string errorRatioQuery(const std::string& selector, const std::string& window);
// The percentile (0-100) of the request duration in ms over `window`.
std::string latencyQuery(const std::string& selector, const std::string& window, double percentile);

}  // namespace meshtwin::deploy
