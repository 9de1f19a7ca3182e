// presentResults / presentTimeline: report numbers reshaped per chart, unchanged in value.
#include "meshtwin/gui/results_presenter.hpp"

#include <algorithm>

namespace meshtwin::gui {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
const char* const kMeshComponents[] = {"sidecar", "ztunnel", "waypoint"};

const models::ComponentUsage* component(const models::PhaseReport& p, const char* kind) {
  for (const auto& c : p.components) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

// The wave whose gates judge a phase ("wave-1" and "rollout wave-1" both belong to wave-1).
const models::Wave* waveOfPhase(const models::Scenario& s, const std::string& phase) {
  const std::string rollout = "rollout ";
  const auto name = phase.rfind(rollout, 0) == 0 ? phase.substr(rollout.size()) : phase;
  for (const auto& w : s.plan.waves) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

std::optional<double> gateMs(const models::Scenario& s, const models::Wave* w, const std::string& entry, double pct) {
  if (!w) return std::nullopt;
  for (const auto& g : w->gates) {
    if (g.kind == models::Gate::Kind::Latency && g.entry_point && s.entry_points[*g.entry_point].name == entry &&
        g.percentile == pct)
      return static_cast<double>(g.threshold_ns) / 1e6;
  }
  return std::nullopt;
}

double worstP99(const models::PhaseReport& p) {
  double worst = 0;
  for (const auto& [name, l] : p.entry_latency) worst = std::max(worst, l.p99_ms);
  return worst;
}

}  // namespace

ResultsData presentResults(const models::Report& r, const models::Scenario* s) {
  ResultsData d;
  for (const auto* kind : kMeshComponents) {
    d.cpu_millicores.push_back({QString::fromLatin1(kind), {}});
    d.memory_mib.push_back({QString::fromLatin1(kind), {}});
  }
  std::vector<std::string> entries;
  for (const auto& p : r.phases) {
    for (const auto& [name, l] : p.entry_latency) {
      if (std::find(entries.begin(), entries.end(), name) == entries.end()) entries.push_back(name);
    }
  }
  for (const auto& e : entries) d.latency.push_back({QString::fromStdString(e), {}, {}, {}, {}});
  for (const auto& p : r.phases) {
    d.phases << QString::fromStdString(p.name);
    for (std::size_t k = 0; k < std::size(kMeshComponents); ++k) {
      const auto* c = component(p, kMeshComponents[k]);
      d.cpu_millicores[k].values.push_back(c ? c->cpu_millicores : 0);
      d.memory_mib[k].values.push_back(c ? c->memory_bytes / kMiB : 0);
    }
    const auto* wave = s ? waveOfPhase(*s, p.name) : nullptr;
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const auto it = p.entry_latency.find(entries[e]);
      d.latency[e].p50_ms.push_back(it != p.entry_latency.end() ? it->second.p50_ms : 0);
      d.latency[e].p99_ms.push_back(it != p.entry_latency.end() ? it->second.p99_ms : 0);
      d.latency[e].slo_p50_ms.push_back(s ? gateMs(*s, wave, entries[e], 50) : std::nullopt);
      d.latency[e].slo_p99_ms.push_back(s ? gateMs(*s, wave, entries[e], 99) : std::nullopt);
    }
    d.compute_usd_per_month.push_back(p.compute_usd_per_month);
    d.cross_zone_usd_per_month.push_back(p.cross_zone_usd_per_month);
    d.nodes_needed.push_back(p.nodes_needed);
    d.error_percent.push_back(p.errorRate() * 100);
  }
  return d;
}

Timeline presentTimeline(const models::PhaseReport& p) {
  Timeline t;
  t.phase = QString::fromStdString(p.name);
  for (const auto& pt : p.series) {
    t.p50_ms.emplace_back(pt.t_s, pt.p50_ms);
    t.p99_ms.emplace_back(pt.t_s, pt.p99_ms);
    t.error_percent.emplace_back(pt.t_s, pt.requests ? 100.0 * static_cast<double>(pt.errors) / static_cast<double>(pt.requests) : 0);
  }
  for (const auto& [wp, steps] : p.waypoint_replicas) {
    auto& out = t.waypoint_replicas[QString::fromStdString(wp)];
    // Drawn as steps: each count holds until the next decision.
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (i > 0) out.emplace_back(steps[i].first, steps[i - 1].second);
      out.emplace_back(steps[i].first, steps[i].second);
    }
    // The last count holds to the end of the window.
    if (!steps.empty() && !p.series.empty() && p.series.back().t_s > steps.back().first)
      out.emplace_back(p.series.back().t_s, steps.back().second);
  }
  return t;
}

const std::vector<PhaseMetric>& phaseMetrics() {
  static const std::vector<PhaseMetric> metrics = {
      {"mesh CPU", "millicores", [](const models::PhaseReport& p) { return p.mesh_cpu_millicores; }, 1},
      {"mesh memory", "MiB", [](const models::PhaseReport& p) { return p.mesh_memory_bytes / kMiB; }, 1},
      {"worst p99", "ms", worstP99, 3},
      {"error rate", "%", [](const models::PhaseReport& p) { return p.errorRate() * 100; }, 3},
      {"compute", "USD/month", [](const models::PhaseReport& p) { return p.compute_usd_per_month; }, 2},
      {"cross-zone", "USD/month", [](const models::PhaseReport& p) { return p.cross_zone_usd_per_month; }, 2},
      {"nodes needed", "nodes", [](const models::PhaseReport& p) { return static_cast<double>(p.nodes_needed); }, 0},
  };
  return metrics;
}

}  // namespace meshtwin::gui
