// What a wave can move, as a tree: namespace -> workload, with each one's mode before the
// plan and the wave that changes it. Rows drag into the plan editor's waves.
#pragma once

#include <QStandardItemModel>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

// Drag-and-drop payload: "<ns>" or "<ns>/<workload>", a newline, and the mode to set.
inline constexpr const char* kTargetMime = "application/x-meshtwin-target";
QByteArray targetMimePayload(const QString& target, models::MeshMode mode);
// Splits a payload; false when it is not one.
bool parseTargetMimePayload(const QByteArray& payload, QString& target, models::MeshMode& mode);

class TargetModel : public QStandardItemModel {
  Q_OBJECT

 public:
  enum Column { Name, Baseline, Wave, ColumnCount };
  using QStandardItemModel::QStandardItemModel;
  void setScenario(const models::Scenario& s);
  [[nodiscard]] QStringList mimeTypes() const override;
  [[nodiscard]] QMimeData* mimeData(const QModelIndexList& indexes) const override;
  [[nodiscard]] Qt::DropActions supportedDragActions() const override { return Qt::CopyAction; }
  // "shop" or "shop/cart" for a row.
  [[nodiscard]] static QString targetOf(const QModelIndex& index);
};

}  // namespace meshtwin::gui
