// deploy/'s renderer on the change kinds scenarios/default.yaml does not use (a workload's
// own mode, a Service binding, a PeerAuthentication added, a policy removed), and every
// shipped scenario's rendered objects against the upstream schemas.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "meshtwin/deploy/render.hpp"
#include "meshtwin/deploy/schemas.hpp"
#include "meshtwin/models/loader.hpp"

namespace fs = std::filesystem;
using meshtwin::deploy::RenderedWave;
using nlohmann::json;

namespace {

void enterSourceDir() {
  if (!fs::is_directory("scenarios")) fs::current_path(MESHTWIN_SOURCE_DIR);
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

}  // namespace

namespace {

// The change kinds default.yaml does not use: a workload's own mode, a Service binding, a
// PeerAuthentication added, a policy removed.
const char* kChanges = R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: changes}
cluster:
  zones: [a, b]
  nodePools:
    - {name: general, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
workloads:
  - {name: front, namespace: shop, script: [{call: cart}]}
  - {name: cart, namespace: shop}
entryPoints:
  - {name: web, service: front.shop, load: [{constant: {rps: 10, duration: 10s}}]}
mesh:
  defaultMode: sidecar
  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: cart-callers, namespace: shop}
      spec:
        selector: {matchLabels: {app: cart}}
        action: ALLOW
        rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/front]}}]}]
plan:
  name: piecemeal
  waves:
    - name: cart-first
      changes:
        - addWaypoint: {name: cart-wp, namespace: shop, replicas: 2}
        - useWaypoint: {service: shop/cart, waypoint: cart-wp}
        - setMode: {workload: shop/cart, mode: ambient}
        - addPolicy:
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: shop-strict, namespace: shop}
            spec: {mtls: {mode: STRICT}}
    - name: drop-policy
      changes:
        - removePolicy: shop/cart-callers
)";

}  // namespace

TEST_CASE("render: workload modes, service bindings, added and removed policies", "[deploy][render]") {
  const auto loaded = meshtwin::models::loadScenarioText(kChanges, "changes.yaml");
  INFO((loaded.diagnostics.size() ? meshtwin::models::format(loaded.diagnostics.items().front()) : std::string()));
  REQUIRE(loaded.ok());
  const auto waves = meshtwin::deploy::renderPlan(*loaded.scenario);
  REQUIRE(waves.size() == 2);
  const auto& w1 = waves[0];
  CHECK(kinds(w1, "Namespace").empty());  // shop stays a sidecar namespace
  const auto* cart = find(w1, "Deployment", "cart");
  REQUIRE(cart);
  const auto& tmpl = (*cart)["spec"]["template"]["metadata"];
  CHECK(tmpl["labels"]["istio.io/dataplane-mode"] == "ambient");
  CHECK(tmpl["labels"]["sidecar.istio.io/inject"] == "false");
  CHECK(tmpl["annotations"]["kubectl.kubernetes.io/restartedAt"] == "piecemeal/cart-first");
  CHECK_FALSE((*cart)["metadata"]["labels"].contains("app.kubernetes.io/managed-by"));
  CHECK(find(w1, "Deployment", "front") == nullptr);
  const auto* svc = find(w1, "Service", "cart");
  REQUIRE(svc);
  CHECK((*svc)["metadata"]["labels"]["istio.io/use-waypoint"] == "cart-wp");
  const auto* pa = find(w1, "PeerAuthentication", "shop-strict");
  REQUIRE(pa);
  CHECK((*pa)["spec"]["mtls"]["mode"] == "STRICT");
  CHECK((*pa)["metadata"]["labels"]["meshtwin.io/wave"] == "cart-first");
  REQUIRE(find(w1, "Gateway", "cart-wp"));
  CHECK(find(w1, "HorizontalPodAutoscaler", "cart-wp") == nullptr);  // no hpa: replicas in the overlay
  const auto* cm = find(w1, "ConfigMap", "cart-wp-params");
  REQUIRE(cm);
  CHECK((*cm)["data"]["deployment"].get<std::string>().find("replicas: 2") != std::string::npos);
  CHECK(w1.deletions.empty());

  const auto& w2 = waves[1];
  CHECK(w2.objects.empty());
  REQUIRE(w2.deletions.size() == 1);
  CHECK(w2.deletions[0].kind == "AuthorizationPolicy");
  CHECK(w2.deletions[0].ns == "shop");
  CHECK(w2.deletions[0].name == "cart-callers");
  const auto text = meshtwin::deploy::deletionsYaml(w2);
  CHECK(text.find("name: cart-callers") != std::string::npos);
  CHECK(meshtwin::deploy::kustomization(w2).find("resources: []") != std::string::npos);
}

// Every object of every wave of every shipped scenario against the upstream schemas (Istio
// CRDs, Gateway API standard CRDs, Kubernetes OpenAPI v3), copied byte for byte from
// ../shared/schemas into tests/data/schemas (its SOURCE.txt names each file's origin).
TEST_CASE("render: shipped scenarios render objects that match the upstream schemas", "[deploy][render][schemas]") {
  enterSourceDir();
  const std::string dir = "tests/data/schemas";
  const auto set = meshtwin::deploy::SchemaSet::load(dir);
  INFO((set ? std::string() : meshtwin::deploy::format(set.error())));
  REQUIRE(set);
  std::size_t checked = 0;
  auto validate = [&](const meshtwin::models::Scenario& s) {
    for (const auto& w : meshtwin::deploy::renderPlan(s)) {
      for (const auto& o : w.objects) {
        for (const auto& e : set->validate(o.body)) FAIL_CHECK(w.name << " " << o.file << " " << e.path << ": " << e.message);
        ++checked;
      }
    }
  };
  for (const auto& entry : fs::directory_iterator("scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    const auto loaded = meshtwin::models::loadScenarioFile(entry.path().string());
    INFO(entry.path().string());
    REQUIRE(loaded.ok());
    validate(*loaded.scenario);
  }
  const auto changes = meshtwin::models::loadScenarioText(kChanges, "changes.yaml");
  REQUIRE(changes.ok());
  validate(*changes.scenario);  // Service labels, PeerAuthentication, a waypoint without HPA
  CHECK(checked > 100);
}
