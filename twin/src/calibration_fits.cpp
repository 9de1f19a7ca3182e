// Calibration's fits: each profile parameter from the measured points against the simulator's
// work at unit cost (CPU, connection set-up, the testbed's own processes, memory, wire bytes,
// latency per pass), each parameter recorded with its source and each fit with its quality.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "calibration.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/sim/simulation.hpp"
#include "meshtwin/twin/conditions.hpp"

namespace meshtwin::twin::calibration {

namespace {

double cpuOf(const models::PhaseReport& r, const std::string& kind) {
  for (const auto& c : r.components)
    if (c.kind == kind) return c.cpu_millicores;
  return 0;
}
double bytesOf(const models::PhaseReport& r, const std::string& from, const std::string& to) {
  for (const auto& z : r.zone_pairs)
    if (z.from == from && z.to == to) return z.bytes;
  return 0;
}
// Measured requests over the simulator's: the design is scaled to the requests the testbed
// actually started in its window (for totals such as bytes) ...
double countRatio(const Point& p, const models::PhaseReport& sim) {
  return sim.requests > 0 ? static_cast<double>(p.requests) / static_cast<double>(sim.requests) : 1.0;
}
// ... or to the rate it achieved (for rates such as CPU).
double rateRatio(const Point& p, const models::PhaseReport& sim) {
  if (sim.requests == 0 || p.window_s <= 0 || sim.duration_s <= 0) return 1.0;
  return (static_cast<double>(p.requests) / p.window_s) / (static_cast<double>(sim.requests) / sim.duration_s);
}

nlohmann::json fitJson(const LinearFit& f, const char* rmse_key) {
  return {{"points", f.points}, {"r2", f.r2}, {rmse_key, f.rmse}, {"max_abs_rel_residual", f.max_abs_rel_residual}};
}

}  // namespace

double Point::cpuOf(const std::string& kind) const {
  const auto it = cpu_m.find(kind);
  return it != cpu_m.end() ? it->second : 0;
}

models::PhaseReport Design::run(const Point& p, const models::Profile& profile) const {
  auto s = (*scenarios)[p.variant];
  s.profile = profile;
  useTestbedNetwork(s);
  scaleLoad(s, p.rps / kScenarioRps);
  auto opts = testbedSimOptions(profile, host_vcpus, measured_ns, warmup_ns);
  return sim::simulatePhase(s, models::meshStateAt(s, p.phase), opts);
}

models::Profile zeroCosts(models::Profile p) {
  for (const char* k : kKinds) {
    auto& c = componentOf(p, k);
    c.cpu_per_request_ns = c.cpu_per_kib_ns = c.cpu_per_connection_ns = 0;
    c.latency_per_pass_ns = c.latency_per_pass_p99_ns = 0;
  }
  p.network = {};
  p.testbed = {};
  return p;
}

std::string fitLine(const std::string& what, const LinearFit& f) {
  return fmt::format("{:<34} {:>4} points  R2 {:>6.3f}  RMSE {:>10.4g}  max |residual| {:>5.1f}%", what, f.points, f.r2,
                     f.rmse, 100 * f.max_abs_rel_residual);
}

void Fitter::measured(const std::string& key, const std::string& note) {
  fitted.sources[key] = {models::Basis::Measured, ref, note};
}

// CPU per request and per KiB, per kind.
void Fitter::cpuPerRequestAndKib() {
  std::vector<models::PhaseReport> sim_req, sim_kib;
  for (const auto& p : points) {
    auto u1 = unit, u2 = unit;
    for (const char* k : kKinds) {
      componentOf(u1, k).cpu_per_request_ns = 1000;
      componentOf(u2, k).cpu_per_kib_ns = 1000;
    }
    sim_req.push_back(design.run(p, u1));
    sim_kib.push_back(design.run(p, u2));
  }
  for (const char* k : kKinds) {
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double a = cpuOf(sim_req[i], k) / 1000 * rateRatio(points[i], sim_req[i]);
      const double b = cpuOf(sim_kib[i], k) / 1000 * rateRatio(points[i], sim_kib[i]);
      if (a <= 0 && b <= 0) continue;  // the kind has no work in this phase
      x.push_back({a, b});
      y.push_back(points[i].cpuOf(k));
    }
    const auto f = fitNonNegative(x, y);
    auto& c = componentOf(fitted, k);
    c.cpu_per_request_ns = std::llround(f.coef.empty() ? 0 : f.coef[0]);
    c.cpu_per_kib_ns = std::llround(f.coef.size() > 1 ? f.coef[1] : 0);
    const std::string note = fmt::format("least squares over {} points of measured cgroup CPU against the simulator's "
                                         "work at unit cost; R2 {:.3f}",
                                         f.points, f.r2);
    measured(std::string(k) + ".cpuPerRequest", note);
    measured(std::string(k) + ".cpuPerKiB", note);
    quality.push_back(fitLine(std::string(k) + " CPU (millicores)", f));
    fits[std::string(k) + "_cpu"] = fitJson(f, "rmse_millicores");
  }
}

// Connection set-up: the handshake microbenchmark (pooled connections are too few in steady
// state to show in cgroup CPU).
void Fitter::cpuPerConnection(int handshakes, double client_cpu_ns, double server_cpu_ns, double wall_ns) {
  const auto per_conn = std::llround((client_cpu_ns + server_cpu_ns) / 2);
  for (const char* k : kKinds) {
    componentOf(fitted, k).cpu_per_connection_ns = per_conn;
    measured(std::string(k) + ".cpuPerConnection",
             fmt::format("TCP + TLS 1.3 handshake with the proxies' contexts (ECDSA P-256, SPIFFE verification), "
                         "{} on loopback: client {:.0f} ns, server {:.0f} ns CPU; the mean of the two sides",
                         handshakes, client_cpu_ns, server_cpu_ns));
  }
  fits["handshake"] = {{"handshakes", handshakes}, {"client_cpu_ns", client_cpu_ns}, {"server_cpu_ns", server_cpu_ns},
                       {"wall_ns", wall_ns}};
}

// The testbed's own processes beside the proxies: the apps' CPU per request served and the
// load generator's per entry request, against the simulator's count of both at unit cost.
// They share the host with the proxies, so they are part of the queueing on a busy host.
void Fitter::testbedProcesses() {
  auto u = unit;
  u.testbed.app_cpu_per_request_ns = 1000;
  u.testbed.ingress_cpu_per_request_ns = 1000;
  std::vector<std::vector<double>> xa, xi;
  std::vector<double> ya, yi;
  for (const auto& p : points) {
    const auto r = design.run(p, u);
    xa.push_back({cpuOf(r, "app") / 1000 * rateRatio(p, r)});
    ya.push_back(p.cpuOf("app"));
    xi.push_back({cpuOf(r, "ingress") / 1000 * rateRatio(p, r)});
    yi.push_back(p.cpuOf("ingress"));
  }
  for (const auto& [key, label, x, y, param] :
       {std::tuple{"appCpuPerRequest", "app CPU (millicores)", &xa, &ya, &fitted.testbed.app_cpu_per_request_ns},
        std::tuple{"ingressCpuPerRequest", "ingress CPU (millicores)", &xi, &yi, &fitted.testbed.ingress_cpu_per_request_ns}}) {
    const auto f = fitNonNegative(*x, *y);
    *param = std::llround(f.coef.empty() ? 0 : f.coef[0]);
    measured(std::string("testbed.") + key,
             fmt::format("least squares over {} points of the testbed's measured cgroup CPU against the "
                         "simulator's requests at unit cost; R2 {:.3f}",
                         f.points, f.r2));
    quality.push_back(fitLine(label, f));
    fits[std::string(key)] = fitJson(f, "rmse_millicores");
  }
}

// Memory: RSS per process = base + per connection x established connections + per endpoint x endpoints.
void Fitter::memory() {
  for (const char* k : kKinds) {
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    for (const auto& p : points) {
      const auto& s = scenarios[p.variant];
      double endpoints = 0;
      for (const auto& pods : s.workload_pods) endpoints += static_cast<double>(pods.size());
      if (std::string(k) == "waypoint") {  // what it serves: the server's namespace
        endpoints = 0;
        for (std::size_t w = 0; w < s.workloads.size(); ++w)
          if (s.workloads[w].ns == "cal-b") endpoints += static_cast<double>(s.workload_pods[w].size());
      }
      for (const auto& q : p.processes) {
        if (q.role != k || q.rss <= 0) continue;
        x.push_back({1.0, static_cast<double>(q.connections), endpoints});
        y.push_back(q.rss);
      }
    }
    const auto f = fitNonNegative(x, y);
    auto& c = componentOf(fitted, k);
    c.memory_base_bytes = std::llround(f.coef[0]);
    c.memory_per_connection_bytes = std::llround(f.coef[1]);
    c.memory_per_endpoint_bytes = std::llround(f.coef[2]);
    const std::string note = fmt::format("least squares over {} processes' RSS against their established connections "
                                         "and the endpoints they know; R2 {:.3f}",
                                         f.points, f.r2);
    for (const char* key : {".memoryBase", ".memoryPerConnection", ".memoryPerEndpoint"}) measured(k + std::string(key), note);
    quality.push_back(fitLine(std::string(k) + " RSS (bytes)", f));
    fits[std::string(k) + "_memory"] = fitJson(f, "rmse_bytes");
  }
}

// Bytes per cross-zone pair: (payload + message overhead + HBONE overhead / 2) x (1 + TLS fraction).
void Fitter::bytes() {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (const auto& p : points) {
    auto n0 = unit, nm = unit, nh = unit;
    nm.network.message_overhead_bytes = 1000;
    nh.network.hbone_overhead_bytes_per_stream = 1000;
    const auto r0 = design.run(p, n0), rm = design.run(p, nm), rh = design.run(p, nh);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"za", "zb"}, {"zb", "za"}}) {
      const auto key = from + "->" + to;
      const double b0 = bytesOf(r0, from, to) * countRatio(p, r0);
      if (b0 <= 0 || !p.zone_bytes.count(key)) continue;
      x.push_back({b0, (bytesOf(rm, from, to) * countRatio(p, rm) - b0) / 1000,
                   (bytesOf(rh, from, to) * countRatio(p, rh) - b0) / 1000});
      y.push_back(p.zone_bytes.at(key));
    }
  }
  const auto f = fitNonNegative(x, y);
  const double scale = f.coef[0] > 0 ? f.coef[0] : 1.0;
  fitted.network.tls_overhead_fraction = std::max(0.0, scale - 1.0);
  fitted.network.message_overhead_bytes = std::llround(f.coef[1] / scale);
  fitted.network.hbone_overhead_bytes_per_stream = std::llround(f.coef[2] / scale);
  const std::string note = fmt::format("least squares over {} (point, zone pair) byte counts of the fabric's iptables "
                                       "counters (IP packets) against the simulator's; R2 {:.4f}",
                                       f.points, f.r2);
  for (const char* key : {"network.tlsOverhead", "network.messageOverhead", "network.hboneOverheadPerStream"})
    measured(key, note);
  quality.push_back(fitLine("cross-zone bytes", f));
  fits["zone_bytes"] = fitJson(f, "rmse_bytes");
}

namespace {

// The smallest p99/mean ratio of the pass's lognormal whose simulated p99 reaches the measured
// one (1: constant), by bisection over [1, 12].
double p99Ratio(const Design& lat, const Point& low, models::Profile& fitted, models::ComponentProfile& c) {
  auto p99At = [&](double ratio) {
    c.latency_per_pass_p99_ns = ratio > 1.0 ? std::llround(static_cast<double>(c.latency_per_pass_ns) * ratio) : 0;
    return lat.run(low, fitted).entry_latency[kEntry].p99_ms;
  };
  double lo = 1.0, hi = 12.0;
  if (c.latency_per_pass_ns <= 0 || p99At(1.0) >= low.latency.p99_ms) return 1.0;
  if (p99At(hi) <= low.latency.p99_ms) return hi;
  for (int i = 0; i < 10; ++i) {
    const double mid = (lo + hi) / 2;
    (p99At(mid) < low.latency.p99_ms ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace

// Latency per pass through each kind (mean, then the p99 of its lognormal), phase by phase at
// the lowest load of the first variant, where queueing is negligible.
void Fitter::latencyPerPass() {
  nlohmann::json latency_fits = nlohmann::json::object();
  for (std::size_t phase = 0; phase <= 2; ++phase) {
    const char* kind = kKinds[phase];  // sidecar in phase 0, ztunnel in 1, waypoint in 2
    const Point* low = nullptr;
    for (const auto& p : points)
      if (p.variant == 0 && p.phase == phase && (!low || p.rps < low->rps)) low = &p;
    if (!low || low->latency.count == 0) continue;
    const Design lat{design.scenarios, 60'000'000'000, 2'000'000'000, design.host_vcpus};
    auto& c = componentOf(fitted, kind);
    c.latency_per_pass_ns = 0;
    c.latency_per_pass_p99_ns = 0;
    const double m0 = lat.run(*low, fitted).entry_latency[kEntry].mean_ms;
    c.latency_per_pass_ns = 100'000;
    const double m1 = lat.run(*low, fitted).entry_latency[kEntry].mean_ms;
    const double passes = (m1 - m0) / 0.1;
    const double d_ms = passes > 0 ? std::max(0.0, (low->latency.mean_ms - m0) / passes) : 0.0;
    c.latency_per_pass_ns = std::llround(d_ms * 1e6);
    const double ratio = p99Ratio(lat, *low, fitted, c);
    c.latency_per_pass_p99_ns = ratio > 1.0 ? std::llround(static_cast<double>(c.latency_per_pass_ns) * ratio) : 0;
    const auto check = lat.run(*low, fitted).entry_latency[kEntry];
    const std::string note = fmt::format(
        "{} phase at {:.0f} rps: measured mean {:.3f} ms p99 {:.3f} ms; {:.1f} passes through {} per request; the "
        "simulator then gives mean {:.3f} ms p99 {:.3f} ms. Absorbs what the model has no station for (the apps' "
        "and the load generator's socket work, timer slack)",
        phaseMode(phase), low->rps, low->latency.mean_ms, low->latency.p99_ms, passes, kind, check.mean_ms,
        check.p99_ms);
    measured(std::string(kind) + ".latencyPerPass", note);
    measured(std::string(kind) + ".latencyPerPassP99", note);
    quality.push_back(fmt::format("{:<34} mean {:.3f} ms measured, {:.3f} ms simulated; p99 {:.3f} / {:.3f} ms",
                                  std::string(kind) + " latency per pass", low->latency.mean_ms, check.mean_ms,
                                  low->latency.p99_ms, check.p99_ms));
    latency_fits[kind] = {{"phase", phase},
                          {"rps", low->rps},
                          {"passes", passes},
                          {"measured_mean_ms", low->latency.mean_ms},
                          {"measured_p99_ms", low->latency.p99_ms},
                          {"simulated_mean_ms", check.mean_ms},
                          {"simulated_p99_ms", check.p99_ms}};
  }
  fits["latency"] = latency_fits;
}

}  // namespace meshtwin::twin::calibration
