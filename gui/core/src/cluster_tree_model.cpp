// ClusterTreeModel: rebuilt from the scenario and a phase's mesh state.
#include "meshtwin/gui/cluster_tree_model.hpp"

#include "meshtwin/gui/roles.hpp"
#include "meshtwin/gui/topology_layout.hpp"

namespace meshtwin::gui {
namespace {

QStandardItem* row(const std::string& text, const std::string& key, const char* kind) {
  auto* it = new QStandardItem(QString::fromStdString(text));
  it->setData(QString::fromStdString(key), ObjectKeyRole);
  it->setData(QString::fromLatin1(kind), KindRole);
  it->setEditable(false);
  it->setDragEnabled(false);
  return it;
}

}  // namespace

void ClusterTreeModel::setScenario(const models::Scenario& s, const models::MeshState& m) {
  clear();
  setHorizontalHeaderLabels({tr("cluster")});
  std::vector<QStandardItem*> zones, nodes;
  for (const auto& z : s.zones) {
    zones.push_back(row(z.name, "zone:" + z.name, "zone"));
    appendRow(zones.back());
  }
  for (const auto& n : s.nodes) {
    nodes.push_back(row(n.name, "node:" + n.name, "node"));
    zones[n.zone]->appendRow(nodes.back());
  }
  for (models::PodId p = 0; p < s.pods.size(); ++p) {
    const auto& pod = s.pods[p];
    QStandardItem* it = nullptr;
    if (pod.owner == models::Pod::Owner::Workload) {
      const auto mode = m.modeOf(s, p);
      it = row(pod.name + "  (" + s.workloads[pod.owner_id].ns + ", " + models::toString(mode) + ")", "pod:" + pod.name, "pod");
      it->setData(modeColor(mode), Qt::DecorationRole);
    } else {
      if (!m.waypoint_present[pod.owner_id]) continue;
      it = row(pod.name + "  (waypoint " + s.waypoints[pod.owner_id].key() + ")", "pod:" + pod.name, "waypoint-pod");
      it->setData(kWaypointColor, Qt::DecorationRole);
    }
    nodes[pod.node]->appendRow(it);
  }
}

QModelIndex ClusterTreeModel::indexOfKey(const QString& key) const {
  const auto hits = match(index(0, 0), ObjectKeyRole, key, 1, Qt::MatchExactly | Qt::MatchRecursive);
  return hits.isEmpty() ? QModelIndex() : hits.front();
}

}  // namespace meshtwin::gui
