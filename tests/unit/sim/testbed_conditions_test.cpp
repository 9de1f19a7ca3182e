// The simulator's testbed conditions (SimOptions::host_vcpus, app_service_is_cpu,
// app_cpu_per_request_ns, ingress_cpu_per_request_ns, count_entry_zone_bytes) and the profile's calibrated mechanisms (latency per pass through a
// proxy, message overhead on the wire): each changes what it says and nothing else.
#include <catch2/catch.hpp>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

namespace {

// front (za) -> back (zb), entered from za; sidecars.
const char* kYaml = R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: conditions}
seed: 5
cluster:
  zones: [za, zb]
  network: {rtt: {sameNode: 0us, sameZone: 0us, crossZone: 0us}}
  nodePools:
    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
defaults:
  serviceTime: {distribution: constant, mean: 1ms}
workloads:
  - name: front
    namespace: web
    replicas: 1
    zones: [za]
    concurrency: 8
    responseSize: 1KiB
    script:
      - call: {service: back.data, size: 1KiB}
  - name: back
    namespace: data
    replicas: 1
    zones: [zb]
    concurrency: 8
    responseSize: 4KiB
entryPoints:
  - name: web
    service: front.web
    arrival: uniform
    zones: [za]
    load: [{constant: {rps: 100, duration: 20s}}]
mesh:
  defaultMode: sidecar
)";

models::PhaseReport run(const models::Scenario& s, const sim::SimOptions& o) {
  return sim::simulatePhase(s, models::meshStateAt(s, 0), o);
}

sim::SimOptions base() {
  sim::SimOptions o;
  o.duration_ns = 20'000'000'000;
  o.warmup_ns = 2'000'000'000;
  o.rollouts = false;
  return o;
}

double appCpu(const models::PhaseReport& r) {
  for (const auto& c : r.components)
    if (c.kind == "app") return c.cpu_millicores;
  return -1;
}

double pairBytes(const models::PhaseReport& r, const std::string& from, const std::string& to) {
  for (const auto& z : r.zone_pairs)
    if (z.from == from && z.to == to) return z.bytes;
  return 0;
}

}  // namespace

TEST_CASE("an app whose service time is a wait uses no CPU and its latency is unchanged at low load") {
  const auto s = test::loadScenario(kYaml);
  auto o = base();
  const auto cpu = run(s, o);
  o.app_service_is_cpu = false;
  const auto wait = run(s, o);
  // 100 rps x (1 ms front + 1 ms back) = 200 millicores of app CPU when it is CPU.
  CHECK(appCpu(cpu) == Approx(200).epsilon(0.03));
  CHECK(appCpu(wait) == 0);
  CHECK(wait.entry_latency.at("web").p50_ms == Approx(cpu.entry_latency.at("web").p50_ms).epsilon(0.01));
}

TEST_CASE("host vCPUs shared by all nodes slow every station when the host is busy") {
  auto s = test::loadScenario(kYaml);
  for (auto& w : s.workloads) w.concurrency = 64;
  auto o = base();
  // 900 rps x 2 ms of CPU = 1.8 vCPU: fine on two 4-vCPU nodes, a queue on one 1-vCPU host.
  for (auto& e : s.entry_points) e.load.front().rps = 900;
  const auto separate = run(s, o);
  o.host_vcpus = 1;
  const auto shared = run(s, o);
  CHECK(separate.entry_latency.at("web").p50_ms < 3.5);  // 2 ms of app time, the proxies, no queue
  CHECK(shared.entry_latency.at("web").p50_ms > 2 * separate.entry_latency.at("web").p50_ms);
}

TEST_CASE("the testbed's apps and load generator keep the host busy: counted, and the proxies queue behind them") {
  auto s = test::loadScenario(kYaml);
  for (auto& e : s.entry_points) e.load.front().rps = 300;
  auto o = base();
  o.app_service_is_cpu = false;
  o.host_vcpus = 1;
  const auto proxies_only = run(s, o);
  // 300 rps x (2 app requests x 800 us + 1 entry x 400 us) = 0.6 vCPU beside the sidecars'
  // 0.2, on a host of one vCPU.
  o.app_cpu_per_request_ns = 800'000;
  o.ingress_cpu_per_request_ns = 400'000;
  const auto with_testbed = run(s, o);
  CHECK(appCpu(proxies_only) == 0);
  CHECK(appCpu(with_testbed) == Approx(480).epsilon(0.03));
  const models::ComponentUsage* ingress = nullptr;
  for (const auto& c : with_testbed.components)
    if (c.kind == "ingress") ingress = &c;
  REQUIRE(ingress);
  CHECK(ingress->cpu_millicores == Approx(120).epsilon(0.03));
  // Not the mesh's CPU (its pools open a few more connections while requests queue longer).
  CHECK(with_testbed.mesh_cpu_millicores < proxies_only.mesh_cpu_millicores + 50);
  CHECK(with_testbed.entry_latency.at("web").p50_ms > 1.2 * proxies_only.entry_latency.at("web").p50_ms);
  // Without a shared host (a cluster's nodes) the options change nothing.
  auto cluster = base();
  const auto plain = run(s, cluster);
  cluster.app_cpu_per_request_ns = 800'000;
  cluster.ingress_cpu_per_request_ns = 400'000;
  const auto ignored = run(s, cluster);
  CHECK(ignored.entry_latency.at("web").p50_ms == plain.entry_latency.at("web").p50_ms);
  CHECK(ignored.components.size() == plain.components.size());
}

TEST_CASE("entry bytes are left out of the zone pairs when the ingress is outside the zones") {
  const auto s = test::loadScenario(kYaml);
  auto o = base();
  const auto with = run(s, o);
  o.count_entry_zone_bytes = false;
  const auto without = run(s, o);
  // The za -> za pair carries only the entry's request and response; the cross-zone pairs stay.
  CHECK(pairBytes(with, "za", "za") > 0);
  CHECK(pairBytes(without, "za", "za") == 0);
  CHECK(pairBytes(without, "za", "zb") == Approx(pairBytes(with, "za", "zb")));
  CHECK(pairBytes(without, "zb", "za") == Approx(pairBytes(with, "zb", "za")));
}

TEST_CASE("message overhead adds its bytes to every message on the wire") {
  auto s = test::loadScenario(kYaml);
  s.profile.network.tls_overhead_fraction = 0;
  s.profile.network.hbone_overhead_bytes_per_stream = 0;
  auto o = base();
  const auto plain = run(s, o);
  s.profile.network.message_overhead_bytes = 300;
  const auto more = run(s, o);
  const double calls = static_cast<double>(plain.edge_latency.at("web/front -> data/back").requests);
  REQUIRE(calls > 1000);
  // Each call sends one request za -> zb and one response zb -> za across the zones.
  CHECK(pairBytes(more, "za", "zb") - pairBytes(plain, "za", "zb") == Approx(300 * calls).epsilon(0.01));
  CHECK(pairBytes(more, "zb", "za") - pairBytes(plain, "zb", "za") == Approx(300 * calls).epsilon(0.01));
}

TEST_CASE("latency per pass delays each pass through a proxy without using CPU") {
  auto s = test::loadScenario(kYaml);
  auto o = base();
  const auto before = run(s, o);
  s.profile.sidecar.latency_per_pass_ns = 100'000;
  const auto after = run(s, o);
  // The entry passes the front's sidecar twice each way and the back's once each way: 6 passes.
  CHECK(after.entry_latency.at("web").mean_ms - before.entry_latency.at("web").mean_ms == Approx(0.6).epsilon(0.02));
  for (std::size_t i = 0; i < after.components.size(); ++i)
    CHECK(after.components[i].cpu_millicores == Approx(before.components[i].cpu_millicores));
  // With a spread, the mean stays and the tail grows.
  s.profile.sidecar.latency_per_pass_p99_ns = 500'000;
  const auto spread = run(s, o);
  CHECK(spread.entry_latency.at("web").mean_ms == Approx(after.entry_latency.at("web").mean_ms).epsilon(0.02));
  CHECK(spread.entry_latency.at("web").p99_ms > after.entry_latency.at("web").p99_ms + 0.3);
}
