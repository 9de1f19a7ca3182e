// Helpers for sim tests: load inline YAML that must be valid, showing its diagnostics if not.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "meshtwin/models/loader.hpp"

namespace meshtwin::test {

inline models::Scenario loadScenario(const std::string& yaml, const std::string& name = "sim-test.yaml") {
  auto r = models::loadScenarioText(yaml, name);
  std::string diags;
  for (const auto& d : r.diagnostics.items()) diags += models::format(d) + "\n";
  INFO(diags);
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

}  // namespace meshtwin::test
