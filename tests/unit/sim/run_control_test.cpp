// RunControl: cancelling inside a phase, phase reports delivered as they finish, and runs
// that are polled giving the same report as runs that are not.
#include <catch2/catch.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/sim/simulation.hpp"

using namespace meshtwin;

namespace {

models::Scenario gatesScenario() {
  auto r = models::loadScenarioFile("tests/data/good/gates.yaml");
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

sim::SimOptions shortRun() {
  sim::SimOptions o;
  o.duration_ns = 20'000'000'000;
  o.warmup_ns = 2'000'000'000;
  return o;
}

}  // namespace

TEST_CASE("a cancel inside the first phase stops the run at the next poll", "[sim][control]") {
  const auto s = gatesScenario();
  sim::SimOptions o = shortRun();
  o.duration_ns = 3'600'000'000'000;  // an hour per phase: far longer than the test may take
  int polls = 0;
  int delivered = 0;
  sim::RunControl c;
  c.cancelled = [&] { return ++polls >= 5; };
  c.phase_done = [&](const models::PhaseReport&, std::size_t, std::size_t) { ++delivered; };
  const auto rep = sim::simulateScenario(s, o, c);
  CHECK_FALSE(rep.has_value());
  // Polled once per simulated second: the fifth poll comes 4 s into the baseline's warm-up.
  CHECK(polls == 5);
  CHECK(delivered == 0);
}

TEST_CASE("each phase report is delivered when it is ready, in order", "[sim][control]") {
  const auto s = gatesScenario();
  const auto o = shortRun();
  std::vector<std::string> names;
  std::vector<nlohmann::json> delivered;
  std::size_t total_seen = 0;
  sim::RunControl c;
  c.phase_done = [&](const models::PhaseReport& pr, std::size_t index, std::size_t total) {
    CHECK(index == names.size());
    total_seen = total;
    names.push_back(pr.name);
    models::Report one;
    one.phases.push_back(pr);
    delivered.push_back(models::toJson(one)["phases"][0]);
  };
  const auto rep = sim::simulateScenario(s, o, c);
  REQUIRE(rep.has_value());
  CHECK(total_seen == sim::phaseCount(s, o));
  CHECK(names == std::vector<std::string>{"baseline", "rollout ok-wave", "ok-wave", "rollout strict-wave", "strict-wave"});
  const auto full = models::toJson(*rep);
  REQUIRE(delivered.size() == full["phases"].size());
  for (std::size_t i = 0; i < delivered.size(); ++i) CHECK(delivered[i] == full["phases"][i]);
}

TEST_CASE("polling for cancellation does not change the report", "[sim][control]") {
  const auto s = gatesScenario();
  const auto o = shortRun();
  const auto plain = sim::simulateScenario(s, o);
  int polls = 0;
  sim::RunControl c;
  c.cancelled = [&] {
    ++polls;
    return false;
  };
  const auto polled = sim::simulateScenario(s, o, c);
  REQUIRE(plain.has_value());
  REQUIRE(polled.has_value());
  // Every phase runs 20 s plus up to a minute for calls in flight: many polls in all.
  CHECK(polls > 5 * 20);
  CHECK(models::toJson(*plain).dump() == models::toJson(*polled).dump());
}

TEST_CASE("a cancel after a phase ends the run with that phase delivered", "[sim][control]") {
  const auto s = gatesScenario();
  const auto o = shortRun();
  bool stop = false;
  std::vector<std::string> names;
  sim::RunControl c;
  c.cancelled = [&] { return stop; };
  c.phase_done = [&](const models::PhaseReport& pr, std::size_t, std::size_t) {
    names.push_back(pr.name);
    stop = names.size() == 2;
  };
  CHECK_FALSE(sim::simulateScenario(s, o, c).has_value());
  CHECK(names == std::vector<std::string>{"baseline", "rollout ok-wave"});

  // The older progress callback still cancels between phases.
  std::size_t calls = 0;
  CHECK_FALSE(sim::simulateScenario(s, o, [&](std::size_t done, std::size_t total) {
                ++calls;
                CHECK(total == 5);
                return done < 3;
              }).has_value());
  CHECK(calls == 3);
}
