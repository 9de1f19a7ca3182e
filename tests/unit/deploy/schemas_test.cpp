// deploy/'s schema validation: the upstream schemas of tests/data/schemas accept valid
// Gateway API, autoscaling/v2, core and Istio objects and name the path of what is broken.
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "meshtwin/deploy/schemas.hpp"

using meshtwin::deploy::SchemaError;
using meshtwin::deploy::SchemaSet;
using nlohmann::json;

namespace {

const std::string kDir = "tests/data/schemas";

const SchemaSet& schemas() {
  static const SchemaSet set = [] {
    const auto start = std::chrono::steady_clock::now();
    auto loaded = SchemaSet::load(kDir);
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!loaded) FAIL(format(loaded.error()));
    std::cout << "schema set load: " << ms << " ms, " << loaded->kinds().size() << " kinds\n";
    return *loaded;
  }();
  return set;
}

std::string describe(const std::vector<SchemaError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.object + " " + e.path + ": " + e.message + "\n";
  return out;
}

bool hasErrorAt(const std::vector<SchemaError>& errors, const std::string& path) {
  for (const auto& e : errors) {
    if (e.path == path) return true;
  }
  return false;
}

json waypoint() {
  return json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
    "metadata": {"name": "waypoint", "namespace": "shop", "labels": {"istio.io/waypoint-for": "service"}},
    "spec": {"gatewayClassName": "istio-waypoint",
             "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}})");
}

json hpa() {
  return json::parse(R"({
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "cart", "namespace": "shop"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"},
             "minReplicas": 2, "maxReplicas": 10,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                          "target": {"type": "Utilization", "averageUtilization": 70}}}]}})");
}

json ns() {
  return json::parse(R"({"apiVersion": "v1", "kind": "Namespace",
    "metadata": {"name": "shop", "labels": {"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}}})");
}

json authz() {
  return json::parse(R"({
    "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
    "metadata": {"name": "cart-viewers", "namespace": "shop"},
    "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "cart"}],
             "action": "ALLOW",
             "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/frontend"]}}],
                        "to": [{"operation": {"methods": ["GET"], "paths": ["/cart/*"]}}]}]}})");
}

json deployment() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "cart", "namespace": "shop", "labels": {"app": "cart"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "cart"}},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
             "template": {"metadata": {"labels": {"app": "cart"}},
                          "spec": {"containers": [{"name": "cart", "image": "meshtwin-app:1",
                                     "ports": [{"containerPort": 8080, "name": "http"}],
                                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": 1}},
                                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}}]}}}})");
}

json service() {
  return json::parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "cart", "namespace": "shop", "labels": {"istio.io/use-waypoint": "waypoint"}},
    "spec": {"selector": {"app": "cart"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                                                    {"name": "grpc", "port": 9090, "targetPort": "grpc"}]}})");
}

}  // namespace

TEST_CASE("schemas: the repo's schema set loads with the kinds the renderer writes", "[deploy][schemas]") {
  const SchemaSet& set = schemas();
  CHECK(set.has("gateway.networking.k8s.io/v1", "Gateway"));
  CHECK(set.has("gateway.networking.k8s.io/v1", "HTTPRoute"));
  CHECK(set.has("security.istio.io/v1", "AuthorizationPolicy"));
  CHECK(set.has("v1", "Namespace"));
  CHECK(set.has("v1", "Service"));
  CHECK(set.has("apps/v1", "Deployment"));
  CHECK(set.has("autoscaling/v2", "HorizontalPodAutoscaler"));
  CHECK_FALSE(set.has("networking.istio.io/v1", "Foo"));
}

TEST_CASE("schemas: valid Gateway, HPA, Namespace and AuthorizationPolicy pass", "[deploy][schemas]") {
  const SchemaSet& set = schemas();
  for (const json& object : {waypoint(), hpa(), ns(), authz()}) {
    const auto errors = set.validate(object);
    INFO(describe(errors));
    CHECK(errors.empty());
  }
}

TEST_CASE("schemas: IntOrString fields take an integer or a string and nothing else", "[deploy][schemas]") {
  const SchemaSet& set = schemas();
  for (const json& object : {deployment(), service()}) {
    const auto errors = set.validate(object);
    INFO(describe(errors));
    CHECK(errors.empty());
  }
  json svc = service();
  svc["spec"]["ports"][1]["targetPort"] = true;
  const auto errors = set.validate(svc);
  INFO(describe(errors));
  CHECK(hasErrorAt(errors, "/spec/ports/1/targetPort"));
}

TEST_CASE("schemas: a listener port that is a string fails at its path", "[deploy][schemas]") {
  json gw = waypoint();
  gw["spec"]["listeners"][0]["port"] = "x";
  const auto errors = schemas().validate(gw);
  INFO(describe(errors));
  REQUIRE_FALSE(errors.empty());
  CHECK(hasErrorAt(errors, "/spec/listeners/0/port"));
  CHECK(errors[0].object == "Gateway shop/waypoint");
}

TEST_CASE("schemas: an HPA without scaleTargetRef fails at /spec", "[deploy][schemas]") {
  json h = hpa();
  h["spec"].erase("scaleTargetRef");
  const auto errors = schemas().validate(h);
  INFO(describe(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "/spec");
  CHECK_THAT(errors[0].message, Catch::Contains("scaleTargetRef"));
}

TEST_CASE("schemas: an AuthorizationPolicy action outside its enum fails at /spec/action", "[deploy][schemas]") {
  json a = authz();
  a["spec"]["action"] = "MAYBE";
  const auto errors = schemas().validate(a);
  INFO(describe(errors));
  REQUIRE_FALSE(errors.empty());
  CHECK(hasErrorAt(errors, "/spec/action"));
}

TEST_CASE("schemas: a Namespace label that is not a string fails at its path", "[deploy][schemas]") {
  json n = ns();
  n["metadata"]["labels"]["istio.io/rev"] = 3;
  const auto errors = schemas().validate(n);
  INFO(describe(errors));
  REQUIRE_FALSE(errors.empty());
  CHECK(hasErrorAt(errors, "/metadata/labels/istio.io~1rev"));
}

TEST_CASE("schemas: an unknown kind is one 'no schema' error", "[deploy][schemas]") {
  const json foo = json::parse(R"({"apiVersion": "networking.istio.io/v1", "kind": "Foo",
                                   "metadata": {"name": "a", "namespace": "b"}})");
  const auto errors = schemas().validate(foo);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].object == "Foo b/a");
  CHECK(errors[0].message == "no schema for networking.istio.io/v1 Foo in tests/data/schemas");
}

TEST_CASE("schemas: a missing directory is a load error naming it", "[deploy][schemas]") {
  const auto loaded = SchemaSet::load("tests/data/no-such-schemas");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().file == "tests/data/no-such-schemas");
}

TEST_CASE("schemas: time to validate one object once its schema is built", "[deploy][schemas][.timing]") {
  const SchemaSet& set = schemas();
  for (const json& object : {waypoint(), hpa(), ns(), authz(), deployment(), service()}) {
    auto start = std::chrono::steady_clock::now();
    (void)set.validate(object);  // first: builds the schema
    const double first = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    start = std::chrono::steady_clock::now();
    constexpr int n = 200;
    for (int i = 0; i < n; ++i) (void)set.validate(object);
    const double each = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / n;
    std::cout << object["kind"].get<std::string>() << ": first validate (builds the schema) " << first
              << " ms, then " << each << " us each\n";
  }
}
