// `meshtwin deploy --target kube` end to end against a stand-in API server (no kube-apiserver
// can run on this machine; the product's client does not know): server-side apply after a dry
// run, readiness by watch, gates read from a real Prometheus, a failed gate rolled back, a field
// conflict, pre-flight findings, a crash resumed with no step done twice, and bad input.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include "../../unit/cli/cli_run.hpp"
#include "deploy_support.hpp"
#include "meshtwin/deploy/journal.hpp"
#include "meshtwin/sim/simulation.hpp"

using namespace meshtwin;
using cli::test::contains;
using nlohmann::json;

namespace {

std::vector<std::string> deployArgs(const std::string& kubeconfig, const std::filesystem::path& state, std::vector<std::string> more) {
  std::vector<std::string> args{"deploy", "scenarios/default.yaml", "--target", "kube", "--kubeconfig", kubeconfig,
                                "--state-dir", state.string(), "--ready-timeout", "20s"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> gateArgs(const std::string& prometheus) {
  return {"--prometheus", prometheus, "--soak", "3s", "--gate-interval", "1s", "--window", "10s", "--no-prediction"};
}

std::string label(const std::optional<json>& o, const std::string& key) {
  if (!o) return "<absent>";
  return (*o)["metadata"].value("labels", json::object()).value(key, "<none>");
}

}  // namespace

TEST_CASE("deploy applies every wave server-side behind passing gates (stand-in API server, real Prometheus)", "[deploy]") {
  if (!test::havePrometheus()) {
    WARN("skipped: /usr/bin/prometheus is not installed (Debian package prometheus)");
    return;
  }
  test::DeployCluster c;
  c.api.runDeploymentController(std::chrono::milliseconds(100));
  c.api.runGatewayController(std::chrono::milliseconds(100));
  test::IngressMetrics metrics;
  test::LivePrometheus prom(metrics.address());
  REQUIRE(prom.waitForSamples());
  test::TempDir dir;
  auto args = deployArgs(c.kubeconfig(dir.path()), dir.path() / "state", gateArgs(prom.url));
  const auto r = cli::test::cli(args);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  // Wave 1 made data ambient; the sidecar-injection label kubectl set is gone.
  const auto data = c.api.object("namespaces", "", "data");
  CHECK(label(data, "istio.io/dataplane-mode") == "ambient");
  CHECK(label(data, "istio-injection") == "<none>");
  CHECK(label(data, "meshtwin.io/wave") == "wave-1-data");
  // Wave 2's waypoint is a Gateway meshtwin manages, programmed.
  const auto gw = c.api.object("gateways", "checkout", "checkout-waypoint");
  REQUIRE(gw);
  CHECK(contains((*gw)["metadata"]["managedFields"].dump(), "\"manager\":\"meshtwin\""));
  CHECK(contains((*gw)["status"].dump(), "Programmed"));
  // The namespace is told to use the waypoint only once the waypoint is Programmed: its real
  // apply comes after the wait on the Gateway (a GET, then a watch until Programmed).
  std::size_t gateway_ready = 0, labelled = 0;
  const auto seen = c.api.seen();
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const bool real = seen[i].target.find("dryRun=All") == std::string::npos;
    if (seen[i].method == "GET" && contains(seen[i].target, "/gateways/checkout-waypoint") && gateway_ready == 0) gateway_ready = i;
    if (seen[i].method == "PATCH" && real && seen[i].target.rfind("/api/v1/namespaces/checkout?", 0) == 0 && labelled == 0) labelled = i;
  }
  CHECK(gateway_ready > 0);
  CHECK(labelled > gateway_ready);
  // Every real apply of an object came after a dry run of it.
  CHECK(c.patches("/api/v1/namespaces/data", true) == 1);
  CHECK(c.patches("/api/v1/namespaces/data", false) == 1);
  CHECK(c.patches("/apis/gateway.networking.k8s.io/v1/namespaces/checkout/gateways/checkout-waypoint", true) == 1);
  // The journal's copy in the cluster, and the report.
  const auto cm = c.api.object("configmaps", "istio-system", "meshtwin-deploy-" + test::defaultScenario().plan.name);
  REQUIRE(cm);
  CHECK(contains((*cm)["data"]["journal.jsonl"].get<std::string>(), "\"step\":\"finish\""));
  CHECK(contains(r.out, "passed"));
  CHECK(contains(r.out, "ok   p99 web <= 120 ms"));
  const auto status = cli::test::cli({"deploy", "status", "scenarios/default.yaml", "--state-dir", (dir.path() / "state").string(), "-o", "json"});
  REQUIRE(status.rc == 0);
  const auto report = json::parse(status.out);
  CHECK(report["phase"] == 3);
  CHECK(report["waves"][2]["status"] == "passed");
  CHECK(report["waves"][0]["gates"][0]["measured"].get<double>() < 120);
}

TEST_CASE("a failing error-ratio gate rolls the wave back and exits 1 (stand-in API server, real Prometheus)", "[deploy]") {
  if (!test::havePrometheus()) {
    WARN("skipped: /usr/bin/prometheus is not installed (Debian package prometheus)");
    return;
  }
  test::DeployCluster c;
  test::IngressMetrics metrics;
  c.api.runDeploymentController(std::chrono::milliseconds(100));
  // The checkout waypoint, once programmed, answers a quarter of the requests with 503.
  c.api.reconcile("gateways", std::chrono::milliseconds(100), [&metrics](json& g) {
    test::standin::gatewayProgrammed(g);
    if (g["metadata"].value("name", "") == "checkout-waypoint") metrics.errors = true;
  });
  test::LivePrometheus prom(metrics.address());
  REQUIRE(prom.waitForSamples());
  test::TempDir dir;
  const auto r = cli::test::cli(deployArgs(c.kubeconfig(dir.path()), dir.path() / "state", gateArgs(prom.url)));
  INFO(r.err);
  REQUIRE(r.rc == 1);
  CHECK(contains(r.err, "wave 2 (wave-2-checkout) failed its gates and was rolled back"));
  CHECK(contains(r.out, "FAIL error ratio web <= 0.5%"));
  // Wave 2 undone: its Gateway deleted, checkout back on sidecars; wave 1 stays.
  CHECK_FALSE(c.api.object("gateways", "checkout", "checkout-waypoint"));
  const auto checkout = c.api.object("namespaces", "", "checkout");
  CHECK(label(checkout, "istio.io/dataplane-mode") == "<none>");
  CHECK(label(checkout, "istio-injection") == "enabled");
  CHECK(label(c.api.object("namespaces", "", "data"), "istio.io/dataplane-mode") == "ambient");
  // Wave 3 never started.
  CHECK(c.patches("/api/v1/namespaces/shop", false) == 0);
  const auto j = deploy::Journal::open((dir.path() / "state/journal.jsonl").string());
  CHECK(deploy::journalPhase(j) == 1);
  CHECK(j.finished());
}

TEST_CASE("a field another manager owns stops the dry run, naming field and manager; --force-conflicts takes it (stand-in API server)",
          "[deploy]") {
  test::DeployCluster c;
  c.api.runDeploymentController(std::chrono::milliseconds(50));
  auto data = test::kubectlObject("v1", "Namespace", "", "data");
  data["metadata"]["labels"]["istio.io/dataplane-mode"] = "none";
  data["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"]["f:labels"]["f:istio.io/dataplane-mode"] = json::object();
  c.api.addObject("namespaces", data);
  test::TempDir dir;
  const auto kc = c.kubeconfig(dir.path());
  const auto r = cli::test::cli(deployArgs(kc, dir.path() / "state", {"--skip-gates", "--soak", "0s", "--to-wave", "1"}));
  INFO(r.err);
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "Namespace data"));
  CHECK(contains(r.err, "istio.io/dataplane-mode"));
  CHECK(contains(r.err, "kubectl-client-side-apply"));
  CHECK(contains(r.err, "--force-conflicts"));
  CHECK(c.patches("/api/v1/namespaces/data", false) == 0);  // the dry run stopped it: nothing changed
  CHECK(label(c.api.object("namespaces", "", "data"), "istio.io/dataplane-mode") == "none");
  const auto forced = cli::test::cli(deployArgs(kc, dir.path() / "state", {"--skip-gates", "--soak", "0s", "--to-wave", "1", "--resume", "--force-conflicts"}));
  INFO(forced.err);
  CHECK(forced.rc == 0);
  const auto now = c.api.object("namespaces", "", "data");
  CHECK(label(now, "istio.io/dataplane-mode") == "ambient");
  CHECK(contains((*now)["metadata"]["managedFields"].dump(), "meshtwin"));
}

TEST_CASE("pre-flight lists what is missing with the rule that grants it, and changes nothing (stand-in API server)", "[deploy]") {
  test::DeployCluster c;
  c.api.forbid("gateways", "patch");
  test::TempDir dir;
  const auto r = cli::test::cli(deployArgs(c.kubeconfig(dir.path()), dir.path() / "state", {"--skip-gates"}));
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "may not patch gateways.gateway.networking.k8s.io in namespace checkout"));
  CHECK(contains(r.err, "verbs: [\"patch\"]"));
  // Nothing but the journal's ConfigMap copy was written.
  for (const auto& s : c.api.seen()) {
    if (s.method == "PATCH") CHECK(contains(s.target, "/configmaps/meshtwin-deploy-"));
  }
}

TEST_CASE("pre-flight names an API the cluster does not serve and a missing ztunnel (stand-in API server)", "[deploy]") {
  test::DeployCluster c;
  test::TempDir dir;
  // A cluster without the Gateway API CRDs: its group is not served at all.
  test::TestPki pki = test::makeTestPki();
  test::KubeApiStandin bare(pki);
  bare.addResource("v1", "namespaces", "Namespace", false);
  bare.addResource("apps/v1", "deployments", "Deployment", true);
  bare.addResource("apps/v1", "daemonsets", "DaemonSet", true);
  const auto kc = (dir.path() / "bare-kubeconfig").string();
  std::ofstream(kc) << "apiVersion: v1\nkind: Config\ncurrent-context: bare\nclusters:\n- name: bare\n  cluster:\n    server: " << bare.url()
                    << "\n    certificate-authority-data: " << kube::base64Encode(pki.ca_pem)
                    << "\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: bare\n  context: {cluster: bare, user: u}\n";
  const auto r = cli::test::cli(deployArgs(kc, dir.path() / "state", {"--skip-gates"}));
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "gateway.networking.k8s.io/v1 Gateway is not served"));
  CHECK(contains(r.err, "DaemonSet istio-system/ztunnel is not installed"));
}

TEST_CASE("a deploy killed mid-wave resumes with no step done twice (stand-in API server)", "[deploy]") {
  test::DeployCluster c;
  // Rollouts take 3 s: the deploy is killed while it waits for wave 1.
  c.api.runDeploymentController(std::chrono::milliseconds(3000));
  test::TempDir dir;
  const auto kc = c.kubeconfig(dir.path());
  const auto state = dir.path() / "state";
  std::vector<std::string> argv{MESHTWIN_BIN};
  for (const auto& a : deployArgs(kc, state, {"--skip-gates", "--soak", "0s", "--to-wave", "1"})) argv.push_back(a);
  const pid_t pid = test::spawn(argv, dir.path() / "first.log");
  REQUIRE(pid > 0);
  const auto journal = (state / "journal.jsonl").string();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto j = deploy::Journal::open(journal);
    waiting = j.last() && j.last()->step == deploy::step::kReady && j.last()->event == "begin";
  }
  INFO(test::fileText(dir.path() / "first.log"));
  REQUIRE(waiting);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  CHECK(c.patches("/api/v1/namespaces/data", false) == 1);
  const auto status = cli::test::cli({"deploy", "status", "scenarios/default.yaml", "--state-dir", state.string()});
  CHECK(contains(status.out, "in flight: ready begin wave 1"));
  const auto r = cli::test::cli(deployArgs(kc, state, {"--skip-gates", "--soak", "0s", "--to-wave", "1", "--resume"}));
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(contains(r.err, "apply: done before"));
  // The wave's objects were applied once, in the first run; the resumed run only waited.
  CHECK(c.patches("/api/v1/namespaces/data", false) == 1);
  CHECK(c.patches("/apis/apps/v1/namespaces/data/deployments/inventory", false) == 1);
  CHECK(c.patches("/api/v1/namespaces/data", true) == 1);
  // A fresh deploy starts after the journaled phase; a second --resume replays the end.
  CHECK(cli::test::cli(deployArgs(kc, state, {"--skip-gates", "--soak", "0s", "--resume"})).rc == 0);
}

TEST_CASE("rollback --to-wave returns the cluster to the state before the plan (stand-in API server)", "[deploy]") {
  test::DeployCluster c;
  c.api.runDeploymentController(std::chrono::milliseconds(50));
  c.api.runGatewayController(std::chrono::milliseconds(50));
  test::TempDir dir;
  const auto kc = c.kubeconfig(dir.path());
  const auto state = dir.path() / "state";
  REQUIRE(cli::test::cli(deployArgs(kc, state, {"--skip-gates", "--soak", "0s", "--to-wave", "2"})).rc == 0);
  REQUIRE(c.api.object("gateways", "checkout", "checkout-waypoint"));
  const auto r = cli::test::cli({"rollback", "scenarios/default.yaml", "--to-wave", "baseline", "--kubeconfig", kc, "--state-dir", state.string()});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_FALSE(c.api.object("gateways", "checkout", "checkout-waypoint"));
  for (const char* ns : {"data", "checkout"}) {
    CHECK(label(c.api.object("namespaces", "", ns), "istio-injection") == "enabled");
    CHECK(label(c.api.object("namespaces", "", ns), "istio.io/dataplane-mode") == "<none>");
  }
  CHECK(contains(r.out, "phase 0"));
}

TEST_CASE("deploy's bad input and unreachable cluster give exit codes 2 and 3 with the object named", "[deploy]") {
  test::DeployCluster c;
  test::TempDir dir;
  const auto kc = c.kubeconfig(dir.path());
  const auto wave = cli::test::cli(deployArgs(kc, dir.path() / "s1", {"--skip-gates", "--to-wave", "9"}));
  CHECK(wave.rc == 2);
  CHECK(contains(wave.err, "--to-wave 9: no such wave"));
  CHECK(cli::test::cli(deployArgs(kc, dir.path() / "s2", {})).rc == 2);  // gates need --prometheus
  c.api.revokeTokens();
  const auto expired = cli::test::cli(deployArgs(kc, dir.path() / "s3", {"--skip-gates"}));
  CHECK(expired.rc == 3);
  CHECK(contains(expired.err, "401"));
  const auto unreachable_kc = (dir.path() / "gone").string();
  std::ofstream(unreachable_kc) << "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:"
                                << test::freePort() << "\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\n"
                                << "contexts:\n- name: gone\n  context: {cluster: gone, user: u}\n";
  const auto gone = cli::test::cli(deployArgs(unreachable_kc, dir.path() / "s4", {"--skip-gates"}));
  CHECK(gone.rc == 3);
  CHECK(contains(gone.err, "ConnectionRefused"));
}

TEST_CASE("the prediction gate holds the cluster's ztunnel memory to the simulator's figure (stand-in API server, real Prometheus)",
          "[deploy]") {
  if (!test::havePrometheus()) {
    WARN("skipped: /usr/bin/prometheus is not installed (Debian package prometheus)");
    return;
  }
  const auto& s = test::defaultScenario();
  sim::SimOptions so;
  so.rollouts = false;
  so.seed = s.seed;
  const auto predicted = sim::simulateScenario(s, so);
  REQUIRE(predicted);
  double ztunnel = 0;
  for (const auto& p : predicted->phases) {
    if (p.name != s.plan.waves[0].name) continue;
    for (const auto& comp : p.components) {
      if (comp.kind == "ztunnel") ztunnel = comp.memory_bytes;
    }
  }
  REQUIRE(ztunnel > 0);
  for (const double factor : {1.2, 3.0}) {
    INFO("measured = " << factor << " x predicted");
    test::DeployCluster c;
    c.api.runDeploymentController(std::chrono::milliseconds(50));
    test::IngressMetrics metrics;
    metrics.ztunnel_memory = factor * ztunnel;
    test::LivePrometheus prom(metrics.address());
    REQUIRE(prom.waitForSamples());
    test::TempDir dir;
    const auto r = cli::test::cli(deployArgs(c.kubeconfig(dir.path()), dir.path() / "state",
                                             {"--prometheus", prom.url, "--soak", "3s", "--gate-interval", "1s", "--window", "10s",
                                              "--to-wave", "1", "-o", "json"}));
    INFO(r.err);
    REQUIRE(r.rc == (factor < 1.5 ? 0 : 1));
    const auto report = json::parse(r.out);
    bool seen = false;
    for (const auto& g : report["waves"][0]["gates"]) {
      if (g["name"] != "ztunnel memory vs prediction") continue;
      seen = true;
      CHECK(g["predicted"].get<double>() == Approx(ztunnel));
      CHECK(g["measured"].get<double>() == Approx(factor * ztunnel).epsilon(1e-6));
      CHECK(g["holds"] == (factor < 1.5));
    }
    CHECK(seen);
  }
}
