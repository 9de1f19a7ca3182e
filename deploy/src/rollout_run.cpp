// RunContext: opening, archiving and taking up a deploy journal (locally or from the target's
// mirror), the journaled step wrapper, pre-flight and the run's last entry and report.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "rollout_internal.hpp"

namespace meshtwin::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Failure badInput(std::string message, std::string hint = "") { return Failure{2, std::move(message), "", std::move(hint)}; }

std::string archiveName(const std::string& path) {
  auto stamp = utcNow();
  std::erase_if(stamp, [](char c) { return c == ':' || c == '-' || c == '.'; });
  return (fs::path(path).parent_path() / ("journal-" + stamp + ".jsonl")).string();
}

std::string lastStepLine(const Journal& j) {
  const auto* e = j.last();
  if (!e) return "none";
  return fmt::format("#{} {} {}{}", e->seq, e->step, e->event, e->wave >= 0 ? fmt::format(" wave {}", e->wave + 1) : "");
}

}  // namespace

std::string format(const Failure& f) {
  std::string out = f.object.empty() ? f.message : f.object + ": " + f.message;
  if (!f.hint.empty()) out += " (" + f.hint + ")";
  return out;
}

std::optional<Failure> RunContext::openJournal(const std::string& command, std::size_t to_phase) {
  const auto path = journalPath(options.state_dir);
  try {
    journal = Journal::open(path);
  } catch (const std::exception& e) {
    return badInput(e.what(), "the journal is damaged; `meshtwin deploy status` shows what it holds");
  }
  if (journal.tornTail()) say("journal: the last line was cut short by a crash; it is dropped (that step runs again)");
  if (options.resume) {
    if (journal.empty()) {
      const auto mirrored = target.loadMirroredJournal();
      if (mirrored && !mirrored->empty()) {
        journal = Journal::parse(*mirrored, path);
        journal.rewrite();
        say("journal: taken from the copy " + target.describe() + " keeps");
      }
    }
    if (journal.empty()) return badInput("nothing to resume: no journal in " + options.state_dir, "start with `meshtwin deploy` without --resume");
    const auto start = journal.start();
    if (start.value("command", "") != command) {
      return badInput(fmt::format("the journal in {} holds a {}, not a {}", path, start.value("command", "?"), command),
                      fmt::format("resume it with `meshtwin {} --resume`", start.value("command", "deploy")));
    }
    if (start.value("scenario_digest", "") != options.scenario_digest) {
      return badInput(fmt::format("the journal was written for another scenario file ({}, digest {})",
                                  start.value("scenario", "?"), start.value("scenario_digest", "?")),
                      "resume with the scenario the deploy started with");
    }
    say(fmt::format("resuming {} of plan {} after {}", command, start.value("plan", ""), lastStepLine(journal)));
    return std::nullopt;
  }
  if (!journal.empty() && !journal.finished()) {
    return badInput(fmt::format("a {} is in flight in {} (last step {})", journal.start().value("command", "deploy"), path,
                                lastStepLine(journal)),
                    "`meshtwin deploy --resume` continues it; `meshtwin rollback --to-wave K` undoes waves");
  }
  const std::size_t from_phase = journal.empty() ? 0 : journalPhase(journal);
  const std::size_t waves = scenario.plan.waves.size();
  json data{{"command", command},       {"plan", scenario.plan.name}, {"scenario", options.scenario_file},
            {"scenario_digest", options.scenario_digest}, {"target", options.target_name}, {"waves", waves},
            {"from_phase", from_phase}};
  if (command == "deploy") {
    const auto from = options.from_wave.value_or(from_phase);
    const auto to = options.to_wave.value_or(waves - 1);
    if (waves == 0) return badInput("the plan has no waves");
    if (from >= waves) return badInput(fmt::format("every wave of plan {} is applied already (phase {})", scenario.plan.name, from_phase),
                                       "`meshtwin rollback --to-wave K` goes back");
    if (to < from || to >= waves) return badInput(fmt::format("--to-wave {} is not between wave {} and {}", to + 1, from + 1, waves));
    if (from != from_phase) say(fmt::format("starting at wave {}: the journal had the target at phase {}", from + 1, from_phase));
    data["from_wave"] = from;
    data["to_wave"] = to;
  } else {
    if (to_phase >= from_phase) {
      return badInput(fmt::format("the target is at phase {} by the journal: nothing to roll back to wave {}", from_phase, to_phase));
    }
    data["to_phase"] = to_phase;
  }
  if (!journal.empty()) {
    const auto archived = archiveName(path);
    fs::rename(path, archived);
    say("journal: the previous run is kept as " + archived);
    journal = Journal::open(path);
  }
  journal.append(JournalEntry{0, step::kStart, -1, "begin", true, command + " of plan " + scenario.plan.name, data, ""});
  mirror();
  if (command == "deploy") {
    for (const auto& w : renderPlan(scenario)) writeWave(w, (fs::path(options.state_dir) / "rendered").string());
  }
  return std::nullopt;
}

StepResult RunContext::step(const char* name, int wave, const std::function<StepResult()>& fn) {
  if (const auto* e = journal.lastEnd(name, wave); e && (e->ok || !e->data.value("failure", false))) {
    say(fmt::format("  {}: done before (journal #{}), skipped", name, e->seq));
    StepResult r = StepResult::decided(e->ok, e->detail);
    r.data = e->data;
    return r;
  }
  journal.append(JournalEntry{0, name, wave, "begin", true, "", nullptr, ""});
  mirror();
  auto r = fn();
  json data = r.data.is_object() ? r.data : json::object();
  if (r.failure) {
    data.update(json{{"failure", true}, {"exit_code", r.failure->exit_code}, {"message", r.failure->message},
                     {"object", r.failure->object}, {"hint", r.failure->hint}});
  }
  if (data.empty()) data = nullptr;
  journal.append(JournalEntry{0, name, wave, "end", !r.failure && r.ok, r.detail, data, ""});
  mirror();
  return r;
}

StepResult RunContext::preflight(const std::vector<RenderedWave>& waves) {
  std::vector<Problem> problems;
  if (auto f = target.preflight(waves, problems)) return StepResult::failed(*f);
  if (problems.empty()) {
    say("pre-flight: " + target.describe() + " has what the plan needs");
    return StepResult::passed("ready");
  }
  json list = json::array();
  std::string text;
  for (const auto& p : problems) {
    say("pre-flight: " + p.what + (p.fix.empty() ? "" : "\n    fix: " + p.fix));
    list.push_back({{"what", p.what}, {"fix", p.fix}});
    text += "\n  " + p.what;
  }
  auto r = StepResult::failed(Failure{3, fmt::format("pre-flight found {} problem(s):{}", problems.size(), text), "",
                                      "fix them (see above) and run again with --resume"});
  r.data = json{{"problems", list}};
  return r;
}

RolloutResult RunContext::finish(int exit_code, const std::string& message) {
  if (journal.finished()) {
    exit_code = journal.last()->data.value("exit_code", exit_code);
  } else {
    journal.append(JournalEntry{0, step::kFinish, -1, "end", exit_code == 0, message, json{{"exit_code", exit_code}}, ""});
    mirror();
  }
  auto res = deployStatus(scenario, journal);
  res.exit_code = exit_code;
  res.message = journal.last()->detail;
  writeReport(res);
  return res;
}

void RunContext::writeReport(const RolloutResult& r) const {
  const auto path = fs::path(options.state_dir) / "report.json";
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << toJson(r, journal).dump(2) << "\n";
    if (!out) return say("warning: cannot write " + path.string());
  }
  fs::rename(tmp, path);
}

void RunContext::mirror() {
  if (auto f = target.mirrorJournal(journal.text())) say("warning: the journal's copy on the target: " + format(*f));
}

}  // namespace meshtwin::deploy
