// Internal to the rollout engine: one run's context (scenario, target, journal) and the
// journaled step wrapper that makes every step resumable.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "meshtwin/deploy/journal.hpp"
#include "meshtwin/deploy/rollout.hpp"
#include "meshtwin/deploy/target.hpp"

namespace meshtwin::deploy {

// What a step ends with: a Failure (the target could not do it: resumable, the step runs
// again), or a decision (ok, or a gate that did not hold: replayed as recorded on resume).
struct StepResult {
  std::optional<Failure> failure;
  bool ok = true;
  std::string detail;
  nlohmann::json data;
  static StepResult passed(std::string detail) { return {std::nullopt, true, std::move(detail), nullptr}; }
  static StepResult decided(bool ok, std::string detail) { return {std::nullopt, ok, std::move(detail), nullptr}; }
  static StepResult failed(Failure f) {
    auto detail = format(f);
    return {std::move(f), false, std::move(detail), nullptr};
  }
};

struct RunContext {
  const models::Scenario& scenario;
  Target& target;
  const RolloutOptions& options;
  Journal journal;

  RunContext(const models::Scenario& s, Target& t, const RolloutOptions& o) : scenario(s), target(t), options(o) {}

  void say(const std::string& line) const {
    if (options.say) options.say(line);
  }
  [[nodiscard]] Say sayer() const {
    return [this](const std::string& line) { say(line); };
  }
  // Opens (or, on --resume, takes up) the journal for `command` ("deploy" | "rollback").
  // A deploy writes the rendered waves beside the journal when it starts.
  std::optional<Failure> openJournal(const std::string& command, std::size_t to_phase = 0);
  // Runs `fn` as step (name, wave), journaled; skipped when the journal has its end (a
  // decision, or a success), run again when it began and never ended or ended in a Failure.
  StepResult step(const char* name, int wave, const std::function<StepResult()>& fn);
  StepResult preflight(const std::vector<RenderedWave>& waves);
  RolloutResult finish(int exit_code, const std::string& message);
  void writeReport(const RolloutResult& r) const;
  void mirror();
};

}  // namespace meshtwin::deploy
