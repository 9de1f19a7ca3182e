// Where the topology view draws what, for one phase: zones as columns, nodes inside them,
// pods coloured by data-plane mode, a ztunnel per node, waypoint pods, and traffic edges
// between nodes. Deterministic (indexes decide positions), so the layout is the same on
// every run and only colours and edges change between phases.
#pragma once

#include <QColor>
#include <QPointF>
#include <QRectF>
#include <set>
#include <string>
#include <vector>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

struct TopologyItem {
  enum class Kind { Zone, Node, Pod, Ztunnel, WaypointPod };
  Kind kind = Kind::Pod;
  std::string key;                  // object key (roles.hpp)
  std::vector<std::string> groups;  // other keys that select it: its workload, namespace, services, node, zone
  std::string label;
  std::string tooltip;
  QRectF rect;
  QColor fill;
  bool active = true;  // a ztunnel with no ambient pod on its node is drawn faded
};

struct TopologyEdge {
  std::size_t from_node = 0, to_node = 0;  // NodeIds
  QPointF from, to;
  double rps = 0;  // offered calls per second on this node pair (mean of the load)
  bool cross_zone = false;
  double width_px = 1;
};

struct TopologyLayout {
  std::vector<TopologyItem> items;
  std::vector<TopologyEdge> edges;
  QRectF bounds;
  // Keys of the items `key` selects: the item itself and every item in its group.
  [[nodiscard]] std::set<std::string> selectedBy(const std::string& key) const;
  [[nodiscard]] const TopologyItem* find(const std::string& key) const;
};

QColor modeColor(models::MeshMode m);
inline const QColor kWaypointColor{0x7b, 0x1f, 0xa2};

TopologyLayout layoutTopology(const models::Scenario& s, const models::MeshState& m);

// The details panel's text for an object key in phase `m`, one fact per line.
std::string describeObject(const models::Scenario& s, const models::MeshState& m, const std::string& key);

}  // namespace meshtwin::gui
