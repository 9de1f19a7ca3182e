// Validation: every phase of a scenario's plan at every load, measured on the testbed (the
// real proxies, the waves applied as a migration would) and predicted by the simulator with
// the same profile under the testbed's conditions, compared figure by figure.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/models/scenario.hpp"
#include "meshtwin/twin/conditions.hpp"
#include "meshtwin/twin/progress.hpp"
#include "meshtwin/twin/validation.hpp"

namespace meshtwin::twin {

struct ValidateOptions {
  models::Scenario scenario;  // as loaded, with the profile to predict with
  std::string scenario_file;  // the same scenario's file: the testbed brings it up from there
  std::vector<double> loads{1.0};  // entry-rate multipliers, each measured in every phase
  // When given, instead of loads: fractions (0..1) of the capacity measured on this machine
  // (the smallest over the phases of the rate where the host's CPU or a workload's slots
  // would be full), so a run means the same on a fast machine and a slow one.
  std::vector<double> utilization;
  RunWindow window{8'000'000'000, 2'000'000'000};  // per measurement
  int phases = -1;  // how many phases (baseline + waves); -1 = all
  Tolerances tol;
  std::string name = "mtval";  // the testbed's name while validating
  std::string bin_dir;
};

// Runs the testbed (root) and the simulator through every phase and load. Fails with code
// kBadInput on options it cannot run (no loads, a utilization outside (0, 1), not root, no
// testbed in this build), kCancelled when `progress` asked to stop; a finished run is a
// Validation whether its figures pass or not.
Result<Validation> validate(const ValidateOptions& o, const ProgressFn& progress = {});

}  // namespace meshtwin::twin
