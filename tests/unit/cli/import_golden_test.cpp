// Golden scenarios of `meshtwin import` for the shipped inputs (a Helm-style shop, a kubectl
// dump, an isotope topology): the same bytes every run, each loads and simulates, re-importing
// it is a no-op, and every Deployment and Service of the input is accounted for in the report.
// Regenerate on purpose with scripts/update-golden.sh, and say in the commit what moved.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../../support/scratch.hpp"
#include "cli_run.hpp"
#include "meshtwin/models/loader.hpp"

using namespace meshtwin::cli::test;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("import golden scenarios: shop manifests, kubectl dump, isotope topology", "[cli][import][golden]") {
  const auto [name, source] = GENERATE(table<std::string, std::string>({
      {"shop", "tests/data/import/shop"},
      {"kubectl-dump", "tests/data/import/kubectl-dump.json"},
      {"isotope-online-shop", "tests/data/import/isotope/online-shop.yaml"},
  }));
  INFO(name);
  meshtwin::test::TempDir dir("import-golden-" + name);
  const auto r = cli({"import", source, "-o", dir / "s.yaml", "--json"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const auto written = slurp(dir / "s.yaml");
  const auto golden = slurp("tests/scenarios/golden/import/" + name + ".yaml");
  REQUIRE_FALSE(golden.empty());
  CHECK(written == golden);

  // It loads, simulates, and importing it again gives the same bytes.
  REQUIRE(meshtwin::models::loadScenarioFile(dir / "s.yaml").ok());
  const auto sim = cli({"simulate", dir / "s.yaml", "--duration", "5s", "--warmup", "1s"});
  CHECK(sim.rc <= 1);
  CHECK(cli({"import", dir / "s.yaml", "-o", dir / "again.yaml"}).rc == 0);
  CHECK(slurp(dir / "again.yaml") == written);

  // Every object read is mapped or skipped with a reason.
  const auto report = nlohmann::json::parse(r.out);
  for (const auto& k : report["kinds"]) {
    INFO(k.dump());
    CHECK(k["read"].get<int>() == k["mapped"].get<int>() + k["skipped"].get<int>());
  }
}
