// renderWave / renderPlan: a wave is the difference between two consecutive phases' desired
// objects (render_state.cpp): what changed is applied, owned objects that went are deleted,
// labels that went from objects meshtwin does not own are removed.
#include <stdexcept>

#include "meshtwin/deploy/render.hpp"
#include "render_internal.hpp"

namespace meshtwin::deploy {
namespace {

using nlohmann::json;

json labelsAt(const json& body, const std::string& path) {
  const json* at = &body;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('.', start);
    if (end == std::string::npos) end = path.size();
    const auto key = path.substr(start, end - start);
    if (!at->is_object() || !at->contains(key)) return json::object();
    at = &(*at)[key];
    start = end + 1;
  }
  return *at;
}

std::string str(const json& j) { return j.get<std::string>(); }
std::string ns(const json& body) { return body["metadata"].value("namespace", std::string()); }

// `label` is the wave the objects are labelled with: the wave itself, or for a rollback the
// wave (or "baseline") whose state they restore.
RenderedWave diff(const models::Scenario& s, const detail::DesiredSet& prev, const detail::DesiredSet& cur,
                  std::size_t index, const std::string& label) {
  RenderedWave w;
  w.index = index;
  w.name = s.plan.waves[index].name;
  for (const auto& [key, obj] : cur) {
    const auto before = prev.find(key);
    if (before != prev.end() && before->second.body == obj.body) continue;
    auto body = obj.body;
    auto& labels = body["metadata"]["labels"];
    if (labels.is_null()) labels = json::object();
    const auto kind = body["kind"].get<std::string>();
    if (obj.owned || kind == "Namespace") labels["app.kubernetes.io/managed-by"] = "meshtwin";
    labels["meshtwin.io/plan"] = s.plan.name;
    labels["meshtwin.io/wave"] = label;
    w.objects.push_back({std::move(body), obj.file});
    if (before == prev.end() || obj.owned) continue;
    for (const char* path : {"metadata.labels", "spec.template.metadata.labels"}) {
      const auto old_labels = labelsAt(before->second.body, path);
      const auto new_labels = labelsAt(obj.body, path);
      LabelRemoval r{str(obj.body["apiVersion"]), kind, ns(obj.body), str(obj.body["metadata"]["name"]), path, {}};
      for (const auto& [k, v] : old_labels.items()) {
        if (!new_labels.contains(k)) r.labels.push_back(k);
      }
      if (!r.labels.empty()) w.label_removals.push_back(std::move(r));
    }
  }
  for (const auto& [key, obj] : prev) {
    if (!obj.owned || cur.count(key)) continue;
    w.deletions.push_back({str(obj.body["apiVersion"]), str(obj.body["kind"]), ns(obj.body), str(obj.body["metadata"]["name"])});
  }
  return w;
}

}  // namespace

RenderedWave renderWave(const models::Scenario& s, std::size_t wave) {
  if (wave >= s.plan.waves.size()) throw std::out_of_range("no wave " + std::to_string(wave + 1) + " in the plan");
  const auto phases = detail::desiredPhases(s);
  return diff(s, phases[wave], phases[wave + 1], wave, s.plan.waves[wave].name);
}

RenderedWave renderRollback(const models::Scenario& s, std::size_t wave) {
  if (wave >= s.plan.waves.size()) throw std::out_of_range("no wave " + std::to_string(wave + 1) + " in the plan");
  const auto phases = detail::desiredPhases(s);
  auto w = diff(s, phases[wave + 1], phases[wave], wave, wave == 0 ? "baseline" : s.plan.waves[wave - 1].name);
  w.rollback = true;
  return w;
}

std::vector<RenderedWave> renderPlan(const models::Scenario& s) {
  const auto phases = detail::desiredPhases(s);
  std::vector<RenderedWave> out;
  for (std::size_t i = 0; i + 1 < phases.size(); ++i) out.push_back(diff(s, phases[i], phases[i + 1], i, s.plan.waves[i].name));
  return out;
}

}  // namespace meshtwin::deploy
