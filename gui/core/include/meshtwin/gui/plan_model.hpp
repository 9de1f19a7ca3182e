// The migration plan as a tree: wave -> its changes, then its gates. Targets dropped on a
// wave move into it; a mode change's mode is editable in place. Every edit goes through the
// ScenarioDocument, so it is undoable and checked by the loader.
#pragma once

#include <QStandardItemModel>

#include "meshtwin/gui/scenario_document.hpp"

namespace meshtwin::gui {

class PlanModel : public QStandardItemModel {
  Q_OBJECT

 public:
  enum Column { Step, Mode, ColumnCount };
  explicit PlanModel(ScenarioDocument* doc, QObject* parent = nullptr);

  [[nodiscard]] QStringList mimeTypes() const override;
  [[nodiscard]] QMimeData* mimeData(const QModelIndexList& indexes) const override;
  [[nodiscard]] Qt::DropActions supportedDropActions() const override { return Qt::CopyAction | Qt::MoveAction; }
  // Copy only: the document rebuilds the rows after an edit, the view must not remove any.
  [[nodiscard]] Qt::DropActions supportedDragActions() const override { return Qt::CopyAction; }
  [[nodiscard]] bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                                     const QModelIndex& parent) const override;
  bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column, const QModelIndex& parent) override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  // The wave a row belongs to (the wave row itself or one of its children); -1 for none.
  [[nodiscard]] static int waveOf(const QModelIndex& index);

 signals:
  // An edit the document refused, as `<what failed>: <object>: <cause>; <hint>`.
  void editRefused(const QString& message);

 private:
  void rebuild();
  ScenarioDocument* doc_;
};

}  // namespace meshtwin::gui
