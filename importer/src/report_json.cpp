// The import report as JSON: what was read per kind, what was skipped and why, every
// assumption, the starting plan's reasons and `check`'s findings on the result.
#include <nlohmann/json.hpp>

#include "meshtwin/importer/finish.hpp"

namespace meshtwin::importer {

namespace {

nlohmann::json originJson(const Origin& o) {
  return {{"source", o.source}, {"line", o.line}, {"column", o.column}};
}

nlohmann::json findingsJson(const std::vector<models::Finding>& findings) {
  auto arr = nlohmann::json::array();
  for (const auto& f : findings) {
    arr.push_back({{"severity", models::toString(f.severity)}, {"code", f.code}, {"object", f.object},
                   {"message", f.message}, {"hint", f.hint}, {"phases", f.phases}});
  }
  return arr;
}

}  // namespace

nlohmann::json reportJson(const ImportReport& report, const Imported& result) {
  nlohmann::json j;
  j["schema"] = "meshtwin/import-report/v1";
  j["ok"] = result.ok();
  j["sources"] = report.sources;
  auto kinds = nlohmann::json::array();
  for (const auto& [kind, c] : report.kinds) {
    kinds.push_back({{"kind", kind}, {"read", c.read}, {"mapped", c.mapped}, {"skipped", c.skipped}});
  }
  j["kinds"] = kinds;
  auto skipped = nlohmann::json::array();
  for (const auto& s : report.skipped) {
    skipped.push_back({{"object", s.object}, {"reason", s.reason}, {"origin", originJson(s.origin)}});
  }
  j["skipped"] = skipped;
  auto assumptions = nlohmann::json::array();
  for (const auto& a : report.assumptions) assumptions.push_back({{"object", a.object}, {"message", a.message}});
  j["assumptions"] = assumptions;
  j["plan"] = result.plan_reasons;
  j["findings"] = findingsJson(result.findings);
  auto errors = nlohmann::json::array();
  for (const auto& d : result.errors.items()) errors.push_back(models::format(d));
  j["errors"] = errors;
  if (result.scenario) {
    const auto& s = *result.scenario;
    j["scenario"] = {{"name", s.name},           {"workloads", s.workloads.size()}, {"services", s.services.size()},
                     {"pods", s.podCount()},      {"namespaces", s.namespaces.size()},
                     {"waves", s.plan.waves.size()}, {"entry_points", s.entry_points.size()}};
  }
  return j;
}

}  // namespace meshtwin::importer
