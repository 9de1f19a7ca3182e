// A rendered wave on disk: kustomization.yaml, one file per object, deletions.yaml; each file
// written to a temporary name and renamed, so a reader never sees half a file.
#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

#include "meshtwin/deploy/render.hpp"

namespace meshtwin::deploy {
namespace {

namespace fs = std::filesystem;

void writeWhole(const fs::path& file, const std::string& text) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  }
}

nlohmann::json ref(const std::string& api_version, const std::string& kind, const std::string& ns,
                   const std::string& name) {
  nlohmann::json j{{"apiVersion", api_version}, {"kind", kind}, {"name", name}};
  if (!ns.empty()) j["namespace"] = ns;
  return j;
}

}  // namespace

std::string waveDirName(const RenderedWave& w) {
  return fmt::format("{:02}-{}{}", w.index + 1, w.name, w.rollback ? "-rollback" : "");
}

std::string kustomization(const RenderedWave& w) {
  std::string out = fmt::format(
      "# Wave {} ({}) rendered by meshtwin: the objects that take the cluster from the previous\n"
      "# phase to this wave. Apply server-side with fieldManager meshtwin (`meshtwin deploy`, or\n"
      "# `kubectl apply -k . --server-side --field-manager=meshtwin`). Namespaces, Deployments and\n"
      "# Services carry only the fields meshtwin sets; server-side apply removes a field meshtwin\n"
      "# applied before and no longer renders, but not one another manager set (istio-injection\n"
      "# from `kubectl label`): those removals, and the objects this wave deletes, are in\n"
      "# deletions.yaml, which kustomize does not read and `meshtwin deploy` carries out.\n"
      "# Waypoint sizing: replicas (without an HPA), resources and zones go to Istio's deployment\n"
      "# overlay in the ConfigMap the Gateway's infrastructure.parametersRef names; the HPA is an\n"
      "# autoscaling/v2 object on the Deployment Istio creates under the Gateway's name.\n",
      w.index + 1, w.name);
  nlohmann::json k{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}};
  k["resources"] = nlohmann::json::array();
  for (const auto& o : w.objects) k["resources"].push_back(o.file);
  return out + objectYaml(k);
}

std::string deletionsYaml(const RenderedWave& w) {
  if (w.deletions.empty() && w.label_removals.empty()) return "";
  nlohmann::json j{{"delete", nlohmann::json::array()}, {"removeLabels", nlohmann::json::array()}};
  for (const auto& d : w.deletions) j["delete"].push_back(ref(d.api_version, d.kind, d.ns, d.name));
  for (const auto& r : w.label_removals) {
    auto x = ref(r.api_version, r.kind, r.ns, r.name);
    x["path"] = r.path;
    x["labels"] = r.labels;
    j["removeLabels"].push_back(std::move(x));
  }
  return fmt::format("# Wave {} ({}): what server-side apply cannot do; `meshtwin deploy` deletes these objects\n"
                     "# and removes these labels (a JSON merge patch) after applying the wave.\n",
                     w.index + 1, w.name) +
         objectYaml(j);
}

fs::path writeWave(const RenderedWave& w, const std::string& dir) {
  const fs::path wave_dir = fs::path(dir) / waveDirName(w);
  std::error_code ec;
  fs::create_directories(wave_dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", wave_dir.string(), ec.message()));
  for (const auto& o : w.objects) writeWhole(wave_dir / o.file, objectYaml(o.body));
  writeWhole(wave_dir / "kustomization.yaml", kustomization(w));
  const auto deletions = deletionsYaml(w);
  if (!deletions.empty()) {
    writeWhole(wave_dir / "deletions.yaml", deletions);
  } else {
    fs::remove(wave_dir / "deletions.yaml", ec);  // left from an earlier render
  }
  return wave_dir;
}

}  // namespace meshtwin::deploy
