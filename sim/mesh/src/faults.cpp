// Faults: node and zone loss, waypoint crashes, and clock skew that fails mTLS handshakes.
#include <string>
#include <vector>

#include "meshtwin/models/units.hpp"
#include "phase_sim.hpp"

namespace meshtwin::sim::detail {

void PhaseSim::scheduleFaults() {
  const std::string phase = to_ ? "rollout " + wave_ : m_.phase_name;
  node_dead_.assign(s_.nodes.size(), false);
  skews_.assign(s_.nodes.size(), {});
  for (const auto& f : s_.faults) {
    if (!f.appliesTo(phase)) continue;
    const auto at = f.at_ns;  // from the start of the phase, warm-up included
    switch (f.kind) {
      case models::Fault::Kind::NodeLoss:
        sim_.scheduleAt(at, [this, n = *f.node] { loseNode(n, "node " + s_.nodes[n].name + " lost"); });
        break;
      case models::Fault::Kind::ZoneLoss:
        sim_.scheduleAt(at, [this, z = *f.zone] {
          for (models::NodeId n = 0; n < s_.nodes.size(); ++n) {
            if (s_.nodes[n].zone == z) loseNode(n, "zone " + s_.zones[z].name + " lost");
          }
        });
        break;
      case models::Fault::Kind::WaypointCrash:
        sim_.scheduleAt(at, [this, wp = *f.waypoint] { crashWaypoint(wp); });
        break;
      case models::Fault::Kind::ClockSkew:
        skews_[*f.node].push_back({at, f.duration_ns > 0 ? at + f.duration_ns : INT64_MAX, f.skew_ns});
        break;
    }
  }
}

std::optional<std::string> PhaseSim::handshakeBlocked(models::NodeId n) const {
  for (const auto& sk : skews_.empty() ? std::vector<Skew>{} : skews_[n]) {
    if (sim_.now() >= sk.from_ns && sim_.now() < sk.to_ns && sk.amount_ns > o_.certificate_backdate_ns)
      return "mTLS handshake failed on node " + s_.nodes[n].name + ": certificate not yet valid (clock " +
             models::formatDurationNs(sk.amount_ns) + " behind)";
  }
  return std::nullopt;
}

// The node is gone at once: whatever its stations hold fails. Its pods stay endpoints
// until the node controller notices (node-monitor grace period), so calls routed to them
// fail too; then the ReplicaSets replace them elsewhere, or leave them pending.
void PhaseSim::loseNode(models::NodeId n, const std::string& cause) {
  if (node_dead_[n]) return;
  node_dead_[n] = true;
  for (std::size_t i = 0; i < stations_.size(); ++i) {
    if (info_[i].node == n && !stations_[i]->dead()) {
      stations_[i]->kill(cause);
      info_[i].ended_ns = sim_.now();
    }
  }
  sim_.schedule(o_.node_failure_detection_ns, [this, n] {
    std::vector<PodId> lost;
    for (PodId p = 0; p < s_.pods.size(); ++p) {
      if (s_.pods[p].node == n && !pods_rt_[p].terminating) lost.push_back(p);
    }
    for (auto p : lost) terminatePod(p);
    node_free_[n] = {-1e18, -1e18};  // nothing schedules there any more
    for (auto p : lost) createPod({s_.pods[p].owner, s_.pods[p].owner_id, {}});
  });
}

// Every replica of the waypoint crashes; each is replaced and ready again after a pod
// startup. Meanwhile ambient clients of its services have no waypoint to go through.
void PhaseSim::crashWaypoint(models::WaypointId wp) {
  std::vector<PodId> crashed;
  for (PodId p = 0; p < s_.pods.size(); ++p) {
    const auto& pod = s_.pods[p];
    if (pod.owner != models::Pod::Owner::Waypoint || pod.owner_id != wp || pods_rt_[p].terminating) continue;
    if (pods_rt_[p].waypoint) stations_[*pods_rt_[p].waypoint]->kill("waypoint " + s_.waypoints[wp].key() + " crashed");
    crashed.push_back(p);
  }
  for (auto p : crashed) terminatePod(p);
  for (std::size_t i = 0; i < crashed.size(); ++i) createPod({models::Pod::Owner::Waypoint, wp, {}});
}

}  // namespace meshtwin::sim::detail
