// The report: what a phase of a plan costs and how it behaves. Written by the simulator
// and (later) by the testbed in the same shape, so predicted vs measured is a diff of two
// reports. JSON schema: models/schema/report.schema.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/analysis.hpp"

namespace meshtwin::models {

struct LatencySummary {
  std::uint64_t requests = 0;  // started in the window
  std::uint64_t errors = 0;    // of those, failed
  std::uint64_t count = 0;     // successful, measured
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0;
};

struct ComponentUsage {
  std::string kind;        // app | sidecar | ztunnel | waypoint; ingress (the testbed's load generators)
  double instances = 0;  // time-averaged over the window (HPA and rollouts change it)
  double cpu_millicores = 0;  // total over instances, from the work done
  double memory_bytes = 0;    // total over instances
  double max_instance_cpu_millicores = 0;
  double max_instance_memory_bytes = 0;
  std::uint64_t connections_opened = 0;  // TLS handshakes
};

struct ZonePairTraffic {
  std::string from, to;
  double bytes = 0;  // in the measured window
  double gib_per_month = 0;
  double usd_per_month = 0;  // 0 within a zone
};

struct GateResult {
  std::string description;
  bool holds = true;
  double value = 0;
  double threshold = 0;
  std::string unit;
};

// One step of a phase's time series (all entry points together).
struct SeriesPoint {
  double t_s = 0;  // start of the step, from the start of the measured window
  std::uint64_t requests = 0, errors = 0;
  double p50_ms = 0, p99_ms = 0;
};

struct PhaseReport {
  std::string name;         // "baseline" or a wave name
  std::string kind = "steady";
  double duration_s = 0;    // measured window (after warm-up)
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> errors_by_cause;
  std::vector<ComponentUsage> components;  // app, sidecar, ztunnel, waypoint
  double mesh_cpu_millicores = 0;
  double mesh_memory_bytes = 0;
  std::map<std::string, LatencySummary> entry_latency;  // by entry point
  std::map<std::string, LatencySummary> edge_latency;   // "ns/workload -> ns/service"
  std::vector<ZonePairTraffic> zone_pairs;
  double cross_zone_usd_per_month = 0;
  double compute_usd_per_month = 0;       // nodes needed x node price
  double mesh_compute_usd_per_month = 0;  // OpenCost-style share of the mesh components
  int nodes_needed = 0;
  std::vector<GateResult> gates;
  std::vector<Finding> findings;
  // Rollout windows only:
  double rollout_s = 0;          // from the start of the wave until its last pod was ready
  bool rollout_complete = true;  // false: pods still pending or not ready at the limit
  int max_pending_pods = 0;      // pods that could not be scheduled, at worst
  std::uint64_t connections_reset = 0;  // calls cut by ambient enrolment
  std::map<std::string, std::vector<std::pair<double, int>>> waypoint_replicas;  // HPA: (t_s, replicas) per waypoint
  std::vector<SeriesPoint> series;  // at the step asked for (empty when none was)
  [[nodiscard]] double errorRate() const { return requests ? static_cast<double>(errors) / static_cast<double>(requests) : 0; }
};

struct Report {
  std::string schema = "meshtwin/report/v1";
  std::string generator;  // "meshtwin simulate 0.1.0" or "meshtwin testbed"
  std::string scenario;
  std::string scenario_file;
  std::string profile;
  std::string profile_kind;
  std::uint64_t seed = 0;
  std::vector<PhaseReport> phases;
  [[nodiscard]] bool allGatesHold() const;
};

nlohmann::json toJson(const Report& r);
// JUnit XML: a test suite per scenario, a test case per gate of each wave.
std::string toJunitXml(const Report& r);
// & < > and " as entities: text and attribute values for XML and HTML.
std::string xmlEscape(const std::string& s);

}  // namespace meshtwin::models
