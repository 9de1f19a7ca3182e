// Rendering a scenario's plan to Kubernetes, Istio and Gateway API objects: per wave, the
// objects that take the cluster from the previous phase's state to that wave's state, as a
// kustomize directory that `meshtwin deploy` server-side applies (fieldManager meshtwin).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::deploy {

// One object of a wave: its body (apiVersion, kind, metadata, ...) and its file name in the
// wave's directory, "<kind>-<namespace>-<name>.yaml" (lower-case kind; "namespace-shop.yaml").
struct RenderedObject {
  nlohmann::json body;
  std::string file;
};

// What server-side apply cannot express, done by deploy beside the apply: objects to delete
// (a RemovePolicy) and labels to remove from objects meshtwin does not own (istio-injection
// on a namespace leaving sidecars: another manager set it, so omitting it does not remove it).
struct Deletion {
  std::string api_version, kind, ns, name;  // ns empty for cluster-scoped objects
};
struct LabelRemoval {
  std::string api_version, kind, ns, name;
  std::string path;  // "metadata.labels" or "spec.template.metadata.labels"
  std::vector<std::string> labels;
};

struct RenderedWave {
  std::size_t index = 0;  // 0-based wave index
  std::string name;       // the wave's name
  std::vector<RenderedObject> objects;  // in apply order
  std::vector<Deletion> deletions;
  std::vector<LabelRemoval> label_removals;
  bool rollback = false;  // renderRollback: the way back from this wave to the phase before it
};

// `wave` is 0-based (std::out_of_range past the last wave). Labels on every object: meshtwin.io/plan and
// meshtwin.io/wave; app.kubernetes.io/managed-by=meshtwin on the objects meshtwin owns and on
// Namespaces (Deployments and Services belong to the app's owner: only fields are applied).
RenderedWave renderWave(const models::Scenario& s, std::size_t wave);
std::vector<RenderedWave> renderPlan(const models::Scenario& s);
// The way back from wave `wave` to the phase before it: the previous phase's bodies of what the
// wave changed (applied with the same field manager, so the fields the wave added go and the
// labels it removed come back), deletions of the owned objects it created, and removals of the
// labels it added to objects meshtwin does not own. Labelled with the wave it restores (or
// "baseline"); `rollback` is true, `index` and `name` are the wave's.
RenderedWave renderRollback(const models::Scenario& s, std::size_t wave);

// One object as YAML: keys sorted, two-space indent, strings quoted where YAML would read
// them as something else. The same JSON always gives the same bytes.
std::string objectYaml(const nlohmann::json& j);
// The wave's kustomization.yaml: every object file, and comments on what apply does.
std::string kustomization(const RenderedWave& w);
// deletions.yaml (the deletions and label removals); empty text when there are none.
std::string deletionsYaml(const RenderedWave& w);
// "01-wave-1-data": the wave's directory name, 1-based.
std::string waveDirName(const RenderedWave& w);
// Writes the wave into `dir`/waveDirName(w)/ (created), each file written whole (a temporary
// file renamed over it). Returns the wave's directory; throws std::runtime_error naming the
// file when one cannot be written.
std::filesystem::path writeWave(const RenderedWave& w, const std::string& dir);

}  // namespace meshtwin::deploy
