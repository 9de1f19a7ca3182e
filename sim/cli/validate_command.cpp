// `meshtwin validate SCENARIO`: every phase of the plan at every load, measured on the
// testbed (the real proxies, the waves applied as a migration would) and predicted by the
// simulator with the same profile under the testbed's conditions; the report says, figure by
// figure, how far the prediction was off.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <fstream>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/traffic.hpp"
#include "meshtwin/models/units.hpp"
#include "twin.hpp"
#include "validation.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::cli {

#if MESHTWIN_HAVE_TESTBED

namespace {

// Each entry point's rate as the testbed plays it (its first segment's) and their sum.
std::vector<double> entryRates(const models::Scenario& s) {
  std::vector<double> r;
  for (const auto& e : s.entry_points) r.push_back(e.load.empty() ? 0.0 : e.load.front().rpsAt(0));
  return r;
}
double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// The busiest workload's slots at the scenario's own rates: offered rate x mean service time
// over replicas x concurrency (the slot is held for the service time; calls run outside it).
std::pair<double, std::string> busiestSlots(const models::Scenario& s) {
  const auto offered = models::offeredRps(s, entryRates(s));
  double most = 0;
  std::string who;
  for (std::size_t w = 0; w < s.workloads.size(); ++w) {
    const auto& wl = s.workloads[w];
    const double slots = static_cast<double>(wl.replicas) * static_cast<double>(std::max(1, wl.concurrency));
    const double u = slots > 0 ? offered[w] * static_cast<double>(wl.service_time.mean_ns) / 1e9 / slots : 0;
    if (u > most) {
      most = u;
      who = wl.key();
    }
  }
  return {most, who};
}

// A phase's capacity, measured: a short probe at a light load (at most half the scenario's
// rate and a quarter of its busiest slots) gives the testbed's CPU per entry request; the host
// is full where that CPU fills its available vCPUs, the slots where the busiest are always held.
std::optional<PhaseCapacity> probeCapacity(const testbed::TestbedOptions& tb, const models::Scenario& s,
                                           const std::string& phase, double available_vcpus, std::ostream& err) {
  const double base = sum(entryRates(s));
  const auto [slot_util, slot_owner] = busiestSlots(s);
  if (base <= 0) return std::nullopt;
  double scale = 0.5;
  if (slot_util > 0) scale = std::min(scale, 0.25 / slot_util);
  testbed::MeasureOptions m;
  m.duration = std::chrono::milliseconds(2000);
  m.warmup = std::chrono::milliseconds(500);
  m.rps_scale = scale;
  auto r = testbed::measure(tb, m);
  if (!r) {
    err << "meshtwin validate: capacity probe: " << r.error().what << " " << r.error().object << ": " << r.error().cause << "\n";
    return std::nullopt;
  }
  const auto& ph = r->report.phases.front();
  PhaseCapacity c;
  c.phase = phase;
  c.probe_rps = ph.duration_s > 0 ? static_cast<double>(ph.requests) / ph.duration_s : 0;
  if (c.probe_rps <= 0 || r->host.testbed_millicores <= 0) {
    err << "meshtwin validate: capacity probe in " << phase << " completed no request\n";
    return std::nullopt;
  }
  const double cpu_s = r->host.testbed_millicores / 1000.0 / c.probe_rps;
  c.testbed_cpu_us_per_request = cpu_s * 1e6;
  c.host_rps = available_vcpus / cpu_s;
  c.slots_rps = slot_util > 0 ? base / slot_util : INFINITY;
  c.bottleneck = c.host_rps <= c.slots_rps ? "host CPU" : "workload " + slot_owner;
  return c;
}

}  // namespace

int runValidate(const ValidateOptions& o, std::ostream& out, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const auto window = parseRunWindow(o.duration, o.warmup, "meshtwin validate", "8s and 2s", err);
  if (!window) return kExitBadInput;
  if (o.loads.empty() && o.utilization.empty()) {
    err << "meshtwin validate: --loads needs at least one multiplier\n";
    return kExitBadInput;
  }
  for (double u : o.utilization) {
    if (!(u > 0 && u < 1)) {
      err << "meshtwin validate: --utilization takes fractions between 0 and 1 (e.g. 0.3,0.6), not " << u << "\n";
      return kExitBadInput;
    }
  }
  auto loaded = models::loadScenarioFile(o.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.sorted()) err << models::format(d) << "\n";
    return kExitBadInput;
  }
  auto scenario = *loaded.scenario;
  if (!o.profile.empty()) {
    auto profile = loadProfileReporting(o.profile, err);
    if (!profile) return kExitBadInput;
    scenario.profile = std::move(*profile);
    scenario.profile_name = o.profile;
  }
  if (!testbed::isRoot()) {
    err << "meshtwin validate: needs root (it runs the testbed: network namespaces, cgroups, eBPF)\n";
    return kExitBadInput;
  }
  const std::size_t phases = o.phases < 0 ? scenario.plan.waves.size() + 1
                                          : std::min<std::size_t>(static_cast<std::size_t>(o.phases), scenario.plan.waves.size() + 1);
  Validation v;
  v.scenario = scenario.name;
  v.scenario_file = o.scenario;
  v.profile = scenario.profile.name.empty() ? scenario.profile_name : scenario.profile.name;
  v.host = hostName();
  v.date = dataplane::formatUtc(dataplane::systemNow());
  v.commit = gitCommit();
  v.tol = o.tol;
  v.loads = o.loads;
  v.utilization = o.utilization;

  testbed::TestbedOptions tb;
  tb.name = o.name;
  tb.bin_dir = o.bin_dir;
  auto fail = [&](const std::string& step, const dataplane::Error& e) {
    err << "meshtwin validate: " << step << ": " << e.what << " " << e.object << ": " << e.cause;
    if (!e.hint.empty()) err << " (" << e.hint << ")";
    err << "\n";
    (void)testbed::down(tb);
    return kExitBadInput;
  };
  (void)testbed::down(tb);
  const auto host = sampleHostCapacity(std::chrono::milliseconds(1000));
  if (!host) {
    err << "meshtwin validate: cannot read the host's CPU times (/proc/stat)\n";
    return kExitBadInput;
  }
  v.host_vcpus = host->vcpus;
  v.host_background_vcpus = host->background_vcpus;
  v.host_steal_vcpus = host->steal_vcpus;
  err << fmt::format("[{:5.1f}s] host: {:.2f} vCPUs for the testbed, {:.2f} busy with other work, {:.2f} stolen\n",
                     elapsed(), host->vcpus, host->background_vcpus, host->steal_vcpus);
  if (!o.utilization.empty()) {
    // The loads from the machine: each phase's capacity first, then the asked fractions of
    // the smallest, so that every phase runs at most that busy whatever this machine's speed.
    double capacity = INFINITY;
    for (std::size_t phase = 0; phase < phases; ++phase) {
      const auto state = models::meshStateAt(scenario, phase);
      if (auto r = testbed::up(tb, {o.scenario, phase, std::chrono::milliseconds(60000)}); !r) return fail("testbed up", r.error());
      const auto c = probeCapacity(tb, scenario, state.phase_name, host->available(), err);
      if (auto r = testbed::down(tb); !r) return fail("testbed down", r.error());
      if (!c) return kExitBadInput;
      err << fmt::format("[{:5.1f}s] capacity of {}: {:.0f} us of CPU per request at {:.1f} rps; host full at {:.0f} rps, "
                         "slots at {:.0f} rps ({})\n",
                         elapsed(), c->phase, c->testbed_cpu_us_per_request, c->probe_rps, c->host_rps, c->slots_rps,
                         c->bottleneck);
      capacity = std::min(capacity, c->rps());
      v.capacity.push_back(*c);
    }
    v.loads.clear();
    for (double u : o.utilization) v.loads.push_back(u * capacity / sum(entryRates(scenario)));
  }
  const std::size_t steps = phases * v.loads.size();
  std::size_t step = 0;
  for (std::size_t phase = 0; phase < phases; ++phase) {
    // The steady state after each wave, as the simulator's phases predict it: the testbed is
    // brought up in that phase, so every connection is opened on the phase's routes (after
    // `testbed apply-wave`, keep-alive connections opened before a waypoint existed keep
    // bypassing it, as ztunnel routes an L4 connection once).
    const auto state = models::meshStateAt(scenario, phase);
    if (phase > 0) {
      if (auto r = testbed::down(tb); !r) return fail("testbed down", r.error());
    }
    err << fmt::format("[{:5.1f}s] testbed up in phase {} ({})\n", elapsed(), phase, state.phase_name);
    if (auto r = testbed::up(tb, {o.scenario, phase, std::chrono::milliseconds(60000)}); !r) return fail("testbed up", r.error());
    v.phases.push_back(state.phase_name);
    for (double load : v.loads) {
      testbed::MeasureOptions m;
      m.duration = window->measured();
      m.warmup = window->warmup();
      m.rps_scale = load;
      auto r = testbed::measure(tb, m);
      if (!r) return fail("measure", r.error());
      auto measured = r->report.phases.front();
      measured.name = state.phase_name;
      auto s = scenario;
      useTestbedNetwork(s);
      scaleLoad(s, load);
      // The prediction runs longer than the measurement: its own sampling noise stays small
      // beside the testbed's.
      const auto sim_measured = std::max<std::int64_t>(60'000'000'000, window->measured_ns);
      auto predicted =
          sim::simulatePhase(s, state, testbedSimOptions(s.profile, host->available(), sim_measured, 5'000'000'000));
      // Memory follows the connections the pools opened, a high-water mark that grows with the
      // length of the run: it is taken from a prediction of the testbed's own window (the
      // chain's sidecars at load x1.5: 65.7 MiB after 65 s, 62.3 MiB after the measured 5 s,
      // 54.1 MiB measured).
      const auto same_window =
          sim::simulatePhase(s, state, testbedSimOptions(s.profile, host->available(), window->measured_ns, window->warmup_ns));
      for (auto& c : predicted.components) {
        for (const auto& w : same_window.components) {
          if (w.kind != c.kind) continue;
          c.memory_bytes = w.memory_bytes;
          c.max_instance_memory_bytes = w.max_instance_memory_bytes;
        }
      }
      auto figs = compare(predicted, measured, load, o.tol);
      // The host's busy time as a whole, shown beside the testbed's: what else ran meanwhile.
      double predicted_testbed = 0;
      for (const auto& f : figs)
        if (f.metric == "cpu" && f.object == "testbed processes") predicted_testbed = f.predicted;
      figs.push_back({measured.name, load, "cpu", "host (all work)", "millicores",
                      predicted_testbed + 1000 * host->background_vcpus, r->host.busy_millicores, o.tol.cpu, false});
      std::size_t out_of = 0;
      for (const auto& f : figs) out_of += f.pass() ? 0U : 1U;
      ++step;
      err << fmt::format("[{:5.1f}s] {}/{} {} at load x{:.2f}: {} requests, {} figures, {} outside tolerance; host busy "
                         "{:.0f} m ({:.0f} m the testbed's, {:.0f} m stolen)\n",
                         elapsed(), step, steps, state.phase_name, load, measured.requests, figs.size(), out_of,
                         r->host.busy_millicores, r->host.testbed_millicores, r->host.steal_millicores);
      v.figures.insert(v.figures.end(), figs.begin(), figs.end());
    }
  }
  if (auto r = testbed::down(tb); !r) return fail("testbed down", r.error());
  v.seconds = elapsed();
  const auto json_text = toJson(v).dump(2) + "\n";
  if (o.output == "json") out << json_text;
  else printValidation(v, out);
  if (!o.json_file.empty()) {
    if (auto w = dataplane::writeFileAtomically(o.json_file, json_text); !w) return fail("write", w.error());
  }
  if (!o.html_file.empty()) {
    if (auto w = dataplane::writeFileAtomically(o.html_file, validationHtml(v)); !w) return fail("write", w.error());
  }
  return v.pass() ? kExitOk : kExitFindings;
}

#else

int runValidate(const ValidateOptions&, std::ostream&, std::ostream& err) {
  err << "meshtwin validate: this build has no testbed (it needs MESHTWIN_BUILD_BPF: libbpf, clang, bpftool)\n";
  return kExitBadInput;
}

#endif

}  // namespace meshtwin::cli
