// `meshtwin validate SCENARIO`: twin::validate on this machine's testbed, and its report as a
// table or JSON on stdout, and as JSON and HTML files when asked.
#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/twin/validate.hpp"

namespace meshtwin::cli {

int runValidate(const ValidateOptions& o, std::ostream& out, std::ostream& err) {
  const auto window = parseRunWindow(o.duration, o.warmup, "meshtwin validate", "8s and 2s", err);
  if (!window) return kExitBadInput;
  auto loaded = models::loadScenarioFile(o.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.sorted()) err << models::format(d) << "\n";
    return kExitBadInput;
  }
  twin::ValidateOptions v;
  v.scenario = *loaded.scenario;
  if (!o.profile.empty()) {
    auto profile = loadProfileReporting(o.profile, err);
    if (!profile) return kExitBadInput;
    v.scenario.profile = std::move(*profile);
    v.scenario.profile_name = o.profile;
  }
  v.scenario_file = o.scenario;
  v.loads = o.loads;
  v.utilization = o.utilization;
  v.window = *window;
  v.phases = o.phases;
  v.tol = o.tol;
  v.name = o.name;
  v.bin_dir = o.bin_dir;
  const auto result = twin::validate(v, progressLines(err));
  if (!result) return reportError(result.error(), err);
  const auto& report = result.value();
  const auto json_text = twin::toJson(report).dump(2) + "\n";
  if (o.output == "json") out << json_text;
  else twin::printValidation(report, out);
  for (const auto& [file, text] : {std::pair{o.json_file, json_text}, std::pair{o.html_file, twin::validationHtml(report)}}) {
    if (file.empty()) continue;
    if (auto w = dataplane::writeFileAtomically(file, text); !w)
      return reportError(twin::Error("validate: write: " + w.error().what, w.error().object, w.error().cause), err);
  }
  return report.pass() ? kExitOk : kExitFindings;
}

Runner addValidateCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Run the scenario's baseline and each wave on the testbed (root) and in the simulator with the same\n"
      "profile, and compare every figure: CPU and memory per proxy kind, p50/p90/p99 per entry point, error\n"
      "rate, bytes per cross-zone pair; predicted, measured and relative error, as a table, JSON and an HTML\n"
      "page with a chart per figure across the waves. Ctrl-C stops it cleanly (the testbed is taken down).");
  exitCodes(cmd, "0 every gated figure within its tolerance, 1 one is not, 2 bad input (or not root), 3 the testbed "
                 "failed, a write failed, or interrupted");
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--profile", o->profile, "Profile to predict with, e.g. models/profiles/embedded-HOST.yaml "
                                           "(default: the scenario's)");
  auto* loads = cmd->add_option("--loads", o->loads, "Entry-rate multipliers, each measured in every phase, e.g. 0.5,1")
                    ->delimiter(',')
                    ->check(above(0))
                    ->capture_default_str();
  cmd->add_option("--utilization", o->utilization,
                  "Instead of --loads: fractions of this machine's capacity, e.g. 0.3,0.6. A probe in every phase "
                  "measures the testbed's CPU per request; the capacity is the smallest entry rate over the phases "
                  "at which the host's CPU or a workload's slots would be full")
      ->delimiter(',')
      ->check(CLI::Range(0.01, 0.99))
      ->excludes(loads);
  cmd->add_option("--duration", o->duration, "Measured time per phase and load")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Load before measuring")->capture_default_str();
  cmd->add_option("--phases", o->phases, "Validate only the first N phases (baseline = 1; default: all)")
      ->check(CLI::Range(1, 1000));
  auto tolerance = [&](const char* flag, double& v, const char* what) {
    cmd->add_option(flag, v, what)->check(atLeast(0))->capture_default_str();
  };
  tolerance("--tol-cpu", o->tol.cpu, "Tolerance on CPU per proxy kind (fraction)");
  tolerance("--tol-memory", o->tol.memory, "Tolerance on memory per proxy kind");
  tolerance("--tol-p50", o->tol.p50, "Tolerance on p50 latency");
  tolerance("--tol-p90", o->tol.p90, "Tolerance on p90 latency");
  tolerance("--tol-p99", o->tol.p99, "Tolerance on p99 latency");
  tolerance("--tol-bytes", o->tol.bytes, "Tolerance on bytes per cross-zone pair");
  tolerance("--tol-error-rate", o->tol.error_rate, "Tolerance on the error rate (absolute fraction)");
  tolerance("--min-cpu", o->tol.min_cpu_millicores, "CPU below this many millicores is not gated");
  tolerance("--min-bytes", o->tol.min_bytes, "Zone-pair bytes below this are not gated");
  cmd->add_option("--json", o->json_file, "Also write the validation report as JSON to FILE");
  cmd->add_option("--html", o->html_file, "Also write an HTML page with plots to FILE");
  cmd->add_option("-o,--output", o->output, "Output format on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--name", o->name, "Testbed name used while validating")->capture_default_str();
  cmd->add_option("--bin-dir", o->bin_dir, "Where meshtwin-proxy, meshtwin-app and meshtwin-load are")
      ->check(CLI::ExistingDirectory);
  return runWhenParsed(cmd, o, runValidate, out, err);
}

}  // namespace meshtwin::cli
