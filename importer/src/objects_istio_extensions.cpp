// Istio extensions as the L7 features they make the selected workloads depend on:
// EnvoyFilter (envoyFilter), WasmPlugin (wasm), Telemetry with tracing (tracing).
#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

Outcome feature(Mapper& m, const Object& o, const char* name) {
  const Targets t = targetsOf(m, o);
  if (t.workloads.empty()) return skipped("selects no modelled workload");
  m.markL7(t.workloads, name, o.ref() + " (" + t.how + ")");
  return mapped();
}

}  // namespace

Outcome mapEnvoyFilter(Mapper& m, const Object& o) { return feature(m, o, "envoyFilter"); }

Outcome mapWasmPlugin(Mapper& m, const Object& o) { return feature(m, o, "wasm"); }

Outcome mapTelemetry(Mapper& m, const Object& o) {
  const auto& tracing = items(o.body, {"spec", "tracing"});
  if (tracing.empty()) return skipped("no tracing (metrics and access logging are not modelled)");
  const bool reports = std::any_of(tracing.begin(), tracing.end(), [](const nlohmann::json& t) {
    const auto* off = get(t, {"disableSpanReporting"});
    return !(off && off->is_boolean() && off->get<bool>());
  });
  if (!reports) return skipped("tracing with span reporting disabled");
  return feature(m, o, "tracing");
}

}  // namespace meshtwin::importer::detail
