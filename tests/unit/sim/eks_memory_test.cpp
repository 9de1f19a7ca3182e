// The sidecar -> ambient memory saving on the EKS benchmark mirror, against the arithmetic
// the published profile implies, done by hand below.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/sim/simulation.hpp"

using namespace meshtwin;

TEST_CASE("eks-1000: the sidecar -> ambient memory saving is what the profile implies", "[sim][memory]") {
  auto loaded = models::loadScenarioFile("scenarios/eks-1000.yaml");
  REQUIRE(loaded.ok());
  const auto& s = *loaded.scenario;
  sim::SimOptions o;
  o.duration_ns = 6'000'000'000;
  o.warmup_ns = 1'000'000'000;
  o.rollouts = false;  // steady states only
  const auto report = sim::simulateScenario(s, o);
  REQUIRE(report);
  const auto phase = [&](const std::string& name) -> const models::PhaseReport& {
    for (const auto& p : report->phases) {
      if (p.name == name) return p;
    }
    FAIL("no phase " << name);
    return report->phases.front();
  };
  const auto& baseline = phase("baseline");            // every pod has a sidecar
  const auto& ambient = phase("wave-1-ambient-l4");    // ambient L4 everywhere, no waypoint

  // Hand arithmetic with istio-1.24-published, ignoring per-connection memory:
  //   sidecar  = 40 MiB base + 1,000 endpoints x 230 KiB = 40 + 224.61 MiB = 264.61 MiB
  //   1,000 sidecars                                                      = 264,609 MiB
  //   ztunnel  = 10 MiB base + 1,000 endpoints x 3 KiB = 10 + 2.93 MiB    = 12.93 MiB
  //   60 ztunnels (one per node)                                           = 775.8 MiB
  //   saving                                                               = 263,833 MiB
  const double mib = 1024.0 * 1024.0;
  const double sidecar_each = 40 * mib + 1000 * 230 * 1024.0;
  const double ztunnel_each = 10 * mib + 1000 * 3 * 1024.0;
  const double expected_saving = 1000 * sidecar_each - 60 * ztunnel_each;
  REQUIRE(s.podCount() >= 1000);
  CHECK(ambient.mesh_memory_bytes < baseline.mesh_memory_bytes);
  const double saving = baseline.mesh_memory_bytes - ambient.mesh_memory_bytes;
  CHECK(saving == Approx(expected_saving).epsilon(0.10));
  // And the components are what that arithmetic counts.
  for (const auto& c : baseline.components) {
    if (c.kind == "sidecar") CHECK(c.instances == 1000);
  }
  for (const auto& c : ambient.components) {
    if (c.kind == "ztunnel") CHECK(c.instances == 60);
    if (c.kind == "sidecar") CHECK(c.instances == 0);
  }
}

TEST_CASE("namespace-scoped sidecars hold far less configuration than mesh-wide ones", "[sim][memory]") {
  const std::string base = R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 64, memory: 256Gi, priceUsdPerHour: 2, countPerZone: 1}]
workloads:
  - {name: web, namespace: one, replicas: 10, resources: {requests: {cpu: 10m, memory: 16Mi}}, script: [{call: api.two}]}
  - {name: api, namespace: two, replicas: 10, resources: {requests: {cpu: 10m, memory: 16Mi}}}
  - {name: other, namespace: three, replicas: 80, resources: {requests: {cpu: 10m, memory: 16Mi}}}
entryPoints:
  - {name: in, service: web.one, load: [{constant: {rps: 10, duration: 10s}}]}
)";
  auto mesh = models::loadScenarioText(base + "mesh: {defaultMode: sidecar}\n", "scope.yaml");
  auto scoped = models::loadScenarioText(base + "mesh: {defaultMode: sidecar, sidecarScope: namespace}\n", "scope.yaml");
  REQUIRE(mesh.ok());
  REQUIRE(scoped.ok());
  sim::SimOptions o;
  o.warmup_ns = 1'000'000'000;
  const auto a = sim::simulatePhase(*mesh.scenario, models::meshStateAt(*mesh.scenario, 0), o);
  const auto b = sim::simulatePhase(*scoped.scenario, models::meshStateAt(*scoped.scenario, 0), o);
  // Endpoint memory (230 KiB each): mesh-wide every one of the 100 sidecars knows all 100
  // pods; scoped, web's 10 know web + api (20), api's 10 know api (10), other's 80 know
  // other (80): 10x20 + 10x10 + 80x80 = 6,700 instead of 10,000 endpoint entries.
  const double per_endpoint = 230 * 1024.0;
  const double saved = a.mesh_memory_bytes - b.mesh_memory_bytes;
  CHECK(saved == Approx((10000 - 6700) * per_endpoint).epsilon(0.001));
}
