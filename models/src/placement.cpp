// Placement: replica i of the k-th workload prefers zone (k + i) mod Z of its allowed zones,
// so replicas spread evenly and workloads do not all start in the first zone; within the
// zone the node with the most free CPU (then memory, then node order) that fits the pod's
// requests wins. When the preferred zone is full the next zones are tried in order. Nodes
// keep room for the ztunnel DaemonSet when any phase uses ambient, and sidecar-mode pods
// request the sidecar's resources too.
#include "placement.hpp"

#include <algorithm>

#include "meshtwin/models/units.hpp"

namespace meshtwin::models::detail {

bool scenarioUsesMode(const Scenario& s, MeshMode m) {
  if (s.default_mode == m) return true;
  for (const auto& [ns, mode] : s.namespace_modes) {
    if (mode == m) return true;
  }
  for (const auto& [w, mode] : s.workload_modes) {
    if (mode == m) return true;
  }
  for (const auto& wave : s.plan.waves) {
    for (const auto& c : wave.changes) {
      if (const auto* mc = std::get_if<ModeChange>(&c); mc && mc->to == m) return true;
    }
  }
  return false;
}

namespace {

MeshMode initialMode(const Scenario& s, WorkloadId w) {
  if (auto it = s.workload_modes.find(w); it != s.workload_modes.end()) return it->second;
  if (auto it = s.namespace_modes.find(s.workloads[w].ns); it != s.namespace_modes.end()) return it->second;
  return s.default_mode;
}

struct Free {
  std::int64_t cpu = 0;
  std::int64_t mem = 0;
};

class Placer {
 public:
  Placer(Scenario& s) : s_(s) {
    free_.resize(s.nodes.size());
    const bool ambient = scenarioUsesMode(s, MeshMode::Ambient);
    const auto& zt = s.profile.ztunnel.resources;
    for (NodeId n = 0; n < s.nodes.size(); ++n) {
      const auto& pool = s.pools[s.nodes[n].pool];
      free_[n] = {pool.cpu_millicores - (ambient ? zt.cpu_request_millicores : 0),
                  pool.memory_bytes - (ambient ? zt.memory_request_bytes : 0)};
    }
  }

  // Places `replicas` pods spread over `zones`; returns how many did not fit.
  int place(const std::string& base_name, Pod::Owner owner, std::size_t owner_id, std::size_t rotation,
            int replicas, const std::vector<ZoneId>& zones, std::int64_t cpu, std::int64_t mem,
            std::vector<PodId>& out) {
    int unplaced = 0;
    for (int i = 0; i < replicas; ++i) {
      bool placed = false;
      for (std::size_t attempt = 0; attempt < zones.size() && !placed; ++attempt) {
        const ZoneId z = zones[(rotation + static_cast<std::size_t>(i) + attempt) % zones.size()];
        std::optional<NodeId> best;
        for (NodeId n = 0; n < s_.nodes.size(); ++n) {
          if (s_.nodes[n].zone != z || free_[n].cpu < cpu || free_[n].mem < mem) continue;
          if (!best || free_[n].cpu > free_[*best].cpu ||
              (free_[n].cpu == free_[*best].cpu && free_[n].mem > free_[*best].mem))
            best = n;
        }
        if (!best) continue;
        free_[*best].cpu -= cpu;
        free_[*best].mem -= mem;
        s_.pods.push_back({base_name + "-" + std::to_string(i), owner, owner_id, *best});
        out.push_back(s_.pods.size() - 1);
        placed = true;
      }
      if (!placed) ++unplaced;
    }
    return unplaced;
  }

 private:
  Scenario& s_;
  std::vector<Free> free_;
};

}  // namespace

void placePods(Scenario& s, Diagnostics& diags) {
  Placer placer(s);
  s.pods.clear();
  s.workload_pods.assign(s.workloads.size(), {});
  s.waypoint_pods.assign(s.waypoints.size(), {});
  const auto& sc = s.profile.sidecar.resources;
  for (WorkloadId w = 0; w < s.workloads.size(); ++w) {
    const auto& wl = s.workloads[w];
    const bool sidecar = initialMode(s, w) == MeshMode::Sidecar;
    const auto cpu = wl.resources.cpu_request_millicores + (sidecar ? sc.cpu_request_millicores : 0);
    const auto mem = wl.resources.memory_request_bytes + (sidecar ? sc.memory_request_bytes : 0);
    const int unplaced = placer.place(wl.name, Pod::Owner::Workload, w, w, wl.replicas, wl.zones, cpu, mem,
                                      s.workload_pods[w]);
    if (unplaced > 0) {
      diags.add(wl.loc, "workload " + wl.key(),
                std::to_string(unplaced) + " of " + std::to_string(wl.replicas) + " replicas cannot be scheduled (each requests " +
                    formatCpuMillicores(cpu) + " CPU and " + formatBytes(mem) + (sidecar ? ", sidecar included" : "") +
                    ")",
                "add nodes (nodePools[].countPerZone), allow more zones, or lower the requests");
    }
  }
  for (WaypointId wp = 0; wp < s.waypoints.size(); ++wp) {
    const auto& w = s.waypoints[wp];
    const int unplaced = placer.place(w.name, Pod::Owner::Waypoint, wp, wp, w.replicas, w.zones,
                                      w.resources.cpu_request_millicores, w.resources.memory_request_bytes,
                                      s.waypoint_pods[wp]);
    if (unplaced > 0) {
      diags.add(w.loc, "waypoint " + w.key(),
                std::to_string(unplaced) + " of " + std::to_string(w.replicas) + " replicas cannot be scheduled",
                "add nodes or lower the waypoint's requests");
    }
  }
}

}  // namespace meshtwin::models::detail
