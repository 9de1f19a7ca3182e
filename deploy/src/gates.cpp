// planGates / evaluateGates: the PromQL of a wave's SLOs and of the twin's prediction for it,
// and their verdicts from an instant query each.
#include "meshtwin/deploy/gates.hpp"

#include "meshtwin/deploy/istio_metrics.hpp"

#include <fmt/format.h>

#include <cmath>

namespace meshtwin::deploy {
namespace {

using nlohmann::json;

std::string pathSelector(const models::Scenario& s, const models::Gate& g, const GateSettings& settings) {
  return requestSelector(s, g.entry_point, g.edge_from, g.edge_to, settings.entry_selector);
}

double predictedLatency(const models::LatencySummary& l, double percentile) {
  if (percentile <= 50) return l.p50_ms;
  if (percentile <= 90) return l.p90_ms;
  if (percentile <= 99) return l.p99_ms;
  return l.p999_ms;
}

std::optional<double> componentMemory(const models::PhaseReport& r, const std::string& kind) {
  for (const auto& c : r.components) {
    if (c.kind == kind && c.instances > 0) return c.memory_bytes;
  }
  return std::nullopt;
}

std::string waypointNames(const models::Scenario& s, std::size_t phase) {
  std::string out;
  const auto state = models::meshStateAt(s, phase);
  for (std::size_t w = 0; w < s.waypoints.size(); ++w) {
    if (state.waypoint_present[w]) out += (out.empty() ? "" : "|") + s.waypoints[w].name;
  }
  return out;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

// The single number of an instant query's answer: a scalar, or a vector of one sample. NaN
// (0/0: no traffic) counts as no data.
std::optional<double> singleValue(const json& data) {
  const auto type = data.value("resultType", "");
  const json* sample = nullptr;
  if (type == "scalar") sample = &data["result"];
  if (type == "vector" && data["result"].is_array() && !data["result"].empty()) sample = &data["result"][0]["value"];
  if (!sample || !sample->is_array() || sample->size() != 2) return std::nullopt;
  const double v = std::stod((*sample)[1].get<std::string>());
  if (std::isnan(v)) return std::nullopt;
  return v;
}

}  // namespace

std::vector<GateCheck> planGates(const models::Scenario& s, std::size_t wave, const models::PhaseReport* predicted,
                                 const GateSettings& settings) {
  std::vector<GateCheck> out;
  const std::string w = promDuration(settings.window);
  for (const auto& g : s.plan.waves.at(wave).gates) {
    const auto sel = pathSelector(s, g, settings);
    GateCheck c;
    c.kind = "slo";
    if (g.kind == models::Gate::Kind::ErrorRate) {
      c.name = fmt::format("error ratio {} <= {:g}%", g.path, g.max_error_rate * 100);
      c.query = errorRatioQuery(sel, w);
      c.unit = "ratio";
      c.threshold = g.max_error_rate;
    } else {
      c.name = fmt::format("p{:g} {} <= {:g} ms", g.percentile, g.path, static_cast<double>(g.threshold_ns) / 1e6);
      c.query = latencyQuery(sel, w, g.percentile);
      c.unit = "ms";
      c.threshold = static_cast<double>(g.threshold_ns) / 1e6;
      if (predicted && g.entry_point) {
        const auto it = predicted->entry_latency.find(s.entry_points[*g.entry_point].name);
        if (it != predicted->entry_latency.end()) c.predicted = predictedLatency(it->second, g.percentile);
      }
    }
    out.push_back(std::move(c));
  }
  if (!predicted || !settings.check_prediction) return out;
  const auto zt = componentMemory(*predicted, "ztunnel");
  if (zt) out.push_back({"ztunnel memory vs prediction", "prediction", settings.ztunnel_memory_query, "bytes", *zt, zt, {}, false, ""});
  const auto wp = componentMemory(*predicted, "waypoint");
  const auto names = waypointNames(s, wave + 1);
  if (wp && !names.empty()) {
    out.push_back({"waypoint memory vs prediction", "prediction", replaceAll(settings.waypoint_memory_query, "{waypoints}", names),
                   "bytes", *wp, wp, {}, false, ""});
  }
  return out;
}

std::optional<kube::Error> evaluateGates(const kube::PrometheusClient& prometheus, std::vector<GateCheck>& checks,
                                         double tolerance) {
  for (auto& c : checks) {
    auto answer = prometheus.query(c.query);
    if (!answer) return answer.error();
    c.measured = singleValue(answer->data);
    if (!c.measured) {
      c.holds = false;
      c.note = "no data: the query returned nothing (is Prometheus scraping the proxies, is traffic flowing?)";
      continue;
    }
    if (c.kind == "slo") {
      c.holds = *c.measured <= c.threshold;
      c.note = c.holds ? "" : fmt::format("{:.4g} {} is above the bound {:.4g}", *c.measured, c.unit, c.threshold);
    } else {
      const double err = c.threshold > 0 ? std::abs(*c.measured - c.threshold) / c.threshold : 0;
      c.holds = err <= tolerance;
      c.note = c.holds ? "" : fmt::format("{:.0f}% off the prediction (tolerance {:.0f}%)", err * 100, tolerance * 100);
    }
  }
  return std::nullopt;
}

json toJson(const GateCheck& g) {
  json j{{"name", g.name}, {"kind", g.kind}, {"query", g.query}, {"unit", g.unit}, {"threshold", g.threshold}, {"holds", g.holds}};
  j["predicted"] = g.predicted ? json(*g.predicted) : json(nullptr);
  j["measured"] = g.measured ? json(*g.measured) : json(nullptr);
  if (!g.note.empty()) j["note"] = g.note;
  return j;
}

GateCheck gateCheckFromJson(const json& j) {
  GateCheck g;
  g.name = j.value("name", "");
  g.kind = j.value("kind", "");
  g.query = j.value("query", "");
  g.unit = j.value("unit", "");
  g.threshold = j.value("threshold", 0.0);
  g.holds = j.value("holds", false);
  if (j.contains("predicted") && j["predicted"].is_number()) g.predicted = j["predicted"].get<double>();
  if (j.contains("measured") && j["measured"].is_number()) g.measured = j["measured"].get<double>();
  g.note = j.value("note", "");
  return g;
}

}  // namespace meshtwin::deploy
