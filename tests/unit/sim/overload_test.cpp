// Overload is visible: a burst saturates a waypoint before its HPA catches up (the pitfall
// in the seeds), and the 503s name the cause.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

TEST_CASE("a burst saturates a waypoint until its HPA catches up", "[sim][overload]") {
  // One waypoint replica (2 workers, ~250 us a request) serves about 8,000 rps; at 200 rps
  // its HPA keeps one. A burst to 12,000 rps for 30 s fills its queue (1,024) within a
  // second; the HPA adds replicas only at its next 15 s tick and they take 10 s to start,
  // so 503s last until then. The ztunnels, on four nodes, keep up.
  const auto s = test::loadScenario(R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 16, memory: 64Gi, priceUsdPerHour: 0.8, countPerZone: 4}]
workloads:
  - {name: web, namespace: app, replicas: 8, concurrency: 512, serviceTime: {distribution: constant, mean: 200us}, script: [{call: api}]}
  - {name: api, namespace: app, replicas: 8, concurrency: 512, serviceTime: {distribution: constant, mean: 200us}}
entryPoints:
  - {name: in, service: web.app, load: [{constant: {rps: 200, duration: 20s}}, {constant: {rps: 12000, duration: 30s}}, {constant: {rps: 200, duration: 30s}}]}
mesh:
  defaultMode: ambient
  waypoints: [{name: wp, namespace: app, hpa: {minReplicas: 1, maxReplicas: 8, targetCpu: 80%}}]
  useWaypoint: [{namespace: app, waypoint: wp}]
)",
                                         "burst.yaml");
  sim::SimOptions o;
  o.warmup_ns = 5'000'000'000;
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), o);
  std::uint64_t waypoint_503 = 0;
  for (const auto& [cause, n] : r.errors_by_cause) {
    if (cause.find("waypoint wp-") == 0 && cause.find(": queue full") != std::string::npos) waypoint_503 += n;
  }
  CHECK(waypoint_503 > 0);
  CHECK(waypoint_503 == r.errors);
  // Far fewer than the whole burst failed: the HPA caught up.
  CHECK(static_cast<double>(r.errors) < 0.5 * 12000 * 30);
  const auto& series = r.waypoint_replicas.at("app/wp");
  REQUIRE(series.size() >= 2);
  CHECK(series.front().second == 1);
  CHECK(series.back().second > 1);
}
