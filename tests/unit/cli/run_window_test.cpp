// The flags calibrate and validate share: the run window and the profile, refused with the reason.
#include <catch2/catch.hpp>

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
