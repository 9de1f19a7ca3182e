// HorizontalPodAutoscalers (a waypoint's becomes its hpa; a workload's is noted, the model
// does not autoscale workloads) and PodDisruptionBudgets (counted, not modelled).
#include <fmt/format.h>

#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr int kDefaultCpuTarget = 80;  // Kubernetes' target when an HPA names no metric

struct HpaSpec {
  int min = 1, max = 1;
  std::optional<int> cpu_target;
  bool other_metrics = false;  // scales on memory, pods or external metrics
};

int clampReplicas(std::optional<std::int64_t> v, int fallback) {
  return v ? static_cast<int>(std::clamp<std::int64_t>(*v, 0, 100000)) : fallback;
}

// autoscaling/v2 and v2beta2 (target.averageUtilization), v2beta1 (targetAverageUtilization),
// v1 (targetCPUUtilizationPercentage).
HpaSpec readHpa(const Object& o) {
  const auto& spec = o.body.contains("spec") ? o.body["spec"] : o.body;
  HpaSpec h;
  h.min = std::max(1, clampReplicas(integer(spec, {"minReplicas"}), 1));
  h.max = std::max(h.min, clampReplicas(integer(spec, {"maxReplicas"}), h.min));
  if (const auto v1 = integer(spec, {"targetCPUUtilizationPercentage"})) h.cpu_target = static_cast<int>(std::clamp<std::int64_t>(*v1, 1, 1000));
  for (const auto& metric : items(spec, {"metrics"})) {
    const bool cpu = str(metric, {"type"}) == "Resource" && str(metric, {"resource", "name"}) == "cpu";
    auto target = integer(metric, {"resource", "target", "averageUtilization"});
    if (!target) target = integer(metric, {"resource", "targetAverageUtilization"});
    if (cpu && target) h.cpu_target = static_cast<int>(std::clamp<std::int64_t>(*target, 1, 1000));
    else h.other_metrics = true;
  }
  return h;
}

Outcome waypointHpa(Mapper& m, const Object& o, const HpaSpec& h, DraftWaypoint& wp) {
  models::Hpa hpa;
  hpa.min_replicas = h.min;
  hpa.max_replicas = h.max;
  hpa.target_cpu_percent = h.cpu_target.value_or(kDefaultCpuTarget);
  if (!h.cpu_target) {
    m.report.assume("waypoint " + wp.key(), fmt::format("{} scales on {}: the model scales waypoints on CPU, {}% "
                                                        "assumed",
                                                        o.ref(), h.other_metrics ? "other metrics" : "no metric",
                                                        kDefaultCpuTarget));
  }
  wp.hpa = hpa;
  wp.replicas = std::max(wp.replicas, hpa.min_replicas);
  addNote(wp.notes, fmt::format("hpa from {}: {}..{} replicas at {}% CPU", o.ref(), h.min, h.max, hpa.target_cpu_percent));
  return mapped();
}

Outcome workloadHpa(Mapper& m, const Object& o, const HpaSpec& h, const ScaleTarget& t) {
  auto* w = m.draft.findWorkload(t.key.substr(0, t.key.find('/')), t.key.substr(t.key.find('/') + 1));
  if (!w) return skipped("its scale target is not a modelled workload");
  if (!t.replicas_from_spec) {
    // No spec.replicas: the HPA owns the count. What it runs now, else its minimum.
    const auto current = integer(o.body, {"status", "currentReplicas"});
    w->replicas = std::max(h.min, clampReplicas(current, h.min));
  }
  const int n = w->replicas.value_or(h.min);
  m.report.assume("workload " + w->key(), fmt::format("the model does not autoscale workloads: {} {}..{} replicas "
                                                       "noted, {} replicas used",
                                                       o.ref(), h.min, h.max, n));
  addNote(w->notes, fmt::format("autoscaled by {} ({}..{} replicas{})", o.ref(), h.min, h.max,
                                h.cpu_target ? fmt::format(" at {}% CPU", *h.cpu_target) : std::string()));
  return mapped();
}

}  // namespace

Outcome mapHpa(Mapper& m, const Object& o) {
  const auto kind = str(o.body, {"spec", "scaleTargetRef", "kind"});
  const auto name = str(o.body, {"spec", "scaleTargetRef", "name"});
  const auto ref = kind + " " + o.ns + "/" + name;
  const auto h = readHpa(o);
  const auto t = m.scale_targets.find(ref);
  if (t == m.scale_targets.end()) {
    if (m.isSystem(o.ns)) return skipped("system namespace");
    return skipped("scale target " + ref + " is not a modelled workload or waypoint");
  }
  if (t->second.waypoint) {
    const auto& key = t->second.key;
    auto* wp = m.waypoint(key.substr(0, key.find('/')), key.substr(key.find('/') + 1));
    if (!wp) return skipped("scale target " + ref + " is not a modelled waypoint");
    return waypointHpa(m, o, h, *wp);
  }
  return workloadHpa(m, o, h, t->second);
}

Outcome mapPdb(Mapper&, const Object&) { return skipped("not modelled (rollout uses the plan's maxUnavailable)"); }

}  // namespace meshtwin::importer::detail
