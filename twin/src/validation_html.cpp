// The validation report as a self-contained HTML page: the summary per metric, an SVG chart per
// figure across the phases (predicted dashed, measured solid, one colour per load), the table.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "meshtwin/twin/validation.hpp"

namespace meshtwin::twin {

namespace {

constexpr const char* kMetrics[] = {"cpu", "memory", "p50", "p90", "p99", "error_rate", "bytes"};
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

using models::xmlEscape;

std::string head(const Validation& v) {
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
  return h;
}

std::string summaryTable(const Validation& v) {
  std::string h = "<h2>Summary</h2>\n<table><tr><th class=l>metric</th><th>within tolerance</th><th>tolerance</th>"
                  "<th>max |error|</th><th>mean |error|</th></tr>\n";
  const auto sums = summarize(v);
  for (const char* metric : kMetrics) {
    const auto it = sums.find(metric);
    if (it == sums.end()) continue;
    const auto& s = it->second;
    const bool pts = metric == std::string("error_rate");
    auto fmtErr = [&](double e) { return pts ? fmt::format("{:.2f} pt", 100 * e) : fmt::format("{:.1f}%", 100 * e); };
    h += fmt::format("<tr{}><td class=l>{}</td><td>{} of {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     s.passed < s.gated ? " class=out" : "", metric, s.passed, s.gated, fmtErr(s.tolerance),
                     fmtErr(s.max_abs_error), s.gated ? fmtErr(s.sum_abs_error / static_cast<double>(s.gated)) : "-");
  }
  return h + "</table>\n";
}

// The lines of one load, predicted then measured, through the phases.
std::string chartLines(const Validation& v, const std::string& metric, const std::string& object, std::size_t li,
                       const auto& xAt, const auto& yAt) {
  std::string h;
  for (int measured = 0; measured <= 1; ++measured) {
    std::string pts;
    for (std::size_t i = 0; i < v.phases.size(); ++i) {
      for (const auto& f : v.figures) {
        if (f.metric != metric || f.object != object || f.phase != v.phases[i] || f.load != v.loads[li]) continue;
        const double y = (measured ? f.measured : f.predicted) * (metric == "error_rate" ? 100 : 1);
        pts += fmt::format("{:.1f},{:.1f} ", xAt(i), yAt(y));
        h += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"{}/>", xAt(i), yAt(y), kColors[li % 5],
                         f.pass() ? "" : " stroke=\"#000\"");
      }
    }
    if (!pts.empty()) {
      h += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>", pts, kColors[li % 5],
                       measured ? "" : " stroke-dasharray=\"4 3\"");
    }
  }
  return h;
}

// One chart: a figure (metric, object) across the phases.
std::string chart(const Validation& v, const std::string& metric, const std::string& object) {
  constexpr double W = 280, H = 170, L = 48, R = 10, T = 10, B = 40;
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
  auto xAt = [&](std::size_t i) {
    return L + (n > 1 ? (W - L - R) * static_cast<double>(i) / static_cast<double>(n - 1) : (W - L - R) / 2);
  };
  auto yAt = [&](double y) { return T + (H - T - B) * (1 - y / ymax); };
  std::string h = fmt::format("<figure><svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">", W, H, W, H);
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
  for (std::size_t li = 0; li < v.loads.size(); ++li) h += chartLines(v, metric, object, li, xAt, yAt);
  h += fmt::format("</svg><figcaption>{} {} ({})</figcaption></figure>\n", xmlEscape(metric), xmlEscape(object),
                   xmlEscape(metric == "error_rate" ? "%" : unit));
  return h;
}

std::string charts(const Validation& v) {
  std::string h = "<h2>Predicted (dashed) and measured (solid) per phase</h2>\n<p>";
  for (std::size_t li = 0; li < v.loads.size(); ++li)
    h += fmt::format("<span style=\"color:{}\">&#9632; load x{:.2f}</span> ", kColors[li % 5], v.loads[li]);
  h += "</p>\n<div class=charts>\n";
  std::vector<std::pair<std::string, std::string>> keys;  // one chart per (metric, object)
  for (const char* metric : kMetrics) {
    for (const auto& f : v.figures) {
      if (f.metric != metric) continue;
      const std::pair<std::string, std::string> k{f.metric, f.object};
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  for (const auto& [metric, object] : keys) h += chart(v, metric, object);
  return h + "</div>\n";
}

std::string figureTable(const Validation& v) {
  std::string h = "<h2>Every figure</h2>\n<table><tr><th class=l>phase</th><th>load</th><th class=l>metric</th>"
                  "<th class=l>object</th><th>predicted</th><th>measured</th><th>unit</th><th>error</th><th>tolerance</th></tr>\n";
  for (const auto& f : v.figures) {
    const double k = f.metric == "error_rate" ? 100 : 1;
    h += fmt::format("<tr class=\"{}\"><td class=l>{}</td><td>{:.2f}</td><td class=l>{}</td><td class=l>{}</td>"
                     "<td>{:.4g}</td><td>{:.4g}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     !f.gated ? "muted" : f.pass() ? "" : "out", xmlEscape(f.phase), f.load, f.metric, xmlEscape(f.object),
                     k * f.predicted, k * f.measured, xmlEscape(f.metric == "error_rate" ? "%" : f.unit), formatError(f),
                     f.gated ? formatTolerance(f) : "not gated");
  }
  return h + "</table>\n";
}

}  // namespace

std::string validationHtml(const Validation& v) {
  return head(v) + summaryTable(v) + charts(v) + figureTable(v) + "</body></html>\n";
}

}  // namespace meshtwin::twin
