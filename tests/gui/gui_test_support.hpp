// Helpers for the GUI tests: scenarios loaded from the repository, and short runs.
#pragma once

#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::test {

inline models::Scenario loadFile(const std::string& path) {
  auto r = models::loadScenarioFile(path);
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

// A few seconds of wall time per run: 10 s of load per phase, a time series each second.
inline sim::SimOptions shortRun() {
  sim::SimOptions o;
  o.duration_ns = 10'000'000'000;
  o.warmup_ns = 2'000'000'000;
  o.series_step_ns = 1'000'000'000;
  return o;
}

}  // namespace meshtwin::test
