// Plan edits on the Scenario value. Indexes are checked here; everything the loader checks
// (names, bindings, gate paths) is checked by ScenarioDocument::edit's reload.
#include "meshtwin/gui/plan_edits.hpp"

#include <algorithm>

namespace meshtwin::gui {
namespace {

EditError badWave(const models::Scenario& s, std::size_t wave) {
  if (wave < s.plan.waves.size()) return std::nullopt;
  return "wave #" + std::to_string(wave + 1) + ": no such wave; the plan has " + std::to_string(s.plan.waves.size());
}

bool sameTarget(const models::ModeChange& mc, const MoveTarget& t) {
  return mc.whole_namespace ? !t.workload && mc.ns == t.ns : t.workload && mc.workload == t.workload;
}

}  // namespace

std::string MoveTarget::text(const models::Scenario& s) const {
  return workload ? "workload " + s.workloads[*workload].key() : "namespace " + ns;
}

std::optional<MoveTarget> MoveTarget::parse(const models::Scenario& s, const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    if (!s.hasNamespace(text)) return std::nullopt;
    return MoveTarget{text, std::nullopt};
  }
  const auto w = s.findWorkload(text.substr(0, slash), text.substr(slash + 1));
  if (!w) return std::nullopt;
  return MoveTarget{s.workloads[*w].ns, w};
}

EditError moveToWave(models::Scenario& s, const MoveTarget& target, std::size_t wave, models::MeshMode mode,
                     const std::string& new_wave_name) {
  if (wave == s.plan.waves.size()) {
    if (new_wave_name.empty()) return std::string("a new wave needs a name");
    models::Wave w;
    w.name = new_wave_name;
    if (!s.plan.waves.empty()) w.rollout = s.plan.waves.back().rollout;
    s.plan.waves.push_back(std::move(w));
    if (s.plan.name.empty()) s.plan.name = "plan";
  }
  if (auto e = badWave(s, wave)) return e;
  // Remove the target's mode change wherever it is, remembering where it stood in `wave`.
  std::optional<std::size_t> position;
  for (std::size_t wi = 0; wi < s.plan.waves.size(); ++wi) {
    auto& changes = s.plan.waves[wi].changes;
    for (std::size_t ci = changes.size(); ci-- > 0;) {
      const auto* mc = std::get_if<models::ModeChange>(&changes[ci]);
      if (!mc || !sameTarget(*mc, target)) continue;
      if (wi == wave) position = ci;
      changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(ci));
    }
  }
  models::ModeChange mc;
  mc.whole_namespace = !target.workload;
  mc.ns = target.ns;
  mc.workload = target.workload;
  mc.to = mode;
  auto& changes = s.plan.waves[wave].changes;
  changes.insert(position ? changes.begin() + static_cast<std::ptrdiff_t>(*position) : changes.end(), mc);
  // A wave the target left may be empty now: a wave must change something.
  std::erase_if(s.plan.waves, [](const models::Wave& w) { return w.changes.empty(); });
  return std::nullopt;
}

EditError setChangeMode(models::Scenario& s, std::size_t wave, std::size_t change, models::MeshMode mode) {
  if (auto e = badWave(s, wave)) return e;
  auto& changes = s.plan.waves[wave].changes;
  if (change >= changes.size()) return "change #" + std::to_string(change + 1) + ": no such change";
  auto* mc = std::get_if<models::ModeChange>(&changes[change]);
  if (!mc) return std::string("only a setMode change has a mode; pick a namespace or workload row");
  mc->to = mode;
  return std::nullopt;
}

EditError removeModeChange(models::Scenario& s, std::size_t wave, std::size_t change) {
  if (auto e = badWave(s, wave)) return e;
  auto& changes = s.plan.waves[wave].changes;
  if (change >= changes.size() || !std::holds_alternative<models::ModeChange>(changes[change]))
    return std::string("only a setMode change can be removed; waypoints, bindings and policies stay where they are defined");
  changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(change));
  if (changes.empty()) s.plan.waves.erase(s.plan.waves.begin() + static_cast<std::ptrdiff_t>(wave));
  return std::nullopt;
}

EditError addWaypoint(models::Scenario& s, std::size_t wave, const WaypointSpec& spec) {
  if (auto e = badWave(s, wave)) return e;
  if (spec.name.empty()) return std::string("a waypoint needs a name");
  if (s.findWaypoint(spec.ns, spec.name)) return "waypoint " + spec.ns + "/" + spec.name + " exists already";
  models::Waypoint wp;
  wp.ns = spec.ns;
  wp.name = spec.name;
  wp.traffic = spec.traffic;
  wp.replicas = spec.replicas;
  wp.hpa = spec.hpa;
  for (const auto& z : spec.zones) {
    const auto id = s.findZone(z);
    if (!id) return "unknown zone \"" + z + "\"";
    wp.zones.push_back(*id);
  }
  const auto& prof = s.profile.waypoint.resources;
  wp.resources = {prof.cpu_request_millicores, prof.cpu_limit_millicores, prof.memory_request_bytes,
                  prof.memory_limit_bytes};
  s.waypoints.push_back(std::move(wp));
  s.waypoint_initial.push_back(false);
  auto& changes = s.plan.waves[wave].changes;
  // Deployed and bound before the wave's mode changes, as the migration guide orders it.
  auto first_mode = std::find_if(changes.begin(), changes.end(),
                                 [](const models::Change& c) { return std::holds_alternative<models::ModeChange>(c); });
  auto at = changes.insert(first_mode, models::AddWaypoint{s.waypoints.size() - 1, {}});
  if (spec.bind_namespace) {
    models::WaypointBinding b;
    b.scope = models::WaypointBinding::Scope::Namespace;
    b.target = spec.ns;
    b.waypoint = s.waypoints.size() - 1;
    s.bindings.push_back(std::move(b));
    s.binding_initial.push_back(false);
    changes.insert(at + 1, models::BindWaypoint{s.bindings.size() - 1, {}});
  }
  return std::nullopt;
}

EditError moveWave(models::Scenario& s, std::size_t from, std::size_t to) {
  if (auto e = badWave(s, from)) return e;
  if (auto e = badWave(s, to)) return e;
  auto& w = s.plan.waves;
  const auto f = w.begin() + static_cast<std::ptrdiff_t>(from);
  const auto t = w.begin() + static_cast<std::ptrdiff_t>(to);
  if (from < to) std::rotate(f, f + 1, t + 1);
  else std::rotate(t, f, f + 1);
  return std::nullopt;
}

EditError renameWave(models::Scenario& s, std::size_t wave, const std::string& name) {
  if (auto e = badWave(s, wave)) return e;
  if (name.empty()) return std::string("a wave needs a name");
  const auto old = s.plan.waves[wave].name;
  s.plan.waves[wave].name = name;
  // Faults name the phases they apply to: keep them on the renamed wave.
  for (auto& f : s.faults) std::replace(f.phases.begin(), f.phases.end(), old, name);
  return std::nullopt;
}

EditError setRollout(models::Scenario& s, std::size_t wave, const models::RolloutSettings& rollout) {
  if (auto e = badWave(s, wave)) return e;
  const auto zero = [](const models::IntOrPercent& x) { return x.is_percent ? x.percent == 0 : x.count == 0; };
  if (zero(rollout.max_surge) && zero(rollout.max_unavailable))
    return std::string("maxSurge and maxUnavailable are both zero; a rollout could never progress, allow one of them");
  s.plan.waves[wave].rollout = rollout;
  return std::nullopt;
}

EditError addGate(models::Scenario& s, std::size_t wave, const models::Gate& gate) {
  if (auto e = badWave(s, wave)) return e;
  s.plan.waves[wave].gates.push_back(gate);
  return std::nullopt;
}

EditError removeGate(models::Scenario& s, std::size_t wave, std::size_t gate) {
  if (auto e = badWave(s, wave)) return e;
  auto& gates = s.plan.waves[wave].gates;
  if (gate >= gates.size()) return "gate #" + std::to_string(gate + 1) + ": no such gate";
  gates.erase(gates.begin() + static_cast<std::ptrdiff_t>(gate));
  return std::nullopt;
}

}  // namespace meshtwin::gui
