// Command-line parsing with CLI11; each subcommand lives in its own file.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace meshtwin::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "meshtwin: a digital twin for planning Istio sidecar -> ambient migrations.\n"
      "Describe a cluster and a migration plan in a scenario file (docs/scenario.md);\n"
      "meshtwin checks it and predicts what every wave does to cost, latency and errors.\n"
      "For the embedded data plane it also keeps the mesh's CA (`ca`) and writes the\n"
      "control-plane snapshot the proxies run on (`snapshot`), and runs a scenario's data plane\n"
      "on this machine to measure it (`testbed`), fits the simulator's profile from it (`calibrate`)\n"
      "and publishes the simulator's error against it (`validate`).",
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

  auto* ca = app.add_subcommand("ca", "The mesh's certificate authority for the embedded data plane (dataplane/ca).");
  ca->require_subcommand(1);
  CaInitOptions ca_init;
  auto* ca_init_cmd = ca->add_subcommand(
      "init", "Create a CA: an ECDSA P-256 root, written as DIR/root.pem (certificate) and DIR/root.key (0600).\n"
              "Refuses to replace an existing root key unless --force.");
  ca_init_cmd->add_option("DIR", ca_init.dir, "Directory for the CA's files (created if missing)")->required();
  ca_init_cmd->add_option("--trust-domain", ca_init.trust_domain, "SPIFFE trust domain")->capture_default_str();
  ca_init_cmd->add_flag("--force", ca_init.force, "Replace an existing root (every issued identity stops verifying)");
  CaIssueOptions ca_issue;
  auto* ca_issue_cmd = ca->add_subcommand(
      "issue",
      "Node-bound issuance: a node's proxy gets certificates only for the service accounts that have a\n"
      "pod placed on that node in the scenario. Writes OUT/root.pem and OUT/<ns>/<sa>.crt + .key (0600),\n"
      "each file replaced atomically, so a running proxy picks up the new certificates on reload (rotation).");
  ca_issue_cmd->add_option("SCENARIO", ca_issue.scenario, "Scenario file (meshtwin/v1 YAML)")->required();
  ca_issue_cmd->add_option("--ca", ca_issue.ca_dir, "CA directory written by `meshtwin ca init`")->required();
  ca_issue_cmd->add_option("--node", ca_issue.node, "The scenario's node, e.g. p-a-0")->required();
  ca_issue_cmd->add_option("--out", ca_issue.out_dir, "Identity directory for the node's proxy")->required();
  ca_issue_cmd->add_option("--trust-domain", ca_issue.trust_domain, "SPIFFE trust domain")->capture_default_str();

  SnapshotOptions snap;
  auto* snap_cmd = app.add_subcommand(
      "snapshot",
      "Write the control-plane snapshot (JSON) the data-plane proxies run on: the scenario, the mesh state\n"
      "after a phase of its plan, and where pods, HBONE endpoints and service VIPs listen. The file is\n"
      "replaced atomically; proxies watching it apply it without dropping established connections.\n"
      "Exit codes: 0 written, 2 bad input.");
  snap_cmd->add_option("SCENARIO", snap.scenario, "Scenario file (meshtwin/v1 YAML)")->required();
  snap_cmd->add_option("--phase", snap.phase, "Phase: 0 (baseline), k (after wave k), or a wave's name")
      ->capture_default_str();
  snap_cmd->add_option("--addresses", snap.addresses_file,
                       "JSON file merged into the snapshot: {\"pod_app\": {\"ns/pod\": \"ip:port\"}, \"pod_hbone\": "
                       "{...}, \"service_vip\": {\"ns/svc\": \"ip:port\"}}");
  snap_cmd->add_option("-o,--output", snap.output, "Snapshot file to write")->required();
  snap_cmd->add_option("--trust-domain", snap.trust_domain, "SPIFFE trust domain")->capture_default_str();
  snap_cmd->add_option("--snapshot-version", snap.snapshot_version,
                       "Version number (default: one more than the file being replaced, 1 for a new file)");

  auto testbed = addTestbedCommands(app, out, err);

  CalibrateOptions cal;
  auto* cal_cmd = app.add_subcommand(
      "calibrate",
      "Measure the embedded proxies on the testbed (root) and fit the profile the simulator uses: CPU per\n"
      "request and per KiB (cgroup CPU at several loads and payloads, against the simulator's own work\n"
      "accounting), CPU per connection (TLS handshakes), memory base, per connection and per endpoint\n"
      "(RSS), latency per pass through each proxy and its spread, and the wire overheads (fabric byte\n"
      "counters). Writes a profile with the raw points and prints the fit quality.\n"
      "Exit codes: 0 written, 1 the testbed failed, 2 bad input.");
  cal_cmd->add_option("-o,--out", cal.out_file, "Profile to write (default: models/profiles/embedded-<host>.yaml)");
  cal_cmd->add_option("--base-profile", cal.base_profile,
                      "Profile whose worker threads, resource requests and pricing are kept")
      ->capture_default_str();
  cal_cmd->add_option("--duration", cal.duration, "Measured time per point")->capture_default_str();
  cal_cmd->add_option("--warmup", cal.warmup, "Load before each point is measured")->capture_default_str();
  cal_cmd->add_option("--handshakes", cal.handshakes, "TLS handshakes timed for the connection cost")
      ->check(CLI::Range(10, 100000))
      ->capture_default_str();
  cal_cmd->add_flag("--quick", cal.quick, "Fewer points (3 per phase instead of 6): for CI");
  cal_cmd->add_option("--name", cal.name, "Testbed name used while calibrating")->capture_default_str();
  cal_cmd->add_option("--bin-dir", cal.bin_dir, "Where meshtwin-proxy, meshtwin-app and meshtwin-load are");

  ValidateOptions val;
  auto* val_cmd = app.add_subcommand(
      "validate",
      "Run the scenario's baseline and each wave on the testbed (root) and in the simulator with the same\n"
      "profile, and compare every figure: CPU and memory per proxy kind, p50/p90/p99 per entry point, error\n"
      "rate, bytes per cross-zone pair; predicted, measured and relative error, as a table, JSON and an HTML\n"
      "page with a chart per figure across the waves.\n"
      "Exit codes: 0 every gated figure within its tolerance, 1 one is not (or the testbed failed), 2 bad input.");
  val_cmd->add_option("SCENARIO", val.scenario, "Scenario file (meshtwin/v1 YAML)")->required();
  val_cmd->add_option("--profile", val.profile, "Profile to predict with, e.g. models/profiles/embedded-HOST.yaml "
                                                "(default: the scenario's)");
  auto* loads_opt = val_cmd->add_option("--loads", val.loads, "Entry-rate multipliers, each measured in every phase, e.g. 0.5,1")
                        ->delimiter(',')
                        ->capture_default_str();
  val_cmd
      ->add_option("--utilization", val.utilization,
                   "Instead of --loads: fractions of this machine's capacity, e.g. 0.3,0.6. A probe in every phase "
                   "measures the testbed's CPU per request; the capacity is the smallest entry rate over the phases "
                   "at which the host's CPU or a workload's slots would be full")
      ->delimiter(',')
      ->check(CLI::Range(0.01, 0.99))
      ->excludes(loads_opt);
  val_cmd->add_option("--duration", val.duration, "Measured time per phase and load")->capture_default_str();
  val_cmd->add_option("--warmup", val.warmup, "Load before measuring")->capture_default_str();
  val_cmd->add_option("--phases", val.phases, "Validate only the first N phases (baseline = 1)");
  val_cmd->add_option("--tol-cpu", val.tol.cpu, "Tolerance on CPU per proxy kind (fraction)")->capture_default_str();
  val_cmd->add_option("--tol-memory", val.tol.memory, "Tolerance on memory per proxy kind")->capture_default_str();
  val_cmd->add_option("--tol-p50", val.tol.p50, "Tolerance on p50 latency")->capture_default_str();
  val_cmd->add_option("--tol-p90", val.tol.p90, "Tolerance on p90 latency")->capture_default_str();
  val_cmd->add_option("--tol-p99", val.tol.p99, "Tolerance on p99 latency")->capture_default_str();
  val_cmd->add_option("--tol-bytes", val.tol.bytes, "Tolerance on bytes per cross-zone pair")->capture_default_str();
  val_cmd->add_option("--tol-error-rate", val.tol.error_rate, "Tolerance on the error rate (absolute fraction)")
      ->capture_default_str();
  val_cmd->add_option("--min-cpu", val.tol.min_cpu_millicores, "CPU below this many millicores is not gated")
      ->capture_default_str();
  val_cmd->add_option("--min-bytes", val.tol.min_bytes, "Zone-pair bytes below this are not gated")->capture_default_str();
  val_cmd->add_option("--json", val.json_file, "Also write the validation report as JSON to FILE");
  val_cmd->add_option("--html", val.html_file, "Also write an HTML page with plots to FILE");
  val_cmd->add_option("-o,--output", val.output, "Output format on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  val_cmd->add_option("--name", val.name, "Testbed name used while validating")->capture_default_str();
  val_cmd->add_option("--bin-dir", val.bin_dir, "Where meshtwin-proxy, meshtwin-app and meshtwin-load are");

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
        // The innermost parsed subcommand (`meshtwin ca issue --help`).
        while (!sub->get_subcommands().empty()) sub = sub->get_subcommands().front();
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
  if (ca_init_cmd->parsed()) return runCaInit(ca_init, out, err);
  if (ca_issue_cmd->parsed()) return runCaIssue(ca_issue, out, err);
  if (snap_cmd->parsed()) return runSnapshot(snap, out, err);
  if (auto rc = testbed()) return *rc;
  if (cal_cmd->parsed()) return runCalibrate(cal, out, err);
  if (val_cmd->parsed()) return runValidate(val, out, err);
  return kExitBadInput;
}

}  // namespace meshtwin::cli
