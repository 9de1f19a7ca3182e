// The scenario writer: load -> write -> load gives the same model, for every shipped
// scenario and for one that uses every field the format has.
#include <catch2/catch.hpp>

#include <filesystem>

#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario_writer.hpp"
#include "test_support.hpp"

using namespace meshtwin;
using models::Scenario;

namespace {

// What the model holds beyond the text the writer produces: placement, derived mesh
// states and the analysis. The text comparison in roundTrip covers the written fields.
void requireSameDerived(const Scenario& a, const Scenario& b) {
  REQUIRE(a.pods.size() == b.pods.size());
  for (std::size_t p = 0; p < a.pods.size(); ++p) {
    CHECK(a.pods[p].name == b.pods[p].name);
    CHECK(a.pods[p].node == b.pods[p].node);
  }
  CHECK(a.namespaces == b.namespaces);
  REQUIRE(a.services.size() == b.services.size());
  for (std::size_t i = 0; i < a.services.size(); ++i) {
    CHECK(a.services[i].key() == b.services[i].key());
    CHECK(a.services[i].backends == b.services[i].backends);
  }
  const auto pa = models::allPhases(a), pb = models::allPhases(b);
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].phase_name == pb[i].phase_name);
    CHECK(pa[i].workload_mode == pb[i].workload_mode);
    CHECK(pa[i].waypoint_present == pb[i].waypoint_present);
    CHECK(pa[i].service_waypoint == pb[i].service_waypoint);
    CHECK(pa[i].workload_waypoint == pb[i].workload_waypoint);
    CHECK(pa[i].policies.size() == pb[i].policies.size());
    CHECK(pa[i].peer_authns.size() == pb[i].peer_authns.size());
  }
  const auto fa = models::analyze(a), fb = models::analyze(b);
  REQUIRE(fa.size() == fb.size());
  for (std::size_t i = 0; i < fa.size(); ++i) {
    CHECK(fa[i].code == fb[i].code);
    CHECK(fa[i].object == fb[i].object);
    CHECK(fa[i].message == fb[i].message);
    CHECK(fa[i].phases == fb[i].phases);
  }
}

// Loads the written text of `a` and checks it gives `a` back; returns the written text.
std::string roundTrip(const Scenario& a, const std::string& file, const std::string& dir) {
  const auto text = models::writeScenarioYaml(a);
  auto again = models::loadScenarioText(text, file, dir);
  INFO(test::diagnosticsText(again) << "\n--- written:\n" << text);
  REQUIRE(again.ok());
  const auto& b = *again.scenario;
  // The text holds every written field; equal text of both models means equal fields.
  CHECK(models::writeScenarioYaml(b) == text);
  CHECK(b.name == a.name);
  CHECK(b.description == a.description);
  CHECK(b.seed == a.seed);
  CHECK(b.profile.name == a.profile.name);
  CHECK(b.workloads.size() == a.workloads.size());
  CHECK(b.plan.waves.size() == a.plan.waves.size());
  CHECK(b.faults.size() == a.faults.size());
  CHECK(b.http_routes.size() == a.http_routes.size());
  requireSameDerived(a, b);
  return text;
}

std::vector<std::string> shippedScenarios() {
  std::vector<std::string> out;
  for (const char* dir : {"scenarios", "tests/data/good"}) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".yaml") out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every shipped scenario survives load -> write -> load") {
  const auto files = shippedScenarios();
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f) {
      auto r = models::loadScenarioFile(f);
      INFO(test::diagnosticsText(r));
      REQUIRE(r.ok());
      roundTrip(*r.scenario, f, std::filesystem::path(f).parent_path().string());
    }
  }
}

TEST_CASE("the default scenario's values come back exactly") {
  auto a = *models::loadScenarioFile("scenarios/default.yaml").scenario;
  const auto text = roundTrip(a, "scenarios/default.yaml", "scenarios");
  auto b = *models::loadScenarioText(text, "x.yaml", "scenarios").scenario;
  const auto& fa = a.workloads[*a.findWorkload("shop", "frontend")];
  const auto& fb = b.workloads[*b.findWorkload("shop", "frontend")];
  CHECK(fb.service_time.mean_ns == fa.service_time.mean_ns);
  CHECK(fb.service_time.p99_ns == 15'000'000);
  CHECK(fb.response_bytes == 24 * 1024);
  CHECK(fb.resources.cpu_limit_millicores == 1000);
  CHECK(fb.labels == fa.labels);
  CHECK(fb.script[1].calls[1].probability == fa.script[1].calls[1].probability);
  CHECK(b.network.bandwidth_bps == 12.5e9);
  CHECK(b.entry_points[0].load[2].peak_rps == 380);
  CHECK(b.plan.waves[0].gates[1].max_error_rate == a.plan.waves[0].gates[1].max_error_rate);
  CHECK(b.plan.waves[0].rollout.max_surge.percent == 25);
  const auto& wp = b.waypoints[*b.findWaypoint("checkout", "checkout-waypoint")];
  CHECK(wp.hpa->target_cpu_percent == 70);
  CHECK(wp.zones.size() == 2);
  CHECK_FALSE(b.waypoint_initial[*b.findWaypoint("checkout", "checkout-waypoint")]);
  // Guard rails: SLOs keep kind, path, objective, threshold and period; the label contract its actions.
  REQUIRE(b.slos.size() == a.slos.size());
  REQUIRE(a.slos.size() == 4);
  for (std::size_t i = 0; i < a.slos.size(); ++i) {
    CHECK(b.slos[i].name == a.slos[i].name);
    CHECK(b.slos[i].kind == a.slos[i].kind);
    CHECK(b.slos[i].objective == a.slos[i].objective);
    CHECK(b.slos[i].threshold_ns == a.slos[i].threshold_ns);
    CHECK(b.slos[i].period_days == a.slos[i].period_days);
    CHECK(b.slos[i].entry_point == a.slos[i].entry_point);
    CHECK(b.slos[i].edge_to == a.slos[i].edge_to);
  }
  CHECK(a.slos[1].kind == models::Slo::Kind::Latency);
  CHECK(a.slos[1].threshold_ns == 250'000'000);
  CHECK(a.slos[3].period_days == 28);
  CHECK(a.slos[3].edge_from == a.findWorkload("shop", "frontend"));
  REQUIRE(b.label_policy);
  CHECK(b.label_policy->required == std::vector<std::string>{"team", "cost-center", "environment"});
  CHECK(b.label_policy->during == models::LabelPolicy::Action::Audit);
  CHECK(b.label_policy->after == models::LabelPolicy::Action::Enforce);
}

TEST_CASE("a scenario using every field round-trips") {
  const std::string yaml = R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: everything, description: "every field: once"}
seed: 77
cluster:
  zones: [a, b]
  nodePools:
    - {name: big, instanceType: m6i.2xlarge, vcpu: 7500m, memory: 30Gi, priceUsdPerHour: 0.384, countPerZone: 1, zones: [b]}
    - {name: small, vcpu: 2, memory: 8G, priceUsdPerHour: 0.1, countPerZone: 2}
  network:
    rtt: {sameNode: 15us, sameZone: 0.2ms, crossZone: 1500us}
    bandwidth: 500Mbps
    crossZoneUsdPerGiB: {egress: 0.02, ingress: 0}
workloads:
  - name: web
    namespace: front
    serviceAccount: web-sa
    replicas: 2
    labels: {tier: "1", app: website}
    resources: {requests: {cpu: 0.25, memory: 100M}, limits: {cpu: 1500m}}
    concurrency: 16
    serviceTime: {distribution: constant, mean: 1.5ms}
    requestSize: 1.5KiB
    responseSize: 1000
    l7: [jwt, wasm]
    zones: [a]
    script:
      - call: {service: api.back, size: 3KB, probability: 33.3, method: POST, path: /v1/orders}
      - sleep: 0s
      - - call: api.back
        - call: {service: store.back, probability: 0.5}
  - {name: api, namespace: back, serviceTime: {distribution: lognormal, mean: 2ms, p99: 9ms}, protocol: grpc, port: 9000}
  - {name: db, namespace: back, replicas: 0}
  - {name: db2, namespace: back}
services:
  - {name: store, namespace: back, workloads: [db, db2], ports: [{name: a, port: 5432, targetPort: 15432, protocol: tcp}, {port: 80}]}
entryPoints:
  - name: in
    service: web.front
    path: /shop
    arrival: uniform
    connections: 8
    zones: [b]
    load:
      - steps: {rps: [10, 20.5], duration: 90s}
      - burst: {baseRps: 5, peakRps: 50, period: 30s, burstDuration: 2s, duration: 1h}
mesh:
  defaultMode: sidecar
  sidecarScope: namespace
  namespaces: {back: sidecar}
  workloads: {front/web: none}
  waypoints:
    - {name: back-wp, namespace: back, for: all, replicas: 2, zones: [a], resources: {requests: {cpu: 50m}, limits: {memory: 2Gi}}}
    - {name: side-wp, namespace: gateways, for: workload}
  useWaypoint:
    - {service: back/api, waypoint: back-wp}
    - {workload: back/db, waypoint: none}
  policies:
    - apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: pa, namespace: back}
      spec:
        selector: {}
        mtls: {mode: PERMISSIVE}
        portLevelMtls: {5432: {mode: DISABLE}}
    - kind: AuthorizationPolicy
      metadata: {name: everything, namespace: back}
      spec:
        selector: {matchLabels: {app: api}}
        action: DENY
        rules:
          - from:
              - source: {notPrincipals: ["*"], requestPrincipals: [x], notRequestPrincipals: [y], notNamespaces: [z]}
              - source: {ipBlocks: [10.0.0.0/8], notRemoteIpBlocks: [1.2.3.4]}
            to:
              - operation: {ports: ["9000"], notPorts: ["1"], hosts: [h], notHosts: [nh], notMethods: [PUT], notPaths: [/x]}
            when:
              - {key: "request.headers[x-user]", values: [a], notValues: [b]}
          - {}
    - kind: AuthorizationPolicy
      metadata: {name: none-rules, namespace: back}
    - kind: AuthorizationPolicy
      metadata: {name: empty-rules, namespace: front}
      spec: {rules: []}
    - kind: AuthorizationPolicy
      metadata: {name: audit, namespace: back}
      spec: {targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: back-wp}, action: AUDIT}
  routes:
    - apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: api, namespace: back}
      spec:
        parentRefs: [{group: "", kind: Service, name: api}]
        rules:
          - matches: [{path: {type: Exact, value: /v2}, headers: [{name: x-canary, value: "1"}], method: POST}]
            backendRefs: [{name: api, port: 8080, weight: 3}]
            timeouts: {request: 1500ms}
            retry: {attempts: 2, codes: [503], backoff: 10ms}
          - matches: [{path: {type: PathPrefix, value: /}}]
plan:
  name: p
  rollout: {maxSurge: 0, maxUnavailable: 12.5%}
  waves:
    - name: one
      rollout: {maxSurge: 2}
      changes:
        - setMode: {workload: front/web, mode: ambient}
        - addWaypoint: {name: front-wp, namespace: front, hpa: {maxReplicas: 3, targetCpu: 0.65}}
        - useWaypoint: {namespace: front, waypoint: front-wp}
        - removePolicy: back/none-rules
        - movePolicy: {policy: back/everything, targetRefs: [{kind: Service, name: api}, {kind: ServiceEntry, name: ext}]}
        - addPolicy:
            kind: PeerAuthentication
            metadata: {name: pa, namespace: back}
            spec: {mtls: {mode: STRICT}}
        - addPolicy:
            kind: AuthorizationPolicy
            metadata: {name: late, namespace: front}
            spec: {selector: {matchLabels: {app: website}}}
      gates:
        - latency: {path: in, percentile: p99.9, threshold: 2s}
        - latency: {path: "front/web -> store.back", percentile: p90, threshold: 700us}
        - errorRate: {max: 0.25}
        - errorRate: {path: in, max: 0.05%}
faults:
  - nodeLoss: {node: small-a-1, at: 60s, phases: [one]}
  - zoneLoss: {zone: b, at: 2m}
  - waypointCrash: {waypoint: back/back-wp, at: 10s, phases: [baseline]}
  - clockSkew: {node: big-b-0, skew: 10m, at: 0s, duration: 45s}
)";
  const auto a = test::loadOk(yaml, "everything.yaml");
  const auto text = roundTrip(a, "everything.yaml", ".");
  const auto b = test::loadOk(text, "everything.yaml");
  CHECK(b.sidecar_scope == Scenario::SidecarScope::Namespace);
  CHECK(b.pools[0].cpu_millicores == 7500);
  CHECK(b.pools[1].memory_bytes == 8'000'000'000);
  CHECK(b.network.rtt_same_zone_ns == 200'000);
  CHECK(b.network.bandwidth_bps == 500e6);
  const auto& web = b.workloads[0];
  CHECK(web.service_account == "web-sa");
  CHECK(web.labels.at("app") == "website");
  CHECK(web.resources.cpu_request_millicores == 250);
  CHECK(web.resources.memory_limit_bytes == 0);
  CHECK(web.request_bytes == 1536);
  CHECK(web.script[0].calls[0].probability == a.workloads[0].script[0].calls[0].probability);
  CHECK(web.script[0].calls[0].method == "POST");
  CHECK(web.script[2].calls[1].probability == a.workloads[0].script[2].calls[1].probability);
  CHECK(b.services[0].ports[0].target_port == 15432);
  CHECK(b.services[*b.findService("back", "api")].ports[0].port == 9000);
  CHECK(b.entry_points[0].arrival == models::EntryPoint::Arrival::Uniform);
  CHECK(b.entry_points[0].load[0].step_rps == std::vector<double>{10, 20.5});
  CHECK(b.waypoints[*b.findWaypoint("back", "back-wp")].resources.cpu_limit_millicores ==
        a.waypoints[*a.findWaypoint("back", "back-wp")].resources.cpu_limit_millicores);
  CHECK(b.waypoints[*b.findWaypoint("front", "front-wp")].hpa->target_cpu_percent == 65);
  REQUIRE(b.peer_authns.size() == 2);
  CHECK(b.peer_authns[0].selector.has_value());
  CHECK(b.peer_authns[0].port_modes.at(5432) == models::MtlsMode::Disable);
  const auto& ev = b.authz_policies[0];
  REQUIRE(ev.rules.has_value());
  CHECK(ev.rules->size() == 2);
  CHECK(ev.rules->at(0).from[1].not_ip_blocks == std::vector<std::string>{"1.2.3.4"});
  CHECK(ev.rules->at(0).when[0].not_values == std::vector<std::string>{"b"});
  CHECK_FALSE(b.authz_policies[1].rules.has_value());
  CHECK(b.authz_policies[2].rules.has_value());
  CHECK(b.authz_policies[3].target_refs[0].group == "gateway.networking.k8s.io");
  CHECK(b.plan.waves[0].rollout.max_surge.count == 2);
  CHECK(b.plan.waves[0].rollout.max_unavailable.percent == 12.5);
  CHECK(b.plan.waves[0].gates[0].percentile == 99.9);
  CHECK(b.plan.waves[0].gates[3].max_error_rate == a.plan.waves[0].gates[3].max_error_rate);
  CHECK(b.faults[3].duration_ns == 45'000'000'000);
  CHECK(b.faults[0].phases == std::vector<std::string>{"one"});
}

TEST_CASE("exact quantities parse back to the same integer") {
  CHECK(models::exactDuration(90'000'000'000) == "90s");
  CHECK(models::exactDuration(1'500) == "1500ns");
  CHECK(models::exactDuration(3'600'000'000'000) == "1h");
  CHECK(models::exactMemory(128 * 1048576LL) == "128Mi");
  CHECK(models::exactMemory(8'000'000'000) == "7812500Ki");
  CHECK(models::exactCpu(2000) == "2");
  CHECK(models::exactCpu(250) == "250m");
  CHECK(models::exactPercent(0.005) == "0.5%");
}
