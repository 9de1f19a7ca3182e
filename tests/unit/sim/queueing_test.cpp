// Checks of sense for the mesh model: single stations against queueing theory, Little's
// law on every station, zone accounting, and determinism.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "sim_support.hpp"

using namespace meshtwin;

namespace {

models::Scenario load(const std::string& yaml) { return test::loadScenario(yaml); }

// One server workload behind an entry point in the same zone, no mesh, no network delay:
// the entry latency is the station's sojourn time.
std::string singleStation(int concurrency, const std::string& mean, double rps, const std::string& duration) {
  return R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: 16, memory: 64Gi, priceUsdPerHour: 1, countPerZone: 1}]
  network: {rtt: {sameNode: 0s, sameZone: 0s, crossZone: 0s}, bandwidth: 100000Gbps}
workloads:
  - {name: srv, concurrency: )" + std::to_string(concurrency) + R"(, serviceTime: {distribution: exponential, mean: )" + mean +
         R"(}}
entryPoints:
  - {name: in, service: srv, load: [{constant: {rps: )" + std::to_string(rps) + ", duration: " + duration + R"(}}]}
)";
}

// P(T > t) for the sojourn time of M/M/c: with probability 1-C no wait (T ~ Exp(mu)), else
// T = S + W with S ~ Exp(mu), W ~ Exp(theta = c mu - lambda).
double mmcTail(double t, double mu, double theta, double erlang_c) {
  const double no_wait = std::exp(-mu * t);
  const double conv = std::abs(theta - mu) < 1e-12 ? (1 + mu * t) * std::exp(-mu * t)
                                                   : (theta * std::exp(-mu * t) - mu * std::exp(-theta * t)) / (theta - mu);
  return (1 - erlang_c) * no_wait + erlang_c * conv;
}

double erlangC(int c, double a) {  // a = lambda / mu (offered load)
  double term = 1, sum = 1;
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double last = term * a / c;
  const double rho = a / c;
  const double top = last / (1 - rho);
  return top / (sum + top);
}

double quantile(double p, double mu, double theta, double erlang_c) {
  double lo = 0, hi = 100.0 / mu;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (mmcTail(mid, mu, theta, erlang_c) > 1 - p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

sim::SimOptions opts(std::uint64_t seed = 11) {
  sim::SimOptions o;
  o.seed = seed;
  o.warmup_ns = 10'000'000'000;
  return o;
}

}  // namespace

TEST_CASE("an M/M/1 station matches the closed-form mean and p99 within 3%", "[sim][queueing]") {
  // lambda = 500/s, mu = 1000/s: rho 0.5, mean sojourn 1/(mu - lambda) = 2 ms, p99 = ln(100) x 2 ms.
  const auto s = load(singleStation(1, "1ms", 500, "600s"));
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), opts());
  const auto& l = r.entry_latency.at("in");
  CHECK(r.errors == 0);
  CHECK(l.mean_ms == Approx(2.0).epsilon(0.03));
  CHECK(l.p99_ms == Approx(std::log(100.0) * 2.0).epsilon(0.03));
}

TEST_CASE("an M/M/c station matches Erlang C within 3%", "[sim][queueing]") {
  // c = 4, mu = 250/s per server, lambda = 800/s: rho = 0.8.
  const int c = 4;
  const double mu = 250, lambda = 800;
  const auto s = load(singleStation(c, "4ms", lambda, "600s"));
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), opts());
  const auto& l = r.entry_latency.at("in");
  const double C = erlangC(c, lambda / mu);
  const double theta = c * mu - lambda;
  const double mean_s = 1 / mu + C / theta;
  const double p99_s = quantile(0.99, mu, theta, C);
  CAPTURE(C, mean_s, p99_s);
  CHECK(l.mean_ms == Approx(mean_s * 1e3).epsilon(0.03));
  CHECK(l.p99_ms == Approx(p99_s * 1e3).epsilon(0.03));
}

TEST_CASE("Little's law holds on every station", "[sim][queueing]") {
  auto s = load(R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a, b]
  nodePools: [{name: n, vcpu: 8, memory: 32Gi, priceUsdPerHour: 0.4, countPerZone: 2}]
workloads:
  - {name: front, namespace: shop, replicas: 2, concurrency: 8, serviceTime: {distribution: exponential, mean: 2ms},
     script: [{call: cart}, [{call: {service: pay.pay, probability: 50}}, {call: cart}]]}
  - {name: cart, namespace: shop, replicas: 2, concurrency: 4, serviceTime: {distribution: lognormal, mean: 1ms, p99: 6ms}}
  - {name: pay, namespace: pay, replicas: 2, concurrency: 2, serviceTime: {distribution: constant, mean: 3ms}}
entryPoints:
  - {name: web, service: front.shop, load: [{constant: {rps: 300, duration: 200s}}]}
mesh:
  namespaces: {shop: sidecar, pay: ambient}
  waypoints: [{name: wp, namespace: pay, hpa: {maxReplicas: 3}}]
  useWaypoint: [{namespace: pay, waypoint: wp}]
)");
  std::vector<sim::StationStats> stations;
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), opts(), &stations);
  CHECK(r.errors == 0);
  int checked = 0;
  for (const auto& st : stations) {
    if (st.completions < 1000) continue;
    const double lambda = static_cast<double>(st.arrivals) / st.window_ns;
    const double w = st.sojourn_sum_ns / static_cast<double>(st.completions);
    const double l = st.occupancy_integral / st.window_ns;
    CAPTURE(st.kind, st.name, lambda, w, l);
    CHECK(l == Approx(lambda * w).epsilon(0.02));
    ++checked;
  }
  CHECK(checked >= 8);  // apps, sidecars, ztunnels and the waypoint all carried traffic
}

namespace {
const char* kZoneScenario = R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a, b]
  nodePools: [{name: n, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.2, countPerZone: 1}]
  network: {crossZoneUsdPerGiB: {egress: 0.01, ingress: 0.01}}
workloads:
  - {name: client, namespace: app, zones: [a], script: [{call: {service: server, size: 2KiB}}]}
  - {name: server, namespace: app, zones: [a], responseSize: 8KiB}
entryPoints:
  - {name: in, service: client.app, zones: [a], load: [{constant: {rps: 200, duration: 60s}}]}
mesh:
  defaultMode: ambient
plan:
  waves:
    - name: remote-waypoint
      changes:
        - addWaypoint: {name: wp, namespace: app, zones: [b], hpa: {maxReplicas: 2}}
        - useWaypoint: {service: app/server, waypoint: wp}
)";
}  // namespace

TEST_CASE("all traffic in one zone crosses no zone", "[sim][network]") {
  const auto s = load(kZoneScenario);
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 0), opts());
  REQUIRE(r.requests > 9000);
  CHECK(r.cross_zone_usd_per_month == 0.0);
  for (const auto& z : r.zone_pairs) {
    CHECK(z.from == "a");
    CHECK(z.to == "a");
  }
}

TEST_CASE("a waypoint in another zone adds exactly the expected cross-zone bytes", "[sim][network]") {
  const auto s = load(kZoneScenario);
  const auto r = sim::simulatePhase(s, models::meshStateAt(s, 1), opts());
  const auto& edge = r.edge_latency.at("app/client -> app/server");
  REQUIRE(edge.errors == 0);
  const double calls = static_cast<double>(edge.requests);
  REQUIRE(calls > 9000);
  // Each call goes a -> b (client ztunnel to the waypoint) and b -> a (waypoint to the
  // server's ztunnel), and its response comes back the same way. Every leg is HBONE: half
  // the per-stream overhead (200 B) on each direction, plus 2% TLS framing.
  const double hbone_half = 100, tls = 1.02;
  const double req = (2048 + hbone_half) * tls, resp = (8192 + hbone_half) * tls;
  double a_to_b = 0, b_to_a = 0;
  for (const auto& z : r.zone_pairs) {
    if (z.from == "a" && z.to == "b") a_to_b = z.bytes;
    if (z.from == "b" && z.to == "a") b_to_a = z.bytes;
  }
  // a -> b carries the request to the waypoint and the response from the server back to it.
  CHECK(a_to_b == Approx(calls * (req + resp)).epsilon(1e-9));
  CHECK(b_to_a == Approx(calls * (req + resp)).epsilon(1e-9));
  const double gib_per_month = (a_to_b + b_to_a) * (730.0 * 3600 / r.duration_s) / (1024.0 * 1024 * 1024);
  CHECK(r.cross_zone_usd_per_month == Approx(gib_per_month * 0.02).epsilon(1e-9));
}

TEST_CASE("the same seed gives the same report byte for byte; another seed does not", "[sim][determinism]") {
  auto r = models::loadScenarioFile("scenarios/default.yaml");
  REQUIRE(r.ok());
  auto o = opts(7);
  o.duration_ns = 30'000'000'000;
  o.warmup_ns = 5'000'000'000;
  const auto a = sim::simulateScenario(*r.scenario, o);
  const auto b = sim::simulateScenario(*r.scenario, o);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(models::toJson(*a).dump() == models::toJson(*b).dump());
  o.seed = 8;
  const auto c = sim::simulateScenario(*r.scenario, o);
  CHECK(models::toJson(*a).dump() != models::toJson(*c).dump());
}

TEST_CASE("stations on a busy node slow down: CPU contention shows in latency", "[sim][queueing]") {
  // 4 workers x 10 ms constant service at 80 rps keep ~0.8 cores busy. On a 4-vCPU node
  // every job runs at full speed (sojourn ~10 ms); on a 1-vCPU node jobs that start while
  // more than one worker is busy run slower, so the mean grows well past 10 ms, yet the
  // node keeps up (0.8 < 1 core).
  auto scenario = [](const std::string& vcpu) {
    return R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a]
  nodePools: [{name: n, vcpu: )" + vcpu + R"(, memory: 16Gi, priceUsdPerHour: 0.2, countPerZone: 1}]
  network: {rtt: {sameNode: 0s, sameZone: 0s, crossZone: 0s}, bandwidth: 100000Gbps}
workloads:
  - {name: srv, concurrency: 4, resources: {requests: {cpu: 100m}}, serviceTime: {distribution: constant, mean: 10ms}}
entryPoints:
  - {name: in, service: srv, load: [{constant: {rps: 80, duration: 300s}}]}
)";
  };
  const auto big = load(scenario("4"));
  const auto small = load(scenario("1"));
  const auto fast = sim::simulatePhase(big, models::meshStateAt(big, 0), opts());
  const auto slow = sim::simulatePhase(small, models::meshStateAt(small, 0), opts());
  CHECK(fast.entry_latency.at("in").mean_ms == Approx(10.0).epsilon(0.01));
  CHECK(slow.entry_latency.at("in").mean_ms > 1.5 * fast.entry_latency.at("in").mean_ms);
  CHECK(slow.errors == 0);
  // The CPU used is the work done, whatever the speed: the same on both nodes.
  CHECK(slow.components[0].cpu_millicores == Approx(fast.components[0].cpu_millicores).epsilon(0.03));
}
