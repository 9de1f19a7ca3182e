// deploy/'s renderer on scenarios/default.yaml: what each wave renders (namespace labels,
// the checkout waypoint's Gateway, ConfigMap and HPA, the moved policy), the meshtwin labels,
// determinism, and the kustomization listing every file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "meshtwin/deploy/render.hpp"
#include "meshtwin/models/loader.hpp"

namespace fs = std::filesystem;
using meshtwin::deploy::RenderedObject;
using meshtwin::deploy::RenderedWave;
using nlohmann::json;

namespace {

const std::string kDefault = "scenarios/default.yaml";

const meshtwin::models::Scenario& defaultScenario() {
  if (!fs::is_regular_file(kDefault)) fs::current_path(MESHTWIN_SOURCE_DIR);
  static const auto loaded = meshtwin::models::loadScenarioFile(kDefault);
  REQUIRE(loaded.ok());
  return *loaded.scenario;
}

const json* find(const RenderedWave& w, const std::string& kind, const std::string& name) {
  for (const auto& o : w.objects) {
    if (o.body["kind"] == kind && o.body["metadata"]["name"] == name) return &o.body;
  }
  return nullptr;
}

std::set<std::string> kinds(const RenderedWave& w, const std::string& kind) {
  std::set<std::string> out;
  for (const auto& o : w.objects) {
    if (o.body["kind"] == kind) out.insert(o.body["metadata"]["name"].get<std::string>());
  }
  return out;
}

void requireMeshtwinLabels(const json& body, const std::string& wave) {
  const auto& l = body["metadata"]["labels"];
  CHECK(l["meshtwin.io/plan"] == "shop-to-ambient");
  CHECK(l["meshtwin.io/wave"] == wave);
}

}  // namespace

TEST_CASE("render: wave 1 enrols the data namespace and restarts its sidecar pods", "[deploy][render]") {
  const auto w = meshtwin::deploy::renderWave(defaultScenario(), 0);
  CHECK(w.name == "wave-1-data");
  CHECK(kinds(w, "Namespace") == std::set<std::string>{"data"});
  const auto* ns = find(w, "Namespace", "data");
  REQUIRE(ns);
  CHECK((*ns)["apiVersion"] == "v1");
  const auto& labels = (*ns)["metadata"]["labels"];
  CHECK(labels["istio.io/dataplane-mode"] == "ambient");
  CHECK(labels["app.kubernetes.io/managed-by"] == "meshtwin");
  CHECK_FALSE(labels.contains("istio-injection"));
  requireMeshtwinLabels(*ns, "wave-1-data");
  // Leaving sidecars needs new pods: the restart annotation, the same on every render.
  CHECK(kinds(w, "Deployment") == std::set<std::string>{"inventory", "pricing"});
  const auto* inv = find(w, "Deployment", "inventory");
  REQUIRE(inv);
  CHECK((*inv)["metadata"]["namespace"] == "data");
  CHECK((*inv)["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] ==
        "shop-to-ambient/wave-1-data");
  CHECK(kinds(w, "ClusterPolicy") == std::set<std::string>{"meshtwin-required-labels"});  // the label contract
  CHECK(w.objects.size() == 4);
  // istio-injection was set by another manager: removed beside the apply, and listed.
  REQUIRE(w.label_removals.size() == 1);
  CHECK(w.label_removals[0].kind == "Namespace");
  CHECK(w.label_removals[0].name == "data");
  CHECK(w.label_removals[0].labels == std::vector<std::string>{"istio-injection"});
  CHECK(w.deletions.empty());
}

TEST_CASE("render: wave 2 deploys the checkout waypoint, binds it and moves the L7 policy", "[deploy][render]") {
  const auto w = meshtwin::deploy::renderWave(defaultScenario(), 1);
  CHECK(w.name == "wave-2-checkout");
  const auto* gw = find(w, "Gateway", "checkout-waypoint");
  REQUIRE(gw);
  CHECK((*gw)["apiVersion"] == "gateway.networking.k8s.io/v1");
  CHECK((*gw)["metadata"]["namespace"] == "checkout");
  CHECK((*gw)["metadata"]["labels"]["istio.io/waypoint-for"] == "service");
  CHECK((*gw)["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshtwin");
  requireMeshtwinLabels(*gw, "wave-2-checkout");
  CHECK((*gw)["spec"]["gatewayClassName"] == "istio-waypoint");
  CHECK((*gw)["spec"]["listeners"] == json::array({json{{"name", "mesh"}, {"port", 15008}, {"protocol", "HBONE"}}}));
  const auto& params = (*gw)["spec"]["infrastructure"]["parametersRef"];
  CHECK(params["kind"] == "ConfigMap");
  const auto* cm = find(w, "ConfigMap", params["name"].get<std::string>());
  REQUIRE(cm);
  const auto overlay = (*cm)["data"]["deployment"].get<std::string>();
  CHECK(overlay.find("cpu: \"200m\"") != std::string::npos);
  CHECK(overlay.find("memory: \"1Gi\"") != std::string::npos);
  CHECK(overlay.find("eu-west-1b") != std::string::npos);
  CHECK(overlay.find("replicas") == std::string::npos);  // the HPA sizes it

  const auto* hpa = find(w, "HorizontalPodAutoscaler", "checkout-waypoint");
  REQUIRE(hpa);
  CHECK((*hpa)["apiVersion"] == "autoscaling/v2");
  CHECK((*hpa)["spec"]["scaleTargetRef"]["kind"] == "Deployment");
  CHECK((*hpa)["spec"]["scaleTargetRef"]["name"] == "checkout-waypoint");
  CHECK((*hpa)["spec"]["minReplicas"] == 2);
  CHECK((*hpa)["spec"]["maxReplicas"] == 4);
  CHECK((*hpa)["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70);

  const auto* ns = find(w, "Namespace", "checkout");
  REQUIRE(ns);
  CHECK((*ns)["metadata"]["labels"]["istio.io/use-waypoint"] == "checkout-waypoint");
  CHECK((*ns)["metadata"]["labels"]["istio.io/dataplane-mode"] == "ambient");
  CHECK(kinds(w, "Namespace") == std::set<std::string>{"checkout"});

  const auto* ap = find(w, "AuthorizationPolicy", "checkout-api");
  REQUIRE(ap);
  CHECK((*ap)["apiVersion"] == "security.istio.io/v1");
  CHECK((*ap)["metadata"]["namespace"] == "checkout");
  CHECK((*ap)["spec"]["targetRefs"] == json::array({json{{"kind", "Service"}, {"name", "checkout"}}}));
  CHECK_FALSE((*ap)["spec"].contains("selector"));
  CHECK((*ap)["spec"]["action"] == "ALLOW");
  CHECK(kinds(w, "AuthorizationPolicy") == std::set<std::string>{"checkout-api"});  // inventory-callers unchanged
  CHECK(kinds(w, "Deployment") == std::set<std::string>{"checkout", "payments", "shipping", "tax"});
  CHECK(w.objects.size() == 9);
}

TEST_CASE("render: wave 3 adds two waypoints and enrols shop and identity", "[deploy][render]") {
  const auto w = meshtwin::deploy::renderWave(defaultScenario(), 2);
  CHECK(kinds(w, "Gateway") == std::set<std::string>{"identity-waypoint", "shop-waypoint"});
  CHECK(kinds(w, "HorizontalPodAutoscaler") == std::set<std::string>{"identity-waypoint", "shop-waypoint"});
  CHECK(kinds(w, "Namespace") == std::set<std::string>{"identity", "shop"});
  CHECK(kinds(w, "Deployment").size() == 7);
  CHECK(kinds(w, "ClusterPolicy") == std::set<std::string>{"meshtwin-required-labels"});  // now Enforce
  CHECK(w.objects.size() == 16);
}

TEST_CASE("render: the plan renders the same bytes every time", "[deploy][render]") {
  const auto a = meshtwin::deploy::renderPlan(defaultScenario());
  const auto b = meshtwin::deploy::renderPlan(defaultScenario());
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(meshtwin::deploy::kustomization(a[i]) == meshtwin::deploy::kustomization(b[i]));
    CHECK(meshtwin::deploy::deletionsYaml(a[i]) == meshtwin::deploy::deletionsYaml(b[i]));
    REQUIRE(a[i].objects.size() == b[i].objects.size());
    for (std::size_t j = 0; j < a[i].objects.size(); ++j) {
      CHECK(a[i].objects[j].file == b[i].objects[j].file);
      CHECK(meshtwin::deploy::objectYaml(a[i].objects[j].body) == meshtwin::deploy::objectYaml(b[i].objects[j].body));
    }
  }
  // renderWave gives what renderPlan does for that wave.
  const auto w2 = meshtwin::deploy::renderWave(defaultScenario(), 1);
  CHECK(meshtwin::deploy::kustomization(w2) == meshtwin::deploy::kustomization(a[1]));
  CHECK(meshtwin::deploy::waveDirName(a[0]) == "01-wave-1-data");
}

TEST_CASE("render: kustomization lists every object file, each named after its object", "[deploy][render]") {
  for (const auto& w : meshtwin::deploy::renderPlan(defaultScenario())) {
    const auto k = meshtwin::deploy::kustomization(w);
    CHECK(k.find("kind: Kustomization") != std::string::npos);
    std::set<std::string> files;
    for (const auto& o : w.objects) {
      CHECK(k.find("- " + o.file + "\n") != std::string::npos);
      files.insert(o.file);
    }
    CHECK(files.size() == w.objects.size());  // no two objects share a file
  }
  const auto w2 = meshtwin::deploy::renderWave(defaultScenario(), 1);
  std::set<std::string> files;
  for (const auto& o : w2.objects) files.insert(o.file);
  CHECK(files.count("gateway-checkout-checkout-waypoint.yaml") == 1);
  CHECK(files.count("namespace-checkout.yaml") == 1);
  CHECK(files.count("authorizationpolicy-checkout-checkout-api.yaml") == 1);
}

TEST_CASE("render: objectYaml quotes what YAML would misread", "[deploy][render]") {
  const json j{{"a", "false"}, {"b", "9090"}, {"c", "plain-text"}, {"d", json::array({1, "x: y"})}, {"e", json::object()},
               {"f", "line one\nline two\n"}, {"g", json::array({json{{"k", 1}, {"l", "2"}}})}};
  CHECK(meshtwin::deploy::objectYaml(j) ==
        "a: \"false\"\n"
        "b: \"9090\"\n"
        "c: plain-text\n"
        "d:\n"
        "- 1\n"
        "- \"x: y\"\n"
        "e: {}\n"
        "f: |\n"
        "  line one\n"
        "  line two\n"
        "g:\n"
        "- k: 1\n"
        "  l: \"2\"\n");
}

TEST_CASE("render: writeWave writes the wave's directory", "[deploy][render]") {
  const auto w = meshtwin::deploy::renderWave(defaultScenario(), 0);
  const auto root = fs::temp_directory_path() / "meshtwin-render-test";
  fs::remove_all(root);
  const auto dir = meshtwin::deploy::writeWave(w, root.string());
  CHECK(dir == root / "01-wave-1-data");
  CHECK(fs::is_regular_file(dir / "kustomization.yaml"));
  CHECK(fs::is_regular_file(dir / "namespace-data.yaml"));
  CHECK(fs::is_regular_file(dir / "deletions.yaml"));
  fs::remove_all(root);
}
