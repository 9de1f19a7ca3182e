// runDeploy / runRollback: the step sequence of a rollout over a Target, each step journaled
// (begin, end) and skipped on --resume when its end is already in the journal.
#include "meshtwin/deploy/rollout.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "rollout_internal.hpp"

namespace meshtwin::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Sleeps until `until`, in slices, so an interruption is seen within a second.
bool sleepUntil(Clock::time_point until, const std::function<bool()>& interrupted) {
  while (Clock::now() < until) {
    if (interrupted && interrupted()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::seconds(1)));
  }
  return true;
}

const models::PhaseReport* predictionFor(const models::Report* prediction, const std::string& wave_name) {
  if (!prediction) return nullptr;
  for (const auto& p : prediction->phases) {
    if (p.name == wave_name && p.kind == "steady") return &p;
  }
  return nullptr;
}

std::string gateLine(const GateCheck& g) {
  const auto value = g.measured ? fmt::format("{:.4g}", *g.measured) : std::string("no data");
  const auto predicted = g.predicted ? fmt::format(", predicted {:.4g}", *g.predicted) : std::string();
  return fmt::format("    {} {}: measured {} {}{}{}", g.holds ? "ok  " : "FAIL", g.name, value, g.unit, predicted,
                     g.note.empty() ? "" : " (" + g.note + ")");
}

// The soak: gates evaluated every interval until the window ends; an SLO failing
// `failure_threshold` checks in a row ends it early. The verdict is the last evaluation's.
StepResult soakAndGate(RunContext& run, std::size_t k, const models::Report* prediction,
                       const kube::PrometheusClient* prometheus) {
  const auto& o = run.options;
  const auto& wave = run.scenario.plan.waves[k];
  const auto deadline = Clock::now() + o.soak;
  if (!prometheus) {
    run.say(fmt::format("  soak {} s, no gates (no Prometheus given)", o.soak.count() / 1000));
    if (!sleepUntil(deadline, o.interrupted)) return StepResult::failed({3, "interrupted during the soak", "", "--resume continues"});
    auto r = StepResult::passed("no gates: no Prometheus was given");
    r.data = json{{"gates", json::array()}, {"skipped", true}};
    return r;
  }
  const auto* predicted = predictionFor(prediction, wave.name);
  auto checks = planGates(run.scenario, k, predicted, o.gates);
  run.say(fmt::format("  soak {} s, {} gate(s) every {} s", o.soak.count() / 1000, checks.size(), o.gate_interval.count() / 1000));
  std::vector<int> failing(checks.size(), 0);
  bool early = false;
  for (;;) {
    const auto next = std::min(deadline, Clock::now() + o.gate_interval);
    if (!sleepUntil(next, o.interrupted)) return StepResult::failed({3, "interrupted during the soak", "", "--resume continues"});
    if (auto e = evaluateGates(*prometheus, checks, o.gates.prediction_tolerance)) {
      return StepResult::failed({3, "Prometheus: " + kube::format(*e), "", "check --prometheus and its credentials; --resume continues"});
    }
    for (std::size_t i = 0; i < checks.size(); ++i) {
      failing[i] = checks[i].kind == "slo" && !checks[i].holds ? failing[i] + 1 : 0;
      early = early || failing[i] >= o.failure_threshold;
    }
    if (early || Clock::now() >= deadline) break;
  }
  json gates = json::array();
  bool ok = true;
  for (const auto& c : checks) {
    gates.push_back(toJson(c));
    ok = ok && c.holds;
    run.say(gateLine(c));
  }
  StepResult r = ok ? StepResult::passed(fmt::format("{} gate(s) hold", checks.size()))
                    : StepResult::decided(false, early ? "an SLO gate failed during the soak" : "a gate failed at the end of the soak");
  r.data = json{{"gates", gates}};
  return r;
}

// A wave's way back, applied and waited for.
std::optional<Failure> rollBack(RunContext& run, std::size_t k, const std::string& why) {
  const auto back = renderRollback(run.scenario, k);
  run.say(fmt::format("wave {} ({}): rolling back ({})", k + 1, back.name, why));
  auto r = run.step(step::kRollback, static_cast<int>(k), [&] {
    if (auto f = run.target.apply(back, false, run.sayer())) return StepResult::failed(*f);
    return StepResult::passed(why);
  });
  if (r.failure) return r.failure;
  r = run.step(step::kRollbackReady, static_cast<int>(k), [&] {
    if (auto f = run.target.waitReady(back, run.options.ready_limit, run.sayer())) return StepResult::failed(*f);
    return StepResult::passed("ready at the phase before the wave");
  });
  return r.failure;
}

RolloutResult failedWith(RunContext& run, const Failure& f) {
  auto res = deployStatus(run.scenario, run.journal);
  res.exit_code = f.exit_code;
  res.message = format(f);
  run.writeReport(res);
  return res;
}

}  // namespace

std::string journalPath(const std::string& state_dir) { return (fs::path(state_dir) / "journal.jsonl").string(); }

RolloutResult runDeploy(const models::Scenario& s, const models::Report* prediction, Target& target,
                        const kube::PrometheusClient* prometheus, const RolloutOptions& o) {
  RunContext run(s, target, o);
  if (auto f = run.openJournal("deploy")) return failedWith(run, *f);
  const auto start = run.journal.start();
  const auto from = start.value("from_wave", std::size_t{0});
  const auto to = start.value("to_wave", s.plan.waves.size() - 1);
  const auto waves = renderPlan(s);
  auto pre = run.step(step::kPreflight, -1, [&] { return run.preflight(waves); });
  if (pre.failure) return failedWith(run, *pre.failure);
  for (std::size_t k = from; k <= to && k < waves.size(); ++k) {
    const auto& wave = waves[k];
    const int w = static_cast<int>(k);
    run.say(fmt::format("wave {} ({}): {} object(s), {} deletion(s), {} label removal(s)", k + 1, wave.name,
                        wave.objects.size(), wave.deletions.size(), wave.label_removals.size()));
    for (const auto& [name, fn] : std::vector<std::pair<const char*, std::function<std::optional<Failure>()>>>{
             {step::kDryRun, [&] { return target.apply(wave, true, run.sayer()); }},
             {step::kApply, [&] { return target.apply(wave, false, run.sayer()); }},
             {step::kReady, [&] { return target.waitReady(wave, o.ready_limit, run.sayer()); }}}) {
      auto r = run.step(name, w, [&] {
        if (auto f = fn()) return StepResult::failed(*f);
        return StepResult::passed("");
      });
      if (r.failure) return failedWith(run, *r.failure);
    }
    auto gate = run.step(step::kGate, w, [&] { return soakAndGate(run, k, prediction, prometheus); });
    if (gate.failure) return failedWith(run, *gate.failure);
    if (!gate.ok) {
      if (auto f = rollBack(run, k, "gate failed: " + gate.detail)) return failedWith(run, *f);
      return run.finish(1, fmt::format("wave {} ({}) failed its gates and was rolled back", k + 1, wave.name));
    }
  }
  return run.finish(0, fmt::format("plan {}: waves {} to {} applied, {}", s.plan.name, from + 1, std::min(to + 1, s.plan.waves.size()),
                                   prometheus ? "every gate held" : "no gates checked (no Prometheus)"));
}

RolloutResult runRollback(const models::Scenario& s, Target& target, std::size_t to_phase, const RolloutOptions& o) {
  RunContext run(s, target, o);
  if (auto f = run.openJournal("rollback", to_phase)) return failedWith(run, *f);
  const auto from_phase = run.journal.start().value("from_phase", std::size_t{0});
  const auto target_phase = run.journal.start().value("to_phase", to_phase);
  for (std::size_t phase = from_phase; phase > target_phase; --phase) {
    if (auto f = rollBack(run, phase - 1, fmt::format("rollback to phase {}", target_phase))) return failedWith(run, *f);
  }
  return run.finish(0, fmt::format("rolled back from phase {} to phase {}", from_phase, target_phase));
}

}  // namespace meshtwin::deploy
