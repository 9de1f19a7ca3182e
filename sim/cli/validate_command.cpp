// `meshtwin validate SCENARIO`: every phase of the plan at every load, measured on the
// testbed (the real proxies, the waves applied as a migration would) and predicted by the
// simulator with the same profile under the testbed's conditions; the report says, figure by
// figure, how far the prediction was off.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/units.hpp"
#include "twin.hpp"
#include "validation.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::cli {

#if MESHTWIN_HAVE_TESTBED

int runValidate(const ValidateOptions& o, std::ostream& out, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const auto window = parseRunWindow(o.duration, o.warmup, "meshtwin validate", "8s and 2s", err);
  if (!window) return kExitBadInput;
  if (o.loads.empty()) {
    err << "meshtwin validate: --loads needs at least one multiplier\n";
    return kExitBadInput;
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
  const std::size_t steps = phases * o.loads.size();
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
    for (double load : o.loads) {
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
      auto predicted = sim::simulatePhase(s, state, testbedSimOptions(sim_measured, 5'000'000'000));
      auto figs = compare(predicted, measured, load, o.tol);
      std::size_t out_of = 0;
      for (const auto& f : figs) out_of += f.pass() ? 0U : 1U;
      ++step;
      err << fmt::format("[{:5.1f}s] {}/{} {} at load x{:.2f}: {} requests, {} figures, {} outside tolerance\n", elapsed(),
                         step, steps, state.phase_name, load, measured.requests, figs.size(), out_of);
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
