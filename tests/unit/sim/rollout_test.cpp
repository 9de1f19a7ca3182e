// Rollouts and autoscaling: the Deployment controller's surge/unavailable arithmetic, pods
// that cannot be scheduled, connection resets on ambient enrolment, and the waypoint HPA.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

namespace {

models::Scenario load(const std::string& yaml) { return test::loadScenario(yaml, "rollout-test.yaml"); }

// 4 replicas of `api` move from sidecar to ambient: a rolling restart.
std::string restartScenario(const std::string& rollout, const std::string& vcpu = "16") {
  return R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: )" + vcpu + R"(, memory: 64Gi, priceUsdPerHour: 1, countPerZone: 1}]
workloads:
  - {name: api, namespace: app, replicas: 4, resources: {requests: {cpu: 1, memory: 1Gi}}}
entryPoints:
  - {name: in, service: api.app, load: [{constant: {rps: 100, duration: 60s}}]}
mesh: {defaultMode: sidecar}
plan:
  waves:
    - name: w
      rollout: )" + rollout + R"(
      changes: [{setMode: {namespace: app, mode: ambient}}]
)";
}

models::PhaseReport rollout(const models::Scenario& s, sim::SimOptions o = {}) {
  o.warmup_ns = 5'000'000'000;
  return sim::simulateRollout(s, models::meshStateAt(s, 0), models::meshStateAt(s, 1), "w", o);
}

}  // namespace

TEST_CASE("a rolling restart honours maxSurge and maxUnavailable", "[sim][rollout]") {
  // Each new pod (no sidecar) is ready 10 s after it is scheduled.
  SECTION("maxSurge 1, maxUnavailable 0: one pod at a time, 4 x 10 s") {
    const auto r = rollout(load(restartScenario("{maxSurge: 1, maxUnavailable: 0}")));
    CHECK(r.kind == "rollout");
    CHECK(r.rollout_complete);
    CHECK(r.rollout_s == Approx(40.0));
    CHECK(r.errors == 0);
  }
  SECTION("maxSurge 2: two at a time, 2 x 10 s") {
    CHECK(rollout(load(restartScenario("{maxSurge: 2, maxUnavailable: 0}"))).rollout_s == Approx(20.0));
  }
  SECTION("25% / 25% (the default) of 4: surge 1 (rounded up) and unavailable 1 (rounded down): 2 x 10 s") {
    CHECK(rollout(load(restartScenario("{maxSurge: 25%, maxUnavailable: 25%}"))).rollout_s == Approx(20.0));
  }
}

TEST_CASE("pods that cannot be scheduled stay pending", "[sim][rollout]") {
  // 4 vCPU, 4 pods of 1 vCPU + 100m sidecar each do not even... use 5 vCPU: the old pods
  // take 4.4, the ztunnel 0.2, so no surge pod (1 vCPU) fits.
  SECTION("with no unavailability allowed the rollout is stuck") {
    const auto s = load(restartScenario("{maxSurge: 1, maxUnavailable: 0}", "5"));
    sim::SimOptions o;
    o.rollout_limit_ns = 120'000'000'000;
    const auto r = rollout(s, o);
    CHECK_FALSE(r.rollout_complete);
    CHECK(r.max_pending_pods == 1);
  }
  SECTION("allowing one unavailable pod frees room and it completes") {
    const auto r = rollout(load(restartScenario("{maxSurge: 1, maxUnavailable: 1}", "5")));
    CHECK(r.rollout_complete);
    CHECK(r.max_pending_pods >= 1);
  }
}

TEST_CASE("enrolling running pods in ambient resets their open connections", "[sim][rollout]") {
  // api is slow (200 ms), so calls are open when the namespace is enrolled without restart.
  const auto s = load(R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 16, memory: 64Gi, priceUsdPerHour: 1, countPerZone: 1}]
workloads:
  - {name: web, namespace: app, replicas: 2, script: [{call: api}]}
  - {name: api, namespace: app, replicas: 2, serviceTime: {distribution: constant, mean: 200ms}}
entryPoints:
  - {name: in, service: web.app, load: [{constant: {rps: 100, duration: 60s}}]}
plan:
  waves:
    - name: w
      changes: [{setMode: {namespace: app, mode: ambient}}]
)");
  const auto r = rollout(s);
  CHECK(r.rollout_complete);
  CHECK(r.rollout_s == Approx(0.0));  // no restart
  CHECK(r.connections_reset > 0);
  std::string causes;
  for (const auto& [c, n] : r.errors_by_cause) causes += c + ";";
  INFO(causes);
  CHECK(r.errors_by_cause.count("connection reset by ambient enrolment") == 1);
}

TEST_CASE("the waypoint HPA scales up under load, at most max(100%, 4 pods) per 15 s", "[sim][hpa]") {
  // Each request costs the waypoint ~250 us of CPU; 2,000 rps is ~0.5 vCPU, i.e. 500% of
  // one replica's 100m request: at a 50% target the HPA wants 10 replicas.
  const auto s = load(R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 32, memory: 128Gi, priceUsdPerHour: 1, countPerZone: 1}]
workloads:
  - {name: web, namespace: app, replicas: 4, concurrency: 256, serviceTime: {distribution: constant, mean: 1ms}, script: [{call: api}]}
  - {name: api, namespace: app, replicas: 4, concurrency: 256, serviceTime: {distribution: constant, mean: 1ms}}
entryPoints:
  - {name: in, service: web.app, load: [{constant: {rps: 2000, duration: 120s}}]}
mesh:
  defaultMode: ambient
  waypoints: [{name: wp, namespace: app, hpa: {minReplicas: 1, maxReplicas: 10, targetCpu: 50%}}]
  useWaypoint: [{namespace: app, waypoint: wp}]
)");
  sim::SimOptions o;
  o.warmup_ns = 5'000'000'000;
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), o);
  const auto& series = r.waypoint_replicas.at("app/wp");
  REQUIRE(series.size() >= 2);
  CHECK(series.front().second == 1);
  // First decision at 15 s: from 1 replica at most max(2, 1 + 4) = 5.
  CHECK(series[1].first == Approx(15.0));
  CHECK(series[1].second == 5);
  CHECK(series.back().second >= 9);
  CHECK(series.back().second <= 10);
  for (std::size_t i = 1; i < series.size(); ++i) {
    const int prev = series[i - 1].second;
    CHECK(series[i].second <= std::max(2 * prev, prev + 4));
  }
}
