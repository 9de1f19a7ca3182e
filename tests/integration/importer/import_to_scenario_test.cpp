// The readers' Drafts through the finishing step: an isotope topology and Prometheus traffic on
// top of manifests-like objects become meshtwin/v1 scenarios that load.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "meshtwin/importer/finish.hpp"
#include "meshtwin/importer/isotope.hpp"
#include "meshtwin/importer/prometheus.hpp"

using namespace meshtwin;
using namespace meshtwin::importer;

namespace {

std::string fileText(const std::string& rel) {
  std::ifstream in(std::string(MESHTWIN_SOURCE_DIR) + "/" + rel);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

models::Profile published() {
  models::Diagnostics diags;
  auto p = models::loadProfile("istio-1.24-published", ".", diags);
  REQUIRE(diags.empty());
  return p;
}

std::string problems(const Imported& r) {
  std::string out;
  for (const auto& d : r.errors.items()) out += models::format(d) + "\n";
  return out + r.yaml;
}

}  // namespace

TEST_CASE("an isotope topology becomes a scenario that loads", "[importer][isotope]") {
  Draft d;
  ImportReport report;
  const auto errors = readIsotope(fileText("tests/data/import/isotope/online-shop.yaml"), "online-shop.yaml", d, report);
  REQUIRE(errors.empty());
  const auto r = finishImport(d, published(), ImportOptions{}, report);
  INFO(problems(r));
  REQUIRE(r.ok());
  CHECK(r.scenario->workloads.size() == 13);
  CHECK(r.scenario->entry_points.size() == 2);
}

TEST_CASE("Prometheus traffic on manifests-like objects becomes a scenario that loads", "[importer][prometheus]") {
  TrafficWindow w;
  w.url = "http://prometheus.test:9090";
  w.eval_unix_s = 1735725600;
  w.window_ns = 600'000'000'000;
  const auto j = nlohmann::json::parse(fileText("tests/data/import/prometheus/shop-mixed.json"));
  std::map<std::string, nlohmann::json> answers;
  for (const auto& [k, v] : j.items()) answers[k] = v;
  const auto t = readTraffic(answers, {}, w);
  REQUIRE(t.ok());
  Draft d;
  for (const char* n : {"frontend", "cart", "catalog-v1", "catalog-v2"}) {
    DraftWorkload x;
    x.ns = "shop", x.name = n;
    d.workloads.push_back(x);
  }
  d.services.push_back({"shop", "frontend", {"frontend"}, {}, {}});
  d.services.push_back({"shop", "cart", {"cart"}, {}, {}});
  d.services.push_back({"shop", "catalog", {"catalog-v1", "catalog-v2"}, {}, {}});
  ImportReport report;
  applyTraffic(*t, d, report);
  const auto r = finishImport(d, published(), ImportOptions{}, report);
  INFO(problems(r));
  REQUIRE(r.ok());
  CHECK(r.scenario->entry_points.size() == 2);
}
