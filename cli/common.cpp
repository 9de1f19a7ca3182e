// What the subcommands share: the phase table, run windows and profiles from flags, and a twin
// run's progress lines, interruption and errors.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <cstdlib>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::cli {

namespace {

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

std::atomic<bool> g_interrupted{false};
void onInterrupt(int) { g_interrupted.store(true); }

}  // namespace

void exitCodes(CLI::App* cmd, std::string_view codes) { cmd->footer("Exit codes: " + std::string(codes) + "."); }

namespace {

// A number that `ok` accepts, refused as "--flag: must be WHAT, not VALUE".
CLI::Validator numberThat(std::function<bool(double)> ok, const std::string& what) {
  return CLI::Validator(
      [ok, what](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return "not a number: " + text;
        return ok(v) ? std::string() : "must be " + what + ", not " + text;
      },
      "NUMBER " + what);
}

}  // namespace

CLI::Validator atLeast(double lo) {
  return numberThat([lo](double v) { return v >= lo; }, fmt::format("{} or more", lo));
}

CLI::Validator above(double lo) {
  return numberThat([lo](double v) { return v > lo; }, fmt::format("above {}", lo));
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

std::optional<twin::RunWindow> parseRunWindow(const std::string& duration, const std::string& warmup,
                                              std::string_view command, std::string_view example, std::ostream& err) {
  const auto measured = models::parseDurationNs(duration);
  const auto warm = models::parseDurationNs(warmup);
  if (!measured.ok() || !warm.ok() || measured.value() <= 0 || warm.value() < 0) {
    err << command << ": --duration and --warmup take durations such as " << example << "\n";
    return std::nullopt;
  }
  return twin::RunWindow{measured.value(), warm.value()};
}

std::optional<models::Profile> loadProfileReporting(const std::string& file, std::ostream& err) {
  models::Diagnostics d;
  auto p = models::loadProfile(file, ".", d);
  if (d.empty()) return p;
  for (const auto& x : d.sorted()) err << models::format(x) << "\n";
  return std::nullopt;
}

twin::ProgressFn progressLines(std::ostream& err) {
  // The first interrupt asks the run to stop at its next step (it takes the testbed down); the
  // handlers stay until the process ends, so a second one is not the default kill either.
  g_interrupted.store(false);
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  return [&err](const twin::ProgressEvent& e) {
    err << fmt::format("[{:5.1f}s] {}\n", e.elapsed_s, e.message) << std::flush;
    if (g_interrupted.load()) {
      err << "interrupted: stopping after this step\n";
      return false;
    }
    return true;
  };
}

int reportError(const twin::Error& e, std::ostream& err) {
  err << "meshtwin " << e.what;
  if (!e.object.empty()) err << " " << e.object;
  if (!e.cause.empty()) err << ": " << e.cause;
  if (!e.hint.empty()) err << " (" << e.hint << ")";
  err << "\n";
  return e.code == twin::kBadInput ? kExitBadInput : kExitRunFailed;
}

std::optional<std::size_t> findWave(const models::Plan& plan, const std::string& k) {
  for (std::size_t i = 0; i < plan.waves.size(); ++i) {
    if (plan.waves[i].name == k) return i;
  }
  if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos || k.size() > 6) return std::nullopt;
  const auto n = std::stoul(k);
  if (n < 1 || n > plan.waves.size()) return std::nullopt;
  return n - 1;
}

std::string waveList(const models::Plan& plan) {
  std::string out;
  for (std::size_t i = 0; i < plan.waves.size(); ++i) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", i + 1, plan.waves[i].name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace meshtwin::cli
