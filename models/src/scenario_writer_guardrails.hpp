// The writer's part for `slos:` and `labelPolicy:`, kept apart from scenario_writer.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models::detail {

// Appends `slos:` and `labelPolicy:` to the open top-level map, when the scenario has them.
void writeGuardrails(YAML::Emitter& out, const Scenario& s);

}  // namespace meshtwin::models::detail
