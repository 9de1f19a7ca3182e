// Predicted against measured: the figures `meshtwin validate` compares, with their relative
// errors and tolerances, and the report it writes (terminal table, JSON, HTML with plots).
#pragma once

#include <algorithm>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "meshtwin/models/report.hpp"

namespace meshtwin::cli {

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

// Every figure of one phase at one load: CPU and memory per mesh component kind, p50/p90/p99
// per entry point, error rate, bytes per cross-zone pair.
std::vector<Figure> compare(const models::PhaseReport& predicted, const models::PhaseReport& measured, double load,
                            const Tolerances& tol);

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

nlohmann::json toJson(const Validation& v);
void printValidation(const Validation& v, std::ostream& out);
// The host and, with --utilization, the capacity per phase and the loads it gave.
void printCapacity(const Validation& v, std::ostream& out);
// A self-contained page: summary per metric, a chart per figure across the phases
// (predicted and measured, one line per load), and the table.
std::string validationHtml(const Validation& v);

}  // namespace meshtwin::cli
