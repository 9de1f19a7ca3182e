// Scenario loader: reads meshtwin/v1 YAML, reports every problem with file:line:col, and
// returns a fully resolved Scenario (names -> indexes, pods placed on nodes).
#include "scenario_loader.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "call_graph.hpp"
#include "placement.hpp"

namespace meshtwin::models {
namespace detail {
namespace {

constexpr const char* kApiVersion = "meshtwin/v1";

}  // namespace

LoadResult ScenarioLoader::run(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diags_.add({s_.file, e.mark.line + 1, e.mark.column + 1}, "scenario", "YAML syntax error: " + e.msg,
               "check indentation and quoting near this position, and for an unclosed [ or { earlier in the file");
    return finish();
  }
  try {
    readRoot(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp can still throw on shapes the checks above did not foresee; report it
    // as an input error rather than crash.
    diags_.add({s_.file, e.mark.line + 1, e.mark.column + 1}, "scenario", "malformed document: " + e.msg);
  }
  return finish();
}

LoadResult ScenarioLoader::finish() {
  LoadResult out;
  for (const auto& d : diags_.sorted()) out.diagnostics.add(d.loc, d.object, d.message, d.hint);
  if (diags_.empty()) out.scenario = std::move(s_);
  return out;
}

void ScenarioLoader::readRoot(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) {
    r_.error(SourceLoc{s_.file, 0, 0}, "scenario", "the file is empty", "start with `apiVersion: meshtwin/v1`");
    return;
  }
  if (!r_.isMap(root, "scenario", "the document")) return;
  r_.checkKeys(root, "scenario", {"apiVersion", "kind", "metadata", "profile", "seed", "defaults", "cluster",
                                  "workloads", "services", "entryPoints", "mesh", "plan", "faults", "slos",
                                  "labelPolicy"});
  readHeader(root);
  readProfileRef(root);

  if (const auto d = root["defaults"]; d.IsDefined()) readDefaults(d);
  const auto cluster = root["cluster"];
  if (!cluster.IsDefined()) {
    r_.error(root, "scenario", "missing required field \"cluster\"", "describe zones and nodePools under cluster:");
  } else {
    readCluster(cluster);
  }
  const auto workloads = root["workloads"];
  if (!workloads.IsDefined()) {
    r_.error(root, "scenario", "missing required field \"workloads\"", "list the deployments under workloads:");
  } else {
    readWorkloads(workloads);
  }
  if (s_.workloads.empty() && !diags_.empty()) {
    // Everything below refers to workloads; with none loaded it would only add noise.
    return;
  }
  readDependentSections(root);
}

// apiVersion, kind, metadata and seed.
void ScenarioLoader::readHeader(const YAML::Node& root) {
  const auto api = r_.str(root, "apiVersion", "scenario", true);
  if (api && *api != kApiVersion) {
    r_.error(root["apiVersion"], "scenario", "apiVersion \"" + *api + "\" is not supported",
             std::string("use ") + kApiVersion);
  }
  if (auto kind = r_.str(root, "kind", "scenario"); kind && *kind != "Scenario") {
    r_.error(root["kind"], "scenario", "kind \"" + *kind + "\" is not a scenario", "use kind: Scenario");
  }
  if (const auto md = root["metadata"]; md.IsDefined() && r_.isMap(md, "scenario", "metadata")) {
    r_.checkKeys(md, "scenario", {"name", "description"});
    s_.name = r_.str(md, "name", "scenario").value_or("");
    s_.description = r_.str(md, "description", "scenario").value_or("");
  }
  if (s_.name.empty()) s_.name = std::filesystem::path(s_.file).stem().string();
  if (auto seed = r_.integer(root, "seed", "scenario", 0, INT64_MAX)) s_.seed = static_cast<std::uint64_t>(*seed);
}

void ScenarioLoader::readProfileRef(const YAML::Node& root) {
  s_.profile_name = r_.str(root, "profile", "scenario").value_or("istio-1.24-published");
  // Problems with the profile file as a whole are reported at the scenario's `profile:` line.
  Diagnostics pd;
  s_.profile = loadProfile(s_.profile_name, base_dir_, pd);
  for (auto d : pd.items()) {
    if (d.loc.line == 0 && root["profile"].IsDefined()) d.loc = r_.loc(root["profile"]);
    diags_.add(d.loc, d.object, d.message, d.hint);
  }
}

// The sections that refer to workloads, in the order their references need.
void ScenarioLoader::readDependentSections(const YAML::Node& root) {
  if (const auto sv = root["services"]; sv.IsDefined()) readServices(sv);
  addImplicitServices();
  const auto before_calls = diags_.size();
  resolveCalls();
  const bool calls_resolved = diags_.size() == before_calls;
  if (const auto ep = root["entryPoints"]; ep.IsDefined()) readEntryPoints(ep);
  // Waypoints first (the mesh's, then those the plan adds), so bindings and policies may
  // name a waypoint that only a later wave deploys: analysis then reports the phases in
  // which such a binding dangles.
  const auto mesh = root["mesh"];
  const auto plan = root["plan"];
  if (mesh.IsDefined() && mesh.IsMap()) {
    if (const auto wps = mesh["waypoints"]; wps.IsDefined() && r_.isSeq(wps, "mesh", "waypoints")) {
      for (const auto& n : wps) readWaypoint(n, true);
    }
  }
  if (plan.IsDefined()) preReadPlanWaypoints(plan);
  if (mesh.IsDefined()) readMesh(mesh);
  if (plan.IsDefined()) readPlan(plan);
  if (const auto faults = root["faults"]; faults.IsDefined()) readFaults(faults);
  if (const auto slos = root["slos"]; slos.IsDefined()) readSlos(slos);
  if (const auto lp = root["labelPolicy"]; lp.IsDefined()) readLabelPolicy(lp);
  for (const auto& ns : namespaceSet()) s_.namespaces.push_back(ns);
  // Cycles need every call resolved; other errors elsewhere do not hide them.
  if (calls_resolved) checkCallCycles(s_, diags_);
  if (diags_.empty()) {
    placePods(s_, diags_);
  }
}

}  // namespace detail

LoadResult loadScenarioText(const std::string& text, const std::string& file, const std::string& base_dir) {
  detail::ScenarioLoader loader(file, base_dir);
  return loader.run(text);
}

LoadResult loadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult out;
    out.diagnostics.add({path, 0, 0}, "scenario", "cannot open the file: " + std::string(std::strerror(errno)),
                        "check the path; scenarios/ holds the shipped examples");
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path().string();
  return loadScenarioText(ss.str(), path, dir.empty() ? "." : dir);
}

}  // namespace meshtwin::models
