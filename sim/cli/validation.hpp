// Predicted against measured: the figures `meshtwin validate` compares, with their relative
// errors and tolerances, and the report it writes (terminal table, JSON, HTML with plots).
#pragma once

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

struct Validation {
  std::string scenario, scenario_file, profile, host, date, commit;
  Tolerances tol;
  std::vector<std::string> phases;  // in order
  std::vector<double> loads;
  std::vector<Figure> figures;
  double seconds = 0;
  [[nodiscard]] bool pass() const;
};

nlohmann::json toJson(const Validation& v);
void printValidation(const Validation& v, std::ostream& out);
// A self-contained page: summary per metric, a chart per figure across the phases
// (predicted and measured, one line per load), and the table.
std::string validationHtml(const Validation& v);

}  // namespace meshtwin::cli
