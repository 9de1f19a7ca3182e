// Report -> JSON, in the shape models/schema/report.schema.json describes. Keys are sorted
// (nlohmann::json's default) so equal reports serialise byte for byte the same.
#include "meshtwin/models/report.hpp"

namespace meshtwin::models {

bool Report::allGatesHold() const {
  for (const auto& p : phases) {
    for (const auto& g : p.gates) {
      if (!g.holds) return false;
    }
  }
  return true;
}

namespace {

nlohmann::json latencyJson(const LatencySummary& l) {
  return {{"requests", l.requests}, {"errors", l.errors}, {"count", l.count}, {"mean_ms", l.mean_ms}, {"p50_ms", l.p50_ms}, {"p90_ms", l.p90_ms},
          {"p99_ms", l.p99_ms}, {"p999_ms", l.p999_ms}};
}

}  // namespace

nlohmann::json toJson(const Report& r) {
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& p : r.phases) {
    nlohmann::json comps = nlohmann::json::object();
    for (const auto& c : p.components) {
      comps[c.kind] = {{"instances", c.instances},
                       {"cpu_millicores", c.cpu_millicores},
                       {"memory_bytes", c.memory_bytes},
                       {"max_instance_cpu_millicores", c.max_instance_cpu_millicores},
                       {"max_instance_memory_bytes", c.max_instance_memory_bytes},
                       {"connections_opened", c.connections_opened}};
    }
    nlohmann::json entries = nlohmann::json::object(), edges = nlohmann::json::object();
    for (const auto& [k, v] : p.entry_latency) entries[k] = latencyJson(v);
    for (const auto& [k, v] : p.edge_latency) edges[k] = latencyJson(v);
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& z : p.zone_pairs) {
      pairs.push_back({{"from", z.from}, {"to", z.to}, {"bytes", z.bytes}, {"gib_per_month", z.gib_per_month},
                       {"usd_per_month", z.usd_per_month}});
    }
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : p.gates) {
      gates.push_back({{"gate", g.description}, {"holds", g.holds}, {"value", g.value}, {"threshold", g.threshold},
                       {"unit", g.unit}});
    }
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : p.findings) {
      findings.push_back({{"severity", toString(f.severity)}, {"code", f.code}, {"object", f.object},
                          {"message", f.message}, {"hint", f.hint}});
    }
    nlohmann::json series = nlohmann::json::array();
    for (const auto& pt : p.series) {
      series.push_back({{"t_s", pt.t_s}, {"requests", pt.requests}, {"errors", pt.errors}, {"p50_ms", pt.p50_ms},
                        {"p99_ms", pt.p99_ms}});
    }
    nlohmann::json replicas = nlohmann::json::object();
    for (const auto& [wp, steps] : p.waypoint_replicas) {
      auto arr = nlohmann::json::array();
      for (const auto& [t, n] : steps) arr.push_back({{"t_s", t}, {"replicas", n}});
      replicas[wp] = arr;
    }
    nlohmann::json causes = nlohmann::json::object();
    for (const auto& [k, v] : p.errors_by_cause) causes[k] = v;
    phases.push_back({{"name", p.name},
                      {"kind", p.kind},
                      {"duration_s", p.duration_s},
                      {"requests", p.requests},
                      {"errors", {{"count", p.errors}, {"rate", p.errorRate()}, {"by_cause", causes}}},
                      {"components", comps},
                      {"mesh", {{"cpu_millicores", p.mesh_cpu_millicores}, {"memory_bytes", p.mesh_memory_bytes}}},
                      {"latency", {{"entry_points", entries}, {"edges", edges}}},
                      {"network", {{"zone_pairs", pairs}, {"cross_zone_usd_per_month", p.cross_zone_usd_per_month}}},
                      {"cost",
                       {{"compute_usd_per_month", p.compute_usd_per_month},
                        {"mesh_compute_usd_per_month", p.mesh_compute_usd_per_month},
                        {"cross_zone_usd_per_month", p.cross_zone_usd_per_month},
                        {"nodes_needed", p.nodes_needed}}},
                      {"gates", gates},
                      {"findings", findings},
                      {"rollout",
                       {{"duration_s", p.rollout_s},
                        {"complete", p.rollout_complete},
                        {"max_pending_pods", p.max_pending_pods},
                        {"connections_reset", p.connections_reset}}},
                      {"waypoint_replicas", replicas},
                      {"series", series}});
  }
  return {{"schema", r.schema},
          {"generator", r.generator},
          {"scenario", {{"name", r.scenario}, {"file", r.scenario_file}}},
          {"profile", {{"name", r.profile}, {"kind", r.profile_kind}}},
          {"seed", r.seed},
          {"phases", phases},
          {"all_gates_hold", r.allGatesHold()}};
}

}  // namespace meshtwin::models
