// `meshtwin calibrate`: measure the embedded proxies on the testbed and fit the profile the
// simulator uses. The design of every fit is the simulator's own accounting: for each
// measured point the simulator is run on the same scenario, phase and load with a unit cost
// (1 us per request, 1 us per KiB, 1000 bytes of overhead ...), so a fitted parameter means
// exactly what the simulator does with it.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>
#include <ostream>

#include "cli.hpp"
#include "fit.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/units.hpp"
#include "twin.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/testbed/handshake.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kKinds[] = {"sidecar", "ztunnel", "waypoint"};
constexpr const char* kEntry = "cal";
constexpr double kScenarioRps = 100;  // the calibration scenario's own entry rate; points scale it

// One topology variant of the calibration scenario and the loads measured on it in every phase.
struct Variant {
  std::string name;
  std::int64_t payload = 1024;  // the server's response
  int filler = 0;               // idle pods beside the server (endpoints every proxy knows)
  std::vector<std::pair<double, int>> loads;  // (rps, connections of the load generator)
};

// A client in zone za calls a server in zone zb, entered from outside; the plan moves both
// namespaces from sidecars to ambient (phase 1), then puts a waypoint in front of the server
// (phase 2): each phase exercises one proxy kind more.
std::string calibrationScenario(const Variant& v) {
  std::string y = fmt::format(R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {{name: calibrate-{}}}
seed: 11
cluster:
  zones: [za, zb]
  nodePools:
    - {{name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}}
defaults:
  serviceTime: {{distribution: constant, mean: 100us}}
workloads:
  - name: client
    namespace: cal-a
    replicas: 1
    zones: [za]
    responseSize: 1KiB
    script:
      - call: {{service: server.cal-b, size: 1KiB}}
  - name: server
    namespace: cal-b
    replicas: 1
    zones: [zb]
    responseSize: {}B
)",
                              v.name, v.payload);
  if (v.filler > 0) {
    y += fmt::format("  - name: idle\n    namespace: cal-b\n    replicas: {}\n    zones: [zb]\n", v.filler);
  }
  y += fmt::format(R"(entryPoints:
  - name: {}
    service: client.cal-a
    arrival: uniform
    load: [{{constant: {{rps: {}, duration: 60s}}}}]
mesh:
  defaultMode: sidecar
plan:
  waves:
    - name: ambient
      changes:
        - setMode: {{namespace: cal-a, mode: ambient}}
        - setMode: {{namespace: cal-b, mode: ambient}}
    - name: waypoint
      changes:
        - addWaypoint: {{name: cal-waypoint, namespace: cal-b, for: service, replicas: 1, zones: [zb]}}
        - useWaypoint: {{namespace: cal-b, waypoint: cal-waypoint}}
)",
                   kEntry, kScenarioRps);
  return y;
}

const char* phaseMode(std::size_t phase) { return phase == 0 ? "sidecar" : phase == 1 ? "ambient" : "ambient+waypoint"; }

// What one measured point holds, as recorded in the profile's `calibration.points`.
struct Point {
  std::size_t variant = 0, phase = 0;
  double rps = 0;
  int connections = 0;
  double window_s = 0;
  std::uint64_t requests = 0, errors = 0;
  models::LatencySummary latency;
  std::map<std::string, double> cpu_m;  // by kind
  struct Proc {
    std::string name, role;
    double rss = 0, cpu_m = 0;
    std::size_t connections = 0;
  };
  std::vector<Proc> processes;
  std::map<std::string, double> zone_bytes;  // "za->zb"
};

json toJson(const Point& p, const std::vector<Variant>& variants) {
  json procs = json::array();
  for (const auto& q : p.processes) {
    procs.push_back({{"name", q.name}, {"role", q.role}, {"rss_bytes", q.rss}, {"cpu_millicores", q.cpu_m},
                     {"connections", q.connections}});
  }
  return {{"variant", variants[p.variant].name},
          {"phase", p.phase},
          {"mode", phaseMode(p.phase)},
          {"rps", p.rps},
          {"connections", p.connections},
          {"window_s", p.window_s},
          {"requests", p.requests},
          {"errors", p.errors},
          {"latency_ms", {{"mean", p.latency.mean_ms}, {"p50", p.latency.p50_ms}, {"p90", p.latency.p90_ms},
                          {"p99", p.latency.p99_ms}}},
          {"cpu_millicores", p.cpu_m},
          {"zone_bytes", p.zone_bytes},
          {"processes", procs}};
}

YAML::Node toYaml(const json& j) {
  YAML::Node n;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) n[k] = toYaml(v);
  } else if (j.is_array()) {
    n = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& v : j) n.push_back(toYaml(v));
  } else if (j.is_string()) {
    n = j.get<std::string>();
  } else if (j.is_boolean()) {
    n = j.get<bool>();
  } else if (j.is_number_integer()) {
    n = j.get<std::int64_t>();
  } else if (j.is_number()) {
    n = fmt::format("{:.6g}", j.get<double>());
  }
  return n;
}

// The simulator's view of one point: the calibration scenario at the point's phase and
// load under `profile`.
struct Design {
  const std::vector<models::Scenario>* scenarios;
  std::int64_t measured_ns, warmup_ns;
  double host_vcpus;
  models::PhaseReport run(const Point& p, const models::Profile& profile) const {
    auto s = (*scenarios)[p.variant];
    s.profile = profile;
    useTestbedNetwork(s);
    scaleLoad(s, p.rps / kScenarioRps);
    auto opts = testbedSimOptions(profile, host_vcpus, measured_ns, warmup_ns);
    return sim::simulatePhase(s, models::meshStateAt(s, p.phase), opts);
  }
};

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

}  // namespace

#if MESHTWIN_HAVE_TESTBED

int runCalibrate(const CalibrateOptions& o, std::ostream& out, std::ostream& err) {
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };
  const auto window = parseRunWindow(o.duration, o.warmup, "meshtwin calibrate", "4s and 1s", err);
  if (!window) return kExitBadInput;
  if (!testbed::isRoot()) {
    err << "meshtwin calibrate: needs root (it runs the testbed: network namespaces, cgroups, eBPF)\n";
    return kExitBadInput;
  }
  const auto loaded_base = loadProfileReporting(o.base_profile, err);
  if (!loaded_base) return kExitBadInput;
  auto base = *loaded_base;
  // The host as the testbed will have it: a calibration on a host busy with other work fits
  // that work into every proxy's latency, so it is measured first and said.
  const auto host = sampleHostCapacity(std::chrono::milliseconds(1000));
  if (!host) {
    err << "meshtwin calibrate: cannot read the host's CPU times (/proc/stat)\n";
    return kExitBadInput;
  }
  err << fmt::format("[{:5.1f}s] host: {:.2f} vCPUs for the testbed, {:.2f} busy with other work, {:.2f} stolen\n",
                     elapsed(), host->vcpus, host->background_vcpus, host->steal_vcpus);
  std::vector<Variant> variants{
      {"1kib", 1024, 0, {{50, 4}, {100, 4}, {200, 4}, {100, 32}}},
      {"32kib-filler", 32 * 1024, 16, {{50, 4}, {150, 4}}},
  };
  if (o.quick) variants = {{"1kib", 1024, 0, {{50, 4}, {150, 16}}}, {"32kib-filler", 32 * 1024, 8, {{100, 4}}}};
  std::size_t total_points = 0;
  for (const auto& v : variants) total_points += v.loads.size() * 3;

  testbed::TestbedOptions tb;
  tb.name = o.name;
  tb.bin_dir = o.bin_dir;
  const auto work_dir = tb.state_root + "/" + o.name + "-scenarios";
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  std::vector<models::Scenario> scenarios;
  std::vector<Point> points;
  std::size_t done = 0;
  auto fail = [&](const std::string& step, const dataplane::Error& e) {
    err << "meshtwin calibrate: " << step << ": " << e.what << " " << e.object << ": " << e.cause;
    if (!e.hint.empty()) err << " (" << e.hint << ")";
    err << "\n";
    (void)testbed::down(tb);
    return kExitFindings;
  };
  (void)testbed::down(tb);  // a previous run's leftovers
  for (std::size_t vi = 0; vi < variants.size(); ++vi) {
    const auto& v = variants[vi];
    const auto text = calibrationScenario(v);
    const auto file = work_dir + "/calibrate-" + v.name + ".yaml";
    if (auto w = dataplane::writeFileAtomically(file, text); !w) return fail("write scenario", w.error());
    auto loaded = models::loadScenarioText(text, file);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
      return kExitFindings;
    }
    scenarios.push_back(*loaded.scenario);
    err << fmt::format("[{:5.1f}s] variant {}: response {}, {} idle pods: testbed up\n", elapsed(), v.name,
                       models::formatBytes(v.payload), v.filler);
    for (std::size_t phase = 0; phase <= 2; ++phase) {
      // Each phase from a fresh start: after apply-wave, keep-alive connections opened before
      // a waypoint existed keep bypassing it (ztunnel routes an L4 connection once).
      if (phase > 0) {
        if (auto r = testbed::down(tb); !r) return fail("testbed down", r.error());
      }
      if (auto r = testbed::up(tb, {file, phase, std::chrono::milliseconds(30000)}); !r) return fail("testbed up", r.error());
      for (const auto& [rps, conns] : v.loads) {
        testbed::MeasureOptions m;
        m.duration = window->measured();
        m.warmup = window->warmup();
        m.rps = rps;
        m.connections = conns;
        auto r = testbed::measure(tb, m);
        if (!r) return fail("measure", r.error());
        const auto& ph = r->report.phases.front();
        Point p;
        p.variant = vi;
        p.phase = phase;
        p.rps = rps;
        p.connections = conns;
        p.window_s = ph.duration_s;
        p.requests = ph.requests;
        p.errors = ph.errors;
        if (auto it = ph.entry_latency.find(kEntry); it != ph.entry_latency.end()) p.latency = it->second;
        for (const auto& c : ph.components) p.cpu_m[c.kind] = c.cpu_millicores;
        for (const auto& [name, f] : r->processes) {
          const auto mem = r->memory.find(name);
          p.processes.push_back({name, f.role, mem != r->memory.end() ? static_cast<double>(mem->second.rss_bytes) : 0,
                                 f.cpu_millicores, f.connections});
        }
        for (const auto& z : r->zone_counters) p.zone_bytes[z.from + "->" + z.to] = static_cast<double>(z.bytes);
        ++done;
        err << fmt::format("[{:5.1f}s] {}/{} {} {}: {:.0f} rps x {} conns: {} requests, {} errors, mean {:.3f} ms, "
                           "p99 {:.3f} ms, sidecar {:.1f} m, ztunnel {:.1f} m, waypoint {:.1f} m\n",
                           elapsed(), done, total_points, v.name, phaseMode(phase), rps, conns, p.requests, p.errors,
                           p.latency.mean_ms, p.latency.p99_ms, p.cpu_m["sidecar"], p.cpu_m["ztunnel"],
                           p.cpu_m["waypoint"]);
        points.push_back(std::move(p));
      }
    }
    if (auto r = testbed::down(tb); !r) return fail("testbed down", r.error());
  }
  fs::remove_all(work_dir, ec);
  err << fmt::format("[{:5.1f}s] handshakes: {} on loopback\n", elapsed(), o.handshakes);
  auto hs = testbed::measureHandshakes(o.handshakes);
  if (!hs) return fail("handshakes", hs.error());

  // ---- fits ---------------------------------------------------------------------------
  err << fmt::format("[{:5.1f}s] fitting\n", elapsed());
  const Design design{&scenarios, 20'000'000'000, 2'000'000'000, host->available()};
  models::Profile fitted = zeroCosts(base);
  fitted.name = "embedded-" + hostName();
  std::vector<std::string> quality;
  json fits = json::object();
  const std::string date = dataplane::formatUtc(dataplane::systemNow());
  const std::string ref = fmt::format("meshtwin calibrate {} on {}", date, hostName());
  auto measuredSource = [&](const std::string& key, const std::string& note) {
    fitted.sources[key] = {models::Basis::Measured, ref, note};
  };

  // CPU per request and per KiB, per kind.
  auto unit = zeroCosts(base);
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
      y.push_back(points[i].cpu_m.count(k) ? points[i].cpu_m.at(k) : 0);
    }
    const auto f = fitNonNegative(x, y);
    auto& c = componentOf(fitted, k);
    c.cpu_per_request_ns = std::llround(f.coef.empty() ? 0 : f.coef[0]);
    c.cpu_per_kib_ns = std::llround(f.coef.size() > 1 ? f.coef[1] : 0);
    const std::string note = fmt::format("least squares over {} points of measured cgroup CPU against the simulator's "
                                         "work at unit cost; R2 {:.3f}",
                                         f.points, f.r2);
    measuredSource(std::string(k) + ".cpuPerRequest", note);
    measuredSource(std::string(k) + ".cpuPerKiB", note);
    quality.push_back(fitLine(std::string(k) + " CPU (millicores)", f));
    fits[std::string(k) + "_cpu"] = {{"points", f.points}, {"r2", f.r2}, {"rmse_millicores", f.rmse},
                                     {"max_abs_rel_residual", f.max_abs_rel_residual}};
  }
  // Connection set-up: the handshake microbenchmark (pooled connections are too few in
  // steady state to show in cgroup CPU).
  const auto per_conn = std::llround((hs->client_cpu_ns + hs->server_cpu_ns) / 2);
  for (const char* k : kKinds) {
    componentOf(fitted, k).cpu_per_connection_ns = per_conn;
    measuredSource(std::string(k) + ".cpuPerConnection",
                   fmt::format("TCP + TLS 1.3 handshake with the proxies' contexts (ECDSA P-256, SPIFFE verification), "
                               "{} on loopback: client {:.0f} ns, server {:.0f} ns CPU; the mean of the two sides",
                               hs->handshakes, hs->client_cpu_ns, hs->server_cpu_ns));
  }
  fits["handshake"] = {{"handshakes", hs->handshakes}, {"client_cpu_ns", hs->client_cpu_ns},
                       {"server_cpu_ns", hs->server_cpu_ns}, {"wall_ns", hs->wall_ns}};

  // The testbed's own processes beside the proxies: the apps' CPU per request served and the
  // load generator's per entry request, against the simulator's count of both at unit cost.
  // They share the host with the proxies, so they are part of the queueing on a busy host.
  {
    auto u = unit;
    u.testbed.app_cpu_per_request_ns = 1000;
    u.testbed.ingress_cpu_per_request_ns = 1000;
    std::vector<std::vector<double>> xa, xi;
    std::vector<double> ya, yi;
    for (const auto& p : points) {
      const auto r = design.run(p, u);
      xa.push_back({cpuOf(r, "app") / 1000 * rateRatio(p, r)});
      ya.push_back(p.cpu_m.count("app") ? p.cpu_m.at("app") : 0);
      xi.push_back({cpuOf(r, "ingress") / 1000 * rateRatio(p, r)});
      yi.push_back(p.cpu_m.count("ingress") ? p.cpu_m.at("ingress") : 0);
    }
    for (const auto& [key, label, x, y, param] :
         {std::tuple{"appCpuPerRequest", "app CPU (millicores)", &xa, &ya, &fitted.testbed.app_cpu_per_request_ns},
          std::tuple{"ingressCpuPerRequest", "ingress CPU (millicores)", &xi, &yi, &fitted.testbed.ingress_cpu_per_request_ns}}) {
      const auto f = fitNonNegative(*x, *y);
      *param = std::llround(f.coef.empty() ? 0 : f.coef[0]);
      measuredSource(std::string("testbed.") + key,
                     fmt::format("least squares over {} points of the testbed's measured cgroup CPU against the "
                                 "simulator's requests at unit cost; R2 {:.3f}",
                                 f.points, f.r2));
      quality.push_back(fitLine(label, f));
      fits[std::string(key)] = {{"points", f.points}, {"r2", f.r2}, {"rmse_millicores", f.rmse},
                                {"max_abs_rel_residual", f.max_abs_rel_residual}};
    }
  }

  // Memory: RSS per process = base + per connection x established connections + per endpoint x endpoints.
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
    for (const char* key : {".memoryBase", ".memoryPerConnection", ".memoryPerEndpoint"}) measuredSource(k + std::string(key), note);
    quality.push_back(fitLine(std::string(k) + " RSS (bytes)", f));
    fits[std::string(k) + "_memory"] = {{"points", f.points}, {"r2", f.r2}, {"rmse_bytes", f.rmse},
                                        {"max_abs_rel_residual", f.max_abs_rel_residual}};
  }

  // Bytes per cross-zone pair: (payload + message overhead + HBONE overhead / 2) x (1 + TLS fraction).
  {
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
      measuredSource(key, note);
    quality.push_back(fitLine("cross-zone bytes", f));
    fits["zone_bytes"] = {{"points", f.points}, {"r2", f.r2}, {"rmse_bytes", f.rmse},
                          {"max_abs_rel_residual", f.max_abs_rel_residual}};
  }

  // Latency per pass through each kind (mean, then the p99 of its lognormal), phase by phase
  // at the lowest load of the first variant, where queueing is negligible.
  json latency_fits = json::object();
  for (std::size_t phase = 0; phase <= 2; ++phase) {
    const char* kind = kKinds[phase];  // sidecar in phase 0, ztunnel in 1, waypoint in 2
    const Point* low = nullptr;
    for (const auto& p : points)
      if (p.variant == 0 && p.phase == phase && (!low || p.rps < low->rps)) low = &p;
    if (!low || low->latency.count == 0) continue;
    const Design lat{&scenarios, 60'000'000'000, 2'000'000'000, host->available()};
    auto& c = componentOf(fitted, kind);
    c.latency_per_pass_ns = 0;
    c.latency_per_pass_p99_ns = 0;
    const double m0 = lat.run(*low, fitted).entry_latency[kEntry].mean_ms;
    c.latency_per_pass_ns = 100'000;
    const double m1 = lat.run(*low, fitted).entry_latency[kEntry].mean_ms;
    const double passes = (m1 - m0) / 0.1;
    const double d_ms = passes > 0 ? std::max(0.0, (low->latency.mean_ms - m0) / passes) : 0.0;
    c.latency_per_pass_ns = std::llround(d_ms * 1e6);
    // The shape: the smallest p99/mean ratio whose simulated p99 reaches the measured one.
    double lo = 1.0, hi = 12.0;
    auto p99At = [&](double ratio) {
      c.latency_per_pass_p99_ns = ratio > 1.0 ? std::llround(static_cast<double>(c.latency_per_pass_ns) * ratio) : 0;
      return lat.run(*low, fitted).entry_latency[kEntry].p99_ms;
    };
    double ratio = 1.0;
    if (c.latency_per_pass_ns > 0 && p99At(1.0) < low->latency.p99_ms) {
      if (p99At(hi) <= low->latency.p99_ms) {
        ratio = hi;
      } else {
        for (int i = 0; i < 10; ++i) {
          const double mid = (lo + hi) / 2;
          (p99At(mid) < low->latency.p99_ms ? lo : hi) = mid;
        }
        ratio = hi;
      }
    }
    c.latency_per_pass_p99_ns = ratio > 1.0 ? std::llround(static_cast<double>(c.latency_per_pass_ns) * ratio) : 0;
    const auto check = lat.run(*low, fitted).entry_latency[kEntry];
    const std::string note = fmt::format(
        "{} phase at {:.0f} rps: measured mean {:.3f} ms p99 {:.3f} ms; {:.1f} passes through {} per request; the "
        "simulator then gives mean {:.3f} ms p99 {:.3f} ms. Absorbs what the model has no station for (the apps' "
        "and the load generator's socket work, timer slack)",
        phaseMode(phase), low->rps, low->latency.mean_ms, low->latency.p99_ms, passes, kind, check.mean_ms,
        check.p99_ms);
    measuredSource(std::string(kind) + ".latencyPerPass", note);
    measuredSource(std::string(kind) + ".latencyPerPassP99", note);
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
  fits["host"] = {{"vcpus", host->vcpus}, {"background_vcpus", host->background_vcpus}, {"steal_vcpus", host->steal_vcpus}};

  // ---- the profile --------------------------------------------------------------------
  fitted.provenance = {"measured", "meshtwin calibrate: the embedded proxies on this machine's testbed", "meshtwin " MESHTWIN_VERSION,
                       date, hostName(), gitCommit(),
                       fmt::format("{} points on a two-zone client -> server scenario (sidecar, ambient, ambient with a "
                                   "waypoint), {} measured after {} warm-up each; the simulator runs with the testbed's "
                                   "conditions (all nodes on this host's {:.2f} vCPUs, {:.2f} of them busy with other work "
                                   "when sampled, apps that wait, ingress outside the zones); {:.0f} s in all",
                                   points.size(), o.duration, o.warmup, host->vcpus, host->background_vcpus, elapsed())};
  json raw = json::array();
  for (const auto& p : points) raw.push_back(toJson(p, variants));
  json variants_j = json::array();
  for (const auto& v : variants) {
    json loads = json::array();
    for (const auto& [r, c] : v.loads) loads.push_back({{"rps", r}, {"connections", c}});
    variants_j.push_back({{"name", v.name}, {"response_bytes", v.payload}, {"idle_pods", v.filler}, {"loads", loads}});
  }
  const std::string file = o.out_file.empty() ? "models/profiles/embedded-" + hostName() + ".yaml" : o.out_file;
  const std::string yaml = writeProfileYaml(fitted, toYaml({{"variants", variants_j}, {"fits", fits}, {"points", raw}}));
  if (auto w = dataplane::writeFileAtomically(file, yaml); !w) return fail("write profile", w.error());

  out << "Fit quality\n";
  for (const auto& q : quality) out << "  " << q << "\n";
  out << "\nFitted parameters\n";
  for (const char* k : kKinds) {
    const auto& c = componentOf(fitted, k);
    out << fmt::format("  {:<9} cpu {} /request + {} /KiB, {} /connection; memory {} + {} /connection + {} /endpoint; "
                       "latency per pass {} (p99 {})\n",
                       k, models::formatDurationNs(c.cpu_per_request_ns), models::formatDurationNs(c.cpu_per_kib_ns),
                       models::formatDurationNs(c.cpu_per_connection_ns), models::formatBytes(c.memory_base_bytes),
                       models::formatBytes(c.memory_per_connection_bytes), models::formatBytes(c.memory_per_endpoint_bytes),
                       models::formatDurationNs(c.latency_per_pass_ns),
                       models::formatDurationNs(std::max(c.latency_per_pass_p99_ns, c.latency_per_pass_ns)));
  }
  out << fmt::format("  network   message overhead {} B, HBONE overhead {} B per stream, TLS and framing {:.2f}%\n",
                     fitted.network.message_overhead_bytes, fitted.network.hbone_overhead_bytes_per_stream,
                     100 * fitted.network.tls_overhead_fraction);
  out << fmt::format("  testbed   app cpu {} /request served, load generator cpu {} /entry request\n",
                     models::formatDurationNs(fitted.testbed.app_cpu_per_request_ns),
                     models::formatDurationNs(fitted.testbed.ingress_cpu_per_request_ns));
  out << fmt::format("\nWrote {} ({} points, {:.0f} s)\n", file, points.size(), elapsed());
  return kExitOk;
}

#else

int runCalibrate(const CalibrateOptions&, std::ostream&, std::ostream& err) {
  err << "meshtwin calibrate: this build has no testbed (it needs MESHTWIN_BUILD_BPF: libbpf, clang, bpftool)\n";
  return kExitBadInput;
}

#endif

std::string writeProfileYaml(const models::Profile& p, const YAML::Node& calibration) {
  YAML::Emitter e;
  // Every value with its source; one without a recorded source is written as an assumption.
  auto param = [&](const std::string& key, const std::string& full, const std::string& value) {
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "value" << YAML::Value << value;
    const auto it = p.sources.find(full);
    const auto basis = it != p.sources.end() ? it->second.basis : models::Basis::Assumption;
    e << YAML::Key << "basis" << YAML::Value << models::toString(basis);
    if (it != p.sources.end() && !it->second.ref.empty()) e << YAML::Key << "ref" << YAML::Value << YAML::DoubleQuoted << it->second.ref;
    if (it != p.sources.end() && !it->second.note.empty()) e << YAML::Key << "note" << YAML::Value << YAML::DoubleQuoted << it->second.note;
    e << YAML::EndMap;
  };
  auto ns = [](std::int64_t v) { return std::to_string(v) + "ns"; };
  auto bytes = [](std::int64_t v) { return std::to_string(v) + "B"; };
  e << YAML::Comment("Written by `meshtwin calibrate`: component costs of the embedded proxies measured on this "
                     "machine's testbed. `calibration.points` holds every raw measurement the fits used.");
  e << YAML::BeginMap;
  e << YAML::Key << "apiVersion" << YAML::Value << "meshtwin/v1";
  e << YAML::Key << "kind" << YAML::Value << "Profile";
  e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::EndMap;
  e << YAML::Key << "provenance" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : std::vector<std::pair<const char*, std::string>>{
           {"kind", p.provenance.kind}, {"source", p.provenance.source}, {"version", p.provenance.version},
           {"date", p.provenance.date}, {"host", p.provenance.host}, {"commit", p.provenance.commit}, {"notes", p.provenance.notes}}) {
    if (!v.empty()) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  }
  e << YAML::EndMap;
  e << YAML::Key << "components" << YAML::Value << YAML::BeginMap;
  for (const char* k : kKinds) {
    const auto& c = componentOf(p, k);
    const std::string pre = std::string(k) + ".";
    e << YAML::Key << k << YAML::Value << YAML::BeginMap;
    param("workerThreads", pre + "workerThreads", std::to_string(c.worker_threads));
    param("cpuPerRequest", pre + "cpuPerRequest", ns(c.cpu_per_request_ns));
    param("cpuPerKiB", pre + "cpuPerKiB", ns(c.cpu_per_kib_ns));
    param("cpuPerConnection", pre + "cpuPerConnection", ns(c.cpu_per_connection_ns));
    param("memoryBase", pre + "memoryBase", bytes(c.memory_base_bytes));
    param("memoryPerConnection", pre + "memoryPerConnection", bytes(c.memory_per_connection_bytes));
    param("memoryPerEndpoint", pre + "memoryPerEndpoint", bytes(c.memory_per_endpoint_bytes));
    param("latencyPerPass", pre + "latencyPerPass", ns(c.latency_per_pass_ns));
    param("latencyPerPassP99", pre + "latencyPerPassP99", ns(c.latency_per_pass_p99_ns));
    const auto& r = c.resources;
    auto side = [&](const char* key, std::int64_t cpu_m, std::int64_t mem) {
      e << YAML::Key << key << YAML::Value << YAML::BeginMap;
      param("cpu", pre + key + ".cpu", std::to_string(cpu_m) + "m");
      param("memory", pre + key + ".memory", std::to_string(mem));
      e << YAML::EndMap;
    };
    side("requests", r.cpu_request_millicores, r.memory_request_bytes);
    if (r.cpu_limit_millicores > 0 || r.memory_limit_bytes > 0) side("limits", r.cpu_limit_millicores, r.memory_limit_bytes);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  param("hboneOverheadPerStream", "network.hboneOverheadPerStream", bytes(p.network.hbone_overhead_bytes_per_stream));
  param("tlsOverhead", "network.tlsOverhead", fmt::format("{:.4f}%", 100 * p.network.tls_overhead_fraction));
  param("messageOverhead", "network.messageOverhead", bytes(p.network.message_overhead_bytes));
  e << YAML::EndMap;
  if (p.testbed.app_cpu_per_request_ns > 0 || p.testbed.ingress_cpu_per_request_ns > 0) {
    e << YAML::Key << "testbed" << YAML::Value << YAML::BeginMap;
    param("appCpuPerRequest", "testbed.appCpuPerRequest", ns(p.testbed.app_cpu_per_request_ns));
    param("ingressCpuPerRequest", "testbed.ingressCpuPerRequest", ns(p.testbed.ingress_cpu_per_request_ns));
    e << YAML::EndMap;
  }
  e << YAML::Key << "pricing" << YAML::Value << YAML::BeginMap;
  param("cpuUsdPerVcpuHour", "pricing.cpuUsdPerVcpuHour", fmt::format("{}", p.pricing.cpu_usd_per_vcpu_hour));
  param("ramUsdPerGiBHour", "pricing.ramUsdPerGiBHour", fmt::format("{}", p.pricing.ram_usd_per_gib_hour));
  e << YAML::EndMap;
  if (calibration.IsDefined() && !calibration.IsNull()) e << YAML::Key << "calibration" << YAML::Value << calibration;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace meshtwin::cli
