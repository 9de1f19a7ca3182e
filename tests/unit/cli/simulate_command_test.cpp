// `meshtwin simulate` end to end in-process: exit codes by gate, JUnit and JSON files, bad
// input, and the golden report of the default scenario.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"

using meshtwin::cli::runSimulate;
using meshtwin::cli::SimulateOptions;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string tempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("meshtwin-test-" + name)).string();
}
}  // namespace

TEST_CASE("simulate exits 1 when a gate fails and says which in JUnit", "[cli][simulate]") {
  SimulateOptions o;
  o.scenario = "tests/data/good/gates.yaml";
  o.junit_file = tempPath("gates.xml");
  o.json_file = tempPath("gates.json");
  o.warmup = "2s";
  std::ostringstream out, err;
  CHECK(runSimulate(o, out, err) == 1);
  CHECK(err.str().empty());
  const auto xml = slurp(o.junit_file);
  // Each wave's gates judge its rollout window and the steady state after it: 2 x 3 cases;
  // the 1us gate fails in both of its phases.
  CHECK(xml.find("<testsuites tests=\"6\" failures=\"2\">") != std::string::npos);
  CHECK(xml.find("<testcase classname=\"ok-wave\" name=\"p99 of in &lt;= 1s\"/>") != std::string::npos);
  CHECK(xml.find("<testcase classname=\"rollout ok-wave\" name=\"p99 of in &lt;= 1s\"/>") != std::string::npos);
  CHECK(xml.find("<testcase classname=\"strict-wave\" name=\"p50 of shop/web -&gt; shop/api &lt;= 1us\">") !=
        std::string::npos);
  CHECK(xml.find("<failure message=\"measured") != std::string::npos);
  const auto j = nlohmann::json::parse(slurp(o.json_file));
  CHECK(j["schema"] == "meshtwin/report/v1");
  CHECK(j["all_gates_hold"] == false);
  REQUIRE(j["phases"].size() == 5);  // baseline, then a rollout window and a steady state per wave
  CHECK(j["phases"][1]["kind"] == "rollout");
  CHECK(j["phases"][2]["name"] == "ok-wave");
  CHECK(j["phases"][2]["gates"][0]["holds"] == true);
  CHECK(j["phases"][4]["gates"][0]["holds"] == false);
  CHECK(out.str().find("a gate FAILED") != std::string::npos);
}

TEST_CASE("simulate exits 0 when every gate holds", "[cli][simulate]") {
  SimulateOptions o;
  o.scenario = "scenarios/default.yaml";
  o.duration = "20s";
  o.output = "json";
  std::ostringstream out, err;
  CHECK(runSimulate(o, out, err) == 0);
  const auto j = nlohmann::json::parse(out.str());
  CHECK(j["all_gates_hold"] == true);
  CHECK(j["phases"].size() == 7);
}

TEST_CASE("simulate rejects bad input with exit 2", "[cli][simulate]") {
  std::ostringstream out, err;
  SimulateOptions o;
  o.scenario = "tests/data/bad/unknown-service.yaml";
  CHECK(runSimulate(o, out, err) == 2);
  CHECK(err.str().find("unknown service") != std::string::npos);
  SimulateOptions d;
  d.scenario = "scenarios/default.yaml";
  d.duration = "ten minutes";
  std::ostringstream out2, err2;
  CHECK(runSimulate(d, out2, err2) == 2);
  CHECK(err2.str().find("--duration") != std::string::npos);
}

TEST_CASE("golden report: default scenario, seed 42, 60 s per phase", "[cli][simulate][golden]") {
  // Regenerate on purpose after a model change: scripts/update-golden.sh (and say why in
  // the commit).
  SimulateOptions o;
  o.scenario = "scenarios/default.yaml";
  o.duration = "60s";
  o.seed = 42;
  o.output = "json";
  std::ostringstream out, err;
  runSimulate(o, out, err);
  const auto golden = slurp("tests/scenarios/golden/default-60s-seed42.json");
  REQUIRE_FALSE(golden.empty());
  CHECK(out.str() == golden);
}

TEST_CASE("replications report a mean and a 95% interval; series come at the step asked", "[cli][simulate]") {
  SimulateOptions o;
  o.scenario = "tests/data/good/gates.yaml";
  o.replications = 3;
  o.series_step = "5s";
  o.no_rollouts = true;
  o.warmup = "2s";
  o.output = "json";
  std::ostringstream out, err;
  runSimulate(o, out, err);
  const auto j = nlohmann::json::parse(out.str());
  REQUIRE(j.contains("replications"));
  CHECK(j["replications"]["n"] == 3);
  CHECK(j["replications"]["seeds"] == nlohmann::json::array({5, 6, 7}));
  const auto& cpu = j["replications"]["phases"][0]["figures"]["mesh_cpu_millicores"];
  CHECK(cpu["mean"].get<double>() > 0);
  CHECK(cpu["ci95"].get<double>() > 0);  // three different seeds do not agree to the last digit
  REQUIRE(j["phases"].size() == 3);      // no rollout windows
  const auto& series = j["phases"][0]["series"];
  REQUIRE(series.size() == 4);  // 20 s load, 2 s warm-up: steps at 0, 5, 10, 15 s
  CHECK(series[1]["t_s"] == 5.0);
  CHECK(series[1]["requests"].get<int>() > 200);
}
