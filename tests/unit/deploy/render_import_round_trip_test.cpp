// import(render(wave K)) gives back wave K's state: for every wave of every shipped scenario,
// the objects the waves up to K leave in a cluster (each wave's objects over the earlier ones,
// its deletions and label removals done), read back by the importer, carry the namespace and
// workload modes, the waypoints and the policies of phase K (use-waypoint bindings are not
// compared: the importer reads them, MeshState keeps them only resolved per service).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "meshtwin/deploy/render.hpp"
#include "meshtwin/importer/objects.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"

namespace fs = std::filesystem;
using namespace meshtwin;
using nlohmann::json;

namespace {

using ClusterState = std::map<std::string, json>;  // "Kind/ns/name" -> the object as applied

std::string key(const std::string& kind, const std::string& ns, const std::string& name) { return kind + "/" + ns + "/" + name; }

// What server-side apply of the wave's objects, its merge patches and deletions leave behind.
void applyWave(ClusterState& state, const deploy::RenderedWave& w) {
  for (const auto& o : w.objects) {
    state[key(o.body["kind"], o.body["metadata"].value("namespace", ""), o.body["metadata"]["name"])] = o.body;
  }
  for (const auto& r : w.label_removals) {
    const auto it = state.find(key(r.kind, r.ns, r.name));
    if (it == state.end()) continue;
    json* at = &it->second;
    for (const auto& part : {std::string("metadata"), std::string("labels")}) at = &(*at)[part];
    if (r.path == "spec.template.metadata.labels") at = &it->second["spec"]["template"]["metadata"]["labels"];
    for (const auto& l : r.labels) at->erase(l);
  }
  for (const auto& d : w.deletions) state.erase(key(d.kind, d.ns, d.name));
}

importer::Draft importState(const ClusterState& state, const models::Profile& profile) {
  std::vector<importer::Object> objects;
  for (const auto& [k, body] : state) {
    objects.push_back(importer::Object{body["apiVersion"], body["kind"], body["metadata"].value("namespace", ""),
                                       body["metadata"]["name"], body, {"rendered", 0, 0}});
  }
  importer::Draft draft;
  importer::ImportReport report;
  (void)importer::mapObjects(std::move(objects), profile, draft, report);
  return draft;
}

}  // namespace

TEST_CASE("render: import(render(wave K)) gives back wave K's modes, waypoints and policies", "[deploy][render][import]") {
  if (!fs::is_regular_file("scenarios/default.yaml")) fs::current_path(MESHTWIN_SOURCE_DIR);
  for (const std::string name : {"default", "eks-1000", "large-10000", "validation/chain", "validation/fanout"}) {
    const auto loaded = models::loadScenarioFile("scenarios/" + name + ".yaml");
    REQUIRE(loaded.ok());
    const auto& s = *loaded.scenario;
    models::Diagnostics diags;
    const auto profile = models::loadProfile(s.profile_name, ".", diags);
    ClusterState state;
    const auto waves = deploy::renderPlan(s);
    for (std::size_t k = 0; k < waves.size(); ++k) {
      INFO("scenarios/" << name << ".yaml after wave " << k + 1);
      applyWave(state, waves[k]);
      const auto draft = importState(state, profile);
      const auto phase = models::meshStateAt(s, k + 1);
      // Every namespace and workload the waves touched reads back in its mode at phase K.
      for (std::size_t w = 0; w < s.workloads.size(); ++w) {
        const auto& wl = s.workloads[w];
        if (!state.count(key("Deployment", wl.ns, wl.name))) continue;
        const auto ns_mode = draft.namespace_modes.count(wl.ns) ? draft.namespace_modes.at(wl.ns) : draft.default_mode;
        const auto it = draft.workload_modes.find(wl.ns + "/" + wl.name);
        const auto mode = it == draft.workload_modes.end() ? ns_mode : it->second;
        INFO(wl.ns << "/" << wl.name);
        CHECK(std::string(models::toString(mode)) == models::toString(phase.workload_mode[w]));
      }
      // The waypoints present at phase K that a wave created are there, and no other.
      std::set<std::string> want, got;
      for (std::size_t p = 0; p < s.waypoints.size(); ++p) {
        if (phase.waypoint_present[p] && state.count(key("Gateway", s.waypoints[p].ns, s.waypoints[p].name))) {
          want.insert(s.waypoints[p].key());
        }
      }
      for (const auto& wp : draft.waypoints) got.insert(wp.key());
      CHECK(got == want);
      // Policies: every AuthorizationPolicy in the cluster is one in force at phase K.
      std::set<std::string> in_force;
      for (const auto& p : phase.policies) in_force.insert(p.ns + "/" + p.name);
      for (const auto& p : draft.policies) {
        if (p.value("kind", "") != "AuthorizationPolicy") continue;
        CHECK(in_force.count(p["metadata"].value("namespace", "") + "/" + p["metadata"].value("name", "")) == 1);
      }
    }
  }
}
