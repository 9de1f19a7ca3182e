// The flags of `meshtwin deploy`, `meshtwin deploy status` and `meshtwin rollback`.
#include <CLI/CLI.hpp>

#include "deploy_command.hpp"

namespace meshtwin::cli {
namespace {

// SCENARIO is checked by the runners, not required here: `deploy status` is a subcommand of
// `deploy`, and CLI11 would ask the parent for its positional first.
void targetFlags(CLI::App* cmd, DeployOptions& o) {
  cmd->add_option("SCENARIO", o.scenario, "Scenario file whose plan is deployed (meshtwin/v1 YAML)")->check(CLI::ExistingFile);
  cmd->add_option("--target", o.target, "kube: the cluster of --kubeconfig/--context; testbed: the embedded testbed (--testbed-name)")
      ->check(CLI::IsMember({"kube", "testbed"}))
      ->capture_default_str();
  cmd->add_option("--state-dir", o.state_dir, "Where the journal and report live (default ~/.local/state/meshtwin/deploy/<plan>)");
  cmd->add_option("--kubeconfig", o.cluster.kubeconfig, "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
  cmd->add_option("--context", o.cluster.context, "Kubeconfig context (default: its current-context)");
  cmd->add_option("--journal-namespace", o.journal_namespace,
                  "kube: namespace of the journal's ConfigMap copy meshtwin-deploy-<plan> (\"\" = none)")
      ->capture_default_str();
  cmd->add_option("--testbed-name", o.testbed_name, "testbed: its name (meshtwin testbed up --name)")->capture_default_str();
  cmd->add_option("--testbed-state-root", o.testbed_state_root, "testbed: its state root")->capture_default_str();
  cmd->add_option("--ready-timeout", o.ready_timeout, "How long a wave may take to be ready")->capture_default_str();
  cmd->add_flag("--resume", o.resume, "Continue the deploy (or rollback) the journal holds, after a crash or a fix");
  cmd->add_option("-o,--output", o.output, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
}

}  // namespace

Runner addDeployCommands(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<DeployOptions>();
  auto* cmd = app.add_subcommand(
      "deploy",
      "Roll the plan out wave by wave: pre-flight (APIs served, ztunnel and istio-cni ready, RBAC by\n"
      "SelfSubjectAccessReview), then per wave a server-side apply dry run, the apply (fieldManager\n"
      "meshtwin), a wait until ready, and gates over a soak window (the scenario's SLOs and the\n"
      "simulator's prediction, from Prometheus). A failed gate rolls the wave back. Every step is\n"
      "journaled; --resume continues after a crash.");
  exitCodes(cmd, "0 done, 1 a gate failed and the wave was rolled back, 2 bad input, 3 the cluster or testbed is "
                 "unreachable, refuses (403, a field conflict) or is not as expected (pre-flight, not ready in time)");
  cmd->require_subcommand(0, 1);
  targetFlags(cmd, *o);
  cmd->add_option("--from-wave", o->from_wave, "First wave to apply (number or name; default: after the last journaled phase)");
  cmd->add_option("--to-wave", o->to_wave, "Last wave to apply (default: the plan's last)");
  cmd->add_flag("--force-conflicts", o->force_conflicts, "kube: take over fields another field manager owns");
  cmd->add_option("--soak", o->soak, "How long each wave is watched before the next")->capture_default_str();
  cmd->add_option("--gate-interval", o->gate_interval, "How often the gates are evaluated during the soak")->capture_default_str();
  cmd->add_option("--window", o->window, "Range of rate() and of the latency histograms in the gates' PromQL")->capture_default_str();
  cmd->add_option("--failure-threshold", o->failure_threshold, "Failing SLO checks in a row that fail the wave early")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  auto* prom = cmd->add_option("--prometheus", o->prometheus.url, "Prometheus base URL with Istio's metrics, e.g. http://prometheus:9090");
  cmd->add_option("--prometheus-token-file", o->prometheus.token_file, "Bearer token for Prometheus, read from FILE")->needs(prom);
  cmd->add_option("--prometheus-user", o->prometheus.user, "Basic-auth user for Prometheus")->needs(prom);
  cmd->add_option("--prometheus-password-file", o->prometheus.password_file, "Basic-auth password, read from FILE")->needs(prom);
  cmd->add_flag("--skip-gates", o->skip_gates, "Deploy without gates (the soak still waits)")->excludes(prom);
  cmd->add_flag("--no-prediction", o->no_prediction, "Do not simulate the plan; only the scenario's SLOs gate");
  cmd->add_option("--prediction-tolerance", o->prediction_tolerance, "Percent a measured memory may differ from the prediction")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--entry-selector", o->entry_selector,
                  "Label matchers for the entry paths' request metrics (default reporter=\"source\"), e.g. "
                  "'reporter=\"source\",source_workload=\"istio-ingressgateway\"'");
  cmd->add_option("--ztunnel-memory-query", o->ztunnel_memory_query, "PromQL for every ztunnel's memory in bytes (default: cAdvisor)");
  cmd->add_option("--waypoint-memory-query", o->waypoint_memory_query, "PromQL for the waypoints' memory ({waypoints} = their names)");
  cmd->add_option("--istio-namespace", o->istio_namespace, "kube: where ztunnel and istio-cni run")->capture_default_str();

  auto so = std::make_shared<DeployOptions>();
  auto* status = cmd->add_subcommand("status", "What the journal says: each wave's state and last gates, and a step in flight");
  exitCodes(status, "0 shown, 2 bad input or no journal");
  targetFlags(status, *so);

  auto ro = std::make_shared<DeployOptions>();
  auto* rollback = app.add_subcommand("rollback", "Roll the target back wave by wave to an earlier wave's state (journaled, resumable)");
  exitCodes(rollback, "0 rolled back, 2 bad input, 3 the target is unreachable, refuses or is not ready in time");
  targetFlags(rollback, *ro);
  rollback->add_option("--to-wave", ro->rollback_to, "The wave whose state to return to (number or name; 0 or baseline: before the plan)")
      ->required();

  auto run_status = runWhenParsed(status, so, runDeployStatus, out, err);
  auto run_deploy = runWhenParsed(cmd, o, runDeploy, out, err);
  auto run_rollback = runWhenParsed(rollback, ro, runRollback, out, err);
  return [run_status, run_deploy, run_rollback]() -> std::optional<int> {
    if (auto rc = run_status()) return rc;
    if (auto rc = run_rollback()) return rc;
    return run_deploy();
  };
}

}  // namespace meshtwin::cli
