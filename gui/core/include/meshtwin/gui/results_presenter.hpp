// What the result charts plot, taken from a (possibly partial) report: per phase, mesh
// CPU and memory by component, latency per entry point against its gate, cost, nodes,
// error rate; and per rollout window, its time series. Plain numbers, no widgets.
#pragma once

#include <QPointF>
#include <QString>
#include <QStringList>
#include <map>
#include <optional>
#include <vector>

#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

struct StackedSeries {
  QString component;           // sidecar | ztunnel | waypoint
  std::vector<double> values;  // one per phase
};

struct EntryLatency {
  QString entry;
  std::vector<double> p50_ms, p99_ms;  // per phase
  // The gate's threshold per phase (the wave's latency gate on this entry point at that
  // percentile), nullopt where the phase has none.
  std::vector<std::optional<double>> slo_p50_ms, slo_p99_ms;
};

struct ResultsData {
  QStringList phases;
  std::vector<StackedSeries> cpu_millicores;  // mesh components, stacked
  std::vector<StackedSeries> memory_mib;
  std::vector<EntryLatency> latency;
  std::vector<double> compute_usd_per_month, cross_zone_usd_per_month;
  std::vector<double> nodes_needed;
  std::vector<double> error_percent;
};

// `s` (when given) supplies the gates' thresholds for the SLO lines.
ResultsData presentResults(const models::Report& r, const models::Scenario* s = nullptr);

struct Timeline {
  QString phase;
  std::vector<QPointF> p50_ms, p99_ms, error_percent;  // (t_s, value) per series step
  std::map<QString, std::vector<QPointF>> waypoint_replicas;  // (t_s, replicas) as steps
};
Timeline presentTimeline(const models::PhaseReport& p);

// One figure per phase that the comparison and the summary show.
struct PhaseMetric {
  const char* name;
  const char* unit;
  double (*value)(const models::PhaseReport&);
  int decimals;
};
const std::vector<PhaseMetric>& phaseMetrics();

}  // namespace meshtwin::gui
