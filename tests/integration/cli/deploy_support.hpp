// For the deploy tests: a stand-in API server (no kube-apiserver can run here) holding the
// cluster scenarios/default.yaml describes, with scripted Deployment and Gateway controllers;
// a metrics endpoint serving the ingress gateway's Istio request metrics (errors on demand); a
// real Prometheus scraping it every second; and a kubeconfig naming the stand-in.
#pragma once

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "../../support/kube_standin.hpp"
#include "../../support/prometheus_support.hpp"
#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::test {

inline const models::Scenario& defaultScenario() {
  if (!std::filesystem::is_regular_file("scenarios/default.yaml")) std::filesystem::current_path(MESHTWIN_SOURCE_DIR);
  static const auto loaded = models::loadScenarioFile("scenarios/default.yaml");
  if (!loaded.ok()) throw std::runtime_error("scenarios/default.yaml does not load");
  return *loaded.scenario;
}

inline nlohmann::json kubectlObject(const std::string& api, const std::string& kind, const std::string& ns, const std::string& name) {
  nlohmann::json m{{"name", name}, {"generation", 1}, {"labels", {{"app", name}}}};
  m["managedFields"] = nlohmann::json::array({{{"manager", "kubectl-client-side-apply"}, {"operation", "Update"},
                                               {"apiVersion", api}, {"fieldsType", "FieldsV1"},
                                               {"fieldsV1", {{"f:metadata", {{"f:labels", {{"f:app", nlohmann::json::object()}}}}}}}}});
  if (!ns.empty()) m["namespace"] = ns;
  return {{"apiVersion", api}, {"kind", kind}, {"metadata", m}};
}

// The default scenario's cluster before its plan: four namespaces with sidecar injection, a
// Deployment per workload (rolled out), Istio's ambient parts ready, the waypoint class.
struct DeployCluster {
  TestPki pki = makeTestPki();
  KubeApiStandin api{pki};

  DeployCluster() {
    for (const auto& [gv, res, kind, namespaced] : std::vector<std::tuple<std::string, std::string, std::string, bool>>{
             {"v1", "namespaces", "Namespace", false}, {"v1", "configmaps", "ConfigMap", true}, {"v1", "services", "Service", true},
             {"apps/v1", "deployments", "Deployment", true}, {"apps/v1", "daemonsets", "DaemonSet", true},
             {"autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true},
             {"gateway.networking.k8s.io/v1", "gateways", "Gateway", true},
             {"gateway.networking.k8s.io/v1", "gatewayclasses", "GatewayClass", false},
             {"gateway.networking.k8s.io/v1", "httproutes", "HTTPRoute", true},
             {"security.istio.io/v1", "authorizationpolicies", "AuthorizationPolicy", true},
             {"security.istio.io/v1", "peerauthentications", "PeerAuthentication", true},
             {"kyverno.io/v1", "clusterpolicies", "ClusterPolicy", false}}) {
      api.addResource(gv, res, kind, namespaced);
    }
    const auto& s = defaultScenario();
    std::set<std::string> namespaces{"istio-system"};
    for (const auto& w : s.workloads) namespaces.insert(w.ns);
    for (const auto& ns : namespaces) {
      auto n = kubectlObject("v1", "Namespace", "", ns);
      if (ns != "istio-system") {
        n["metadata"]["labels"]["istio-injection"] = "enabled";
        n["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"]["f:labels"]["f:istio-injection"] = nlohmann::json::object();
      }
      api.addObject("namespaces", n);
    }
    for (const auto& w : s.workloads) {
      auto d = kubectlObject("apps/v1", "Deployment", w.ns, w.name);
      d["spec"] = {{"replicas", w.replicas}, {"selector", {{"matchLabels", {{"app", w.name}}}}},
                   {"template", {{"metadata", {{"labels", {{"app", w.name}}}}}, {"spec", {{"containers", {{{"name", w.name}, {"image", "app"}}}}}}}}};
      d["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"] = {{"f:replicas", nlohmann::json::object()}};
      d["status"] = {{"observedGeneration", 1}, {"replicas", w.replicas}, {"updatedReplicas", w.replicas}, {"availableReplicas", w.replicas}};
      api.addObject("deployments", d);
    }
    for (const char* ds : {"ztunnel", "istio-cni-node"}) {
      auto d = kubectlObject("apps/v1", "DaemonSet", "istio-system", ds);
      d["status"] = {{"desiredNumberScheduled", 3}, {"numberReady", 3}};
      api.addObject("daemonsets", d);
    }
    api.addObject("gatewayclasses", kubectlObject("gateway.networking.k8s.io/v1", "GatewayClass", "", "istio-waypoint"));
    api.acceptToken("deploy-token");
  }

  [[nodiscard]] std::string kubeconfig(const std::filesystem::path& dir) const {
    const auto path = (dir / "kubeconfig").string();
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: standin\n"
                        << "clusters:\n- name: standin\n  cluster:\n    server: " << api.url()
                        << "\n    certificate-authority-data: " << kube::base64Encode(pki.ca_pem)
                        << "\nusers:\n- name: deployer\n  user:\n    token: deploy-token\n"
                        << "contexts:\n- name: standin\n  context: {cluster: standin, user: deployer}\n";
    return path;
  }

  // How many server-side applies (a PATCH with force=; dry runs counted apart) of the object at
  // `path` ("/api/v1/namespaces/data") succeeded.
  [[nodiscard]] int patches(const std::string& path, bool dry_run) const {
    int n = 0;
    for (const auto& s : api.seen()) {
      const bool dry = s.target.find("dryRun=All") != std::string::npos;
      const bool apply = s.target.find("force=") != std::string::npos;
      if (s.method == "PATCH" && apply && s.target.rfind(path + "?", 0) == 0 && dry == dry_run && s.status < 300) ++n;
    }
    return n;
  }
};

// The ingress gateway's request metrics for every entry path of the scenario: 100 requests a
// second each, 90% within 5 ms and all within 10 ms; `errors` adds 25 503s a second.
class IngressMetrics {
 public:
  IngressMetrics()
      : t0_(std::chrono::steady_clock::now()),
        server_([this](const StandinRequest&) { return StandinResponse{200, text(), "text/plain; version=0.0.4", {}}; }) {}
  std::atomic<bool> errors{false};
  std::atomic<double> ztunnel_memory{0};  // > 0: cAdvisor's working set of one ztunnel, in bytes
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

 private:
  std::string text() {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    if (errors.load()) error_seconds_ += t - last_;
    last_ = t;
    const auto ok = static_cast<long>(100 * t), bad = static_cast<long>(25 * error_seconds_);
    std::string out = "# TYPE istio_requests_total counter\n# TYPE istio_request_duration_milliseconds histogram\n";
    for (const auto& ep : defaultScenario().entry_points) {
      const auto& svc = defaultScenario().services[ep.service];
      const auto l = fmt::format(R"(reporter="source",source_workload="istio-ingressgateway",destination_service_name="{}",destination_service_namespace="{}")",
                                 svc.name, svc.ns);
      out += fmt::format("istio_requests_total{{{},response_code=\"200\"}} {}\n", l, ok);
      out += fmt::format("istio_requests_total{{{},response_code=\"503\"}} {}\n", l, bad);
      out += fmt::format("istio_request_duration_milliseconds_bucket{{{},le=\"5\"}} {}\n", l, (ok + bad) * 9 / 10);
      out += fmt::format("istio_request_duration_milliseconds_bucket{{{},le=\"10\"}} {}\n", l, ok + bad);
      out += fmt::format("istio_request_duration_milliseconds_bucket{{{},le=\"+Inf\"}} {}\n", l, ok + bad);
      out += fmt::format("istio_request_duration_milliseconds_sum{{{}}} {}\n", l, 4 * (ok + bad));
      out += fmt::format("istio_request_duration_milliseconds_count{{{}}} {}\n", l, ok + bad);
    }
    if (ztunnel_memory.load() > 0) {
      out += fmt::format("# TYPE container_memory_working_set_bytes gauge\n"
                         "container_memory_working_set_bytes{{namespace=\"istio-system\",container=\"istio-proxy\",pod=\"ztunnel-a1b2c\"}} {:.0f}\n",
                         ztunnel_memory.load());
    }
    return out;
  }
  std::chrono::steady_clock::time_point t0_;
  double last_ = 0, error_seconds_ = 0;
  StandinHttpServer server_;
};

// A real Prometheus (Debian's) scraping `target` every second, with its own data directory.
struct LivePrometheus {
  TempDir dir;
  std::string url;
  std::unique_ptr<ChildProcess> process;

  explicit LivePrometheus(const std::string& target) {
    const auto cfg = dir.path() / "prometheus.yml";
    std::ofstream(cfg) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: ingress\n"
                       << "  static_configs:\n  - targets: ['" << target << "']\n";
    const int port = freePort();
    url = "http://127.0.0.1:" + std::to_string(port);
    process = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + cfg.string(), "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        dir.path() / "prometheus.log");
  }

  // Until three scrapes are in (rates over a few seconds have data); false after 30 s.
  bool waitForSamples() {
    kube::PrometheusConfig c;
    c.url = url;
    c.timeout = std::chrono::seconds(5);
    const kube::PrometheusClient client(c);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && process->running()) {
      const auto r = client.query("min(count_over_time(istio_requests_total[1m]))");
      if (r.ok() && !r->data["result"].empty() && std::stod(r->data["result"][0]["value"][1].get<std::string>()) >= 3) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }
};

inline bool havePrometheus() { return std::filesystem::exists("/usr/bin/prometheus"); }

}  // namespace meshtwin::test
