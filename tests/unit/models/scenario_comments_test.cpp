// Comments on a written scenario: the header and each object's provenance comment are added
// at the object's first line and read back from the same places, so a rewrite keeps them.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/scenario_comments.hpp"
#include "meshtwin/models/scenario_writer.hpp"

using namespace meshtwin;

namespace {

models::Scenario load(const std::string& text) {
  auto r = models::loadScenarioText(text, "t.yaml");
  REQUIRE(r.ok());
  return *r.scenario;
}

}  // namespace

TEST_CASE("comments go on each object's first line and read back unchanged") {
  const auto shipped = models::loadScenarioFile("scenarios/default.yaml");
  REQUIRE(shipped.ok());
  const auto text = models::writeScenarioYaml(*shipped.scenario);
  const auto s = load(text);

  models::ScenarioComments c;
  c.header = {"Imported by a test", "", "second paragraph"};
  c.objects["workload shop/cart"] = "from Deployment shop/cart";
  c.objects["service data/pricing"] = "from Service data/pricing; rate from Prometheus, 1h";
  c.objects["entryPoint web"] = "from Gateway istio-system/ingress";
  c.objects["nodePool general"] = "from 6 Nodes";
  c.objects["policy checkout/checkout-api"] = "from AuthorizationPolicy checkout/checkout-api";
  c.objects["workload nowhere/none"] = "ignored: no such object";
  const auto commented = models::addComments(text, s, c);

  REQUIRE(commented.rfind("# Imported by a test\n#\n# second paragraph\napiVersion: meshtwin/v1\n", 0) == 0);
  CHECK(commented.find("- name: cart  # from Deployment shop/cart\n") != std::string::npos);
  CHECK(commented.find("ignored") == std::string::npos);

  // The commented text loads to the same model and gives the same comments back.
  const auto again = load(commented);
  CHECK(models::writeScenarioYaml(again) == text);
  const auto back = models::readComments(commented, again);
  CHECK(back.header == c.header);
  auto expected = c.objects;
  expected.erase("workload nowhere/none");
  CHECK(back.objects == expected);
  // Written again (positions are those of the text without comments), the comments come back the same.
  const auto rewritten = models::writeScenarioYaml(again);
  CHECK(models::addComments(rewritten, load(rewritten), back) == commented);
}

TEST_CASE("a comment with a newline stays on one line") {
  const auto shipped = models::loadScenarioFile("scenarios/default.yaml");
  REQUIRE(shipped.ok());
  const auto text = models::writeScenarioYaml(*shipped.scenario);
  const auto s = load(text);
  models::ScenarioComments c;
  c.objects["workload shop/cart"] = "two\nlines";
  const auto commented = models::addComments(text, s, c);
  CHECK(commented.find("# two lines\n") != std::string::npos);
  CHECK(load(commented).workloads.size() == s.workloads.size());
}
