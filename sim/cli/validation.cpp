// Predicted vs measured figures and the validation report's three renderings.
#include "validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

namespace meshtwin::cli {

namespace {

constexpr const char* kMetrics[] = {"cpu", "memory", "p50", "p90", "p99", "error_rate", "bytes"};

const models::ComponentUsage* usageOf(const models::PhaseReport& r, const std::string& kind) {
  for (const auto& c : r.components)
    if (c.kind == kind) return &c;
  return nullptr;
}

std::string formatError(const Figure& f) {
  if (f.metric == "error_rate") return fmt::format("{:+.2f} pt", 100 * f.error());
  if (f.measured == 0) return f.predicted == 0 ? "0%" : "n/a";
  return fmt::format("{:+.1f}%", 100 * f.error());
}

std::string formatTolerance(const Figure& f) {
  return f.metric == "error_rate" ? fmt::format("{:.1f} pt", 100 * f.tolerance) : fmt::format("{:.0f}%", 100 * f.tolerance);
}

struct Summary {
  std::size_t figures = 0, gated = 0, passed = 0;
  double tolerance = 0;  // the metric's, as its figures carry it
  double max_abs_error = 0, sum_abs_error = 0;
};
std::map<std::string, Summary> summarize(const Validation& v) {
  std::map<std::string, Summary> s;
  for (const auto& f : v.figures) {
    auto& m = s[f.metric];
    ++m.figures;
    m.tolerance = f.tolerance;
    if (!f.gated) continue;
    ++m.gated;
    m.passed += f.pass() ? 1U : 0U;
    const double e = std::fabs(f.error());
    if (std::isfinite(e)) {
      m.max_abs_error = std::max(m.max_abs_error, e);
      m.sum_abs_error += e;
    }
  }
  return s;
}

nlohmann::json capacityJson(const Validation& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : v.capacity) {
    a.push_back({{"phase", c.phase},
                 {"probe_rps", c.probe_rps},
                 {"testbed_cpu_us_per_request", c.testbed_cpu_us_per_request},
                 {"host_rps", c.host_rps},
                 {"slots_rps", c.slots_rps},
                 {"bottleneck", c.bottleneck}});
  }
  return a;
}

}  // namespace

void printCapacity(const Validation& v, std::ostream& out) {
  out << fmt::format("Host: {:.2f} vCPUs for the testbed, {:.2f} busy with other work and {:.2f} stolen before it ran\n",
                     v.host_vcpus, v.host_background_vcpus, v.host_steal_vcpus);
  if (v.capacity.empty()) return;
  out << fmt::format("{:<22} {:>10} {:>14} {:>12} {:>12}  {}\n", "capacity of phase", "probe rps", "CPU/request",
                     "host rps", "slots rps", "bottleneck");
  for (const auto& c : v.capacity) {
    out << fmt::format("{:<22} {:>10.1f} {:>11.0f} us {:>12.1f} {:>12.1f}  {}\n", c.phase, c.probe_rps,
                       c.testbed_cpu_us_per_request, c.host_rps, c.slots_rps, c.bottleneck);
  }
  std::string levels;
  for (std::size_t i = 0; i < v.utilization.size() && i < v.loads.size(); ++i)
    levels += fmt::format("{}{:.0f}% -> load x{:.3f}", i ? ", " : "", 100 * v.utilization[i], v.loads[i]);
  out << "Loads at " << levels << " of the smallest capacity\n";
}

double Figure::error() const {
  if (metric == "error_rate") return predicted - measured;
  if (measured == 0) return predicted == 0 ? 0.0 : INFINITY;
  return (predicted - measured) / measured;
}

bool Figure::pass() const { return !gated || std::fabs(error()) <= tolerance; }

bool Validation::pass() const {
  return std::all_of(figures.begin(), figures.end(), [](const Figure& f) { return f.pass(); });
}

std::vector<Figure> compare(const models::PhaseReport& predicted, const models::PhaseReport& measured, double load,
                            const Tolerances& tol) {
  std::vector<Figure> out;
  auto add = [&](std::string metric, std::string object, std::string unit, double p, double m, double t, bool gated) {
    out.push_back({measured.name, load, std::move(metric), std::move(object), std::move(unit), p, m, t, gated});
  };
  // Totals and rates are brought to the requests the testbed actually sent: its seeded
  // open-loop timetable realises a few percent more or fewer than the nominal rate (645
  // instead of 600 requests in the chain's 4 s at 150 rps), the same in every run.
  const double rate = predicted.requests > 0 && predicted.duration_s > 0 && measured.requests > 0 && measured.duration_s > 0
                          ? (static_cast<double>(measured.requests) / measured.duration_s) /
                                (static_cast<double>(predicted.requests) / predicted.duration_s)
                          : 1.0;
  for (const char* kind : {"sidecar", "ztunnel", "waypoint"}) {
    const auto* p = usageOf(predicted, kind);
    const auto* m = usageOf(measured, kind);
    const double pi = p ? p->instances : 0, mi = m ? m->instances : 0;
    if (pi <= 0 && mi <= 0) continue;
    const double mc = m ? m->cpu_millicores : 0;
    // The simulator starts ztunnels only once a workload is ambient; the testbed runs one per
    // node from the baseline on (ambient installed before the migration). Shown, not gated.
    const bool modelled = pi > 0;
    add("cpu", kind, "millicores", p ? p->cpu_millicores * rate : 0, mc, tol.cpu, modelled && mc >= tol.min_cpu_millicores);
    add("memory", kind, "MiB", (p ? p->memory_bytes : 0) / 1048576.0, (m ? m->memory_bytes : 0) / 1048576.0, tol.memory,
        modelled);
  }
  for (const auto& [entry, ml] : measured.entry_latency) {
    const auto it = predicted.entry_latency.find(entry);
    const models::LatencySummary pl = it != predicted.entry_latency.end() ? it->second : models::LatencySummary{};
    const bool gated = ml.count > 0;
    add("p50", entry, "ms", pl.p50_ms, ml.p50_ms, tol.p50, gated);
    add("p90", entry, "ms", pl.p90_ms, ml.p90_ms, tol.p90, gated);
    add("p99", entry, "ms", pl.p99_ms, ml.p99_ms, tol.p99, gated);
  }
  // Every process of the testbed together (apps, proxies, load generators): what decides
  // whether the host is busy. Gated when the prediction models the apps and the load
  // generator (the profile's `testbed` costs), since a proxy-only total misses them.
  auto total = [](const models::PhaseReport& r) {
    double m = 0;
    for (const auto& c : r.components) m += c.cpu_millicores;
    return m;
  };
  const bool testbed_modelled = usageOf(predicted, "ingress") != nullptr;
  if (usageOf(measured, "ingress")) {
    add("cpu", "testbed processes", "millicores", total(predicted) * rate, total(measured), tol.cpu,
        testbed_modelled && total(measured) >= tol.min_cpu_millicores);
  }
  add("error_rate", "all entry points", "%", predicted.errorRate(), measured.errorRate(), tol.error_rate, measured.requests > 0);
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto* r : {&predicted, &measured})
    for (const auto& z : r->zone_pairs)
      if (z.from != z.to) pairs.insert({z.from, z.to});
  auto bytesOf = [](const models::PhaseReport& r, const std::pair<std::string, std::string>& k) {
    for (const auto& z : r.zone_pairs)
      if (z.from == k.first && z.to == k.second) return z.bytes;
    return 0.0;
  };
  // Bytes over the measured window: the prediction's own window is longer, so its bytes are
  // taken per second and brought to the measurement's duration and realised rate.
  const double window = (predicted.duration_s > 0 ? measured.duration_s / predicted.duration_s : 1.0) * rate;
  for (const auto& k : pairs) {
    const double m = bytesOf(measured, k);
    add("bytes", k.first + " -> " + k.second, "MB", bytesOf(predicted, k) * window / 1e6, m / 1e6, tol.bytes,
        m >= tol.min_bytes);
  }
  return out;
}

nlohmann::json toJson(const Validation& v) {
  nlohmann::json figs = nlohmann::json::array();
  for (const auto& f : v.figures) {
    const double e = f.error();
    figs.push_back({{"phase", f.phase},
                    {"load", f.load},
                    {"metric", f.metric},
                    {"object", f.object},
                    {"unit", f.unit},
                    {"predicted", f.predicted},
                    {"measured", f.measured},
                    {"error", std::isfinite(e) ? nlohmann::json(e) : nlohmann::json(nullptr)},
                    {"tolerance", f.tolerance},
                    {"gated", f.gated},
                    {"pass", f.pass()}});
  }
  nlohmann::json summary = nlohmann::json::object();
  for (const auto& [metric, s] : summarize(v)) {
    summary[metric] = {{"figures", s.figures},
                       {"gated", s.gated},
                       {"passed", s.passed},
                       {"max_abs_error", s.max_abs_error},
                       {"mean_abs_error", s.gated ? s.sum_abs_error / static_cast<double>(s.gated) : 0.0}};
  }
  return {{"schema", "meshtwin/validation/v1"},
          {"scenario", v.scenario},
          {"scenario_file", v.scenario_file},
          {"profile", v.profile},
          {"host", v.host},
          {"date", v.date},
          {"commit", v.commit},
          {"seconds", v.seconds},
          {"phases", v.phases},
          {"loads", v.loads},
          {"host_vcpus", {{"for_testbed", v.host_vcpus}, {"background", v.host_background_vcpus}, {"steal", v.host_steal_vcpus}}},
          {"utilization", v.utilization},
          {"capacity", capacityJson(v)},
          {"tolerances",
           {{"cpu", v.tol.cpu}, {"memory", v.tol.memory}, {"p50", v.tol.p50}, {"p90", v.tol.p90}, {"p99", v.tol.p99},
            {"bytes", v.tol.bytes}, {"error_rate", v.tol.error_rate}, {"min_cpu_millicores", v.tol.min_cpu_millicores},
            {"min_bytes", v.tol.min_bytes}}},
          {"pass", v.pass()},
          {"summary", summary},
          {"figures", figs}};
}

void printValidation(const Validation& v, std::ostream& out) {
  out << fmt::format("Validation of {} with profile {} ({} phases x {} loads, {:.0f} s)\n", v.scenario, v.profile,
                     v.phases.size(), v.loads.size(), v.seconds);
  printCapacity(v, out);
  out << fmt::format("{:<22} {:>5} {:<7} {:<20} {:>12} {:>12} {:>9} {:>7}  {}\n", "phase", "load", "metric", "object",
                     "predicted", "measured", "error", "tol", "");
  for (const auto& f : v.figures) {
    out << fmt::format("{:<22} {:>5.2f} {:<7} {:<20} {:>12.4g} {:>12.4g} {:>9} {:>7}  {}\n", f.phase, f.load,
                       f.metric == "error_rate" ? "errors" : f.metric, f.object, f.metric == "error_rate" ? 100 * f.predicted : f.predicted,
                       f.metric == "error_rate" ? 100 * f.measured : f.measured, formatError(f), formatTolerance(f),
                       !f.gated ? "(not gated)" : f.pass() ? "ok" : "OUT");
  }
  out << "\nSummary (gated figures)\n";
  for (const auto& [metric, s] : summarize(v)) {
    out << fmt::format("  {:<10} {:>3} of {:>3} within tolerance, max |error| {}, mean |error| {}\n", metric, s.passed,
                       s.gated, metric == "error_rate" ? fmt::format("{:.2f} pt", 100 * s.max_abs_error)
                                                       : fmt::format("{:.1f}%", 100 * s.max_abs_error),
                       s.gated == 0 ? std::string("-")
                       : metric == "error_rate"
                           ? fmt::format("{:.2f} pt", 100 * s.sum_abs_error / static_cast<double>(s.gated))
                           : fmt::format("{:.1f}%", 100 * s.sum_abs_error / static_cast<double>(s.gated)));
  }
  out << (v.pass() ? "All gated figures within tolerance.\n" : "Some figures are outside their tolerance (OUT).\n");
}

std::string validationHtml(const Validation& v) {
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  std::string h = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>meshtwin validation: " +
                  xmlEscape(v.scenario) + "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
                  "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                  "td.l,th.l{text-align:left}.out{background:#fdd}.muted{color:#888}.charts{display:flex;flex-wrap:wrap;gap:12px}"
                  "figure{margin:0;border:1px solid #eee;padding:4px}figcaption{font-size:12px}</style></head><body>\n";
  h += fmt::format("<h1>Validation: {}</h1>\n<p>Profile <code>{}</code>, host {}, {}, commit {}; {} phases x {} loads; "
                   "{:.0f} s. Predicted by <code>meshtwin simulate</code>'s engine under the testbed's conditions, "
                   "measured on the testbed. <b>{}</b></p>\n",
                   xmlEscape(v.scenario), xmlEscape(v.profile), xmlEscape(v.host), xmlEscape(v.date), xmlEscape(v.commit),
                   v.phases.size(), v.loads.size(), v.seconds,
                   v.pass() ? "All gated figures within tolerance." : "Some figures are outside their tolerance.");
  h += "<h2>Summary</h2>\n<table><tr><th class=l>metric</th><th>within tolerance</th><th>tolerance</th><th>max |error|</th>"
       "<th>mean |error|</th></tr>\n";
  const auto sums = summarize(v);
  for (const char* metric : kMetrics) {
    const auto it = sums.find(metric);
    if (it == sums.end()) continue;
    const auto& s = it->second;
    const bool pts = metric == std::string("error_rate");
    auto fmtErr = [&](double e) { return pts ? fmt::format("{:.2f} pt", 100 * e) : fmt::format("{:.1f}%", 100 * e); };
    h += fmt::format("<tr{}><td class=l>{}</td><td>{} of {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     s.passed < s.gated ? " class=out" : "", metric, s.passed, s.gated, fmtErr(s.tolerance), fmtErr(s.max_abs_error),
                     s.gated ? fmtErr(s.sum_abs_error / static_cast<double>(s.gated)) : "-");
  }
  h += "</table>\n<h2>Predicted (dashed) and measured (solid) per phase</h2>\n<p>";
  for (std::size_t li = 0; li < v.loads.size(); ++li)
    h += fmt::format("<span style=\"color:{}\">&#9632; load x{:.2f}</span> ", colors[li % 5], v.loads[li]);
  h += "</p>\n<div class=charts>\n";
  // One chart per (metric, object).
  std::vector<std::pair<std::string, std::string>> keys;
  for (const char* metric : kMetrics) {
    for (const auto& f : v.figures) {
      if (f.metric != metric) continue;
      const std::pair<std::string, std::string> k{f.metric, f.object};
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  constexpr double W = 280, H = 170, L = 48, R = 10, T = 10, B = 40;
  for (const auto& [metric, object] : keys) {
    double ymax = 0;
    std::string unit;
    for (const auto& f : v.figures) {
      if (f.metric != metric || f.object != object) continue;
      const double scale = metric == "error_rate" ? 100 : 1;
      ymax = std::max({ymax, f.predicted * scale, f.measured * scale});
      unit = f.unit;
    }
    if (ymax <= 0) ymax = 1;
    ymax *= 1.1;
    const std::size_t n = v.phases.size();
    auto xAt = [&](std::size_t i) { return L + (n > 1 ? (W - L - R) * static_cast<double>(i) / static_cast<double>(n - 1) : (W - L - R) / 2); };
    auto yAt = [&](double y) { return T + (H - T - B) * (1 - y / ymax); };
    h += fmt::format("<figure><svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">", W, H, W, H);
    h += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>", L, H - B, W - R, H - B);
    h += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>", L, T, L, H - B);
    for (int t = 0; t <= 2; ++t) {
      const double y = ymax * t / 2;
      h += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"end\">{:.3g}</text>", L - 3, yAt(y) + 3, y);
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::string label = v.phases[i].size() > 12 ? v.phases[i].substr(0, 12) : v.phases[i];
      h += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>", xAt(i), H - B + 12,
                       xmlEscape(label));
    }
    for (std::size_t li = 0; li < v.loads.size(); ++li) {
      for (int measured = 0; measured <= 1; ++measured) {
        std::string pts;
        for (std::size_t i = 0; i < n; ++i) {
          for (const auto& f : v.figures) {
            if (f.metric != metric || f.object != object || f.phase != v.phases[i] || f.load != v.loads[li]) continue;
            const double y = (measured ? f.measured : f.predicted) * (metric == "error_rate" ? 100 : 1);
            pts += fmt::format("{:.1f},{:.1f} ", xAt(i), yAt(y));
            h += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"{}/>", xAt(i), yAt(y),
                             colors[li % 5], f.pass() ? "" : " stroke=\"#000\"");
          }
        }
        if (!pts.empty()) {
          h += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>", pts,
                           colors[li % 5], measured ? "" : " stroke-dasharray=\"4 3\"");
        }
      }
    }
    h += fmt::format("</svg><figcaption>{} {} ({})</figcaption></figure>\n", xmlEscape(metric), xmlEscape(object),
                     xmlEscape(metric == "error_rate" ? "%" : unit));
  }
  h += "</div>\n<h2>Every figure</h2>\n<table><tr><th class=l>phase</th><th>load</th><th class=l>metric</th>"
       "<th class=l>object</th><th>predicted</th><th>measured</th><th>unit</th><th>error</th><th>tolerance</th></tr>\n";
  for (const auto& f : v.figures) {
    const double k = f.metric == "error_rate" ? 100 : 1;
    h += fmt::format("<tr class=\"{}\"><td class=l>{}</td><td>{:.2f}</td><td class=l>{}</td><td class=l>{}</td>"
                     "<td>{:.4g}</td><td>{:.4g}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     !f.gated ? "muted" : f.pass() ? "" : "out", xmlEscape(f.phase), f.load, f.metric, xmlEscape(f.object),
                     k * f.predicted, k * f.measured, xmlEscape(f.metric == "error_rate" ? "%" : f.unit), formatError(f),
                     f.gated ? formatTolerance(f) : "not gated");
  }
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace meshtwin::cli
