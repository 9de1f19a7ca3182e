// The control-plane snapshot the proxies run on: the scenario, the phase of its plan, and
// where every pod, HBONE endpoint and service listens. `meshtwin snapshot` writes it; a
// proxy loads it into a MeshView and swaps views without dropping connections.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::dataplane {

inline constexpr const char* kSnapshotFormat = "meshtwin.snapshot/v1";

struct ControlPlaneSnapshot {
  std::uint64_t version = 1;  // a proxy ignores a snapshot not newer than the one it runs
  std::string scenario_file;  // for messages
  std::string scenario_yaml;  // the scenario's text, loaded with models::loadScenarioText
  std::size_t phase = 0;      // 0 = baseline, k = after wave k
  std::string trust_domain = "cluster.local";
  // Addresses, "ip:port", by "ns/pod" or "ns/service". A pod without an app address is not
  // reachable (not started yet); `pod_hbone` is the HBONE endpoint that serves the pod: its
  // node's ztunnel, its sidecar, or the waypoint itself.
  std::map<std::string, std::string> pod_app;
  std::map<std::string, std::string> pod_hbone;
  std::map<std::string, std::string> service_vip;
  // Pods whose mesh mode differs from what the phase gives their workload, by "ns/pod":
  // "none", "sidecar" or "ambient". During a wave's rolling restart the pods not yet
  // restarted keep their old mode (models::MeshState::pod_mode), as in Kubernetes.
  std::map<std::string, std::string> pod_mode;
  // Pods that are not endpoints (draining before a restart), by "ns/pod": nothing routes to
  // them, while they keep their addresses and finish what they are serving.
  std::set<std::string> unready;
};

std::string toJson(const ControlPlaneSnapshot& s);
// Errors name the field and what was wrong with it.
Result<ControlPlaneSnapshot> snapshotFromJson(const std::string& text, const std::string& origin);
Result<ControlPlaneSnapshot> readSnapshotFile(const std::string& path);
// Writes to a temporary file and renames it, so a proxy never reads half a snapshot.
Result<bool> writeSnapshotFile(const std::string& path, const ControlPlaneSnapshot& s);

// A loaded snapshot: the scenario, its mesh state in the phase, and address look-ups.
struct MeshView {
  ControlPlaneSnapshot snapshot;
  models::Scenario scenario;
  models::MeshState state;
  std::map<std::string, models::PodId> pod_by_key;        // "ns/pod"
  std::map<std::string, models::NodeId> node_by_name;
  std::vector<std::optional<tcp::endpoint>> pod_app;       // by PodId
  std::vector<std::optional<tcp::endpoint>> pod_hbone;     // by PodId
  std::vector<std::optional<tcp::endpoint>> service_vip;   // by ServiceId
  std::map<tcp::endpoint, models::ServiceId> service_by_vip;
  std::map<tcp::endpoint, models::PodId> pod_by_app;

  [[nodiscard]] std::string podKey(models::PodId p) const;
  [[nodiscard]] const std::string& podNamespace(models::PodId p) const;
  // The service account a pod runs as (a waypoint runs as its own name).
  [[nodiscard]] ServiceAccount serviceAccountOf(models::PodId p) const;
  [[nodiscard]] WorkloadIdentity identityOf(models::PodId p) const;
  [[nodiscard]] models::MeshMode modeOf(models::PodId p) const;
  // The workload (or waypoint) a pod belongs to.
  [[nodiscard]] const std::string& ownerName(models::PodId p) const;
  // The workload (or waypoint) that runs as `id`; "unknown" when none does (for labels).
  [[nodiscard]] std::string workloadNameOf(const WorkloadIdentity& id) const;
  // The pods on `node`, workload and waypoint pods alike.
  [[nodiscard]] std::vector<models::PodId> podsOn(models::NodeId node) const;
};

Result<std::shared_ptr<const MeshView>> buildMeshView(ControlPlaneSnapshot snapshot);

// "name.ns.svc.cluster.local"
std::string serviceFqdn(const models::Service& s);

}  // namespace meshtwin::dataplane
