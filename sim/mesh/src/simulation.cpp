// Phase simulation: entry arrivals -> app replicas running isotope scripts -> calls along
// hopPath through sidecar / ztunnel / waypoint stations and network links, and back.
// Here: the public entry points and the waves' gates; the mechanisms are PhaseSim's (phase_sim.hpp).
#include "meshtwin/sim/simulation.hpp"

#include <cstdio>
#include <string>

#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/units.hpp"
#include "phase_sim.hpp"

namespace meshtwin::sim {

using detail::PhaseSim;

namespace {

std::string gatePathKey(const models::Scenario& s, const models::Gate& g) {
  if (g.entry_point) return s.entry_points[*g.entry_point].name;
  if (g.edge_from) return s.workloads[*g.edge_from].key() + " -> " + s.services[*g.edge_to].key();
  return "";
}

models::GateResult evaluateGate(const models::Scenario& s, const models::Gate& g, const models::PhaseReport& pr) {
  models::GateResult gr;
  const auto key = gatePathKey(s, g);
  const models::LatencySummary* lat = nullptr;
  if (g.entry_point) {
    if (auto it = pr.entry_latency.find(key); it != pr.entry_latency.end()) lat = &it->second;
  } else if (g.edge_from) {
    if (auto it = pr.edge_latency.find(key); it != pr.edge_latency.end()) lat = &it->second;
  }
  if (g.kind == models::Gate::Kind::Latency) {
    const std::string pname = g.percentile == 99.9 ? "p99.9" : "p" + std::to_string(static_cast<int>(g.percentile));
    gr.description = pname + " of " + key + " <= " + models::formatDurationNs(g.threshold_ns);
    gr.unit = "ms";
    gr.threshold = static_cast<double>(g.threshold_ns) / 1e6;
    if (lat && lat->count > 0) {
      gr.value = g.percentile == 50 ? lat->p50_ms : g.percentile == 90 ? lat->p90_ms : g.percentile == 99 ? lat->p99_ms : lat->p999_ms;
      gr.holds = gr.value <= gr.threshold;
    } else {
      gr.holds = false;  // no successful request to judge: the gate cannot pass
    }
    return gr;
  }
  char pct[32];
  std::snprintf(pct, sizeof pct, "%g%%", g.max_error_rate * 100);
  gr.description = "error rate" + (key.empty() ? std::string() : " of " + key) + " <= " + pct;
  gr.unit = "fraction";
  gr.threshold = g.max_error_rate;
  if (key.empty()) gr.value = pr.errorRate();
  else if (lat && lat->requests > 0) gr.value = static_cast<double>(lat->errors) / static_cast<double>(lat->requests);
  gr.holds = gr.value <= gr.threshold;
  return gr;
}

}  // namespace

models::PhaseReport simulatePhase(const models::Scenario& s, const models::MeshState& m, const SimOptions& opts,
                                  std::vector<StationStats>* stations, RunStats* stats) {
  PhaseSim ps(s, m, opts);
  auto r = *ps.run();  // nobody can cancel: always a report
  if (stations) *stations = ps.stationStats();
  if (stats) *stats = ps.runStats();
  r.findings = models::analyzePhase(s, m);
  return r;
}

models::PhaseReport simulateRollout(const models::Scenario& s, const models::MeshState& from,
                                    const models::MeshState& to, const std::string& wave, const SimOptions& opts) {
  PhaseSim ps(s, from, opts, &to, wave);
  auto r = *ps.run();
  r.findings = models::analyzePhase(s, to);
  return r;
}

std::size_t phaseCount(const models::Scenario& s, const SimOptions& opts) {
  const std::size_t states = s.plan.waves.size() + 1;
  return opts.rollouts ? 2 * states - 1 : states;
}

std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const RunControl& control) {
  models::Report rep;
  rep.scenario = s.name;
  rep.scenario_file = s.file;
  rep.profile = s.profile.name;
  rep.profile_kind = s.profile.provenance.kind;
  rep.seed = opts.seed ? opts.seed : s.seed;
  const auto phases = models::allPhases(s);
  const std::size_t total = phaseCount(s, opts);
  const std::function<bool()>* cancelled = control.cancelled ? &control.cancelled : nullptr;
  // Simulates one phase; false when cancelled inside it or right after it.
  const auto finish = [&](PhaseSim& ps, const models::MeshState& judged, const models::Wave* wave) {
    auto pr = ps.run();
    if (!pr) return false;
    pr->findings = models::analyzePhase(s, judged);
    // A wave's gates judge its rollout window and the steady state after it: capacity dips
    // are what gates catch.
    if (wave) {
      for (const auto& g : wave->gates) pr->gates.push_back(evaluateGate(s, g, *pr));
    }
    rep.phases.push_back(std::move(*pr));
    if (control.phase_done) control.phase_done(rep.phases.back(), rep.phases.size() - 1, total);
    return !(cancelled && (*cancelled)());
  };
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const models::Wave* wave = i > 0 ? &s.plan.waves[i - 1] : nullptr;
    if (wave && opts.rollouts) {
      PhaseSim ps(s, phases[i - 1], opts, &phases[i], wave->name, cancelled);
      if (!finish(ps, phases[i], wave)) return std::nullopt;
    }
    PhaseSim ps(s, phases[i], opts, nullptr, {}, cancelled);
    if (!finish(ps, phases[i], wave)) return std::nullopt;
  }
  return rep;
}

std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const ProgressFn& progress) {
  if (!progress) return simulateScenario(s, opts, RunControl{});
  // The progress callback answers after each phase; between its calls nothing cancels.
  bool stop = false;
  RunControl control;
  control.cancelled = [&stop] { return stop; };
  control.phase_done = [&](const models::PhaseReport&, std::size_t index, std::size_t total) {
    if (progress && !progress(index + 1, total)) stop = true;
  };
  return simulateScenario(s, opts, control);
}

}  // namespace meshtwin::sim
