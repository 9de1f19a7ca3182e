// Calibration's run: the host sampled, every variant's points measured on the testbed phase by
// phase, the handshakes timed, then the fits and the profile with its provenance.
#include "meshtwin/twin/calibrate.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <ostream>

#include "calibration.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/units.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/testbed/handshake.hpp"
#include "meshtwin/testbed/system.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

#ifndef MESHTWIN_VERSION
#define MESHTWIN_VERSION ""
#endif

namespace meshtwin::twin {

using namespace calibration;

#if MESHTWIN_HAVE_TESTBED

namespace {

namespace fs = std::filesystem;

// A measurement of the testbed as the point the fits read.
Point pointOf(std::size_t variant, std::size_t phase, double rps, int connections, const testbed::Measurement& r) {
  const auto& ph = r.report.phases.front();
  Point p;
  p.variant = variant;
  p.phase = phase;
  p.rps = rps;
  p.connections = connections;
  p.window_s = ph.duration_s;
  p.requests = ph.requests;
  p.errors = ph.errors;
  if (auto it = ph.entry_latency.find(kEntry); it != ph.entry_latency.end()) p.latency = it->second;
  for (const auto& c : ph.components) p.cpu_m[c.kind] = c.cpu_millicores;
  for (const auto& [name, f] : r.processes) {
    const auto mem = r.memory.find(name);
    p.processes.push_back({name, f.role, mem != r.memory.end() ? static_cast<double>(mem->second.rss_bytes) : 0,
                           f.cpu_millicores, f.connections});
  }
  for (const auto& z : r.zone_counters) p.zone_bytes[z.from + "->" + z.to] = static_cast<double>(z.bytes);
  return p;
}

// Every variant through its three phases on the testbed, each phase from a fresh start: after
// apply-wave, keep-alive connections opened before a waypoint existed keep bypassing it
// (ztunnel routes an L4 connection once). The testbed is down again at the end, or on failure.
struct Measuring {
  const CalibrateOptions& o;
  const RunClock& clock;
  testbed::TestbedOptions tb;
  std::vector<Variant> variants;
  std::vector<models::Scenario> scenarios;
  std::vector<Point> points;

  std::string work_dir;  // the variants' scenario files, removed at the end or on failure

  Error failed(const std::string& step, const Error& e) {
    (void)testbed::down(tb);
    std::error_code ec;
    if (!work_dir.empty()) fs::remove_all(work_dir, ec);
    return {"calibrate: " + step + ": " + e.what, e.object, e.cause, e.hint, e.code};
  }

  Result<bool> variant(std::size_t vi, std::size_t total) {
    const auto& v = variants[vi];
    const auto text = calibrationScenario(v);
    const auto file = work_dir + "/calibrate-" + v.name + ".yaml";
    if (auto w = dataplane::writeFileAtomically(file, text); !w) return failed("write scenario", w.error());
    auto loaded = models::loadScenarioText(text, file);
    if (!loaded.ok()) {
      std::string why;
      for (const auto& d : loaded.diagnostics.items()) why += models::format(d) + "\n";
      return failed("calibration scenario", Error("load", file, why));
    }
    scenarios.push_back(*loaded.scenario);
    if (!clock.step(fmt::format("variant {}: response {}, {} idle pods: testbed up", v.name,
                                models::formatBytes(v.payload), v.filler),
                    points.size(), total))
      return failed("stopped", Error("cancelled", "", "", "", kCancelled));
    for (std::size_t phase = 0; phase <= 2; ++phase) {
      if (phase > 0) {
        if (auto r = testbed::down(tb); !r) return failed("testbed down", r.error());
      }
      if (auto r = testbed::up(tb, {file, phase, std::chrono::milliseconds(30000)}); !r) return failed("testbed up", r.error());
      for (const auto& [rps, conns] : v.loads) {
        testbed::MeasureOptions m;
        m.duration = o.window.measured();
        m.warmup = o.window.warmup();
        m.rps = rps;
        m.connections = conns;
        auto r = testbed::measure(tb, m);
        if (!r) return failed("measure", r.error());
        auto p = pointOf(vi, phase, rps, conns, r.value());
        points.push_back(p);
        const auto line = fmt::format("{}/{} {} {}: {:.0f} rps x {} conns: {} requests, {} errors, mean {:.3f} ms, "
                                      "p99 {:.3f} ms, sidecar {:.1f} m, ztunnel {:.1f} m, waypoint {:.1f} m",
                                      points.size(), total, v.name, phaseMode(phase), rps, conns, p.requests, p.errors,
                                      p.latency.mean_ms, p.latency.p99_ms, p.cpuOf("sidecar"), p.cpuOf("ztunnel"),
                                      p.cpuOf("waypoint"));
        if (!clock.step(line, points.size(), total))
          return failed("stopped", Error("cancelled", "", "", "", kCancelled));
      }
    }
    if (auto r = testbed::down(tb); !r) return failed("testbed down", r.error());
    return true;
  }

  Result<bool> all() {
    std::size_t total = 0;
    for (const auto& v : variants) total += v.loads.size() * 3;
    work_dir = tb.state_root + "/" + o.name + "-scenarios";
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    (void)testbed::down(tb);  // a previous run's leftovers
    for (std::size_t vi = 0; vi < variants.size(); ++vi) {
      if (auto r = variant(vi, total); !r) return r.error();
    }
    fs::remove_all(work_dir, ec);
    return true;
  }
};

}  // namespace

Result<Calibration> calibrate(const CalibrateOptions& o, const ProgressFn& progress) {
  const RunClock clock(progress);
  if (!testbed::isRoot())
    return Error("calibrate: needs root (it runs the testbed: network namespaces, cgroups, eBPF)", "", "", "", kBadInput);
  // The host as the testbed will have it: a calibration on a host busy with other work fits
  // that work into every proxy's latency, so it is measured first and said.
  const auto host = sampleHostCapacity(std::chrono::milliseconds(1000));
  if (!host) return Error("calibrate: cannot read the host's CPU times (/proc/stat)", "", "", "", kBadInput);
  clock.step(fmt::format("host: {:.2f} vCPUs for the testbed, {:.2f} busy with other work, {:.2f} stolen", host->vcpus,
                         host->background_vcpus, host->steal_vcpus));
  Measuring run{o, clock, {}, variants(o.quick), {}, {}, {}};
  run.tb.name = o.name;
  run.tb.bin_dir = o.bin_dir;
  if (auto r = run.all(); !r) return r.error();
  clock.step(fmt::format("handshakes: {} on loopback", o.handshakes));
  auto hs = testbed::measureHandshakes(o.handshakes);
  if (!hs) return run.failed("handshakes", hs.error());

  clock.step("fitting");
  const std::string date = dataplane::formatUtc(dataplane::systemNow());
  Fitter fit{{&run.scenarios, 20'000'000'000, 2'000'000'000, host->available()},
             run.points,
             run.scenarios,
             zeroCosts(o.base),
             zeroCosts(o.base),
             fmt::format("meshtwin calibrate {} on {}", date, hostName()),
             {},
             nlohmann::json::object()};
  fit.fitted.name = "embedded-" + hostName();
  fit.cpuPerRequestAndKib();
  fit.cpuPerConnection(hs->handshakes, hs->client_cpu_ns, hs->server_cpu_ns, hs->wall_ns);
  fit.testbedProcesses();
  fit.memory();
  fit.bytes();
  fit.latencyPerPass();
  fit.fits["host"] = {{"vcpus", host->vcpus}, {"background_vcpus", host->background_vcpus}, {"steal_vcpus", host->steal_vcpus}};

  Calibration c;
  c.profile = fit.fitted;
  c.profile.provenance = {
      "measured", "meshtwin calibrate: the embedded proxies on this machine's testbed", "meshtwin " MESHTWIN_VERSION,
      date, hostName(), gitCommit(),
      fmt::format("{} points on a two-zone client -> server scenario (sidecar, ambient, ambient with a waypoint), {} "
                  "measured after {} warm-up each; the simulator runs with the testbed's conditions (all nodes on this "
                  "host's {:.2f} vCPUs, {:.2f} of them busy with other work when sampled, apps that wait, ingress "
                  "outside the zones); {:.0f} s in all",
                  run.points.size(), models::formatDurationNs(o.window.measured_ns),
                  models::formatDurationNs(o.window.warmup_ns), host->vcpus, host->background_vcpus, clock.elapsed())};
  nlohmann::json raw = nlohmann::json::array();
  for (const auto& p : run.points) raw.push_back(toJson(p, run.variants));
  nlohmann::json variants_j = nlohmann::json::array();
  for (const auto& v : run.variants) {
    nlohmann::json loads = nlohmann::json::array();
    for (const auto& [r, n] : v.loads) loads.push_back({{"rps", r}, {"connections", n}});
    variants_j.push_back({{"name", v.name}, {"response_bytes", v.payload}, {"idle_pods", v.filler}, {"loads", loads}});
  }
  c.yaml = writeProfileYaml(c.profile, toYaml({{"variants", variants_j}, {"fits", fit.fits}, {"points", raw}}));
  c.quality = std::move(fit.quality);
  c.points = run.points.size();
  c.host = *host;
  c.seconds = clock.elapsed();
  return c;
}

#else

Result<Calibration> calibrate(const CalibrateOptions&, const ProgressFn&) {
  return Error("calibrate: this build has no testbed (it needs MESHTWIN_BUILD_BPF: libbpf, clang, bpftool)", "", "", "",
               kBadInput);
}

#endif

void printCalibration(const Calibration& cal, std::ostream& out) {
  out << "Fit quality\n";
  for (const auto& q : cal.quality) out << "  " << q << "\n";
  out << "\nFitted parameters\n";
  for (const char* k : kKinds) {
    const auto& c = componentOf(cal.profile, k);
    out << fmt::format("  {:<9} cpu {} /request + {} /KiB, {} /connection; memory {} + {} /connection + {} /endpoint; "
                       "latency per pass {} (p99 {})\n",
                       k, models::formatDurationNs(c.cpu_per_request_ns), models::formatDurationNs(c.cpu_per_kib_ns),
                       models::formatDurationNs(c.cpu_per_connection_ns), models::formatBytes(c.memory_base_bytes),
                       models::formatBytes(c.memory_per_connection_bytes), models::formatBytes(c.memory_per_endpoint_bytes),
                       models::formatDurationNs(c.latency_per_pass_ns),
                       models::formatDurationNs(std::max(c.latency_per_pass_p99_ns, c.latency_per_pass_ns)));
  }
  const auto& p = cal.profile;
  out << fmt::format("  network   message overhead {} B, HBONE overhead {} B per stream, TLS and framing {:.2f}%\n",
                     p.network.message_overhead_bytes, p.network.hbone_overhead_bytes_per_stream,
                     100 * p.network.tls_overhead_fraction);
  out << fmt::format("  testbed   app cpu {} /request served, load generator cpu {} /entry request\n",
                     models::formatDurationNs(p.testbed.app_cpu_per_request_ns),
                     models::formatDurationNs(p.testbed.ingress_cpu_per_request_ns));
}

}  // namespace meshtwin::twin
