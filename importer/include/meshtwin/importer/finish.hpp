// The last step of an import: a Draft becomes a meshtwin/v1 scenario that loads, with its
// defaults stated as assumptions, a starting plan, provenance comments and `check`'s findings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/importer/draft.hpp"
#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/profile.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::importer {

struct ImportOptions {
  std::string name;     // the scenario's metadata.name; "" = keep the Draft's
  std::string profile;  // the scenario's profile (a shipped name or a path); "" = keep the Draft's
  bool plan = true;     // false (--plan none): the current state only
};

struct Imported {
  std::string yaml;                          // the scenario file, byte-identical for the same inputs
  std::optional<models::Scenario> scenario;  // as loaded back from `yaml`
  models::Diagnostics errors;                // why the result does not load (then `yaml` is what was written)
  std::vector<models::Finding> findings;     // `meshtwin check` on the result
  std::vector<std::string> plan_reasons;     // per wave: "wave-2-shop: waypoint for retries, l7Authz"
  [[nodiscard]] bool ok() const { return scenario.has_value(); }
};

// Fills defaults (reported as assumptions), adds the starting plan unless `opts.plan` is
// false, loads the text back and writes it in the canonical form with the header and the
// Draft's notes as comments.
Imported finishImport(Draft draft, const models::Profile& profile, const ImportOptions& opts, ImportReport& report);

// A meshtwin/v1 scenario given as a source: loaded and written again in the canonical form
// with its comments kept, so importing meshtwin's own output gives the same bytes.
Imported reimportScenario(const std::string& text, const std::string& file);

// The import report as JSON (models/schema/import-report.schema.json).
nlohmann::json reportJson(const ImportReport& report, const Imported& result);

}  // namespace meshtwin::importer
