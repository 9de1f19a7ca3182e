// `meshtwin simulate`: run the mesh simulator over every phase of the plan and print the
// per-phase figures, the waves' gates, and a side-by-side summary.
#include <fmt/format.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <vector>
#include <nlohmann/json.hpp>
#include <fstream>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/units.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::cli {

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

namespace {

double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

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



// Student's t quantile for a two-sided 95% interval with `df` degrees of freedom.
double t975(int df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return 0;
  return df <= 30 ? table[df - 1] : 1.96;
}

struct Estimate {
  double mean = 0, ci95 = 0;
};

Estimate estimate(const std::vector<double>& xs) {
  Estimate e;
  if (xs.empty()) return e;
  for (double x : xs) e.mean += x;
  e.mean /= static_cast<double>(xs.size());
  if (xs.size() < 2) return e;
  double ss = 0;
  for (double x : xs) ss += (x - e.mean) * (x - e.mean);
  const double sd = std::sqrt(ss / static_cast<double>(xs.size() - 1));
  e.ci95 = t975(static_cast<int>(xs.size()) - 1) * sd / std::sqrt(static_cast<double>(xs.size()));
  return e;
}

// The figures compared across replications, per phase.
std::map<std::string, double> figures(const models::PhaseReport& p) {
  std::map<std::string, double> f;
  f["mesh_cpu_millicores"] = p.mesh_cpu_millicores;
  f["mesh_memory_bytes"] = p.mesh_memory_bytes;
  f["error_rate"] = p.errorRate();
  f["cross_zone_usd_per_month"] = p.cross_zone_usd_per_month;
  f["compute_usd_per_month"] = p.compute_usd_per_month;
  f["nodes_needed"] = p.nodes_needed;
  for (const auto& [name, l] : p.entry_latency) {
    f["entry " + name + " p50_ms"] = l.p50_ms;
    f["entry " + name + " p99_ms"] = l.p99_ms;
  }
  return f;
}

// Progress on stderr: a bar redrawn in place on a terminal, lines when asked for.
class Progress {
 public:
  Progress(std::ostream& err, bool lines, std::size_t total)
      : err_(err), lines_(lines), bar_(!lines && isatty(STDERR_FILENO) != 0), total_(total) {}
  void step(const std::string& what) {
    ++done_;
    if (lines_) {
      err_ << fmt::format("meshtwin simulate: {}/{} {}\n", done_, total_, what) << std::flush;
    } else if (bar_) {
      const std::size_t width = 30, filled = total_ ? width * done_ / total_ : width;
      err_ << fmt::format("\r[{}{}] {}/{} {:<40}", std::string(filled, '#'), std::string(width - filled, ' '), done_,
                          total_, what.substr(0, 40))
           << std::flush;
      if (done_ == total_) err_ << "\n";
    }
  }

 private:
  std::ostream& err_;
  bool lines_, bar_;
  std::size_t total_, done_ = 0;
};

}  // namespace

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

int runSimulate(const SimulateOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin simulate: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  sim::SimOptions so;
  so.rollouts = !opts.no_rollouts;
  auto duration = [&](const std::string& text, const char* flag, std::int64_t& target) {
    const auto d = models::parseDurationNs(text);
    if (!d.ok() || d.value() <= 0) {
      err << "meshtwin simulate: " << flag << ": " << (d.ok() ? "must be above zero" : d.error()) << "\n";
      return false;
    }
    target = d.value();
    return true;
  };
  if (!opts.duration.empty()) {
    std::int64_t d = 0;
    if (!duration(opts.duration, "--duration", d)) return kExitBadInput;
    so.duration_ns = d;
  }
  if (!duration(opts.warmup, "--warmup", so.warmup_ns)) return kExitBadInput;
  if (!opts.series_step.empty() && !duration(opts.series_step, "--series-step", so.series_step_ns)) return kExitBadInput;
  const auto& s = *loaded.scenario;
  const std::uint64_t base_seed = opts.seed ? opts.seed : s.seed;
  const std::size_t phases = 1 + s.plan.waves.size() * (so.rollouts ? 2 : 1);
  Progress progress(err, opts.progress, phases * static_cast<std::size_t>(opts.replications));
  std::vector<models::Report> reports;
  for (int rep = 0; rep < opts.replications; ++rep) {
    so.seed = base_seed + static_cast<std::uint64_t>(rep);
    auto report = sim::simulateScenario(s, so, [&](std::size_t done, std::size_t) {
      progress.step(fmt::format("replication {} phase {}", rep + 1, done));
      return true;
    });
    if (!report) return kExitBadInput;
    reports.push_back(std::move(*report));
  }
  for (auto& r : reports) r.generator = std::string("meshtwin ") + MESHTWIN_VERSION + " simulate";
  const auto& report = reports.front();
  auto json = models::toJson(report);
  bool gates_hold = true;
  for (const auto& r : reports) gates_hold = gates_hold && r.allGatesHold();
  // Mean and 95% confidence interval of each figure over the replications.
  std::vector<std::map<std::string, Estimate>> summary(report.phases.size());
  if (reports.size() > 1) {
    nlohmann::json reps = {{"n", reports.size()}, {"seeds", nlohmann::json::array()}, {"phases", nlohmann::json::array()}};
    for (const auto& r : reports) reps["seeds"].push_back(r.seed);
    for (std::size_t i = 0; i < report.phases.size(); ++i) {
      std::map<std::string, std::vector<double>> values;
      for (const auto& r : reports) {
        for (const auto& [k, v] : figures(r.phases[i])) values[k].push_back(v);
      }
      nlohmann::json figs = nlohmann::json::object();
      for (const auto& [k, xs] : values) {
        summary[i][k] = estimate(xs);
        figs[k] = {{"mean", summary[i][k].mean}, {"ci95", summary[i][k].ci95}};
      }
      reps["phases"].push_back({{"name", report.phases[i].name}, {"figures", figs}});
    }
    json["replications"] = reps;
    json["all_gates_hold"] = gates_hold;
  }
  if (!opts.json_file.empty() && !writeFile(opts.json_file, json.dump(2) + "\n", err)) return kExitBadInput;
  if (!opts.junit_file.empty() && !writeFile(opts.junit_file, junitXml(report), err)) return kExitBadInput;
  if (opts.output == "json") {
    out << json.dump(2) << "\n";
    return gates_hold ? kExitOk : kExitFindings;
  }
  out << fmt::format("scenario {} ({}), profile {}, seed {}{}\n\n", s.name, s.file, s.profile.name, report.seed,
                     reports.size() > 1 ? fmt::format(" (replication 1 of {} shown in detail)", reports.size()) : "");
  for (const auto& p : report.phases) printPhase(p, out);
  // Side by side: what each wave changes.
  out << fmt::format("{:<26} {:>12} {:>14} {:>12} {:>10} {:>14} {:>6}\n", "phase", "mesh CPU (m)", "mesh mem (MiB)",
                     "worst p99", "errors %", "x-zone USD/mo", "nodes");
  for (const auto& p : report.phases) {
    double worst = 0;
    for (const auto& [n, l] : p.entry_latency) worst = std::max(worst, l.p99_ms);
    out << fmt::format("{:<26} {:>12.1f} {:>14.1f} {:>9.3f} ms {:>10.3f} {:>14.2f} {:>6}\n", p.name,
                       p.mesh_cpu_millicores, mib(p.mesh_memory_bytes), worst, p.errorRate() * 100,
                       p.cross_zone_usd_per_month, p.nodes_needed);
  }
  if (reports.size() > 1) {
    out << fmt::format("\nover {} replications (mean +- 95% CI):\n", reports.size());
    for (std::size_t i = 0; i < report.phases.size(); ++i) {
      const auto& f = summary[i];
      std::string lat;
      for (const auto& [k, e] : f) {
        if (k.rfind("entry ", 0) == 0 && k.find("p99") != std::string::npos)
          lat += fmt::format("  {} {:.3f} +- {:.3f}", k.substr(6), e.mean, e.ci95);
      }
      out << fmt::format("{:<26} mesh CPU {:.1f} +- {:.1f} m  errors {:.3f} +- {:.3f} %{}\n", report.phases[i].name,
                         f.at("mesh_cpu_millicores").mean, f.at("mesh_cpu_millicores").ci95, f.at("error_rate").mean * 100,
                         f.at("error_rate").ci95 * 100, lat);
    }
  }
  out << (gates_hold ? "\nall gates hold\n" : "\na gate FAILED\n");
  return gates_hold ? kExitOk : kExitFindings;
}

}  // namespace meshtwin::cli
