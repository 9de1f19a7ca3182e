// `meshtwin import --from-cluster` against a stand-in Kubernetes API server (no real one can
// run here): TLS with a test CA, a bearer token from a kubeconfig file, paginated lists; the
// objects become a scenario, and a 403 exits 3 naming the resource and the ClusterRole.
#include <catch2/catch.hpp>

#include <fstream>

#include "../../support/kube_standin.hpp"
#include "../../support/scratch.hpp"
#include "../../unit/cli/cli_run.hpp"
#include "meshtwin/kube/base64.hpp"
#include "meshtwin/models/loader.hpp"

using namespace meshtwin;
using cli::test::contains;

namespace {

nlohmann::json obj(const std::string& api, const std::string& kind, const std::string& ns, const std::string& name) {
  nlohmann::json m{{"name", name}, {"labels", {{"app", name}}},
                   {"managedFields", {{{"manager", "kubectl-client-side-apply"}, {"operation", "Update"}}}}};
  if (!ns.empty()) m["namespace"] = ns;
  return {{"apiVersion", api}, {"kind", kind}, {"metadata", m}};
}

// A cluster of two namespaces: shop (sidecars) with web -> cart, data (ambient) with db.
struct Cluster {
  test::TestPki pki = test::makeTestPki();
  test::KubeApiStandin api{pki};

  Cluster() {
    for (const auto& [gv, res, kind, namespaced] : std::vector<std::tuple<std::string, std::string, std::string, bool>>{
             {"v1", "namespaces", "Namespace", false}, {"v1", "nodes", "Node", false}, {"v1", "pods", "Pod", true},
             {"v1", "services", "Service", true}, {"apps/v1", "deployments", "Deployment", true},
             {"apps/v1", "statefulsets", "StatefulSet", true}, {"apps/v1", "daemonsets", "DaemonSet", true},
             {"apps/v1", "replicasets", "ReplicaSet", true},
             {"autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true},
             {"policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true},
             {"security.istio.io/v1", "authorizationpolicies", "AuthorizationPolicy", true}}) {
      api.addResource(gv, res, kind, namespaced);
    }
    auto shop = obj("v1", "Namespace", "", "shop");
    shop["metadata"]["labels"] = {{"istio-injection", "enabled"}, {"team", "storefront"}};
    api.addObject("namespaces", shop);
    auto data = obj("v1", "Namespace", "", "data");
    data["metadata"]["labels"] = {{"istio.io/dataplane-mode", "ambient"}};
    api.addObject("namespaces", data);
    for (int z = 0; z < 2; ++z) {
      auto node = obj("v1", "Node", "", "node-" + std::to_string(z));
      node["metadata"]["labels"] = {{"topology.kubernetes.io/zone", z == 0 ? "zone-a" : "zone-b"},
                                    {"node.kubernetes.io/instance-type", "m6i.xlarge"}};
      node["status"] = {{"allocatable", {{"cpu", "3920m"}, {"memory", "15Gi"}}}};
      api.addObject("nodes", node);
    }
    for (const auto& [ns, name, replicas] : std::vector<std::tuple<std::string, std::string, int>>{
             {"shop", "web", 3}, {"shop", "cart", 2}, {"data", "db", 2}}) {
      nlohmann::json container{{"name", name}, {"image", "registry.example/" + name}};
      container["resources"]["requests"] = {{"cpu", "200m"}, {"memory", "256Mi"}};
      auto d = obj("apps/v1", "Deployment", ns, name);
      d["spec"]["replicas"] = replicas;
      d["spec"]["selector"]["matchLabels"]["app"] = name;
      d["spec"]["template"]["metadata"]["labels"]["app"] = name;
      d["spec"]["template"]["spec"]["containers"] = nlohmann::json::array({container});
      api.addObject("deployments", d);
      auto s = obj("v1", "Service", ns, name);
      s["spec"]["selector"]["app"] = name;
      s["spec"]["ports"] = nlohmann::json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}});
      api.addObject("services", s);
    }
    api.acceptToken("import-token");
  }

  // A kubeconfig naming the stand-in with its CA and the token.
  std::string kubeconfig(const test::TempDir& dir) const {
    const auto path = dir / "kubeconfig";
    std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: standin\n"
                        << "clusters:\n- name: standin\n  cluster:\n    server: " << api.url()
                        << "\n    certificate-authority-data: " << kube::base64Encode(pki.ca_pem)
                        << "\nusers:\n- name: importer\n  user:\n    token: import-token\n"
                        << "contexts:\n- name: standin\n  context: {cluster: standin, user: importer}\n";
    return path;
  }
};

}  // namespace

TEST_CASE("import --from-cluster reads the live objects into a scenario (stand-in API server)") {
  Cluster c;
  test::TempDir dir("import-cluster");
  const auto r = cli::test::cli({"import", "--from-cluster", "--kubeconfig", c.kubeconfig(dir), "-o", dir / "s.yaml", "--json"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const auto loaded = models::loadScenarioFile(dir / "s.yaml");
  REQUIRE(loaded.ok());
  const auto& s = *loaded.scenario;
  CHECK(s.workloads.size() == 3);
  CHECK(s.services.size() == 3);
  CHECK(s.zones.size() == 2);
  CHECK(s.podCount() >= 7);
  const auto report = nlohmann::json::parse(r.out);
  CHECK(report["sources"][0].get<std::string>().find("cluster standin") == 0);
  // The Istio networking and Gateway API groups are not served: said, not an error.
  CHECK(contains(report.dump(), "gateway.networking.k8s.io is not served"));
  // Every request carried the kubeconfig's token.
  for (const auto& seen : c.api.seen()) CHECK(seen.authorization == "Bearer import-token");
}

TEST_CASE("import --from-cluster on a 403 exits 3 with the resource and the ClusterRole (stand-in API server)") {
  Cluster c;
  c.api.forbid("deployments", "list");
  test::TempDir dir("import-cluster-403");
  const auto r = cli::test::cli({"import", "--from-cluster", "--kubeconfig", c.kubeconfig(dir), "-o", dir / "s.yaml"});
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "403"));
  CHECK(contains(r.err, "deployments"));
  CHECK(contains(r.err, "kind: ClusterRole"));
  CHECK(contains(r.err, "verbs: [get, list]"));
}

TEST_CASE("import --from-cluster with an unknown context exits 2 and lists the contexts") {
  Cluster c;
  test::TempDir dir("import-cluster-ctx");
  const auto r = cli::test::cli({"import", "--from-cluster", "--kubeconfig", c.kubeconfig(dir), "--context", "prod"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "standin"));
}
