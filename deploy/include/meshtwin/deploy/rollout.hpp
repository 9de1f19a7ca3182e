// The rollout engine: a plan's waves applied to a Target one by one — pre-flight, a dry run,
// the apply, a wait for readiness, gates over a soak window — every step journaled before and
// after it, a failed gate rolled back, a crash resumed, a rollback to any earlier wave.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/deploy/gates.hpp"
#include "meshtwin/deploy/journal.hpp"
#include "meshtwin/deploy/target.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::deploy {

struct RolloutOptions {
  std::string state_dir;  // journal.jsonl, report.json, the rendered waves
  std::string scenario_file;
  std::string scenario_digest;  // the scenario file's SHA-256: --resume refuses another scenario
  std::string target_name;      // "kube" | "testbed", journaled
  bool resume = false;
  // First wave to apply (0-based); default: the phase the previous journal left the target
  // in (0 without one). Last wave (inclusive); default: the plan's last.
  std::optional<std::size_t> from_wave, to_wave;
  std::chrono::milliseconds ready_limit{std::chrono::minutes(10)};
  std::chrono::milliseconds soak{std::chrono::minutes(10)};
  std::chrono::milliseconds gate_interval{std::chrono::seconds(30)};
  int failure_threshold = 2;  // consecutive failing checks of an SLO gate that fail the wave
  GateSettings gates;
  Say say;                             // progress lines; may be empty
  std::function<bool()> interrupted;   // polled while waiting (SIGINT); may be empty
};

struct WaveOutcome {
  std::size_t wave = 0;
  std::string name;
  std::string status;  // pending | applying | ready | passed | failed | rolled back
  std::vector<GateCheck> gates;  // the last evaluation
};

struct RolloutResult {
  int exit_code = 0;  // 0 done, 1 a gate failed and the wave was rolled back, 2 bad input, 3 target trouble
  std::string message;
  std::size_t phase = 0;  // where the target is by the journal
  std::vector<WaveOutcome> waves;
};

// `prediction`: the simulator's report of the plan (phases: baseline, then one per wave), or
// nullptr. `prometheus`: where the gates read; nullptr runs no gates (the soak still waits).
RolloutResult runDeploy(const models::Scenario& s, const models::Report* prediction, Target& target,
                        const kube::PrometheusClient* prometheus, const RolloutOptions& o);

// Rolls the target back, wave by wave, from where the journal says it is to phase `to_phase`
// (0: the state before the plan). Resumable like a deploy.
RolloutResult runRollback(const models::Scenario& s, Target& target, std::size_t to_phase, const RolloutOptions& o);

// What the journal in `state_dir` says (per wave: status and gates; the last step; whether a
// step is in flight), as JSON and as the per-wave outcomes.
RolloutResult deployStatus(const models::Scenario& s, const Journal& j);
nlohmann::json toJson(const RolloutResult& r, const Journal& j);

// "<state_dir>/journal.jsonl".
std::string journalPath(const std::string& state_dir);

}  // namespace meshtwin::deploy
