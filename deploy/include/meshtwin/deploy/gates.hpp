// A wave's gates as PromQL: the scenario's SLOs for that wave (error ratio and latency per
// entry path or edge, from Istio's request metrics) and the twin's own prediction for it
// (latency, ztunnel and waypoint memory, within a tolerance), evaluated against Prometheus.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::deploy {

struct GateSettings {
  std::chrono::milliseconds window{60000};  // the range of rate() and the histograms
  // Label matchers added to every request-metric selector of an entry path, e.g.
  // `reporter="source",source_workload="istio-ingressgateway"`: who reports the north-south hop.
  std::string entry_selector = R"(reporter="source")";
  // Memory of every ztunnel / waypoint replica together, in bytes. Defaults: cAdvisor's
  // working set of the istio-proxy containers ({waypoints} becomes "name1|name2").
  std::string ztunnel_memory_query =
      R"(sum(container_memory_working_set_bytes{namespace="istio-system",container="istio-proxy",pod=~"ztunnel-.*"}))";
  std::string waypoint_memory_query =
      R"(sum(container_memory_working_set_bytes{container="istio-proxy",pod=~"({waypoints})-.*"}))";
  double prediction_tolerance = 0.5;  // |measured - predicted| <= tolerance x predicted
  bool check_prediction = true;
};

struct GateCheck {
  std::string name;   // "p99 web <= 120 ms", "ztunnel memory vs prediction"
  std::string kind;   // "slo" | "prediction"
  std::string query;  // PromQL
  std::string unit;   // "ms", "ratio", "bytes"
  double threshold = 0;               // slo: the bound; prediction: the predicted value
  std::optional<double> predicted;    // the twin's figure for the wave, when one was given
  std::optional<double> measured;     // nullopt: the query returned nothing
  bool holds = false;
  std::string note;                   // why it fails ("no data: ...", "above the bound")
};

// The checks for wave `wave` (0-based). `predicted` is the simulator's report of the phase
// after the wave (nullptr: no prediction checks). Pure.
std::vector<GateCheck> planGates(const models::Scenario& s, std::size_t wave, const models::PhaseReport* predicted,
                                 const GateSettings& settings);

// Runs every query and decides: an SLO holds when the value is within its bound; a prediction
// holds when within the tolerance; no data fails both. A Prometheus error is returned as is.
std::optional<kube::Error> evaluateGates(const kube::PrometheusClient& prometheus, std::vector<GateCheck>& checks,
                                         double prediction_tolerance);

nlohmann::json toJson(const GateCheck& g);
GateCheck gateCheckFromJson(const nlohmann::json& j);

}  // namespace meshtwin::deploy
