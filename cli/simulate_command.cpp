// `meshtwin simulate`: run the mesh simulator over every phase of the plan and print the
// per-phase figures, the waves' gates, and a side-by-side summary.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <memory>
#include <ostream>
#include <vector>

#include "cli.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/units.hpp"
#include "meshtwin/sim/replications.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::cli {

namespace {

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

bool writeFile(const std::string& path, const std::string& content, std::ostream& err) {
  std::ofstream f(path);
  if (f) f << content;
  if (!f) {
    err << "meshtwin simulate: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

// Progress on stderr: a bar redrawn in place on a terminal, lines when asked for.
class Progress {
 public:
  Progress(std::ostream& err, bool lines, std::size_t total)
      : err_(err), lines_(lines), bar_(!lines && isatty(STDERR_FILENO) != 0), total_(total) {}
  void step(const std::string& what) {
    ++done_;
    if (lines_) {
      err_ << fmt::format("meshtwin simulate: {}/{} {}\n", done_, total_, what) << std::flush;
    } else if (bar_) {
      const std::size_t width = 30, filled = total_ ? width * done_ / total_ : width;
      err_ << fmt::format("\r[{}{}] {}/{} {:<40}", std::string(filled, '#'), std::string(width - filled, ' '), done_,
                          total_, what.substr(0, 40))
           << std::flush;
      if (done_ == total_) err_ << "\n";
    }
  }

 private:
  std::ostream& err_;
  bool lines_, bar_;
  std::size_t total_, done_ = 0;
};

// The first replication phase by phase, the phases side by side, and with replications their
// means and intervals.
void printReports(const models::Scenario& s, const std::vector<models::Report>& reports,
                  const sim::ReplicationSummary& summary, std::ostream& out) {
  const auto& report = reports.front();
  out << fmt::format("scenario {} ({}), profile {}, seed {}{}\n\n", s.name, s.file, s.profile.name, report.seed,
                     reports.size() > 1 ? fmt::format(" (replication 1 of {} shown in detail)", reports.size()) : "");
  for (const auto& p : report.phases) printPhase(p, out);
  // Side by side: what each wave changes.
  out << fmt::format("{:<26} {:>12} {:>14} {:>12} {:>10} {:>14} {:>6}\n", "phase", "mesh CPU (m)", "mesh mem (MiB)",
                     "worst p99", "errors %", "x-zone USD/mo", "nodes");
  for (const auto& p : report.phases) {
    double worst = 0;
    for (const auto& [n, l] : p.entry_latency) worst = std::max(worst, l.p99_ms);
    out << fmt::format("{:<26} {:>12.1f} {:>14.1f} {:>9.3f} ms {:>10.3f} {:>14.2f} {:>6}\n", p.name,
                       p.mesh_cpu_millicores, mib(p.mesh_memory_bytes), worst, p.errorRate() * 100,
                       p.cross_zone_usd_per_month, p.nodes_needed);
  }
  if (reports.size() > 1) {
    out << fmt::format("\nover {} replications (mean +- 95% CI):\n", reports.size());
    for (std::size_t i = 0; i < report.phases.size(); ++i) {
      const auto& f = summary.phases[i];
      std::string lat;
      for (const auto& [k, e] : f) {
        if (k.rfind("entry ", 0) == 0 && k.find("p99") != std::string::npos)
          lat += fmt::format("  {} {:.3f} +- {:.3f}", k.substr(6), e.mean, e.ci95);
      }
      out << fmt::format("{:<26} mesh CPU {:.1f} +- {:.1f} m  errors {:.3f} +- {:.3f} %{}\n", report.phases[i].name,
                         f.at("mesh_cpu_millicores").mean, f.at("mesh_cpu_millicores").ci95, f.at("error_rate").mean * 100,
                         f.at("error_rate").ci95 * 100, lat);
    }
  }
}

}  // namespace

int runSimulate(const SimulateOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin simulate: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  sim::SimOptions so;
  so.rollouts = !opts.no_rollouts;
  auto duration = [&](const std::string& text, const char* flag, std::int64_t& target) {
    const auto d = models::parseDurationNs(text);
    if (!d.ok() || d.value() <= 0) {
      err << "meshtwin simulate: " << flag << ": " << (d.ok() ? "must be above zero" : d.error()) << "\n";
      return false;
    }
    target = d.value();
    return true;
  };
  if (!opts.duration.empty()) {
    std::int64_t d = 0;
    if (!duration(opts.duration, "--duration", d)) return kExitBadInput;
    so.duration_ns = d;
  }
  if (!duration(opts.warmup, "--warmup", so.warmup_ns)) return kExitBadInput;
  if (!opts.series_step.empty() && !duration(opts.series_step, "--series-step", so.series_step_ns)) return kExitBadInput;
  const auto& s = *loaded.scenario;
  const std::uint64_t base_seed = opts.seed ? opts.seed : s.seed;
  const std::size_t phases = 1 + s.plan.waves.size() * (so.rollouts ? 2 : 1);
  Progress progress(err, opts.progress, phases * static_cast<std::size_t>(opts.replications));
  std::vector<models::Report> reports;
  for (int rep = 0; rep < opts.replications; ++rep) {
    so.seed = base_seed + static_cast<std::uint64_t>(rep);
    auto report = sim::simulateScenario(s, so, [&](std::size_t done, std::size_t) {
      progress.step(fmt::format("replication {} phase {}", rep + 1, done));
      return true;
    });
    if (!report) return kExitBadInput;
    reports.push_back(std::move(*report));
  }
  for (auto& r : reports) r.generator = std::string("meshtwin ") + MESHTWIN_VERSION + " simulate";
  const auto& report = reports.front();
  auto json = models::toJson(report);
  // Mean and 95% confidence interval of each figure over the replications.
  const auto summary = sim::summarizeReplications(reports);
  const bool gates_hold = summary.all_gates_hold;
  if (reports.size() > 1) {
    json["replications"] = sim::toJson(summary, reports);
    json["all_gates_hold"] = gates_hold;
  }
  if (!opts.json_file.empty() && !writeFile(opts.json_file, json.dump(2) + "\n", err)) return kExitBadInput;
  if (!opts.junit_file.empty() && !writeFile(opts.junit_file, models::toJunitXml(report), err)) return kExitBadInput;
  if (opts.output == "json") {
    out << json.dump(2) << "\n";
    return gates_hold ? kExitOk : kExitFindings;
  }
  printReports(s, reports, summary, out);
  out << (gates_hold ? "\nall gates hold\n" : "\na gate FAILED\n");
  return gates_hold ? kExitOk : kExitFindings;
}

Runner addSimulateCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<SimulateOptions>();
  auto* cmd = app.add_subcommand(
      "simulate",
      "Simulate the scenario's traffic for the baseline, each wave's rollout and the state after each wave\n"
      "(docs/simulation.md), and report per phase CPU, memory, latency percentiles, errors by cause,\n"
      "cross-zone bytes and cost, and the waves' gates.");
  exitCodes(cmd, "0 every gate holds, 1 a gate fails, 2 bad input");
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "Output format on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--json", o->json_file, "Also write the JSON report (models/schema/report.schema.json) to FILE");
  cmd->add_option("--junit", o->junit_file,
                  "Also write JUnit XML to FILE: one test case per gate per phase (a wave's rollout and the state after it)");
  cmd->add_option("--seed", o->seed, "Random seed, 0 or more (0: the scenario's seed)")
      ->check(atLeast(0))
      ->capture_default_str();
  cmd->add_option("--duration", o->duration, "Simulated time per phase, e.g. 2m (default: the entry points' load duration)");
  cmd->add_option("--warmup", o->warmup, "Simulated time excluded from measurement at the start of each phase")
      ->capture_default_str();
  cmd->add_option("--series-step", o->series_step, "Also report a time series per phase at this step, e.g. 10s");
  cmd->add_option("--replications", o->replications,
                  "Run N independent replications (seeds SEED..SEED+N-1) and report mean and 95% confidence interval")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--no-rollouts", o->no_rollouts, "Simulate the steady states only, not the rollout windows");
  cmd->add_flag("--progress", o->progress,
                "Print a line per finished phase on stderr (on a terminal a progress bar is drawn anyway)");
  return runWhenParsed(cmd, o, runSimulate, out, err);
}

}  // namespace meshtwin::cli
