// The plan edits a planner makes, as plain functions on the Scenario value: each changes the
// model in place or returns why it cannot. ScenarioDocument::edit wraps them for undo.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

using EditError = std::optional<std::string>;

// What a wave can move: a whole namespace, or one workload.
struct MoveTarget {
  std::string ns;
  std::optional<models::WorkloadId> workload;
  [[nodiscard]] std::string text(const models::Scenario& s) const;  // "namespace shop", "workload shop/cart"
  // "shop" or "shop/cart" (the drag-and-drop payload); nullopt when not in `s`.
  static std::optional<MoveTarget> parse(const models::Scenario& s, const std::string& text);
};

// Sets `target`'s mode in wave `wave` (index into plan.waves; plan.waves.size() makes a new
// wave named `new_wave_name` at the end). A mode change of the same target in any wave is
// removed first, so a target moves rather than being changed twice.
EditError moveToWave(models::Scenario& s, const MoveTarget& target, std::size_t wave, models::MeshMode mode,
                     const std::string& new_wave_name = {});
// Sets the mode of the mode change at plan.waves[wave].changes[change].
EditError setChangeMode(models::Scenario& s, std::size_t wave, std::size_t change, models::MeshMode mode);
// Removes a mode change; a wave left without changes is removed too. Other kinds of change
// define objects later waves may use, so they are not removed here.
EditError removeModeChange(models::Scenario& s, std::size_t wave, std::size_t change);

struct WaypointSpec {
  std::string ns;
  std::string name;
  models::WaypointFor traffic = models::WaypointFor::Service;
  int replicas = 1;
  std::vector<std::string> zones;  // empty: all zones
  std::optional<models::Hpa> hpa;
  bool bind_namespace = true;      // also add useWaypoint {namespace: ns} in the same wave
};
// Deploys a waypoint in wave `wave` (resources from the profile, as the loader does).
EditError addWaypoint(models::Scenario& s, std::size_t wave, const WaypointSpec& spec);

// Moves wave `from` to position `to` (both indexes into plan.waves).
EditError moveWave(models::Scenario& s, std::size_t from, std::size_t to);
EditError renameWave(models::Scenario& s, std::size_t wave, const std::string& name);
EditError setRollout(models::Scenario& s, std::size_t wave, const models::RolloutSettings& rollout);
// Adds a gate; `gate.path` is resolved against entry points and edges by the reload.
EditError addGate(models::Scenario& s, std::size_t wave, const models::Gate& gate);
EditError removeGate(models::Scenario& s, std::size_t wave, std::size_t gate);

}  // namespace meshtwin::gui
