// The scenario loader: defaults, resolution of names, placement, and that it reports every
// problem with file:line:col rather than stopping at the first.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "test_support.hpp"

using namespace meshtwin::models;
using meshtwin::test::kClusterHeader;
using meshtwin::test::loadErrors;
using meshtwin::test::loadOk;

TEST_CASE("defaults apply and implicit services are created", "[loader]") {
  const auto s = loadOk(std::string(kClusterHeader) + R"(
defaults:
  replicas: 2
  requestSize: 2KiB
  labels: {environment: prod}
workloads:
  - name: web
    namespace: shop
    script: [{call: api}]
  - name: api
    namespace: shop
    replicas: 1
    labels: {team: core}
    responseSize: 4KB
    serviceTime: {distribution: lognormal, mean: 2ms, p99: 12ms}
)");
  REQUIRE(s.workloads.size() == 2);
  const auto& web = s.workloads[0];
  CHECK(web.replicas == 2);
  CHECK(web.request_bytes == 2048);
  CHECK(web.service_account == "web");
  CHECK(web.labels.at("app") == "web");
  CHECK(web.labels.at("environment") == "prod");
  CHECK(web.concurrency == 64);
  const auto& api = s.workloads[1];
  CHECK(api.labels.at("team") == "core");
  CHECK(api.labels.at("environment") == "prod");
  CHECK(api.response_bytes == 4000);
  CHECK(api.service_time.kind == ServiceTime::Kind::LogNormal);
  CHECK(api.service_time.p99_ns == 12'000'000);
  // One Service per workload, port 8080, http.
  REQUIRE(s.services.size() == 2);
  CHECK(s.services[1].key() == "shop/api");
  CHECK(s.services[1].ports.at(0).port == 8080);
  // The call resolved, and took the caller's request size.
  REQUIRE(web.script.size() == 1);
  CHECK(web.script[0].calls[0].service == 1);
  CHECK(web.script[0].calls[0].request_bytes == 2048);
  CHECK(s.profile.name == "istio-1.24-published");
  CHECK(s.namespaces == std::vector<std::string>{"shop"});
  CHECK(s.nodes.size() == 3);
  CHECK(s.nodes[0].name == "n-a-0");
}

TEST_CASE("service references: bare, qualified, FQDN, ambiguous", "[loader]") {
  const std::string base = std::string(kClusterHeader) + R"(
workloads:
  - {name: api, namespace: one}
  - {name: api, namespace: two}
  - {name: db, namespace: two}
  - name: client
    namespace: one
    script:
)";
  SECTION("a bare name resolves in the caller's namespace first") {
    const auto s = loadOk(base + "      - call: api\n");
    CHECK(s.services[s.workloads[3].script[0].calls[0].service].key() == "one/api");
  }
  SECTION("name.namespace and the cluster FQDN with a port") {
    const auto s = loadOk(base + "      - call: api.two\n      - call: db.two.svc.cluster.local:8080\n");
    CHECK(s.services[s.workloads[3].script[0].calls[0].service].key() == "two/api");
    CHECK(s.services[s.workloads[3].script[1].calls[0].service].key() == "two/db");
  }
  SECTION("a bare name unique in another namespace resolves there") {
    const auto s = loadOk(base + "      - call: db\n");
    CHECK(s.services[s.workloads[3].script[0].calls[0].service].key() == "two/db");
  }
  SECTION("an entry point with a bare name that exists twice is ambiguous") {
    const auto errors = loadErrors(base + "      - sleep: 1ms\nentryPoints:\n  - {name: e, service: api, load: [{constant: {rps: 1, duration: 1s}}]}\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "inline.yaml:17:24: entryPoint e: service \"api\" exists in several namespaces; qualify it as api.<namespace>");
  }
}

TEST_CASE("scripts: sequential, concurrent, sleep, probability", "[loader]") {
  const auto s = loadOk(std::string(kClusterHeader) + R"(
workloads:
  - {name: a}
  - {name: b}
  - name: front
    script:
      - call: a
      - - call: {service: a, size: 512B, probability: 25}
        - call: b
      - sleep: 1.5ms
)");
  const auto& script = s.workloads[2].script;
  REQUIRE(script.size() == 3);
  CHECK(script[0].kind == ScriptStep::Kind::Call);
  CHECK(script[1].kind == ScriptStep::Kind::Concurrent);
  REQUIRE(script[1].calls.size() == 2);
  CHECK(script[1].calls[0].request_bytes == 512);
  CHECK(script[1].calls[0].probability == Approx(0.25));
  CHECK(script[1].calls[1].probability == Approx(1.0));
  CHECK(script[2].kind == ScriptStep::Kind::Sleep);
  CHECK(script[2].sleep_ns == 1'500'000);
}

TEST_CASE("every problem is reported, in file order, with line and column", "[loader]") {
  const auto errors = loadErrors(std::string(kClusterHeader) + R"(
workloads:
  - name: web
    replica: 2
    serviceTime: {mean: 10}
    script:
      - call: apii
  - name: api
    l7: [retries, wasmm]
mesh:
  defaultMode: sidecars
)");
  REQUIRE(errors.size() == 5);
  CHECK(errors[0] == "inline.yaml:10:5: workload default/web: unknown field \"replica\"; did you mean \"replicas\"?");
  CHECK(errors[1] == "inline.yaml:11:25: workload default/web: mean: duration \"10\" has no unit; expected a number with ns, us, ms, s, m or h (e.g. 250us, 1.5s)");
  CHECK(errors[2] == "inline.yaml:13:15: workload default/web: unknown service \"apii\"; did you mean \"api\"?");
  CHECK(errors[3] == "inline.yaml:15:19: workload default/api: unknown L7 feature \"wasmm\"; did you mean \"wasm\"?");
  CHECK(errors[4] == "inline.yaml:17:16: mesh: unknown data-plane mode \"sidecars\"; did you mean \"sidecar\"?");
}

TEST_CASE("call cycles are found with the whole cycle named", "[loader]") {
  const auto errors = loadErrors(std::string(kClusterHeader) + R"(
workloads:
  - {name: a, script: [{call: b}]}
  - {name: b, script: [{call: c}]}
  - {name: c, script: [{call: a}]}
)");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "inline.yaml:11:31: workload default/c: call cycle: default/a -> default/b -> default/c -> default/a; "
        "a request would call itself forever; remove one of these calls");
}

TEST_CASE("placement spreads replicas over zones deterministically", "[loader][placement]") {
  const auto s = loadOk(std::string(kClusterHeader) + R"(
workloads:
  - {name: a, replicas: 3}
  - {name: b, replicas: 3}
  - {name: c, replicas: 2, zones: [b]}
)");
  auto zones = [&](std::size_t w) {
    std::vector<std::string> out;
    for (auto p : s.workload_pods[w]) out.push_back(s.zones[s.zoneOfPod(p)].name);
    return out;
  };
  CHECK(zones(0) == std::vector<std::string>{"a", "b", "c"});
  CHECK(zones(1) == std::vector<std::string>{"b", "c", "a"});  // rotation by workload index
  CHECK(zones(2) == std::vector<std::string>{"b", "b"});
  CHECK(s.podCount() == 8);
  // Same input, same placement.
  const auto again = loadOk(std::string(kClusterHeader) + R"(
workloads:
  - {name: a, replicas: 3}
  - {name: b, replicas: 3}
  - {name: c, replicas: 2, zones: [b]}
)");
  for (PodId p = 0; p < s.pods.size(); ++p) CHECK(again.pods[p].node == s.pods[p].node);
}

TEST_CASE("placement counts sidecar and ztunnel requests against capacity", "[loader][placement]") {
  // 4 vCPU per node, 3 nodes. Each app pod requests 1 vCPU: 12 fit without a mesh.
  const std::string head = std::string(kClusterHeader) + "defaults: {resources: {requests: {cpu: 1, memory: 1Gi}}}\n";
  SECTION("no mesh: 12 replicas fit exactly") {
    CHECK(loadOk(head + "workloads: [{name: a, replicas: 12}]\n").podCount() == 12);
  }
  SECTION("sidecars add 100m each: 12 no longer fit") {
    const auto errors = loadErrors(head + "workloads: [{name: a, replicas: 12}]\nmesh: {defaultMode: sidecar}\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "inline.yaml:8:13: workload default/a: 3 of 12 replicas cannot be scheduled (each requests 1100m CPU "
                       "and 1152MiB, sidecar included); add nodes (nodePools[].countPerZone), allow more zones, or lower the requests");
  }
  SECTION("a plan that uses ambient reserves the ztunnel's 200m on every node") {
    const auto errors = loadErrors(head + "workloads: [{name: a, replicas: 12}]\nplan:\n  waves:\n    - name: w\n      changes: [{setMode: {namespace: default, mode: ambient}}]\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("3 of 12 replicas cannot be scheduled") != std::string::npos);
  }
  SECTION("a full zone spills into the next one") {
    const auto s = loadOk(head + "workloads: [{name: a, replicas: 6, zones: [a, b]}]\n");
    std::map<std::string, int> per_zone;
    for (auto p : s.workload_pods[0]) ++per_zone[s.zones[s.zoneOfPod(p)].name];
    CHECK(per_zone["a"] == 3);
    CHECK(per_zone["b"] == 3);
  }
}

TEST_CASE("mesh, waypoints, bindings and the plan resolve", "[loader][mesh]") {
  const auto s = loadOk(std::string(kClusterHeader) + R"(
workloads:
  - {name: web, namespace: shop, script: [{call: pay.pay}]}
  - {name: pay, namespace: pay}
mesh:
  defaultMode: sidecar
  useWaypoint:
    - {namespace: pay, waypoint: pay-wp}
  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: l7, namespace: pay}
      spec:
        selector: {matchLabels: {app: pay}}
        rules: [{to: [{operation: {methods: [GET]}}]}]
    - apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: default, namespace: pay}
      spec: {mtls: {mode: STRICT}}
plan:
  rollout: {maxSurge: 1, maxUnavailable: 0}
  waves:
    - name: pay-ambient
      changes:
        - addWaypoint: {name: pay-wp, namespace: pay, hpa: {minReplicas: 2, maxReplicas: 5, targetCpu: 70%}}
        - setMode: {namespace: pay, mode: ambient}
        - movePolicy: {policy: pay/l7, targetRefs: [{kind: Service, name: pay}]}
      gates:
        - latency: {path: web, percentile: p99, threshold: 250ms}
        - errorRate: {max: 0.5%}
        - latency: {path: "shop/web -> pay.pay", percentile: p99.9, threshold: 1s}
entryPoints:
  - {name: web, service: web.shop, load: [{steps: {rps: [10, 20], duration: 2m}}, {burst: {baseRps: 10, peakRps: 100, period: 60s, burstDuration: 5s, duration: 2m}}]}
)");
  REQUIRE(s.waypoints.size() == 1);
  CHECK_FALSE(s.waypoint_initial[0]);  // added by the plan, bound before it exists
  CHECK(s.waypoints[0].hpa->target_cpu_percent == 70);
  CHECK(s.waypoints[0].replicas == 2);  // raised to minReplicas
  CHECK(s.waypoint_pods[0].size() == 2);
  REQUIRE(s.plan.waves.size() == 1);
  const auto& w = s.plan.waves[0];
  CHECK(w.changes.size() == 3);
  CHECK(w.rollout.max_surge.count == 1);
  CHECK_FALSE(w.rollout.max_surge.is_percent);
  REQUIRE(w.gates.size() == 3);
  CHECK(w.gates[0].threshold_ns == 250'000'000);
  CHECK(w.gates[0].entry_point == 0u);
  CHECK(w.gates[2].percentile == Approx(99.9));
  CHECK(w.gates[2].edge_from == 0u);
  CHECK(w.gates[2].edge_to == s.findService("pay", "pay"));
  CHECK(w.gates[1].max_error_rate == Approx(0.005));
  CHECK(s.entry_points[0].durationNs() == 240'000'000'000);
  CHECK(s.entry_points[0].load[0].rpsAt(70'000'000'000) == Approx(20));
  CHECK(s.entry_points[0].load[1].rpsAt(61'000'000'000) == Approx(100));
  CHECK(s.entry_points[0].load[1].rpsAt(66'000'000'000) == Approx(10));
  CHECK(s.entry_points[0].load[1].meanRps() == Approx(17.5));

  const auto base = meshStateAt(s, 0);
  const auto after = meshStateAt(s, 1);
  const auto pay = *s.findService("pay", "pay");
  CHECK(base.service_binding_missing[pay] == 0u);
  CHECK_FALSE(base.service_waypoint[pay]);
  CHECK(after.service_waypoint[pay] == 0u);
  CHECK(base.policies.at(0).selector.has_value());
  CHECK(after.policies.at(0).target_refs.at(0).name == "pay");
  CHECK_FALSE(after.policies.at(0).selector.has_value());
  CHECK(after.workload_mode[1] == MeshMode::Ambient);
  CHECK(after.workload_mode[0] == MeshMode::Sidecar);
  CHECK(base.peer_authns.at(0).mode == MtlsMode::Strict);
}

TEST_CASE("profiles: shipped by name, unknown name is an error at the profile line", "[loader][profile]") {
  CHECK_FALSE(shippedProfiles().empty());
  const auto s = loadOk(std::string(kClusterHeader) + "workloads: [{name: a}]\n");
  CHECK(s.profile.sidecar.cpu_per_request_ns == 180'000);
  CHECK(s.profile.ztunnel.resources.cpu_request_millicores == 200);
  CHECK(s.profile.sources.at("sidecar.cpuPerRequest").basis == Basis::Derived);
  CHECK(s.profile.sources.at("sidecar.cpuPerKiB").basis == Basis::Assumption);
  CHECK_FALSE(s.profile.anchors.empty());
  const auto errors = loadErrors(std::string(kClusterHeader) + "profile: istio-1.24-publishd\nworkloads: [{name: a}]\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "inline.yaml:7:10: profile istio-1.24-publishd: no shipped profile has this name; did you mean "
                     "\"istio-1.24-published\"? (or give a path to a profile file)");
}

TEST_CASE("malformed YAML and wrong shapes never throw", "[loader]") {
  for (const char* text : {"", "- a\n- b\n", "apiVersion: [", "cluster: 3\nworkloads: x\n", "{a: {b: {c: [1, {d: e}]}}}",
                           "apiVersion: meshtwin/v1\ncluster: {zones: {a: b}, nodePools: [1, [2]]}\nworkloads: [[1]]\n",
                           "apiVersion: meshtwin/v1\nworkloads: [{name: a, script: [{call: {service: [x]}}, [[{call: a}]]]}]\n",
                           "apiVersion: meshtwin/v1\nmesh: {policies: [{kind: AuthorizationPolicy, spec: {rules: 3}}]}\n"}) {
    CAPTURE(text);
    const auto r = loadScenarioText(text, "x.yaml");
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.diagnostics.empty());
  }
}

TEST_CASE("a gate on an edge must name a call the workload makes", "[loader]") {
  const std::string head = std::string(kClusterHeader) + R"(
workloads:
  - {name: web, script: [{call: api}]}
  - {name: api}
  - {name: db}
plan:
  waves:
    - name: w
      changes: [{setMode: {namespace: default, mode: ambient}}]
      gates:
)";
  CHECK(loadOk(head + "        - errorRate: {path: default/web -> api, max: 1%}\n").plan.waves[0].gates.size() == 1);
  const auto errors = loadErrors(head + "        - errorRate: {path: default/web -> db, max: 1%}\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "inline.yaml:17:29: wave w: workload default/web never calls default/db; a gate on an edge needs a "
                     "call in the workload's script");
}
