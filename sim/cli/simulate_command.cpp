// `meshtwin simulate`: run the mesh simulator over every phase of the plan and print the
// per-phase figures, the waves' gates, and a side-by-side summary.
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/units.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::cli {
namespace {

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JUnit XML as CI systems read it: a test suite per scenario, a test case per gate of
// each wave (classname = the phase after that wave).
std::string junitXml(const models::Report& r) {
  std::size_t tests = 0, failures = 0;
  for (const auto& p : r.phases) {
    tests += p.gates.size();
    for (const auto& g : p.gates) failures += g.holds ? 0 : 1;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites tests=\"{}\" failures=\"{}\">\n", tests, failures);
  x += fmt::format("  <testsuite name=\"meshtwin simulate {}\" tests=\"{}\" failures=\"{}\">\n", xmlEscape(r.scenario), tests,
                   failures);
  for (const auto& p : r.phases) {
    for (const auto& g : p.gates) {
      x += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xmlEscape(p.name), xmlEscape(g.description));
      if (g.holds) {
        x += "/>\n";
      } else {
        x += fmt::format(">\n      <failure message=\"measured {:.4g} {}, threshold {:.4g} {}\"/>\n    </testcase>\n", g.value,
                         xmlEscape(g.unit), g.threshold, xmlEscape(g.unit));
      }
    }
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

bool writeFile(const std::string& path, const std::string& content, std::ostream& err) {
  std::ofstream f(path);
  if (f) f << content;
  if (!f) {
    err << "meshtwin simulate: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

void printPhase(const models::PhaseReport& p, std::ostream& out) {
  out << fmt::format("phase {}: {:.0f} s measured, {} requests, error rate {:.3f}%\n", p.name, p.duration_s, p.requests,
                     p.errorRate() * 100);
  if (p.kind == "rollout") {
    out << fmt::format("  rollout {} after {:.1f} s; at worst {} pod(s) pending; {} call(s) reset by ambient enrolment\n",
                       p.rollout_complete ? "complete" : "NOT complete", p.rollout_s, p.max_pending_pods,
                       p.connections_reset);
  }
  for (const auto& [wp, series] : p.waypoint_replicas) {
    if (series.size() < 2) continue;
    std::string steps;
    for (const auto& [t, n] : series) steps += fmt::format(" {}@{:.0f}s", n, t);
    out << fmt::format("  waypoint {} replicas (HPA):{}\n", wp, steps);
  }
  out << fmt::format("  {:<10} {:>9} {:>12} {:>14} {:>18}\n", "component", "instances", "CPU (m)", "memory (MiB)",
                     "TLS handshakes");
  for (const auto& c : p.components) {
    if (c.instances <= 0) continue;
    out << fmt::format("  {:<10} {:>9.1f} {:>12.1f} {:>14.1f} {:>18}\n", c.kind, c.instances, c.cpu_millicores,
                       mib(c.memory_bytes), c.connections_opened);
  }
  out << fmt::format("  {:<10} {:>9} {:>12.1f} {:>14.1f}\n", "mesh", "", p.mesh_cpu_millicores, mib(p.mesh_memory_bytes));
  for (const auto& [name, l] : p.entry_latency) {
    out << fmt::format("  entry {:<16} p50 {:8.3f} ms  p90 {:8.3f} ms  p99 {:8.3f} ms  p99.9 {:8.3f} ms  ({} ok, {} failed)\n",
                       name, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.count, l.errors);
  }
  for (const auto& [cause, n] : p.errors_by_cause) out << fmt::format("  errors: {} x {}\n", n, cause);
  out << fmt::format("  cost/month: compute {:.2f} USD ({} nodes needed), mesh share {:.2f} USD, cross-zone {:.2f} USD\n",
                     p.compute_usd_per_month, p.nodes_needed, p.mesh_compute_usd_per_month, p.cross_zone_usd_per_month);
  for (const auto& g : p.gates) {
    out << fmt::format("  gate {:<4} {} (measured {:.4g} {})\n", g.holds ? "ok" : "FAIL", g.description, g.value, g.unit);
  }
  out << "\n";
}

}  // namespace

int runSimulate(const SimulateOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin simulate: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  sim::SimOptions so;
  so.seed = opts.seed;
  for (const auto& [text, target] : {std::pair{opts.duration, &so.duration_ns}}) {
    if (text.empty()) continue;
    const auto d = models::parseDurationNs(text);
    if (!d.ok() || d.value() <= 0) {
      err << "meshtwin simulate: --duration: " << (d.ok() ? "must be above zero" : d.error()) << "\n";
      return kExitBadInput;
    }
    *target = d.value();
  }
  const auto w = models::parseDurationNs(opts.warmup);
  if (!w.ok()) {
    err << "meshtwin simulate: --warmup: " << w.error() << "\n";
    return kExitBadInput;
  }
  so.warmup_ns = w.value();
  const auto& s = *loaded.scenario;
  const auto report = sim::simulateScenario(s, so, [&](std::size_t done, std::size_t total) {
    if (opts.progress) err << fmt::format("meshtwin simulate: phase {}/{} done\n", done, total) << std::flush;
    return true;
  });
  if (!report) return kExitBadInput;
  const auto json = models::toJson(*report);
  if (!opts.json_file.empty() && !writeFile(opts.json_file, json.dump(2) + "\n", err)) return kExitBadInput;
  if (!opts.junit_file.empty() && !writeFile(opts.junit_file, junitXml(*report), err)) return kExitBadInput;
  if (opts.output == "json") {
    out << json.dump(2) << "\n";
  } else {
    out << fmt::format("scenario {} ({}), profile {}, seed {}\n\n", s.name, s.file, s.profile.name, report->seed);
    for (const auto& p : report->phases) printPhase(p, out);
    // Side by side: what each wave changes.
    out << fmt::format("{:<22} {:>12} {:>14} {:>12} {:>10} {:>14} {:>6}\n", "phase", "mesh CPU (m)", "mesh mem (MiB)",
                       "worst p99", "errors %", "x-zone USD/mo", "nodes");
    for (const auto& p : report->phases) {
      double worst = 0;
      for (const auto& [n, l] : p.entry_latency) worst = std::max(worst, l.p99_ms);
      out << fmt::format("{:<22} {:>12.1f} {:>14.1f} {:>9.3f} ms {:>10.3f} {:>14.2f} {:>6}\n", p.name,
                         p.mesh_cpu_millicores, mib(p.mesh_memory_bytes), worst, p.errorRate() * 100,
                         p.cross_zone_usd_per_month, p.nodes_needed);
    }
    out << (report->allGatesHold() ? "\nall gates hold\n" : "\na gate FAILED\n");
  }
  return report->allGatesHold() ? kExitOk : kExitFindings;
}

}  // namespace meshtwin::cli
