// authorizePath: where each policy is enforced along a request's path, seen as which
// identity, and what an L7 rule turns into when ztunnel enforces it.
#include <catch2/catch.hpp>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/routing.hpp"
#include "test_support.hpp"

using namespace meshtwin::models;

namespace {

// web (shop) calls api (pay). An L7 ALLOW on api lets GET /api/* in from namespace shop.
std::string scenario(const std::string& api_mode, const std::string& web_mode, const std::string& extra_mesh = "",
                     const std::string& waves = "") {
  return std::string(meshtwin::test::kClusterHeader) + R"(
workloads:
  - {name: web, namespace: shop, zones: [a], script: [{call: {service: api.pay, method: GET, path: /api/x}}]}
  - {name: api, namespace: pay, zones: [a]}
mesh:
  namespaces: {shop: )" + web_mode + ", pay: " + api_mode + R"(}
  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: api-get, namespace: pay}
      spec:
        selector: {matchLabels: {app: api}}
        rules: [{from: [{source: {namespaces: [shop]}}], to: [{operation: {methods: [GET], paths: ["/api/*"]}}]}]
)" + extra_mesh + waves;
}

PathAuthz decide(const Scenario& s, std::size_t phase, const std::string& method, const std::string& path) {
  const auto m = meshStateAt(s, phase);
  const PodId web = s.workload_pods[0].front();
  const auto api = *s.findService("pay", "api");
  const auto hp = hopPath(s, m, web, api, 0);
  return authorizePath(s, m, hp, web, api, method, path);
}

}  // namespace

TEST_CASE("a sidecar enforces the L7 rule in full", "[authz]") {
  const auto s = meshtwin::test::loadOk(scenario("sidecar", "sidecar"));
  CHECK(decide(s, 0, "GET", "/api/x").allowed);
  const auto d = decide(s, 0, "POST", "/api/x");
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == "no ALLOW policy matched");
  REQUIRE(d.hop);
  CHECK(hopPath(s, meshStateAt(s, 0), s.workload_pods[0].front(), 1, 0).hops[*d.hop].kind == HopKind::Sidecar);
}

TEST_CASE("on ztunnel the ALLOW rule with HTTP attributes never matches: everything is denied", "[authz]") {
  const auto s = meshtwin::test::loadOk(scenario("ambient", "sidecar"));
  const auto d = decide(s, 0, "GET", "/api/x");
  CHECK_FALSE(d.allowed);
  REQUIRE(d.hop);
  const auto hp = hopPath(s, meshStateAt(s, 0), s.workload_pods[0].front(), 1, 0);
  CHECK(hp.hops[*d.hop].kind == HopKind::Ztunnel);
  CHECK(hp.hops[*d.hop].direction == Direction::Inbound);
}

TEST_CASE("moved to the waypoint, the rule sees the client's identity; sidecar clients bypass it", "[authz]") {
  const std::string waypoint = R"(  waypoints: [{name: wp, namespace: pay, hpa: {maxReplicas: 2}}]
  useWaypoint: [{namespace: pay, waypoint: wp}]
)";
  const std::string waves = R"(plan:
  waves:
    - name: move
      changes: [{movePolicy: {policy: pay/api-get, targetRefs: [{kind: Service, name: api}]}}]
)";
  SECTION("ambient client through the waypoint") {
    const auto s = meshtwin::test::loadOk(scenario("ambient", "ambient", waypoint, waves));
    CHECK(decide(s, 1, "GET", "/api/x").allowed);
    CHECK_FALSE(decide(s, 1, "DELETE", "/api/x").allowed);
    // Before the move the selector policy sits on ztunnel behind the waypoint: denied.
    CHECK_FALSE(decide(s, 0, "GET", "/api/x").allowed);
  }
  SECTION("sidecar client bypasses the waypoint: nothing enforces the moved policy") {
    const auto s = meshtwin::test::loadOk(scenario("ambient", "sidecar", waypoint, waves));
    CHECK(decide(s, 1, "DELETE", "/api/x").allowed);
  }
}

TEST_CASE("STRICT mTLS denies peers without identity, the ingress gateway has one", "[authz]") {
  const std::string strict = R"(    - apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: default, namespace: istio-system}
      spec: {mtls: {mode: STRICT}}
)";
  const auto s = meshtwin::test::loadOk(scenario("sidecar", "none", strict));
  const auto d = decide(s, 0, "GET", "/api/x");
  CHECK_FALSE(d.allowed);
  CHECK(d.policy.rfind("pay/istio_converted_static_strict", 0) == 0);
  const auto m = meshStateAt(s, 0);
  const auto api = *s.findService("pay", "api");
  // The api-get rule requires namespace shop, so the gateway is denied by it, not by STRICT.
  const auto entry = authorizePath(s, m, ingressPath(s, m, 0, api, 0), std::nullopt, api, "GET", "/api/x");
  CHECK_FALSE(entry.allowed);
  CHECK(entry.policy.empty());
  CHECK(entry.reason == "no ALLOW policy matched");
}
