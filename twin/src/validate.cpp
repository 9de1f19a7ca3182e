// Validation's run: the host sampled, with --utilization each phase's capacity probed and the
// loads sized from the smallest, then every phase measured at every load on the testbed and
// predicted by the simulator over the same window.
#include "meshtwin/twin/validate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/traffic.hpp"
#include "meshtwin/sim/simulation.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/testbed/system.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::twin {

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
Result<PhaseCapacity> probeCapacity(const testbed::TestbedOptions& tb, const models::Scenario& s,
                                    const std::string& phase, double available_vcpus) {
  const double base = sum(entryRates(s));
  const auto [slot_util, slot_owner] = busiestSlots(s);
  if (base <= 0) return Error("--utilization", s.name, "the scenario has no entry load to scale", "", kBadInput);
  double scale = 0.5;
  if (slot_util > 0) scale = std::min(scale, 0.25 / slot_util);
  testbed::MeasureOptions m;
  m.duration = std::chrono::milliseconds(2000);
  m.warmup = std::chrono::milliseconds(500);
  m.rps_scale = scale;
  auto r = testbed::measure(tb, m);
  if (!r) return r.error();
  const auto& ph = r->report.phases.front();
  PhaseCapacity c;
  c.phase = phase;
  c.probe_rps = ph.duration_s > 0 ? static_cast<double>(ph.requests) / ph.duration_s : 0;
  if (c.probe_rps <= 0 || r->host.testbed_millicores <= 0)
    return Error("in " + phase, "", "completed no request");
  const double cpu_s = r->host.testbed_millicores / 1000.0 / c.probe_rps;
  c.testbed_cpu_us_per_request = cpu_s * 1e6;
  c.host_rps = available_vcpus / cpu_s;
  c.slots_rps = slot_util > 0 ? base / slot_util : INFINITY;
  c.bottleneck = c.host_rps <= c.slots_rps ? "host CPU" : "workload " + slot_owner;
  return c;
}

// The prediction of one phase at one load under the testbed's conditions. It runs longer than
// the measurement, so its own sampling noise stays small beside the testbed's; memory follows
// the connections the pools opened, a high-water mark that grows with the length of the run,
// so it is taken from a prediction of the testbed's own window (the chain's sidecars at load
// x1.5: 65.7 MiB after 65 s, 62.3 MiB after the measured 5 s, 54.1 MiB measured).
models::PhaseReport predict(const models::Scenario& scenario, const models::MeshState& state, double load,
                            double vcpus, const RunWindow& window) {
  auto s = scenario;
  useTestbedNetwork(s);
  scaleLoad(s, load);
  const auto sim_measured = std::max<std::int64_t>(60'000'000'000, window.measured_ns);
  auto predicted = sim::simulatePhase(s, state, testbedSimOptions(s.profile, vcpus, sim_measured, 5'000'000'000));
  const auto same_window =
      sim::simulatePhase(s, state, testbedSimOptions(s.profile, vcpus, window.measured_ns, window.warmup_ns));
  for (auto& c : predicted.components) {
    for (const auto& w : same_window.components) {
      if (w.kind != c.kind) continue;
      c.memory_bytes = w.memory_bytes;
      c.max_instance_memory_bytes = w.max_instance_memory_bytes;
    }
  }
  return predicted;
}

class Run {
 public:
  Run(const ValidateOptions& o, const ProgressFn& progress) : o_(o), clock_(progress) {
    tb_.name = o.name;
    tb_.bin_dir = o.bin_dir;
    phases_ = o.phases < 0 ? o.scenario.plan.waves.size() + 1
                           : std::min<std::size_t>(static_cast<std::size_t>(o.phases), o.scenario.plan.waves.size() + 1);
  }

  Result<Validation> operator()() {
    if (auto r = start(); !r) return r.error();
    if (!o_.utilization.empty()) {
      if (auto r = sizeLoads(); !r) return r.error();
    }
    for (std::size_t phase = 0; phase < phases_; ++phase) {
      if (auto r = measurePhase(phase); !r) return r.error();
    }
    if (auto r = testbed::down(tb_); !r) return failed("testbed down", r.error());
    v_.seconds = clock_.elapsed();
    return v_;
  }

 private:
  Error failed(const std::string& step, const Error& e) {
    (void)testbed::down(tb_);
    return {"validate: " + step + (e.what.empty() ? "" : ": " + e.what), e.object, e.cause, e.hint, e.code};
  }
  Error cancelled() { return failed("stopped", Error("cancelled", "", "", "", kCancelled)); }

  Result<bool> start() {
    const auto& s = o_.scenario;
    v_.scenario = s.name;
    v_.scenario_file = o_.scenario_file;
    v_.profile = s.profile.name.empty() ? s.profile_name : s.profile.name;
    v_.host = hostName();
    v_.date = dataplane::formatUtc(dataplane::systemNow());
    v_.commit = gitCommit();
    v_.tol = o_.tol;
    v_.loads = o_.loads;
    v_.utilization = o_.utilization;
    (void)testbed::down(tb_);
    const auto host = sampleHostCapacity(std::chrono::milliseconds(1000));
    if (!host) return Error("validate: cannot read the host's CPU times (/proc/stat)", "", "", "", kBadInput);
    host_ = *host;
    v_.host_vcpus = host->vcpus;
    v_.host_background_vcpus = host->background_vcpus;
    v_.host_steal_vcpus = host->steal_vcpus;
    if (!clock_.step(fmt::format("host: {:.2f} vCPUs for the testbed, {:.2f} busy with other work, {:.2f} stolen",
                                 host->vcpus, host->background_vcpus, host->steal_vcpus)))
      return cancelled();
    return true;
  }

  // The loads from the machine: each phase's capacity first, then the asked fractions of the
  // smallest, so that every phase runs at most that busy whatever this machine's speed.
  Result<bool> sizeLoads() {
    double capacity = INFINITY;
    for (std::size_t phase = 0; phase < phases_; ++phase) {
      const auto state = models::meshStateAt(o_.scenario, phase);
      if (auto r = testbed::up(tb_, {o_.scenario_file, phase, std::chrono::milliseconds(60000)}); !r)
        return failed("testbed up", r.error());
      auto c = probeCapacity(tb_, o_.scenario, state.phase_name, host_.available());
      if (!c) return failed("capacity probe", c.error());
      if (auto r = testbed::down(tb_); !r) return failed("testbed down", r.error());
      if (!clock_.step(fmt::format("capacity of {}: {:.0f} us of CPU per request at {:.1f} rps; host full at {:.0f} rps, "
                                   "slots at {:.0f} rps ({})",
                                   c->phase, c->testbed_cpu_us_per_request, c->probe_rps, c->host_rps, c->slots_rps,
                                   c->bottleneck)))
        return cancelled();
      capacity = std::min(capacity, c->rps());
      v_.capacity.push_back(c.value());
    }
    v_.loads.clear();
    for (double u : o_.utilization) v_.loads.push_back(u * capacity / sum(entryRates(o_.scenario)));
    return true;
  }

  // The steady state after each wave, as the simulator's phases predict it: the testbed is
  // brought up in that phase, so every connection is opened on the phase's routes (after
  // `testbed apply-wave`, keep-alive connections opened before a waypoint existed keep
  // bypassing it, as ztunnel routes an L4 connection once).
  Result<bool> measurePhase(std::size_t phase) {
    const auto state = models::meshStateAt(o_.scenario, phase);
    if (phase > 0) {
      if (auto r = testbed::down(tb_); !r) return failed("testbed down", r.error());
    }
    if (!clock_.step(fmt::format("testbed up in phase {} ({})", phase, state.phase_name), step_, total())) return cancelled();
    if (auto r = testbed::up(tb_, {o_.scenario_file, phase, std::chrono::milliseconds(60000)}); !r)
      return failed("testbed up", r.error());
    v_.phases.push_back(state.phase_name);
    for (double load : v_.loads) {
      if (auto r = measureLoad(state, load); !r) return r.error();
    }
    return true;
  }

  Result<bool> measureLoad(const models::MeshState& state, double load) {
    testbed::MeasureOptions m;
    m.duration = o_.window.measured();
    m.warmup = o_.window.warmup();
    m.rps_scale = load;
    auto r = testbed::measure(tb_, m);
    if (!r) return failed("measure", r.error());
    auto measured = r->report.phases.front();
    measured.name = state.phase_name;
    const auto predicted = predict(o_.scenario, state, load, host_.available(), o_.window);
    auto figs = compare(predicted, measured, load, o_.tol);
    // The host's busy time as a whole, shown beside the testbed's: what else ran meanwhile.
    double predicted_testbed = 0;
    for (const auto& f : figs)
      if (f.metric == "cpu" && f.object == "testbed processes") predicted_testbed = f.predicted;
    figs.push_back({measured.name, load, "cpu", "host (all work)", "millicores",
                    predicted_testbed + 1000 * host_.background_vcpus, r->host.busy_millicores, o_.tol.cpu, false});
    std::size_t out_of = 0;
    for (const auto& f : figs) out_of += f.pass() ? 0U : 1U;
    ++step_;
    v_.figures.insert(v_.figures.end(), figs.begin(), figs.end());
    if (!clock_.step(fmt::format("{}/{} {} at load x{:.2f}: {} requests, {} figures, {} outside tolerance; host busy "
                                 "{:.0f} m ({:.0f} m the testbed's, {:.0f} m stolen)",
                                 step_, total(), state.phase_name, load, measured.requests, figs.size(), out_of,
                                 r->host.busy_millicores, r->host.testbed_millicores, r->host.steal_millicores),
                     step_, total()))
      return cancelled();
    return true;
  }

  [[nodiscard]] std::size_t total() const { return phases_ * v_.loads.size(); }

  const ValidateOptions& o_;
  RunClock clock_;
  testbed::TestbedOptions tb_;
  std::size_t phases_ = 0, step_ = 0;
  HostCapacity host_;
  Validation v_;
};

}  // namespace

Result<Validation> validate(const ValidateOptions& o, const ProgressFn& progress) {
  if (o.loads.empty() && o.utilization.empty())
    return Error("validate: --loads needs at least one multiplier", "", "", "", kBadInput);
  for (double u : o.utilization) {
    if (!(u > 0 && u < 1))
      return Error(fmt::format("validate: --utilization takes fractions between 0 and 1 (e.g. 0.3,0.6), not {}", u), "",
                   "", "", kBadInput);
  }
  if (!testbed::isRoot())
    return Error("validate: needs root (it runs the testbed: network namespaces, cgroups, eBPF)", "", "", "", kBadInput);
  return Run(o, progress)();
}

#else

Result<Validation> validate(const ValidateOptions&, const ProgressFn&) {
  return Error("validate: this build has no testbed (it needs MESHTWIN_BUILD_BPF: libbpf, clang, bpftool)", "", "", "",
               kBadInput);
}

#endif

}  // namespace meshtwin::twin
