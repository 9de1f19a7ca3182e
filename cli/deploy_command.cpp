// `meshtwin deploy SCENARIO --target kube|testbed`, `meshtwin deploy status` and
// `meshtwin rollback --to-wave K`: flags, the prediction (the simulator on the plan), the
// target, deploy/'s rollout engine, and the report as a table or JSON.
#include "deploy_command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <tuple>

#include "meshtwin/deploy/rollout.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/units.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::cli {
namespace {

std::string sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  const auto text = s.str();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string defaultStateDir(const std::string& plan) {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? xdg : std::string(home && *home ? home : "/tmp") + "/.local/state";
  return base + "/meshtwin/deploy/" + plan;
}

std::optional<std::chrono::milliseconds> duration(const std::string& text, const char* flag, const char* cmd, std::ostream& err) {
  const auto d = models::parseDurationNs(text);
  if (!d.ok() || d.value() < 0) {
    err << fmt::format("meshtwin {}: {} {}: {}\n", cmd, flag, text, d.ok() ? "must not be negative" : d.error());
    return std::nullopt;
  }
  return std::chrono::milliseconds(d.value() / 1'000'000);
}

struct Loaded {
  std::optional<models::LoadResult> loaded;
  deploy::RolloutOptions ro;
};

// The scenario and the engine's options from the flags; nullopt after printing why.
std::optional<Loaded> load(const DeployOptions& o, const char* cmd, std::ostream& err) {
  Loaded l;
  if (o.scenario.empty()) {
    err << fmt::format("meshtwin {}: SCENARIO is required (the scenario file whose plan is deployed)\n", cmd);
    return std::nullopt;
  }
  l.loaded = models::loadScenarioFile(o.scenario);
  if (!l.loaded->ok()) {
    for (const auto& d : l.loaded->diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin {}: {} error(s) in {}\n", cmd, l.loaded->diagnostics.size(), o.scenario);
    return std::nullopt;
  }
  const auto& s = *l.loaded->scenario;
  auto& ro = l.ro;
  ro.state_dir = o.state_dir.empty() ? defaultStateDir(s.plan.name) : o.state_dir;
  ro.scenario_file = o.scenario;
  ro.scenario_digest = sha256File(o.scenario);
  ro.target_name = o.target;
  ro.resume = o.resume;
  ro.failure_threshold = o.failure_threshold;
  for (const auto& [text, flag, into] : {std::tuple{o.from_wave, "--from-wave", &ro.from_wave}, std::tuple{o.to_wave, "--to-wave", &ro.to_wave}}) {
    if (text.empty()) continue;
    const auto k = findWave(s.plan, text);
    if (!k) {
      err << fmt::format("meshtwin {}: {} {}: no such wave in plan {} (waves: {})\n", cmd, flag, text, s.plan.name, waveList(s.plan));
      return std::nullopt;
    }
    *into = *k;
  }
  for (const auto& [text, flag, into] : {std::tuple{o.soak, "--soak", &ro.soak}, std::tuple{o.gate_interval, "--gate-interval", &ro.gate_interval},
                                         std::tuple{o.window, "--window", &ro.gates.window}, std::tuple{o.ready_timeout, "--ready-timeout", &ro.ready_limit}}) {
    const auto d = duration(text, flag, cmd, err);
    if (!d) return std::nullopt;
    *into = *d;
  }
  if (ro.gate_interval.count() < 1000) ro.gate_interval = std::chrono::seconds(1);
  ro.gates.prediction_tolerance = o.prediction_tolerance / 100.0;
  ro.gates.check_prediction = !o.no_prediction;
  if (o.target == "testbed") {  // the testbed's proxies report their own RSS; scrape labels name the kind
    ro.gates.ztunnel_memory_query = R"(sum(process_resident_memory_bytes{kind="ztunnel"}))";
    ro.gates.waypoint_memory_query = R"(sum(process_resident_memory_bytes{kind="waypoint"}))";
  }
  if (!o.entry_selector.empty()) ro.gates.entry_selector = o.entry_selector;
  if (!o.ztunnel_memory_query.empty()) ro.gates.ztunnel_memory_query = o.ztunnel_memory_query;
  if (!o.waypoint_memory_query.empty()) ro.gates.waypoint_memory_query = o.waypoint_memory_query;
  ro.say = [&err](const std::string& line) { err << line << "\n" << std::flush; };
  return l;
}

void printResult(const deploy::RolloutResult& r, std::ostream& out) {
  for (const auto& w : r.waves) {
    out << fmt::format("wave {} {:<24} {}\n", w.wave + 1, w.name, w.status);
    for (const auto& g : w.gates) {
      out << fmt::format("    {} {:<44} measured {:>10} {:<5} predicted {:>10}{}\n", g.holds ? "ok  " : "FAIL", g.name,
                         g.measured ? fmt::format("{:.4g}", *g.measured) : "no data", g.unit,
                         g.predicted ? fmt::format("{:.4g}", *g.predicted) : "-", g.note.empty() ? "" : "  " + g.note);
    }
  }
  out << fmt::format("phase {}: {}\n", r.phase, r.message);
}

int finish(const deploy::RolloutResult& r, const deploy::RolloutOptions& ro, const DeployOptions& o, std::ostream& out) {
  if (o.output == "json") {
    out << deploy::toJson(r, deploy::Journal::open(deploy::journalPath(ro.state_dir))).dump(2) << "\n";
  } else {
    printResult(r, out);
  }
  return r.exit_code;
}

}  // namespace

int runDeploy(const DeployOptions& o, std::ostream& out, std::ostream& err) {
  auto l = load(o, "deploy", err);
  if (!l) return kExitBadInput;
  const auto& s = *l->loaded->scenario;
  if (o.prometheus.url.empty() && !o.skip_gates) {
    err << "meshtwin deploy: the gates need --prometheus URL (the cluster's Prometheus with Istio's metrics); "
           "--skip-gates deploys without them\n";
    return kExitBadInput;
  }
  std::optional<kube::PrometheusClient> prometheus;
  if (!o.prometheus.url.empty() && !o.skip_gates) {
    auto config = prometheusConfig(o.prometheus, "deploy", err);
    if (!config) return kExitBadInput;
    prometheus.emplace(*config);
  }
  std::optional<models::Report> prediction;
  if (!o.no_prediction && prometheus) {
    err << "meshtwin deploy: predicting every wave with the simulator\n";
    sim::SimOptions so;
    so.rollouts = false;
    so.seed = s.seed;
    prediction = sim::simulateScenario(s, so);
    if (!prediction) return kExitBadInput;
  }
  int code = kExitBadInput;
  auto target = makeTarget(o, s, err, code);
  if (!target) return code;
  const auto r = deploy::runDeploy(s, prediction ? &*prediction : nullptr, *target, prometheus ? &*prometheus : nullptr, l->ro);
  if (r.exit_code != 0) err << "meshtwin deploy: " << r.message << "\n";
  return finish(r, l->ro, o, out);
}

int runRollback(const DeployOptions& o, std::ostream& out, std::ostream& err) {
  auto l = load(o, "rollback", err);
  if (!l) return kExitBadInput;
  const auto& s = *l->loaded->scenario;
  std::size_t to_phase = 0;
  if (o.rollback_to != "0" && o.rollback_to != "baseline") {
    const auto k = findWave(s.plan, o.rollback_to);
    if (!k) {
      err << fmt::format("meshtwin rollback: --to-wave {}: no such wave in plan {} (waves: {}; 0 or baseline: before the plan)\n",
                         o.rollback_to, s.plan.name, waveList(s.plan));
      return kExitBadInput;
    }
    to_phase = *k + 1;
  }
  int code = kExitBadInput;
  auto target = makeTarget(o, s, err, code);
  if (!target) return code;
  const auto r = deploy::runRollback(s, *target, to_phase, l->ro);
  if (r.exit_code != 0) err << "meshtwin rollback: " << r.message << "\n";
  return finish(r, l->ro, o, out);
}

int runDeployStatus(const DeployOptions& o, std::ostream& out, std::ostream& err) {
  auto l = load(o, "deploy status", err);
  if (!l) return kExitBadInput;
  deploy::Journal j;
  try {
    j = deploy::Journal::open(deploy::journalPath(l->ro.state_dir));
  } catch (const std::exception& e) {
    err << "meshtwin deploy status: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (j.empty()) {
    err << fmt::format("meshtwin deploy status: no journal in {} (nothing deployed from this machine; --state-dir?)\n", l->ro.state_dir);
    return kExitBadInput;
  }
  auto r = deploy::deployStatus(*l->loaded->scenario, j);
  if (o.output == "json") {
    out << deploy::toJson(r, j).dump(2) << "\n";
  } else {
    printResult(r, out);
  }
  return kExitOk;
}

}  // namespace meshtwin::cli
