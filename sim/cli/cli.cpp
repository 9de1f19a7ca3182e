// Command-line parsing with CLI11; each subcommand lives in its own file.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace meshtwin::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "meshtwin: a digital twin for planning Istio sidecar -> ambient migrations.\n"
      "Describe a cluster and a migration plan in a scenario file (docs/scenario.md);\n"
      "meshtwin checks it and predicts what every wave does to cost, latency and errors.",
      "meshtwin"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("meshtwin ") + MESHTWIN_VERSION);

  CheckOptions check;
  auto* cmd = app.add_subcommand("check", "Load and validate a scenario, then analyse its plan for risks.\n"
                                          "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad input.");
  cmd->add_option("SCENARIO", check.scenario, "Scenario file (meshtwin/v1 YAML), e.g. scenarios/default.yaml")
      ->required();
  cmd->add_option("-o,--output", check.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--fail-on", check.fail_on, "Lowest finding severity that makes the exit code 1")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical", "never"}))
      ->capture_default_str();

  SimulateOptions sim;
  auto* simcmd = app.add_subcommand(
      "simulate",
      "Simulate the scenario's traffic for the baseline, each wave's rollout and the state after each wave\n"
      "(docs/simulation.md), and report per phase CPU, memory, latency percentiles, errors by cause,\n"
      "cross-zone bytes and cost, and the waves' gates.\n"
      "Exit codes: 0 every gate holds, 1 a gate fails, 2 bad input.");
  simcmd->add_option("SCENARIO", sim.scenario, "Scenario file (meshtwin/v1 YAML)")->required();
  simcmd->add_option("-o,--output", sim.output, "Output format on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  simcmd->add_option("--json", sim.json_file, "Also write the JSON report (models/schema/report.schema.json) to FILE");
  simcmd->add_option("--junit", sim.junit_file,
                     "Also write JUnit XML to FILE: one test case per gate per phase (a wave's rollout and the state after it)");
  simcmd->add_option("--seed", sim.seed, "Random seed (0: the scenario's seed)")->capture_default_str();
  simcmd->add_option("--duration", sim.duration,
                     "Simulated time per phase, e.g. 2m (default: the entry points' load duration)");
  simcmd->add_option("--warmup", sim.warmup, "Simulated time excluded from measurement at the start of each phase")
      ->capture_default_str();
  simcmd->add_option("--series-step", sim.series_step, "Also report a time series per phase at this step, e.g. 10s");
  simcmd->add_option("--replications", sim.replications,
                     "Run N independent replications (seeds SEED..SEED+N-1) and report mean and 95% confidence interval")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  simcmd->add_flag("--no-rollouts", sim.no_rollouts, "Simulate the steady states only, not the rollout windows");
  simcmd->add_flag("--progress", sim.progress,
                   "Print a line per finished phase on stderr (on a terminal a progress bar is drawn anyway)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Subcommand help (`meshtwin check --help`) arrives here too, as a success.
    if (e.get_exit_code() == 0) {
      for (const auto* sub : app.get_subcommands()) {
        out << sub->help();
        return kExitOk;
      }
      out << app.help();
      return kExitOk;
    }
    err << "meshtwin: " << e.what() << "\n" << "Run 'meshtwin --help' for usage.\n";
    return kExitBadInput;
  }
  if (cmd->parsed()) return runCheck(check, out, err);
  if (simcmd->parsed()) return runSimulate(sim, out, err);
  return kExitBadInput;
}

}  // namespace meshtwin::cli
