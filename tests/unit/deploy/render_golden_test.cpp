// The rendered waves of every shipped scenario, byte for byte against
// tests/scenarios/golden/render/ (scripts/update-golden.sh writes them with `meshtwin render`):
// a change to what deploy applies shows in review as a diff of those files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../support/scratch.hpp"
#include "meshtwin/deploy/render.hpp"
#include "meshtwin/models/loader.hpp"

namespace fs = std::filesystem;

namespace {

std::string fileText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file under `dir` in byte order of its relative path, each after "--- <path>".
std::string tree(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const auto& f : files) out += "--- " + f + "\n" + fileText(dir / f);
  return out;
}

// The first line where two texts differ, for the failure message.
std::string firstDifference(const std::string& a, const std::string& b) {
  std::istringstream ia(a), ib(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool ea = !std::getline(ia, la), eb = !std::getline(ib, lb);
    if (ea && eb) return "no difference";
    if (ea != eb || la != lb) return "line " + std::to_string(n) + ": golden \"" + la + "\", rendered \"" + lb + "\"";
  }
}

}  // namespace

TEST_CASE("render: every shipped scenario renders its golden waves byte for byte", "[deploy][render][golden]") {
  if (!fs::is_regular_file("scenarios/default.yaml")) fs::current_path(MESHTWIN_SOURCE_DIR);
  for (const std::string name : {"default", "eks-1000", "large-10000", "validation/chain", "validation/fanout"}) {
    INFO("scenarios/" << name << ".yaml (regenerate with scripts/update-golden.sh when the change is meant)");
    const auto loaded = meshtwin::models::loadScenarioFile("scenarios/" + name + ".yaml");
    REQUIRE(loaded.ok());
    std::string flat = name;
    std::replace(flat.begin(), flat.end(), '/', '-');
    meshtwin::test::TempDir dir("render-golden-" + flat);
    for (const auto& w : meshtwin::deploy::renderPlan(*loaded.scenario)) meshtwin::deploy::writeWave(w, dir.path.string());
    const auto golden = fileText("tests/scenarios/golden/render/" + flat + ".txt");
    REQUIRE_FALSE(golden.empty());
    const auto rendered = tree(dir.path);
    INFO(firstDifference(golden, rendered));
    CHECK(rendered == golden);
  }
}
