// Predicted against measured: the figures validation compares (models/validation.hpp holds
// their types and JSON), and the report's terminal table and HTML page with plots.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "meshtwin/models/report.hpp"
#include "meshtwin/models/validation.hpp"

namespace meshtwin::twin {

using models::Figure;
using models::PhaseCapacity;
using models::Tolerances;
using models::Validation;

// Every figure of one phase at one load: CPU and memory per mesh component kind, p50/p90/p99
// per entry point, error rate, bytes per cross-zone pair.
std::vector<Figure> compare(const models::PhaseReport& predicted, const models::PhaseReport& measured, double load,
                            const Tolerances& tol);

using models::toJson;
void printValidation(const Validation& v, std::ostream& out);
// A figure's error as the report shows it ("+12.3%", "-0.10 pt", "n/a"), and its tolerance.
std::string formatError(const Figure& f);
std::string formatTolerance(const Figure& f);
// The host and, with --utilization, the capacity per phase and the loads it gave.
void printCapacity(const Validation& v, std::ostream& out);
// A self-contained page: summary per metric, a chart per figure across the phases
// (predicted and measured, one line per load), and the table.
std::string validationHtml(const Validation& v);

}  // namespace meshtwin::twin
