// The validation report's types: each figure predicted against measured with its error and
// tolerance, how the loads were sized, and the report as JSON (`meshtwin/validation/v1`).
// twin/ builds them; models/ holds them so every room can read a validation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meshtwin::models {

struct Tolerances {  // relative errors, as fractions; error rate in absolute points
  double cpu = 0.15, memory = 0.10, p50 = 0.10, p90 = 0.15, p99 = 0.20, bytes = 0.02, error_rate = 0.01;
  // Figures smaller than these are shown but not held to a tolerance (noise dominates).
  double min_cpu_millicores = 5, min_bytes = 100'000;
};

struct Figure {
  std::string phase;   // "baseline" or a wave's name
  double load = 1.0;   // entry-rate multiplier
  std::string metric;  // cpu | memory | p50 | p90 | p99 | error_rate | bytes
  std::string object;  // "sidecar", "web", "za -> zb"
  std::string unit;    // millicores | MiB | ms | % | MB
  double predicted = 0, measured = 0;
  double tolerance = 0;  // relative (error_rate: absolute points)
  bool gated = true;     // false: below the noise floor, shown only
  [[nodiscard]] double error() const;  // relative, signed ((predicted - measured) / measured); error_rate: absolute
  [[nodiscard]] bool pass() const;
};

// How loads were sized from the machine (validate --utilization): per phase, a short probe's
// CPU per entry request, and the entry rate at which the phase's bottleneck (the host's CPU,
// or a workload's slots) would be fully busy.
struct PhaseCapacity {
  std::string phase;
  double probe_rps = 0;                 // entry rate of the probe
  double testbed_cpu_us_per_request = 0;  // the testbed's processes' CPU per entry request there
  double host_rps = 0;                  // where the host's available vCPUs would be busy
  double slots_rps = 0;                 // where the busiest workload's slots would be busy
  std::string bottleneck;               // "host CPU" or "workload NS/NAME"
  [[nodiscard]] double rps() const { return std::min(host_rps, slots_rps); }
};

struct Validation {
  std::string scenario, scenario_file, profile, host, date, commit;
  Tolerances tol;
  std::vector<std::string> phases;  // in order
  std::vector<double> loads;        // entry-rate multipliers, each measured in every phase
  // The host the testbed ran on: its vCPUs for the testbed, and what other work kept busy
  // before it started (the simulator is given the difference).
  double host_vcpus = 0, host_background_vcpus = 0, host_steal_vcpus = 0;
  // With --utilization: the fractions of the capacity asked for, and the capacity per phase;
  // the loads are those fractions of the smallest capacity over the phases.
  std::vector<double> utilization;
  std::vector<PhaseCapacity> capacity;
  std::vector<Figure> figures;
  double seconds = 0;
  [[nodiscard]] bool pass() const;
};

// Per metric over the figures: how many, gated, within tolerance, and the errors' extremes.
struct MetricSummary {
  std::size_t figures = 0, gated = 0, passed = 0;
  double tolerance = 0;  // the metric's, as its figures carry it
  double max_abs_error = 0, sum_abs_error = 0;
};
std::map<std::string, MetricSummary> summarize(const Validation& v);

nlohmann::json toJson(const Validation& v);

}  // namespace meshtwin::models
