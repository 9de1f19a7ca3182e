// Mean and 95% confidence interval of each phase's figures over independent replications.
#include "meshtwin/sim/replications.hpp"

#include <cmath>

namespace meshtwin::sim {

namespace {

// Student's t quantile for a two-sided 95% interval with `df` degrees of freedom.
double t975(int df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return 0;
  return df <= 30 ? table[df - 1] : 1.96;
}

}  // namespace

Estimate estimate(const std::vector<double>& xs) {
  Estimate e;
  if (xs.empty()) return e;
  for (double x : xs) e.mean += x;
  e.mean /= static_cast<double>(xs.size());
  if (xs.size() < 2) return e;
  double ss = 0;
  for (double x : xs) ss += (x - e.mean) * (x - e.mean);
  const double sd = std::sqrt(ss / static_cast<double>(xs.size() - 1));
  e.ci95 = t975(static_cast<int>(xs.size()) - 1) * sd / std::sqrt(static_cast<double>(xs.size()));
  return e;
}

std::map<std::string, double> replicatedFigures(const models::PhaseReport& p) {
  std::map<std::string, double> f;
  f["mesh_cpu_millicores"] = p.mesh_cpu_millicores;
  f["mesh_memory_bytes"] = p.mesh_memory_bytes;
  f["error_rate"] = p.errorRate();
  f["cross_zone_usd_per_month"] = p.cross_zone_usd_per_month;
  f["compute_usd_per_month"] = p.compute_usd_per_month;
  f["nodes_needed"] = p.nodes_needed;
  for (const auto& [name, l] : p.entry_latency) {
    f["entry " + name + " p50_ms"] = l.p50_ms;
    f["entry " + name + " p99_ms"] = l.p99_ms;
  }
  return f;
}

ReplicationSummary summarizeReplications(const std::vector<models::Report>& reports) {
  ReplicationSummary s;
  if (reports.empty()) return s;
  for (const auto& r : reports) s.all_gates_hold = s.all_gates_hold && r.allGatesHold();
  s.phases.resize(reports.front().phases.size());
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    std::map<std::string, std::vector<double>> values;
    for (const auto& r : reports) {
      for (const auto& [k, v] : replicatedFigures(r.phases[i])) values[k].push_back(v);
    }
    for (const auto& [k, xs] : values) s.phases[i][k] = estimate(xs);
  }
  return s;
}

nlohmann::json toJson(const ReplicationSummary& s, const std::vector<models::Report>& reports) {
  nlohmann::json reps = {{"n", reports.size()}, {"seeds", nlohmann::json::array()}, {"phases", nlohmann::json::array()}};
  for (const auto& r : reports) reps["seeds"].push_back(r.seed);
  for (std::size_t i = 0; i < s.phases.size(); ++i) {
    nlohmann::json figs = nlohmann::json::object();
    for (const auto& [k, e] : s.phases[i]) figs[k] = {{"mean", e.mean}, {"ci95", e.ci95}};
    reps["phases"].push_back({{"name", reports.front().phases[i].name}, {"figures", figs}});
  }
  return reps;
}

}  // namespace meshtwin::sim
