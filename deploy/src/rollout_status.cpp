// deployStatus: each wave's state and last gates as the journal tells them, and the deploy
// report (report.json, `meshtwin deploy status -o json`).
#include <fmt/format.h>

#include "meshtwin/deploy/rollout.hpp"

namespace meshtwin::deploy {

using nlohmann::json;

RolloutResult deployStatus(const models::Scenario& s, const Journal& j) {
  RolloutResult r;
  for (std::size_t k = 0; k < s.plan.waves.size(); ++k) r.waves.push_back(WaveOutcome{k, s.plan.waves[k].name, "pending", {}});
  bool first_start = true;
  for (const auto& e : j.entries()) {
    if (e.step == step::kStart && first_start) {
      const auto before = e.data.value("from_phase", std::size_t{0});
      for (std::size_t k = 0; k < before && k < r.waves.size(); ++k) r.waves[k].status = "applied before";
      first_start = false;
    }
    if (e.wave < 0 || static_cast<std::size_t>(e.wave) >= r.waves.size()) continue;
    auto& w = r.waves[static_cast<std::size_t>(e.wave)];
    const bool ended_ok = e.event == "end" && e.ok;
    const bool failure = e.event == "end" && !e.ok && e.data.is_object() && e.data.value("failure", false);
    if (e.event == "begin" && (e.step == step::kDryRun || e.step == step::kApply)) w.status = "applying";
    if (e.event == "begin" && e.step == step::kRollback) w.status = "rolling back";
    if (failure) w.status = e.step + " failed";
    if (ended_ok && e.step == step::kApply) w.status = "applied";
    if (ended_ok && e.step == step::kReady) w.status = "ready";
    if (e.step == step::kGate && e.event == "end" && !failure) {
      const bool skipped = e.data.is_object() && e.data.value("skipped", false);
      w.status = !e.ok ? "failed its gates" : skipped ? "applied, no gates" : "passed";
      w.gates.clear();
      if (e.data.is_object() && e.data.contains("gates")) {
        for (const auto& g : e.data["gates"]) w.gates.push_back(gateCheckFromJson(g));
      }
    }
    if (ended_ok && e.step == step::kRollbackReady) w.status = "rolled back";
  }
  r.phase = journalPhase(j);
  if (const auto* last = j.last(); last && last->step == step::kFinish) {
    r.exit_code = last->data.value("exit_code", 0);
    r.message = last->detail;
  } else if (last) {
    r.message = fmt::format("in flight: {} {}{} (resume with --resume)", last->step, last->event,
                            last->wave >= 0 ? fmt::format(" wave {}", last->wave + 1) : "");
  }
  return r;
}

json toJson(const RolloutResult& r, const Journal& j) {
  const auto start = j.start();
  json waves = json::array();
  for (const auto& w : r.waves) {
    json gates = json::array();
    for (const auto& g : w.gates) gates.push_back(toJson(g));
    waves.push_back({{"wave", w.wave + 1}, {"name", w.name}, {"status", w.status}, {"gates", gates}});
  }
  json out{{"schema", "meshtwin.deploy.report/v1"},
           {"plan", start.is_object() ? start.value("plan", "") : ""},
           {"scenario", start.is_object() ? start.value("scenario", "") : ""},
           {"target", start.is_object() ? start.value("target", "") : ""},
           {"phase", r.phase},
           {"finished", j.finished()},
           {"exit_code", r.exit_code},
           {"message", r.message},
           {"journal", j.path()},
           {"steps", j.entries().size()},
           {"waves", waves}};
  return out;
}

}  // namespace meshtwin::deploy
