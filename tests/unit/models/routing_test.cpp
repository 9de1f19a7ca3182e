// hopPath: a table of request paths for every client/server mode mix, in the style of
// ztunnel's outbound build_request tests. Each row names the client, the service, the
// phase, and the exact hop sequence expected.
#include <catch2/catch.hpp>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/routing.hpp"
#include "test_support.hpp"

using namespace meshtwin::models;

namespace {

// Zones a, b, c with one 4-vCPU node each (n-a-0, n-b-0, n-c-0) plus a 3-vCPU node in
// zone a (big-a-0), so same-node, same-zone and cross-zone paths all occur. Every node keeps
// 200m for the ztunnel; each pod requests 500m. Placement takes the node with the most free
// CPU in the pod's zone (ties: more free memory, then node order), which gives the nodes in
// the comments; replicas of a workload rotate through its zones starting at the workload's
// index, so server-w-0 lands in c and server-w-1 in b, wp-ac-0 in c and wp-ac-1 in a.
const char* kRoutingScenario = R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a, b, c]
  nodePools:
    - {name: n, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
    - {name: big, instanceType: m6i.large, vcpu: 3, memory: 8Gi, priceUsdPerHour: 0.096, countPerZone: 1, zones: [a]}
defaults:
  resources: {requests: {cpu: 500m, memory: 512Mi}}
workloads:
  - {name: client-s, namespace: side, zones: [a]}        # n-a-0 (3.8 free > 2.8)
  - {name: server-s, namespace: side, zones: [a]}        # n-a-0 (3.3 > 2.8)
  - {name: client-a, namespace: amb, zones: [a]}         # big-a-0 (2.8 = 2.8, more memory free)
  - {name: server-a, namespace: amb, zones: [b]}         # n-b-0
  - {name: local-a, namespace: amb, zones: [a]}          # n-a-0
  - {name: client-n, namespace: plain, zones: [a]}       # big-a-0
  - {name: server-n, namespace: plain, zones: [c]}       # n-c-0
  - {name: server-w, namespace: wp, replicas: 2, zones: [b, c]}
  - {name: other-w, namespace: wp, zones: [a]}
  - {name: optout-w, namespace: wp, zones: [a]}
  - {name: wl-only, namespace: wl, zones: [b]}
  - {name: pinned, namespace: amb, zones: [c]}
  - {name: empty, namespace: amb, replicas: 0}
  - {name: later, namespace: late, zones: [b]}
mesh:
  namespaces: {side: sidecar, amb: ambient, plain: none, wp: ambient, wl: ambient, late: ambient}
  workloads: {amb/pinned: sidecar}
  waypoints:
    - {name: wp-c, namespace: wp, zones: [c]}
    - {name: wp-ac, namespace: wp, replicas: 2, zones: [a, c]}
    - {name: wp-wl, namespace: wl, for: workload}
  useWaypoint:
    - {namespace: wp, waypoint: wp-c}
    - {service: wp/other-w, waypoint: wp-ac}
    - {service: wp/optout-w, waypoint: none}
    - {namespace: wl, waypoint: wp-wl}
    - {namespace: late, waypoint: wp-late}
plan:
  waves:
    - name: w1
      changes:
        - setMode: {namespace: plain, mode: ambient}
        - addWaypoint: {name: wp-late, namespace: late}
)";

const Scenario& scenario() {
  static const Scenario s = meshtwin::test::loadOk(kRoutingScenario, "routing.yaml");
  return s;
}

PodId podOf(const std::string& workload, int ordinal = 0) {
  const auto& s = scenario();
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (s.pods[p].name == workload + "-" + std::to_string(ordinal) && s.pods[p].owner == Pod::Owner::Workload) return p;
  }
  FAIL("no pod " << workload << "-" << ordinal);
  return 0;
}

ServiceId svc(const std::string& ns, const std::string& name) {
  auto id = scenario().findService(ns, name);
  REQUIRE(id);
  return *id;
}

struct Row {
  const char* name;
  const char* client;  // workload name, or "zone:<z>" for an entry point client
  const char* ns;
  const char* service;
  std::size_t phase;
  std::uint64_t hash;
  const char* expected;  // HopPath::describe()
  bool bypassed;
  Enforcer l4;
  Enforcer l7;
};

const Row kRows[] = {
    {"none -> none, cross zone, plaintext", "client-n", "plain", "server-n", 0, 0,
     "app(client-n-0) -> link[cross-zone,plaintext] -> app(server-n-0)", false, Enforcer::None, Enforcer::None},
    {"none -> sidecar: plaintext into the server sidecar", "client-n", "side", "server-s", 0, 0,
     "app(client-n-0) -> link[same-zone,plaintext] -> sidecar(server-s-0) -> app(server-s-0)", false,
     Enforcer::DestinationSidecar, Enforcer::DestinationSidecar},
    {"none -> ambient: plaintext captured by the server node's ztunnel", "client-n", "amb", "server-a", 0, 0,
     "app(client-n-0) -> link[cross-zone,plaintext] -> ztunnel(n-b-0) -> app(server-a-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"sidecar -> none: passthrough, plaintext", "client-s", "plain", "server-n", 0, 0,
     "app(client-s-0) -> sidecar(client-s-0) -> link[cross-zone,plaintext] -> app(server-n-0)", false, Enforcer::None,
     Enforcer::None},
    {"sidecar -> sidecar on one node: Istio mTLS, not HBONE", "client-s", "side", "server-s", 0, 0,
     "app(client-s-0) -> sidecar(client-s-0) -> link[same-node,istio-mtls] -> sidecar(server-s-0) -> app(server-s-0)",
     false, Enforcer::DestinationSidecar, Enforcer::DestinationSidecar},
    {"sidecar -> ambient: HBONE to the pod, server ztunnel inbound", "client-s", "amb", "server-a", 0, 0,
     "app(client-s-0) -> sidecar(client-s-0) -> link[cross-zone,hbone] -> ztunnel(n-b-0) -> app(server-a-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"ambient -> none: ztunnel outbound, plaintext to the pod", "client-a", "plain", "server-n", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,plaintext] -> app(server-n-0)", false, Enforcer::None,
     Enforcer::None},
    {"ambient -> sidecar: HBONE to the sidecar", "client-a", "side", "server-s", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[same-zone,hbone] -> sidecar(server-s-0) -> app(server-s-0)", false,
     Enforcer::DestinationSidecar, Enforcer::DestinationSidecar},
    {"ambient -> ambient across zones: two ztunnels, HBONE", "client-a", "amb", "server-a", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> ztunnel(n-b-0) -> app(server-a-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"ambient -> ambient in one zone: two ztunnels on two nodes", "client-a", "amb", "local-a", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[same-zone,hbone] -> ztunnel(n-a-0) -> app(local-a-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"ambient -> namespace waypoint in another zone, which picks the endpoint in its own zone", "client-a", "wp",
     "server-w", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> waypoint(wp-c-0) -> link[same-node,hbone] -> "
     "ztunnel(n-c-0) -> app(server-w-0)",
     false, Enforcer::DestinationZtunnel, Enforcer::Waypoint},
    {"ambient -> waypoint: a local endpoint wins whatever the flow hash", "client-a", "wp", "server-w", 0, 1,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> waypoint(wp-c-0) -> link[same-node,hbone] -> "
     "ztunnel(n-c-0) -> app(server-w-0)",
     false, Enforcer::DestinationZtunnel, Enforcer::Waypoint},
    {"sidecar client bypasses the waypoint and picks among all endpoints", "client-s", "wp", "server-w", 0, 0,
     "app(client-s-0) -> sidecar(client-s-0) -> link[cross-zone,hbone] -> ztunnel(n-c-0) -> app(server-w-0)", true,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"sidecar client, another flow hash: the other replica", "client-s", "wp", "server-w", 0, 1,
     "app(client-s-0) -> sidecar(client-s-0) -> link[cross-zone,hbone] -> ztunnel(n-b-0) -> app(server-w-1)", true,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"client outside the mesh bypasses the waypoint", "client-n", "wp", "server-w", 0, 1,
     "app(client-n-0) -> link[cross-zone,plaintext] -> ztunnel(n-b-0) -> app(server-w-1)", true,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"service binding beats the namespace binding; client ztunnel prefers the waypoint in its zone", "client-a", "wp",
     "other-w", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[same-zone,hbone] -> waypoint(wp-ac-1) -> link[same-node,hbone] -> "
     "ztunnel(n-a-0) -> app(other-w-0)",
     false, Enforcer::DestinationZtunnel, Enforcer::Waypoint},
    {"use-waypoint none on the service opts out; same node still passes the ztunnel twice", "client-a", "wp",
     "optout-w", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[same-node,hbone] -> ztunnel(big-a-0) -> app(optout-w-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"a workload-only waypoint does not take service-addressed traffic", "client-a", "wl", "wl-only", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> ztunnel(n-b-0) -> app(wl-only-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"a workload's own mode beats its namespace's (pinned stays sidecar in an ambient namespace)", "client-a", "amb",
     "pinned", 0, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> sidecar(pinned-0) -> app(pinned-0)", false,
     Enforcer::DestinationSidecar, Enforcer::DestinationSidecar},
    {"sidecar-mode client in an ambient namespace sends Istio mTLS to a sidecar", "pinned", "side", "server-s", 0, 0,
     "app(pinned-0) -> sidecar(pinned-0) -> link[cross-zone,istio-mtls] -> sidecar(server-s-0) -> app(server-s-0)",
     false, Enforcer::DestinationSidecar, Enforcer::DestinationSidecar},
    {"after wave 1 the plain namespace is ambient: its client gains a ztunnel", "client-n", "amb", "server-a", 1, 0,
     "app(client-n-0) -> ztunnel(big-a-0) -> link[cross-zone,hbone] -> ztunnel(n-b-0) -> app(server-a-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"after wave 1 the plain server is ambient too", "client-s", "plain", "server-n", 1, 0,
     "app(client-s-0) -> sidecar(client-s-0) -> link[cross-zone,hbone] -> ztunnel(n-c-0) -> app(server-n-0)", false,
     Enforcer::DestinationZtunnel, Enforcer::None},
    {"after wave 1 the late namespace's waypoint exists and is used", "client-a", "late", "later", 1, 0,
     "app(client-a-0) -> ztunnel(big-a-0) -> link[same-zone,hbone] -> waypoint(wp-late-0) -> link[cross-zone,hbone] -> "
     "ztunnel(n-b-0) -> app(later-0)",
     false, Enforcer::DestinationZtunnel, Enforcer::Waypoint},
    {"entry point client in zone a -> ambient service in zone b", "zone:a", "amb", "server-a", 0, 0,
     "link[cross-zone,plaintext] -> ztunnel(n-b-0) -> app(server-a-0)", false, Enforcer::DestinationZtunnel,
     Enforcer::None},
    {"entry point client in zone a -> sidecar service in zone a", "zone:a", "side", "server-s", 0, 0,
     "link[same-zone,plaintext] -> sidecar(server-s-0) -> app(server-s-0)", false, Enforcer::DestinationSidecar,
     Enforcer::DestinationSidecar},
    {"entry point client bypasses a waypoint", "zone:b", "wp", "server-w", 0, 0,
     "link[cross-zone,plaintext] -> ztunnel(n-c-0) -> app(server-w-0)", true, Enforcer::DestinationZtunnel,
     Enforcer::None},
};

}  // namespace

TEST_CASE("hopPath table", "[routing]") {
  const auto& s = scenario();
  const auto phases = allPhases(s);
  for (const auto& row : kRows) {
    DYNAMIC_SECTION(row.name) {
      const auto& m = phases.at(row.phase);
      const std::string client = row.client;
      const auto dst = svc(row.ns, row.service);
      HopPath p;
      if (client.rfind("zone:", 0) == 0) {
        p = ingressPath(s, m, *s.findZone(client.substr(5)), dst, row.hash);
      } else {
        p = hopPath(s, m, podOf(client), dst, row.hash);
      }
      CHECK(p.describe(s) == row.expected);
      CHECK(p.error.empty());
      CHECK(p.waypoint_bypassed == row.bypassed);
      CHECK(p.l4_enforcer == row.l4);
      CHECK(p.l7_enforcer == row.l7);
      REQUIRE(p.destination_pod);
      CHECK(p.hops.back().kind == HopKind::App);
      CHECK(p.hops.back().pod == p.destination_pod);
    }
  }
  CHECK(std::size(kRows) >= 25);
}

TEST_CASE("hopPath failures", "[routing]") {
  const auto& s = scenario();
  const auto base = meshStateAt(s, 0);
  SECTION("a service with no replicas has no endpoints") {
    const auto p = hopPath(s, base, podOf("client-a"), svc("amb", "empty"), 0);
    CHECK(p.error == "service amb/empty has no endpoints");
    CHECK_FALSE(p.destination_pod);
  }
  SECTION("a binding to a waypoint that a later wave deploys fails for ambient clients") {
    const auto p = hopPath(s, base, podOf("client-a"), svc("late", "later"), 0);
    CHECK(p.error == "service late/later is bound to waypoint late/wp-late, which is not deployed in this phase");
    CHECK_FALSE(p.destination_pod);
  }
  SECTION("the same dangling binding does not affect sidecar clients, which never use waypoints") {
    const auto p = hopPath(s, base, podOf("client-s"), svc("late", "later"), 0);
    CHECK(p.error.empty());
    CHECK_FALSE(p.waypoint);
    CHECK_FALSE(p.waypoint_bypassed);
  }
}

TEST_CASE("hopPath is deterministic and pure", "[routing]") {
  const auto& s = scenario();
  const auto m = meshStateAt(s, 0);
  const auto a = hopPath(s, m, podOf("client-s"), svc("wp", "server-w"), 12345);
  const auto b = hopPath(s, m, podOf("client-s"), svc("wp", "server-w"), 12345);
  CHECK(a.describe(s) == b.describe(s));
  // Different hashes reach both replicas.
  std::set<PodId> reached;
  for (std::uint64_t h = 0; h < 16; ++h) reached.insert(*hopPath(s, m, podOf("client-s"), svc("wp", "server-w"), h).destination_pod);
  CHECK(reached.size() == 2);
}
