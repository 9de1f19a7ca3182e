// Writing a loaded Scenario back as meshtwin/v1 YAML (the GUI's Save).
#pragma once

#include <string>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

// The scenario as meshtwin/v1 YAML that loads back to the same model. Every value is
// spelled out (no `defaults` block: each workload carries its own values, and services
// the loader made implicit are listed), quantities in exact units, so a second write of
// the reloaded model gives the same text. Comments of the file the scenario came from are
// not in the model and so are not written; callers that keep the original text say so.
std::string writeScenarioYaml(const Scenario& s);

// One quantity in the exact text the loader parses back to the same integer.
std::string exactDuration(std::int64_t ns);     // "90s", "250us", "1500ns"
std::string exactMemory(std::int64_t bytes);    // "128Mi", "1Gi", "1000"
std::string exactCpu(std::int64_t millicores);  // "2", "250m"
std::string exactPercent(double fraction);      // 0.005 -> "0.5%"

}  // namespace meshtwin::models
