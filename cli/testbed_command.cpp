// `meshtwin testbed ...`: the scenario's data plane on this machine (dataplane/testbed).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/models/units.hpp"

#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/models/report.hpp"
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::cli {

namespace {

std::optional<std::chrono::milliseconds> parseMs(const std::string& text) {
  const auto ns = models::parseDurationNs(text);
  if (!ns.ok() || ns.value() < 0) return std::nullopt;
  return std::chrono::milliseconds(ns.value() / 1'000'000);
}

}  // namespace

#if MESHTWIN_HAVE_TESTBED

namespace {

struct Options {
  testbed::TestbedOptions tb;
  std::string scenario;
  std::string phase = "0";
  std::string pod;
  std::size_t wave = 0;
  bool revert = false;
  std::string duration = "20s", warmup = "2s";
  double rps = 0, rps_scale = 1.0;
  int connections = 4;
  int max_connections = 0;
  std::string json_file;
  std::string output = "table";
};

int fail(const testbed::Error& e, std::ostream& err) {
  err << "meshtwin testbed: " << e.text() << "\n";
  return 1;
}

int runUp(Options& o, std::ostream& out, std::ostream& err) {
  testbed::UpOptions u;
  u.scenario_file = o.scenario;
  try {
    u.phase = std::stoul(o.phase);
  } catch (const std::exception&) {
    err << "meshtwin testbed up: --phase " << o.phase << ": not a number (0 = baseline, k = after wave k)\n";
    return kExitBadInput;
  }
  auto r = testbed::up(o.tb, u);
  if (!r) {
    fail(r.error(), err);
    err << "meshtwin testbed: what was started is left for `meshtwin testbed down --name " << o.tb.name << "`\n";
    return 1;
  }
  out << fmt::format("testbed {} up in {:.1f} s: {} nodes, {} pods, {} processes (state in {})\n", o.tb.name,
                     r->seconds, r->nodes, r->pods, r->processes, o.tb.stateDir());
  return kExitOk;
}

int runDown(Options& o, std::ostream& out, std::ostream& err) {
  auto r = testbed::down(o.tb);
  if (!r) return fail(r.error(), err);
  const auto left = testbed::leftovers(o.tb);
  out << fmt::format("testbed {} down: {} process(es) stopped, {} namespace(s), {} stray interface(s) removed{}{}\n",
                     o.tb.name, r->processes, r->netns, r->links, r->bpf_pins ? ", BPF pins removed" : "",
                     r->state_dir ? ", state removed" : "");
  for (const auto& l : left) err << "  left behind: " << l << "\n";
  return left.empty() ? kExitOk : 1;
}

int runStatus(Options& o, std::ostream& out, std::ostream& err) {
  auto r = testbed::status(o.tb);
  if (!r) return fail(r.error(), err);
  const auto& j = r.value();
  if (o.output == "json") {
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << fmt::format("testbed {}: {} phase {} ({}), snapshot version {}, {} of {} processes alive\n",
                     j["name"].get<std::string>(), j["scenario"].get<std::string>(), j["phase"].get<int>(),
                     j["phase_name"].get<std::string>(), j["snapshot_version"].get<int>(),
                     j["processes_alive"].get<int>(), j["processes"].size());
  if (const auto& t = j["transition"]; t.is_object()) {
    out << fmt::format("  part-way from phase {} to {} (running, or interrupted: apply or revert the wave again): "
                       "{} of {} pod(s) moved\n",
                       t["from_phase"].get<int>(), t["to_phase"].get<int>(), t["pods_done"].size(), t["pods"].size());
  }
  out << fmt::format("  {:<44} {:>8} {:>6} {:>10} {:>10}\n", "process", "pid", "alive", "CPU (s)", "RSS (MiB)");
  for (const auto& p : j["processes"]) {
    out << fmt::format("  {:<44} {:>8} {:>6} {:>10.2f} {:>10.1f}\n", p["name"].get<std::string>(),
                       p["pid"].get<int>(), p["alive"].get<bool>() ? "yes" : "NO",
                       p.value("cpu_usec", 0.0) / 1e6, p.value("rss_bytes", 0.0) / 1048576.0);
  }
  return kExitOk;
}

int runMeasure(Options& o, std::ostream& out, std::ostream& err) {
  testbed::MeasureOptions m;
  const auto d = parseMs(o.duration), w = parseMs(o.warmup);
  if (!d || !w || d->count() <= 0) {
    err << "meshtwin testbed measure: --duration/--warmup: not a duration (e.g. 20s, 500ms)\n";
    return kExitBadInput;
  }
  m.duration = *d;
  m.warmup = *w;
  m.rps = o.rps;
  m.rps_scale = o.rps_scale;
  m.connections = o.connections;
  m.max_connections = o.max_connections;
  m.json_file = o.json_file;
  auto r = testbed::measure(o.tb, m);
  if (!r) return fail(r.error(), err);
  for (const auto& p : r->report.phases) printPhase(p, out);
  for (const auto& z : r->zone_counters) {
    if (z.bytes) out << fmt::format("  fabric {} -> {}: {} bytes in {} packets\n", z.from, z.to, z.bytes, z.packets);
  }
  return kExitOk;
}

int runWave(Options& o, std::ostream& out, std::ostream& err) {
  auto r = o.revert ? testbed::revertWave(o.tb, o.wave) : testbed::applyWave(o.tb, o.wave);
  if (!r) return fail(r.error(), err);
  if (o.revert) {
    out << fmt::format("wave {} reverted in {:.1f} s: {} waypoint pod(s) started, {} stopped, {} pod(s) restarted "
                       "with sidecar, {} unenrolled in place, {} established connection(s) reset\n",
                       r->wave, r->seconds, r->waypoints_started, r->waypoints_stopped, r->pods_restarted,
                       r->pods_unenrolled, r->connections_reset);
    return kExitOk;
  }
  out << fmt::format("wave {} applied in {:.1f} s: {} waypoint pod(s) started, {} stopped, {} pod(s) restarted "
                     "without sidecar, {} enrolled in place, {} established connection(s) reset\n",
                     r->wave, r->seconds, r->waypoints_started, r->waypoints_stopped, r->pods_restarted,
                     r->pods_enrolled, r->connections_reset);
  return kExitOk;
}

int runEnroll(Options& o, bool enroll, std::ostream& out, std::ostream& err) {
  const bool in = enroll;
  auto r = in ? testbed::enroll(o.tb, o.pod) : testbed::unenroll(o.tb, o.pod);
  if (!r) return fail(r.error(), err);
  out << fmt::format("{} {}\n", o.pod, in ? "enrolled: its connect() goes to its node's ztunnel" : "left the mesh");
  return kExitOk;
}

}  // namespace

Runner addTestbedCommands(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<Options>();
  auto* tb = app.add_subcommand(
      "testbed",
      "Run a scenario's data plane on this machine (root; Linux with cgroup v2 and eBPF): nodes as network\n"
      "namespaces, zones as subnets joined through a fabric namespace, pods as processes with their own\n"
      "address and cgroup, a ztunnel per node with eBPF steering, sidecars and waypoints as processes.\n"
      "`measure` writes a report in the simulator's schema, so the two compare line by line.");
  tb->require_subcommand(1);
  auto common = [&](CLI::App* c) {
    c->add_option("--name", o->tb.name, "Testbed name: prefixes its namespaces, interfaces, cgroups and pins")
        ->capture_default_str();
    c->add_option("--state-root", o->tb.state_root, "Where its state lives (<root>/<name>)")->capture_default_str();
    c->add_option("--bin-dir", o->tb.bin_dir,
                  "Where meshtwin-proxy, meshtwin-app and meshtwin-load are (default: next to meshtwin, then the build tree)");
  };
  auto* upc = tb->add_subcommand("up", "Bring the scenario's data plane up in a phase of its plan and wait until every "
                                       "pod listens.");
  exitCodes(upc, "0 up, 1 it failed (what was made is left for `testbed down`), 2 bad input");
  upc->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML)")->required()->check(CLI::ExistingFile);
  upc->add_option("--phase", o->phase, "Phase to start in: 0 (baseline) or k (after wave k)")
      ->check(atLeast(0))
      ->capture_default_str();
  common(upc);
  auto* downc = tb->add_subcommand("down", "Stop every process and remove every namespace, interface, cgroup, BPF pin "
                                           "and the state of the testbed,\nalso after a crash or Ctrl-C.");
  exitCodes(downc, "0 nothing is left, 1 something could not be removed (named), 2 bad input");
  common(downc);
  auto* statusc = tb->add_subcommand("status", "Show the phase, each process (alive, CPU, RSS) and each pod's mode.");
  exitCodes(statusc, "0 shown, 1 no such testbed or its state unreadable, 2 bad input");
  statusc->add_option("-o,--output", o->output, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  common(statusc);
  auto* measurec = tb->add_subcommand(
      "measure", "Run the scenario's entry points as open-loop load from outside the cluster (HBONE as the ingress\n"
                 "gateway) and measure the current phase: CPU per process from cgroup accounting, RSS and PSS,\n"
                 "latency per entry point, errors by cause, bytes per zone pair on the fabric.");
  exitCodes(measurec, "0 measured, 1 it failed, 2 bad input");
  measurec->add_option("--duration", o->duration, "Measured time, e.g. 20s")->capture_default_str();
  measurec->add_option("--warmup", o->warmup, "Load before measuring, e.g. 2s")->capture_default_str();
  measurec->add_option("--rps", o->rps, "Total entry rate, split as the scenario's entry points (default: their own)")
      ->check(above(0));
  measurec->add_option("--rps-scale", o->rps_scale, "Scale the scenario's entry rates (when --rps is not given)")
      ->check(above(0))
      ->capture_default_str();
  measurec->add_option("--connections", o->connections, "Connections per entry point, opened before the load starts")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  measurec->add_option("--max-connections", o->max_connections,
                       "More per entry point while every one is busy, up to this many (0: a due request waits for a "
                       "free one, and the wait is latency)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  measurec->add_option("--json", o->json_file, "Also write the report (models/schema/report.schema.json) to FILE");
  common(measurec);
  auto* wavec = tb->add_subcommand("apply-wave", "Perform wave N for real: start its waypoints, push the new snapshot, "
                                                 "restart its sidecar pods one by one\nwithout their sidecar (drained "
                                                 "first) and enrol them, enrol pods without a sidecar in place.\n"
                                                 "Run again after it was interrupted, it finishes the wave without "
                                                 "redoing a step; in phase N already, it does nothing.");
  exitCodes(wavec, "0 applied (or reverted), 1 it failed, 2 bad input");
  wavec->add_option("N", o->wave, "Wave number (1 = the plan's first)")->required()->check(CLI::Range(1, 1000));
  wavec->add_flag("--revert", o->revert,
                  "Take the testbed from phase N back to N-1 (also from part-way into N): sidecars back,\n"
                  "pods enrolled in place unenrolled, N's waypoints stopped");
  common(wavec);
  auto* enrollc = tb->add_subcommand("enroll", "Steer a running pod's connections to its node's ztunnel (ambient, no restart).");
  exitCodes(enrollc, "0 enrolled, 1 it failed, 2 bad input");
  enrollc->add_option("POD", o->pod, "ns/pod, e.g. data/pricing-0")->required();
  common(enrollc);
  auto* unenrollc = tb->add_subcommand("unenroll", "Take an ambient pod out of the mesh (its connections go direct again).");
  exitCodes(unenrollc, "0 unenrolled, 1 it failed, 2 bad input");
  unenrollc->add_option("POD", o->pod, "ns/pod")->required();
  common(unenrollc);

  return [=, &out, &err]() -> std::optional<int> {
    if (!tb->parsed()) return std::nullopt;
    auto& opt = *o;
    opt.tb.progress = [&err](const std::string& line) { err << line << std::endl; };
    if (upc->parsed()) return runUp(opt, out, err);
    if (downc->parsed()) return runDown(opt, out, err);
    if (statusc->parsed()) return runStatus(opt, out, err);
    if (measurec->parsed()) return runMeasure(opt, out, err);
    if (wavec->parsed()) return runWave(opt, out, err);
    if (enrollc->parsed() || unenrollc->parsed()) return runEnroll(opt, enrollc->parsed(), out, err);
    return kExitBadInput;
  };
}

#else

Runner addTestbedCommands(CLI::App& app, std::ostream&, std::ostream& err) {
  auto* tb = app.add_subcommand("testbed", "Not built: this meshtwin was built without eBPF (MESHTWIN_BUILD_BPF).");
  tb->allow_extras();
  return [tb, &err]() -> std::optional<int> {
    if (!tb->parsed()) return std::nullopt;
    err << "meshtwin testbed: not built; install clang, bpftool and libbpf (scripts/install-deps.sh) and rebuild\n";
    return kExitBadInput;
  };
}

#endif

}  // namespace meshtwin::cli
