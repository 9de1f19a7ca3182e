// renderRollback: the way back from every wave of scenarios/default.yaml is the previous
// phase — what the wave created is deleted, what it changed gets its earlier body, labels it
// removed come back, labels it added are removed — and rendering the wave after its rollback
// gives the wave again.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "meshtwin/deploy/render.hpp"
#include "default_scenario.hpp"

using namespace meshtwin;
using meshtwin::deploy::test::defaultScenario;
using nlohmann::json;

namespace {

std::string key(const json& b) {
  return b["kind"].get<std::string>() + "/" + b["metadata"].value("namespace", "") + "/" + b["metadata"]["name"].get<std::string>();
}

}  // namespace

TEST_CASE("every wave's rollback deletes what it created and restores what it changed", "[render][rollback]") {
  const auto& s = defaultScenario();
  const auto waves = deploy::renderPlan(s);
  for (std::size_t k = 0; k < waves.size(); ++k) {
    INFO("wave " << k + 1);
    const auto back = deploy::renderRollback(s, k);
    CHECK(back.rollback);
    CHECK(back.index == k);
    CHECK(deploy::waveDirName(back) == deploy::waveDirName(waves[k]) + "-rollback");
    std::map<std::string, const json*> restored;
    for (const auto& o : back.objects) {
      restored[key(o.body)] = &o.body;
      CHECK(o.body["metadata"]["labels"]["meshtwin.io/wave"] == (k == 0 ? "baseline" : s.plan.waves[k - 1].name));
    }
    for (const auto& o : waves[k].objects) {
      const bool owned = o.body["metadata"]["labels"].value("app.kubernetes.io/managed-by", "") == "meshtwin" &&
                         o.body["kind"] != "Namespace";
      bool deleted = false;
      for (const auto& d : back.deletions) deleted = deleted || (d.kind == o.body["kind"] && d.name == o.body["metadata"]["name"]);
      // An object the wave changed comes back with its earlier body, one it created is deleted.
      CHECK((restored.count(key(o.body)) == 1 || (owned && deleted)));
    }
    for (const auto& d : waves[k].deletions) {
      CHECK(restored.count(d.kind + "/" + d.ns + "/" + d.name) == 1);
    }
  }
}

TEST_CASE("the first wave's rollback puts istio-injection back and takes the ambient label off", "[render][rollback]") {
  const auto& s = defaultScenario();
  const auto wave = deploy::renderWave(s, 0);
  const auto back = deploy::renderRollback(s, 0);
  for (const auto& r : wave.label_removals) {
    if (r.kind != "Namespace") continue;
    const json* ns = nullptr;
    for (const auto& o : back.objects) {
      if (o.body["kind"] == "Namespace" && o.body["metadata"]["name"] == r.name) ns = &o.body;
    }
    REQUIRE(ns);
    for (const auto& l : r.labels) CHECK((*ns)["metadata"]["labels"].contains(l));
  }
  bool ambient_removed = false;
  for (const auto& r : back.label_removals) {
    for (const auto& l : r.labels) ambient_removed = ambient_removed || l == "istio.io/dataplane-mode";
  }
  CHECK(ambient_removed);
}
