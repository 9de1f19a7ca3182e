// `meshtwin check`: load, validate and analyse a scenario; print findings as a table or JSON.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::cli {

namespace {

using models::Finding;
using models::Scenario;
using models::Severity;

std::string locText(const models::SourceLoc& l) {
  if (l.line == 0) return l.file;
  return fmt::format("{}:{}:{}", l.file, l.line, l.col);
}

// "baseline, wave-1..wave-3" style: consecutive phases collapse into a range.
std::string phaseText(const Scenario& s, const std::vector<std::string>& phases) {
  std::vector<std::string> all{"baseline"};
  for (const auto& w : s.plan.waves) all.push_back(w.name);
  std::vector<std::size_t> idx;
  for (const auto& p : phases) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i] == p) idx.push_back(i);
    }
  }
  if (idx.size() == all.size() && all.size() > 1) return "all phases";
  std::string out;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") + all[idx[i]] + (j > i ? ".." + all[idx[j]] : "");
    i = j + 1;
  }
  return out;
}

nlohmann::json diagnosticsJson(const models::Diagnostics& d) {
  auto arr = nlohmann::json::array();
  for (const auto& x : d.items()) {
    arr.push_back({{"file", x.loc.file}, {"line", x.loc.line}, {"column", x.loc.col}, {"object", x.object},
                   {"message", x.message}, {"hint", x.hint}, {"text", models::format(x)}});
  }
  return arr;
}

}  // namespace

int runCheck(const CheckOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    if (opts.output == "json") {
      out << nlohmann::json{{"scenario", opts.scenario}, {"ok", false}, {"errors", diagnosticsJson(loaded.diagnostics)}}.dump(2)
          << "\n";
    }
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin check: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  const Scenario& s = *loaded.scenario;
  const auto findings = models::analyze(s);
  std::map<Severity, int> counts;
  for (const auto& f : findings) ++counts[f.severity];
  const auto threshold = models::severityFrom(opts.fail_on);
  bool fail = false;
  for (const auto& f : findings) fail = fail || (threshold && f.severity >= *threshold);

  if (opts.output == "json") {
    nlohmann::json j;
    j["scenario"] = {{"name", s.name},
                     {"file", s.file},
                     {"profile", s.profile.name},
                     {"zones", s.zones.size()},
                     {"nodes", s.nodes.size()},
                     {"workloads", s.workloads.size()},
                     {"services", s.services.size()},
                     {"pods", s.pods.size()},
                     {"waves", s.plan.waves.size()}};
    j["ok"] = true;
    auto arr = nlohmann::json::array();
    for (const auto& f : findings) {
      arr.push_back({{"severity", models::toString(f.severity)},
                     {"code", f.code},
                     {"object", f.object},
                     {"message", f.message},
                     {"hint", f.hint},
                     {"location", locText(f.loc)},
                     {"phases", f.phases}});
    }
    j["findings"] = arr;
    nlohmann::json summary;
    for (auto sev : {Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info})
      summary[models::toString(sev)] = counts[sev];
    j["summary"] = summary;
    j["failOn"] = opts.fail_on;
    j["exitCode"] = fail ? kExitFindings : kExitOk;
    out << j.dump(2) << "\n";
    return fail ? kExitFindings : kExitOk;
  }

  std::size_t waypoint_pods = 0;
  for (const auto& pods : s.waypoint_pods) waypoint_pods += pods.size();
  out << fmt::format("scenario {} ({}): {} zones, {} nodes, {} workloads, {} services, {} app pods + {} waypoint pods, "
                     "{} waves\n",
                     s.name, s.file, s.zones.size(), s.nodes.size(), s.workloads.size(), s.services.size(),
                     s.pods.size() - waypoint_pods, waypoint_pods, s.plan.waves.size());
  out << fmt::format("profile {} ({}, {})\n", s.profile.name, s.profile.provenance.kind, s.profile.provenance.version);
  if (findings.empty()) {
    out << "no findings\n";
    return kExitOk;
  }
  std::size_t wsev = 8, wcode = 4, wobj = 6;
  for (const auto& f : findings) {
    wcode = std::max(wcode, f.code.size());
    wobj = std::max(wobj, f.object.size());
  }
  out << "\n" << fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "SEVERITY", wsev, "CODE", wcode, "OBJECT", wobj, "PHASES");
  for (const auto& f : findings) {
    out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", models::toString(f.severity), wsev, f.code, wcode, f.object, wobj,
                       phaseText(s, f.phases));
    out << "    " << f.message << "\n";
    out << "    hint: " << f.hint << "\n";
    out << "    at: " << locText(f.loc) << "\n";
  }
  out << "\n"
      << fmt::format("{} finding(s): {} critical, {} high, {} medium, {} low, {} info; --fail-on {} -> exit {}\n",
                     findings.size(), counts[Severity::Critical], counts[Severity::High], counts[Severity::Medium],
                     counts[Severity::Low], counts[Severity::Info], opts.fail_on, fail ? kExitFindings : kExitOk);
  return fail ? kExitFindings : kExitOk;
}

Runner addCheckCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check", "Load and validate a scenario, then analyse its plan for risks.");
  exitCodes(cmd, "0 clean, 1 findings at or above --fail-on, 2 bad input");
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML), e.g. scenarios/default.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--fail-on", o->fail_on, "Lowest finding severity that makes the exit code 1")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical", "never"}))
      ->capture_default_str();
  return runWhenParsed(cmd, o, runCheck, out, err);
}

}  // namespace meshtwin::cli
