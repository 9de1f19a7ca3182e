// Helpers for models tests: load a scenario from inline YAML and fail with its diagnostics.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "meshtwin/models/loader.hpp"

namespace meshtwin::test {

inline std::string diagnosticsText(const models::LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics.items()) out += models::format(d) + "\n";
  return out;
}

// Loads inline YAML that must be valid.
inline models::Scenario loadOk(const std::string& yaml, const std::string& name = "inline.yaml") {
  auto r = models::loadScenarioText(yaml, name);
  INFO(diagnosticsText(r));
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

// Loads inline YAML that must fail; returns the formatted diagnostics, one per line.
inline std::vector<std::string> loadErrors(const std::string& yaml, const std::string& name = "inline.yaml") {
  auto r = models::loadScenarioText(yaml, name);
  REQUIRE_FALSE(r.ok());
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics.items()) out.push_back(models::format(d));
  return out;
}

// A valid cluster header (3 zones, one 4-vCPU node per zone) to prepend to test scenarios.
inline const char* kClusterHeader = R"(apiVersion: meshtwin/v1
kind: Scenario
cluster:
  zones: [a, b, c]
  nodePools:
    - {name: n, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
)";

}  // namespace meshtwin::test
