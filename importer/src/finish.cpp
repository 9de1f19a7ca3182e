// The finishing step: defaults, plan, load, canonical text with comments, findings.
#include "meshtwin/importer/finish.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "finish_internal.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/scenario_comments.hpp"
#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::importer {

namespace {

std::string joined(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}

models::ScenarioComments commentsOf(const Draft& d) {
  models::ScenarioComments c;
  c.header = d.header;
  for (const auto& p : d.pools) c.objects["nodePool " + p.name] = joined(p.notes);
  for (const auto& w : d.workloads) c.objects["workload " + w.key()] = joined(w.notes);
  for (const auto& s : d.services) c.objects["service " + s.key()] = joined(s.notes);
  for (const auto& e : d.entry_points) c.objects["entryPoint " + e.name] = joined(e.notes);
  for (const auto& wp : d.waypoints) c.objects["waypoint " + wp.key()] = joined(wp.notes);
  return c;
}

// The canonical text of a loaded scenario with `comments`; the result loads to the same model.
Imported canonical(const models::Scenario& first, const models::ScenarioComments& comments, const std::string& file) {
  Imported out;
  const auto text = models::writeScenarioYaml(first);
  auto again = models::loadScenarioText(text, file);
  if (!again.ok()) {
    out.yaml = text;
    out.errors = again.diagnostics;
    return out;
  }
  out.yaml = models::addComments(text, *again.scenario, comments);
  out.findings = models::analyze(*again.scenario);
  out.scenario = std::move(again.scenario);
  return out;
}

std::vector<std::string> reasonsOf(const std::vector<detail::PlannedWave>& plan) {
  std::vector<std::string> out;
  for (const auto& w : plan) {
    std::string why = w.reasons.empty() ? "L4 only: ztunnel" : "waypoint for " + joined(w.reasons);
    if (!w.add_waypoint.empty()) {
      why += fmt::format(" (adds {}/{}: {} replicas, HPA to {} at 70% CPU)", w.ns, w.add_waypoint, w.waypoint_replicas,
                         2 * w.waypoint_replicas);
    }
    out.push_back(fmt::format("{}: {}", w.name, why));
  }
  return out;
}

// The file's header: what it was imported from, what it holds, and the caller's lines.
std::vector<std::string> headerOf(const models::Scenario& s, const ImportReport& r, const std::vector<std::string>& extra) {
  std::vector<std::string> h{"Imported by `meshtwin import` from:"};
  for (const auto& src : r.sources) h.push_back("  " + src);
  h.insert(h.end(), extra.begin(), extra.end());
  int objects = 0;
  for (const auto& [kind, c] : r.kinds) objects += c.read;
  h.push_back(fmt::format("{} objects read; {} workloads, {} services, {} pods in {} namespaces; {} waves in the "
                          "starting plan; {} assumptions (see the import report, --json).",
                          objects, s.workloads.size(), s.services.size(), s.podCount(), s.namespaces.size(),
                          s.plan.waves.size(), r.assumptions.size()));
  h.push_back("Comments after an object name its source; they are kept when the file is imported again.");
  return h;
}

}  // namespace

Imported finishImport(Draft draft, const models::Profile& profile, const ImportOptions& opts, ImportReport& report) {
  if (!opts.name.empty()) draft.name = opts.name;
  if (!opts.profile.empty()) draft.profile = opts.profile;
  detail::fillDefaults(draft, profile, report);
  const auto plan = opts.plan ? detail::startingPlan(draft, report) : std::vector<detail::PlannedWave>{};
  const auto text = detail::draftYaml(draft, plan);
  const std::string file = "<import>";
  auto loaded = models::loadScenarioText(text, file);
  if (!loaded.ok()) {
    Imported out;
    out.yaml = text;
    out.errors = loaded.diagnostics;
    return out;
  }
  auto comments = commentsOf(draft);
  comments.header = headerOf(*loaded.scenario, report, draft.header);
  auto out = canonical(*loaded.scenario, comments, file);
  out.plan_reasons = reasonsOf(plan);
  return out;
}

Imported reimportScenario(const std::string& text, const std::string& file) {
  const auto dir = std::filesystem::path(file).parent_path().string();
  auto loaded = models::loadScenarioText(text, file, dir.empty() ? "." : dir);
  if (!loaded.ok()) {
    Imported out;
    out.errors = loaded.diagnostics;
    return out;
  }
  return canonical(*loaded.scenario, models::readComments(text, *loaded.scenario), file);
}

}  // namespace meshtwin::importer
