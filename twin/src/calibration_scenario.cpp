// The calibration's scenario and its variants, and a measured point as the profile records it.
#include <fmt/format.h>

#include "calibration.hpp"

namespace meshtwin::twin::calibration {

std::vector<Variant> variants(bool quick) {
  if (quick) return {{"1kib", 1024, 0, {{50, 4}, {150, 16}}}, {"32kib-filler", 32 * 1024, 8, {{100, 4}}}};
  return {
      {"1kib", 1024, 0, {{50, 4}, {100, 4}, {200, 4}, {100, 32}}},
      {"32kib-filler", 32 * 1024, 16, {{50, 4}, {150, 4}}},
  };
}

std::string calibrationScenario(const Variant& v) {
  std::string y = fmt::format(R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {{name: calibrate-{}}}
seed: 11
cluster:
  zones: [za, zb]
  nodePools:
    - {{name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}}
defaults:
  serviceTime: {{distribution: constant, mean: 100us}}
workloads:
  - name: client
    namespace: cal-a
    replicas: 1
    zones: [za]
    responseSize: 1KiB
    script:
      - call: {{service: server.cal-b, size: 1KiB}}
  - name: server
    namespace: cal-b
    replicas: 1
    zones: [zb]
    responseSize: {}B
)",
                              v.name, v.payload);
  if (v.filler > 0) {
    y += fmt::format("  - name: idle\n    namespace: cal-b\n    replicas: {}\n    zones: [zb]\n", v.filler);
  }
  y += fmt::format(R"(entryPoints:
  - name: {}
    service: client.cal-a
    arrival: uniform
    load: [{{constant: {{rps: {}, duration: 60s}}}}]
mesh:
  defaultMode: sidecar
plan:
  waves:
    - name: ambient
      changes:
        - setMode: {{namespace: cal-a, mode: ambient}}
        - setMode: {{namespace: cal-b, mode: ambient}}
    - name: waypoint
      changes:
        - addWaypoint: {{name: cal-waypoint, namespace: cal-b, for: service, replicas: 1, zones: [zb]}}
        - useWaypoint: {{namespace: cal-b, waypoint: cal-waypoint}}
)",
                   kEntry, kScenarioRps);
  return y;
}

const char* phaseMode(std::size_t phase) { return phase == 0 ? "sidecar" : phase == 1 ? "ambient" : "ambient+waypoint"; }

nlohmann::json toJson(const Point& p, const std::vector<Variant>& variants) {
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& q : p.processes) {
    procs.push_back({{"name", q.name}, {"role", q.role}, {"rss_bytes", q.rss}, {"cpu_millicores", q.cpu_m},
                     {"connections", q.connections}});
  }
  return {{"variant", variants[p.variant].name},
          {"phase", p.phase},
          {"mode", phaseMode(p.phase)},
          {"rps", p.rps},
          {"connections", p.connections},
          {"window_s", p.window_s},
          {"requests", p.requests},
          {"errors", p.errors},
          {"latency_ms", {{"mean", p.latency.mean_ms}, {"p50", p.latency.p50_ms}, {"p90", p.latency.p90_ms},
                          {"p99", p.latency.p99_ms}}},
          {"cpu_millicores", p.cpu_m},
          {"zone_bytes", p.zone_bytes},
          {"processes", procs}};
}

YAML::Node toYaml(const nlohmann::json& j) {
  YAML::Node n;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) n[k] = toYaml(v);
  } else if (j.is_array()) {
    n = YAML::Node(YAML::NodeType::Sequence);
    for (const auto& v : j) n.push_back(toYaml(v));
  } else if (j.is_string()) {
    n = j.get<std::string>();
  } else if (j.is_boolean()) {
    n = j.get<bool>();
  } else if (j.is_number_integer()) {
    n = j.get<std::int64_t>();
  } else if (j.is_number()) {
    n = fmt::format("{:.6g}", j.get<double>());
  }
  return n;
}

}  // namespace meshtwin::twin::calibration
