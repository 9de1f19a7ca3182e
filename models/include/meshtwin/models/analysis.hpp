// Static analysis of a plan: the risks (findings) of every phase, each with the object it
// concerns and a hint. Pure; used by `meshtwin check`, the simulator's report and the GUI.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

enum class Severity { Info, Low, Medium, High, Critical };
const char* toString(Severity s);
std::optional<Severity> severityFrom(std::string_view s);

struct Finding {
  Severity severity = Severity::Info;
  std::string code;     // stable kebab-case id, e.g. "l7-policy-at-ztunnel"
  std::string object;   // "AuthorizationPolicy pay/checkout-l7", "workload shop/cart"
  std::string message;  // what happens
  std::string hint;     // what to do
  SourceLoc loc;        // where the object is written
  std::vector<std::string> phases;  // phases in which it holds ("baseline", wave names)
};

// Findings over every phase of the plan, merged so each appears once with its phases,
// most severe first.
std::vector<Finding> analyze(const Scenario& s);
// Findings of one phase.
std::vector<Finding> analyzePhase(const Scenario& s, const MeshState& m);

}  // namespace meshtwin::models
