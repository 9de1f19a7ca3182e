// `meshtwin deploy`, `meshtwin deploy status` and `meshtwin rollback`: their options, the
// targets they drive (kube, testbed) and the entry points tests call in-process.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "cli.hpp"
#include "cluster_access.hpp"
#include "meshtwin/deploy/target.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::cli {

struct DeployOptions {
  std::string scenario;
  std::string target = "kube";  // kube | testbed
  std::string state_dir;        // default: ~/.local/state/meshtwin/deploy/<plan>
  bool resume = false;
  std::string from_wave, to_wave;  // a number (1-based) or a wave's name
  bool force_conflicts = false;
  std::string soak = "10m", gate_interval = "30s", window = "1m", ready_timeout = "10m";
  int failure_threshold = 2;
  PrometheusFlags prometheus;
  bool skip_gates = false;     // no Prometheus: the soak waits, nothing is checked
  bool no_prediction = false;  // do not simulate the plan for the prediction gates
  double prediction_tolerance = 50;  // percent
  std::string entry_selector, ztunnel_memory_query, waypoint_memory_query;  // "" = the target's default
  ClusterFlags cluster;
  std::string istio_namespace = "istio-system";
  std::string journal_namespace = "istio-system";
  std::string testbed_name = "mt", testbed_state_root = "/run/meshtwin";
  std::string output = "table";  // table | json
  std::string rollback_to;       // rollback: --to-wave K (0 or "baseline" = before the plan)
};

int runDeploy(const DeployOptions& opts, std::ostream& out, std::ostream& err);
int runDeployStatus(const DeployOptions& opts, std::ostream& out, std::ostream& err);
int runRollback(const DeployOptions& opts, std::ostream& out, std::ostream& err);
Runner addDeployCommands(CLI::App& app, std::ostream& out, std::ostream& err);

// The target --target names, or nullptr after printing why (exit 2 or 3 in `exit_code`).
std::unique_ptr<deploy::Target> makeTarget(const DeployOptions& opts, const models::Scenario& s, std::ostream& err,
                                           int& exit_code);

}  // namespace meshtwin::cli
