// Independent replications of one scenario (seeds seed..seed+N-1): the mean and 95%
// confidence interval of each phase's headline figures across them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/report.hpp"

namespace meshtwin::sim {

struct Estimate {
  double mean = 0, ci95 = 0;  // half-width of the two-sided 95% interval (Student's t)
};
Estimate estimate(const std::vector<double>& xs);

// The figures compared across replications of one phase: mesh CPU and memory, error rate,
// cross-zone and compute cost, nodes, and p50/p99 per entry point ("entry NAME p99_ms").
std::map<std::string, double> replicatedFigures(const models::PhaseReport& p);

struct ReplicationSummary {
  std::vector<std::map<std::string, Estimate>> phases;  // in the reports' phase order
  bool all_gates_hold = true;                           // in every replication
};
// `reports` are replications of the same scenario (same phases, in order).
ReplicationSummary summarizeReplications(const std::vector<models::Report>& reports);
// {"n", "seeds", "phases": [{"name", "figures": {figure: {mean, ci95}}}]}
nlohmann::json toJson(const ReplicationSummary& s, const std::vector<models::Report>& reports);

}  // namespace meshtwin::sim
