// Deterministic placement of pods on nodes. Internal to models/; the rule is documented in
// docs/scenario.md ("Placement").
#pragma once

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models::detail {

// Places every workload replica and every waypoint replica of the baseline. Reports a
// workload whose replicas cannot all fit.
void placePods(Scenario& s, Diagnostics& diags);

// Whether any phase of the scenario (baseline or a wave) uses the given mode.
bool scenarioUsesMode(const Scenario& s, MeshMode m);

}  // namespace meshtwin::models::detail
