// The plan editor: namespaces and workloads on the left, the waves on the right. Drag a
// row into a wave (or use its context menu) to move it there; the wave's context menu and
// the buttons add waypoints, reorder waves, and edit rollout settings and gates.
#pragma once

#include <QWidget>

#include "meshtwin/gui/plan_model.hpp"
#include "meshtwin/gui/scenario_document.hpp"
#include "meshtwin/gui/target_model.hpp"

class QTreeView;
class QPushButton;

namespace meshtwin::gui {

class PlanEditor : public QWidget {
  Q_OBJECT

 public:
  PlanEditor(ScenarioDocument* doc, QWidget* parent = nullptr);
  [[nodiscard]] QTreeView* planTree() const { return plan_view_; }
  [[nodiscard]] QTreeView* targetTree() const { return target_view_; }
  // The wave selected in the plan tree, or -1.
  [[nodiscard]] int currentWave() const;

  // Dialogs open without blocking (so tests and the window keep running); each applies its
  // edit when accepted.
  void openAddWaypoint(int wave);
  void openRollout(int wave);
  void openAddGate(int wave);
  void openRenameWave(int wave);

 signals:
  void message(const QString& text);  // an edit refused, or done

 private:
  void rebuild();
  void targetMenu(const QPoint& pos);
  void planMenu(const QPoint& pos);
  void moveTo(const QString& target, int wave, models::MeshMode mode);
  void run(const QString& what, const ScenarioEdit& e);
  void updateButtons();

  ScenarioDocument* doc_;
  TargetModel targets_;
  PlanModel plan_;
  QTreeView* target_view_;
  QTreeView* plan_view_;
  QPushButton* add_waypoint_;
  QPushButton* up_;
  QPushButton* down_;
  QPushButton* rollout_;
  QPushButton* add_gate_;
  QPushButton* remove_;
};

}  // namespace meshtwin::gui
