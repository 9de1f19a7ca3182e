// What calibrate and validate share at the command line: the run window and the profile, refused
// with the reason, and their twin run's progress lines, interruption and errors.
#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>

#include "cli.hpp"

using namespace meshtwin;

TEST_CASE("calibrate and validate refuse a bad run window or profile with the reason") {
  std::ostringstream err;
  const auto w = cli::parseRunWindow("4s", "500ms", "meshtwin calibrate", "4s and 1s", err);
  REQUIRE(w);
  CHECK(w->measured() == std::chrono::milliseconds(4000));
  CHECK(w->warmup() == std::chrono::milliseconds(500));
  CHECK(err.str().empty());
  CHECK_FALSE(cli::parseRunWindow("soon", "1s", "meshtwin validate", "8s and 2s", err));
  CHECK(err.str() == "meshtwin validate: --duration and --warmup take durations such as 8s and 2s\n");
  err.str("");
  CHECK_FALSE(cli::parseRunWindow("0s", "1s", "meshtwin calibrate", "4s and 1s", err));  // nothing measured
  CHECK_FALSE(err.str().empty());

  err.str("");
  CHECK(cli::loadProfileReporting("models/profiles/embedded-vm.yaml", err));
  CHECK(err.str().empty());
  CHECK_FALSE(cli::loadProfileReporting("no/such/profile.yaml", err));
  CHECK_THAT(err.str(), Catch::Contains("no/such/profile.yaml") && Catch::Contains("cannot open the profile file"));
}

TEST_CASE("a twin run's error is printed on one line and mapped to its exit code") {
  std::ostringstream err;
  CHECK(cli::reportError(twin::Error("validate: needs root", "", "", "", twin::kBadInput), err) == cli::kExitBadInput);
  CHECK(err.str() == "meshtwin validate: needs root\n");
  err.str("");
  CHECK(cli::reportError(twin::Error("calibrate: measure: start load", "mtcal", "no such file", "run testbed up"), err) ==
        cli::kExitRunFailed);
  CHECK(err.str() == "meshtwin calibrate: measure: start load mtcal: no such file (run testbed up)\n");
  err.str("");
  CHECK(cli::reportError(twin::Error("calibrate: stopped: cancelled", "", "", "", twin::kCancelled), err) ==
        cli::kExitRunFailed);
}

TEST_CASE("a twin run's progress lines carry the elapsed time, and go on until interrupted") {
  std::ostringstream err;
  const auto progress = cli::progressLines(err);
  CHECK(progress({1.26, 1, 4, "testbed up in phase 0 (baseline)"}));
  CHECK(err.str() == "[  1.3s] testbed up in phase 0 (baseline)\n");
  std::raise(SIGINT);  // the handler progressLines installed takes it: the run stops at its next step
  CHECK_FALSE(progress({2.0, 2, 4, "baseline at load x1.00"}));
  CHECK_THAT(err.str(), Catch::Contains("interrupted: stopping after this step"));
  CHECK(cli::progressLines(err)({3.0, 0, 0, "a new run"}));  // a new run starts uninterrupted
}
