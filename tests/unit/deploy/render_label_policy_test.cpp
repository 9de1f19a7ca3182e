// The label contract as rendered: a Kyverno ClusterPolicy that audits the scenario's cost
// labels from the first wave, enforces them in the last, is valid against Kyverno's CRD, goes
// with a rollback of the first wave, and is absent without a labelPolicy.
#include <catch2/catch.hpp>

#include <string>

#include "default_scenario.hpp"
#include "meshtwin/deploy/render.hpp"
#include "meshtwin/deploy/schemas.hpp"

using meshtwin::deploy::RenderedWave;
using meshtwin::deploy::test::defaultScenario;
using nlohmann::json;

namespace {

const json* clusterPolicy(const RenderedWave& w) {
  for (const auto& o : w.objects) {
    if (o.body["kind"] == "ClusterPolicy") return &o.body;
  }
  return nullptr;
}

std::string action(const json& policy) {
  return policy["spec"]["rules"][0]["validate"]["failureAction"].get<std::string>();
}

}  // namespace

TEST_CASE("render: the labelPolicy is a Kyverno ClusterPolicy, Audit during the plan and Enforce after it",
          "[deploy][render][labels]") {
  const auto& s = defaultScenario();
  REQUIRE(s.label_policy);
  const auto waves = meshtwin::deploy::renderPlan(s);
  REQUIRE(waves.size() == 3);
  const auto* first = clusterPolicy(waves[0]);
  REQUIRE(first);
  CHECK((*first)["apiVersion"] == "kyverno.io/v1");
  CHECK(action(*first) == "Audit");
  const auto& pattern = (*first)["spec"]["rules"][0]["validate"]["pattern"]["metadata"]["labels"];
  CHECK(pattern == json{{"team", "?*"}, {"cost-center", "?*"}, {"environment", "?*"}});
  CHECK((*first)["spec"]["rules"][0]["match"]["any"][0]["resources"]["kinds"] == json{"Pod"});
  CHECK((*first)["spec"]["rules"][0]["match"]["any"][0]["resources"]["namespaces"] ==
        json{"checkout", "data", "identity", "shop"});
  CHECK((*first)["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshtwin");
  CHECK(clusterPolicy(waves[1]) == nullptr);  // unchanged in the middle wave: not re-applied
  const auto* last = clusterPolicy(waves[2]);
  REQUIRE(last);
  CHECK(action(*last) == "Enforce");
  // Applied after the wave's Deployments, so their new pods are admitted before it enforces.
  CHECK(waves[2].objects.back().body["kind"] == "ClusterPolicy");

  const auto set = meshtwin::deploy::SchemaSet::load("tests/data/schemas");
  REQUIRE(set);
  for (const auto* p : {first, last}) {
    const auto errors = set->validate(*p);
    for (const auto& e : errors) FAIL_CHECK(e.path << ": " << e.message);
  }
  // The CRD's enum holds: an action Kyverno does not know is refused at its path.
  auto bad = *first;
  bad["spec"]["rules"][0]["validate"]["failureAction"] = "Block";
  CHECK_FALSE(set->validate(bad).empty());
}

TEST_CASE("render: rolling back the first wave deletes the policy, the last restores Audit", "[deploy][render][labels]") {
  const auto& s = defaultScenario();
  const auto back1 = meshtwin::deploy::renderRollback(s, 0);
  bool deleted = false;
  for (const auto& d : back1.deletions) deleted = deleted || (d.kind == "ClusterPolicy" && d.name == "meshtwin-required-labels");
  CHECK(deleted);
  const auto back3 = meshtwin::deploy::renderRollback(s, 2);
  const auto* restored = clusterPolicy(back3);
  REQUIRE(restored);
  CHECK(action(*restored) == "Audit");
}

TEST_CASE("render: a single-wave plan enforces at once; no labelPolicy, no ClusterPolicy", "[deploy][render][labels]") {
  auto s = defaultScenario();
  s.plan.waves.resize(1);
  s.label_policy->after = meshtwin::models::LabelPolicy::Action::Enforce;
  const auto only = meshtwin::deploy::renderWave(s, 0);
  const auto* p = clusterPolicy(only);
  REQUIRE(p);
  CHECK(action(*p) == "Enforce");
  s.label_policy.reset();
  CHECK(clusterPolicy(meshtwin::deploy::renderWave(s, 0)) == nullptr);
}
