// Snapshot JSON and the MeshView built from it.
#include "meshtwin/dataplane/snapshot.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "meshtwin/models/loader.hpp"

namespace meshtwin::dataplane {

using nlohmann::json;

std::string toJson(const ControlPlaneSnapshot& s) {
  json j;
  j["format"] = kSnapshotFormat;
  j["version"] = s.version;
  j["scenario_file"] = s.scenario_file;
  j["phase"] = s.phase;
  j["trust_domain"] = s.trust_domain;
  j["pod_app"] = s.pod_app;
  j["pod_hbone"] = s.pod_hbone;
  j["service_vip"] = s.service_vip;
  if (!s.pod_mode.empty()) j["pod_mode"] = s.pod_mode;
  if (!s.unready.empty()) j["unready"] = s.unready;
  j["scenario_yaml"] = s.scenario_yaml;
  return j.dump(2) + "\n";
}

Result<ControlPlaneSnapshot> snapshotFromJson(const std::string& text, const std::string& origin) {
  const std::string what = "read control-plane snapshot";
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error{what, origin, e.what(), "the file must be JSON as `meshtwin snapshot` writes it"};
  }
  if (!j.is_object() || j.value("format", std::string()) != kSnapshotFormat) {
    return Error{what, origin, "format is not " + std::string(kSnapshotFormat),
                 "write it with `meshtwin snapshot SCENARIO --phase N`"};
  }
  ControlPlaneSnapshot s;
  try {
    s.version = j.at("version").get<std::uint64_t>();
    s.scenario_file = j.value("scenario_file", std::string());
    s.scenario_yaml = j.at("scenario_yaml").get<std::string>();
    s.phase = j.at("phase").get<std::size_t>();
    s.trust_domain = j.value("trust_domain", std::string("cluster.local"));
    s.pod_app = j.value("pod_app", std::map<std::string, std::string>{});
    s.pod_hbone = j.value("pod_hbone", std::map<std::string, std::string>{});
    s.service_vip = j.value("service_vip", std::map<std::string, std::string>{});
    s.pod_mode = j.value("pod_mode", std::map<std::string, std::string>{});
    s.unready = j.value("unready", std::set<std::string>{});
  } catch (const json::exception& e) {
    return Error{what, origin, e.what(), "fields: version, scenario_yaml, phase, pod_app, pod_hbone, service_vip, pod_mode"};
  }
  return s;
}

Result<ControlPlaneSnapshot> readSnapshotFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"read control-plane snapshot", path, std::strerror(errno), "check the path"};
  std::stringstream ss;
  ss << in.rdbuf();
  return snapshotFromJson(ss.str(), path);
}

Result<bool> writeSnapshotFile(const std::string& path, const ControlPlaneSnapshot& s) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error{"write control-plane snapshot", tmp, std::strerror(errno), "check the directory"};
    out << toJson(s);
    if (!out.flush()) return Error{"write control-plane snapshot", tmp, std::strerror(errno), {}};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error{"write control-plane snapshot", path, std::strerror(errno), {}};
  }
  return true;
}

std::string MeshView::podKey(models::PodId p) const { return podNamespace(p) + "/" + scenario.pods[p].name; }

const std::string& MeshView::podNamespace(models::PodId p) const {
  const auto& pod = scenario.pods[p];
  return pod.owner == models::Pod::Owner::Workload ? scenario.workloads[pod.owner_id].ns
                                                   : scenario.waypoints[pod.owner_id].ns;
}

ServiceAccount MeshView::serviceAccountOf(models::PodId p) const {
  const auto& pod = scenario.pods[p];
  if (pod.owner == models::Pod::Owner::Workload) {
    const auto& w = scenario.workloads[pod.owner_id];
    return {w.ns, w.service_account};
  }
  const auto& wp = scenario.waypoints[pod.owner_id];
  return {wp.ns, wp.name};
}

WorkloadIdentity MeshView::identityOf(models::PodId p) const {
  return WorkloadIdentity{snapshot.trust_domain, serviceAccountOf(p)};
}

models::MeshMode MeshView::modeOf(models::PodId p) const {
  // Waypoint pods are part of the mesh's ambient data plane.
  if (scenario.pods[p].owner == models::Pod::Owner::Waypoint) return models::MeshMode::Ambient;
  return state.modeOf(scenario, p);
}

const std::string& MeshView::ownerName(models::PodId p) const {
  const auto& pod = scenario.pods[p];
  return pod.owner == models::Pod::Owner::Workload ? scenario.workloads[pod.owner_id].name
                                                   : scenario.waypoints[pod.owner_id].name;
}

std::string MeshView::workloadNameOf(const WorkloadIdentity& id) const {
  for (const auto& w : scenario.workloads) {
    if (w.ns == id.service_account.ns && w.service_account == id.service_account.name) return w.name;
  }
  for (const auto& w : scenario.waypoints) {
    if (w.ns == id.service_account.ns && w.name == id.service_account.name) return w.name;
  }
  return "unknown";
}

std::string serviceFqdn(const models::Service& s) { return s.name + "." + s.ns + ".svc.cluster.local"; }

std::vector<models::PodId> MeshView::podsOn(models::NodeId node) const {
  std::vector<models::PodId> out;
  for (models::PodId p = 0; p < scenario.pods.size(); ++p) {
    if (scenario.pods[p].node == node) out.push_back(p);
  }
  return out;
}

Result<std::shared_ptr<const MeshView>> buildMeshView(ControlPlaneSnapshot snapshot) {
  const std::string what = "load control-plane snapshot";
  const std::string origin = snapshot.scenario_file.empty() ? std::string("snapshot") : snapshot.scenario_file;
  auto loaded = models::loadScenarioText(snapshot.scenario_yaml, origin);
  if (!loaded.scenario) {
    std::string first = loaded.diagnostics.empty() ? std::string("it does not load")
                                                   : models::format(loaded.diagnostics.sorted().front());
    return Error{what, origin, first, "the snapshot's scenario must pass `meshtwin check`"};
  }
  auto view = std::make_shared<MeshView>();
  view->scenario = std::move(*loaded.scenario);
  const auto& s = view->scenario;
  if (snapshot.phase > s.plan.waves.size()) {
    return Error{what, origin,
                 "phase " + std::to_string(snapshot.phase) + " does not exist (the plan has " +
                     std::to_string(s.plan.waves.size()) + " waves)",
                 "phase 0 is the baseline, phase k the state after wave k"};
  }
  view->state = models::meshStateAt(s, snapshot.phase);
  for (models::PodId p = 0; p < s.pods.size(); ++p) view->pod_by_key[view->podKey(p)] = p;
  for (models::NodeId n = 0; n < s.nodes.size(); ++n) view->node_by_name[s.nodes[n].name] = n;
  view->pod_app.resize(s.pods.size());
  view->pod_hbone.resize(s.pods.size());
  view->service_vip.resize(s.services.size());
  auto endpoints = [&](const std::map<std::string, std::string>& in, const char* field,
                       auto&& index) -> std::optional<Error> {
    for (const auto& [key, addr] : in) {
      auto ep = parseEndpoint(addr);
      if (!ep) return Error{what, std::string(field) + "[" + key + "]", "'" + addr + "' is not ip:port", {}};
      if (auto e = index(key, *ep); e) return e;
    }
    return std::nullopt;
  };
  auto podIndex = [&](std::vector<std::optional<tcp::endpoint>>& table, const char* field) {
    return [&view, &table, field, &what](const std::string& key, const tcp::endpoint& ep) -> std::optional<Error> {
      auto it = view->pod_by_key.find(key);
      if (it == view->pod_by_key.end()) {
        return Error{what, std::string(field) + "[" + key + "]", "no such pod in the scenario",
                     "pods are named ns/<workload>-<i> or ns/<waypoint>-<i>"};
      }
      table[it->second] = ep;
      return std::nullopt;
    };
  };
  if (auto e = endpoints(snapshot.pod_app, "pod_app", podIndex(view->pod_app, "pod_app"))) return *e;
  if (auto e = endpoints(snapshot.pod_hbone, "pod_hbone", podIndex(view->pod_hbone, "pod_hbone"))) return *e;
  if (auto e = endpoints(snapshot.service_vip, "service_vip",
                         [&](const std::string& key, const tcp::endpoint& ep) -> std::optional<Error> {
                           const auto slash = key.find('/');
                           const auto id = slash == std::string::npos
                                               ? std::nullopt
                                               : s.findService(key.substr(0, slash), key.substr(slash + 1));
                           if (!id) return Error{what, "service_vip[" + key + "]", "no such service", {}};
                           view->service_vip[*id] = ep;
                           view->service_by_vip[ep] = *id;
                           return std::nullopt;
                         })) {
    return *e;
  }
  for (const auto& [key, text] : snapshot.pod_mode) {
    const auto it = view->pod_by_key.find(key);
    if (it == view->pod_by_key.end()) {
      return Error{what, "pod_mode[" + key + "]", "no such pod in the scenario",
                   "pods are named ns/<workload>-<i> or ns/<waypoint>-<i>"};
    }
    const auto mode = models::meshModeFrom(text);
    if (!mode) return Error{what, "pod_mode[" + key + "]", "'" + text + "' is not a mesh mode", "none, sidecar or ambient"};
    if (view->state.pod_mode.size() < s.pods.size()) view->state.pod_mode.resize(s.pods.size());
    view->state.pod_mode[it->second] = *mode;
  }
  for (const auto& key : snapshot.unready) {
    const auto it = view->pod_by_key.find(key);
    if (it == view->pod_by_key.end()) return Error{what, "unready[" + key + "]", "no such pod in the scenario", {}};
    view->state.pod_unready.resize(s.pods.size());
    view->state.pod_unready[it->second] = true;
  }
  for (models::PodId p = 0; p < s.pods.size(); ++p) {
    if (view->pod_app[p]) view->pod_by_app[*view->pod_app[p]] = p;
  }
  view->snapshot = std::move(snapshot);
  return std::shared_ptr<const MeshView>(std::move(view));
}

}  // namespace meshtwin::dataplane
