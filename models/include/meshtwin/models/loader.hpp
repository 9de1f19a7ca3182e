// Loading a scenario file: parse, validate everything, resolve every name, place pods.
#pragma once

#include <optional>
#include <string>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

struct LoadResult {
  std::optional<Scenario> scenario;  // set only when there is no error
  Diagnostics diagnostics;           // every problem found, in file order
  [[nodiscard]] bool ok() const { return scenario.has_value(); }
};

// Loads `path`. Relative profile paths resolve against the file's directory.
LoadResult loadScenarioFile(const std::string& path);
// Loads from text; `file` names it in diagnostics, `base_dir` resolves profile paths.
LoadResult loadScenarioText(const std::string& text, const std::string& file, const std::string& base_dir = ".");

}  // namespace meshtwin::models
