// Offered load along the call graph: what the entry points' requests become at every workload
// (mean rates, call probabilities followed through the scripts). Pure, for views and sizing.
#pragma once

#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

// An entry point's mean rate over its load segments, weighted by their durations.
double meanRps(const EntryPoint& ep);

// Requests per second each workload (by WorkloadId) is offered when entry point i offers
// entry_rps[i]: followed through the scripts with their call probabilities, a service's
// share split over its backends by replica count.
std::vector<double> offeredRps(const Scenario& s, const std::vector<double>& entry_rps);
// The same at every entry point's mean rate.
std::vector<double> offeredRps(const Scenario& s);

}  // namespace meshtwin::models
