// Faults: what a lost node, a crashed waypoint and a skewed clock do to requests, with the
// cause named.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

namespace {

models::Scenario load(const std::string& faults, const std::string& mesh = "mesh: {defaultMode: ambient}\n") {
  const std::string yaml = R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a, b]
  nodePools: [{name: n, vcpu: 8, memory: 32Gi, priceUsdPerHour: 0.4, countPerZone: 1}]
workloads:
  - {name: web, namespace: app, replicas: 2, zones: [a], script: [{call: api}]}
  - {name: api, namespace: app, replicas: 2}
entryPoints:
  - {name: in, service: web.app, zones: [a], load: [{constant: {rps: 200, duration: 120s}}]}
)" + mesh + faults;
  return test::loadScenario(yaml, "fault-test.yaml");
}

models::PhaseReport run(const models::Scenario& s) {
  sim::SimOptions o;
  o.warmup_ns = 10'000'000'000;
  return sim::simulatePhase(s, models::meshStateAt(s, 0), o);
}

}  // namespace

TEST_CASE("a lost node fails calls to its pods until the node controller notices", "[sim][faults]") {
  // api-0 runs in zone a, api-1 in zone b (rotation); losing n-b-0 at 30 s fails the calls
  // that still pick api-1 (about half) for the 40 s detection grace; then api-1 is
  // replaced in zone a and the errors stop.
  const auto s = load("faults: [{nodeLoss: {node: n-b-0, at: 30s}}]\n");
  const auto r = run(s);
  REQUIRE(r.errors_by_cause.count("node n-b-0 lost") == 1);
  const double expected = 200.0 * 0.5 * 40.0;  // rps x share routed to the lost pod x grace
  CHECK(static_cast<double>(r.errors) == Approx(expected).epsilon(0.15));
  const auto& edge = r.edge_latency.at("app/web -> app/api");
  CHECK(edge.errors == r.errors);
}

TEST_CASE("a crashed waypoint leaves its ambient clients without a path until it restarts", "[sim][faults]") {
  const auto s = load("faults: [{waypointCrash: {waypoint: app/wp, at: 30s}}]\n",
                      "mesh:\n  defaultMode: ambient\n  waypoints: [{name: wp, namespace: app, hpa: {maxReplicas: 2}}]\n"
                      "  useWaypoint: [{namespace: app, waypoint: wp}]\n");
  const auto r = run(s);
  REQUIRE(r.errors > 0);
  // No replica for the 10 s its replacement takes to start: about 10 s of all traffic.
  CHECK(r.errors_by_cause.count("waypoint app/wp has no running replica") == 1);
  CHECK(static_cast<double>(r.errors) == Approx(200.0 * 10.0).epsilon(0.15));
}

TEST_CASE("a node clock behind by more than the certificate backdate fails new mTLS handshakes", "[sim][faults]") {
  SECTION("10 minutes behind: calls to the pod on that node fail from the start") {
    const auto r = run(load("faults: [{clockSkew: {node: n-b-0, skew: 10m, at: 0s}}]\n"));
    const std::string cause = "mTLS handshake failed on node n-b-0: certificate not yet valid (clock 10m behind)";
    REQUIRE(r.errors_by_cause.count(cause) == 1);
    CHECK(static_cast<double>(r.errors) / static_cast<double>(r.requests) == Approx(0.5).epsilon(0.1));
  }
  SECTION("1 minute behind is within the backdate: no failure") {
    const auto r = run(load("faults: [{clockSkew: {node: n-b-0, skew: 1m, at: 0s}}]\n"));
    CHECK(r.errors == 0);
  }
  SECTION("without a mesh there is no handshake to fail") {
    const auto r = run(load("faults: [{clockSkew: {node: n-b-0, skew: 10m, at: 0s}}]\n", "mesh: {defaultMode: none}\n"));
    CHECK(r.errors == 0);
  }
}

TEST_CASE("faults apply only to the phases they name", "[sim][faults]") {
  const auto s = load("faults: [{nodeLoss: {node: n-b-0, at: 30s, phases: [w]}}]\n"
                      "plan: {waves: [{name: w, changes: [{setMode: {namespace: app, mode: none}}]}]}\n");
  CHECK(run(s).errors == 0);  // the baseline is untouched
  sim::SimOptions o;
  o.warmup_ns = 10'000'000'000;
  CHECK(sim::simulatePhase(s, models::meshStateAt(s, 1), o).errors > 0);
}
