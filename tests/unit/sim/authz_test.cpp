// RBAC in the simulator: a selector L7 policy left in place when its namespace goes ambient
// turns into 403s at ztunnel, which the report names.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

TEST_CASE("an L7 selector policy left on ztunnel denies every call; moved to a waypoint it allows again",
          "[sim][authz]") {
  const auto s = test::loadScenario(R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 8, memory: 32Gi, priceUsdPerHour: 0.4, countPerZone: 1}]
workloads:
  - {name: web, namespace: shop, replicas: 2, script: [{call: {service: api.pay, path: /api/list}}]}
  - {name: api, namespace: pay, replicas: 2}
entryPoints:
  - {name: in, service: web.shop, load: [{constant: {rps: 100, duration: 40s}}]}
mesh:
  defaultMode: ambient
  namespaces: {pay: sidecar}
  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: api-get, namespace: pay}
      spec:
        selector: {matchLabels: {app: api}}
        rules: [{to: [{operation: {methods: [GET]}}]}]
plan:
  waves:
    - name: enrol-only
      changes: [{setMode: {namespace: pay, mode: ambient}}]
    - name: with-waypoint
      changes:
        - addWaypoint: {name: wp, namespace: pay, hpa: {maxReplicas: 2}}
        - useWaypoint: {namespace: pay, waypoint: wp}
        - movePolicy: {policy: pay/api-get, targetRefs: [{kind: Service, name: api}]}
)",
                                         "authz.yaml");
  sim::SimOptions o;
  o.warmup_ns = 5'000'000'000;
  const auto sidecar = sim::simulatePhase(s, models::meshStateAt(s, 0), o);
  CHECK(sidecar.errors == 0);
  const auto enrolled = sim::simulatePhase(s, models::meshStateAt(s, 1), o);
  CHECK(enrolled.errors == enrolled.requests);
  CHECK(enrolled.errors_by_cause.at("403 RBAC: no ALLOW policy matched") == enrolled.errors);
  const auto moved = sim::simulatePhase(s, models::meshStateAt(s, 2), o);
  CHECK(moved.errors == 0);
}
