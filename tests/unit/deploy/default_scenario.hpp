// scenarios/default.yaml, loaded once for the deploy tests (from the source tree).
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>

#include "meshtwin/models/loader.hpp"

namespace meshtwin::deploy::test {

inline const models::Scenario& defaultScenario() {
  if (!std::filesystem::is_regular_file("scenarios/default.yaml")) std::filesystem::current_path(MESHTWIN_SOURCE_DIR);
  static const auto loaded = models::loadScenarioFile("scenarios/default.yaml");
  REQUIRE(loaded.ok());
  return *loaded.scenario;
}

}  // namespace meshtwin::deploy::test
