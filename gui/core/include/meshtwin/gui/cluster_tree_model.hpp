// The cluster as a tree: zone -> node -> pod (waypoint pods included), each row with its
// object key so selection can follow the topology view.
#pragma once

#include <QStandardItemModel>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

class ClusterTreeModel : public QStandardItemModel {
 public:
  using QStandardItemModel::QStandardItemModel;
  // Rebuilds the rows for phase `m` (pods show their mode in that phase).
  void setScenario(const models::Scenario& s, const models::MeshState& m);
  [[nodiscard]] QModelIndex indexOfKey(const QString& key) const;
};

}  // namespace meshtwin::gui
