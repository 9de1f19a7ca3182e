// The planner's main window: tabs for the topology, the plan, the results, a comparison of
// two plans and the YAML; a toolbar to open, save, undo, run and export. It only wires the
// gui/core models and presenters to widgets.
#pragma once

#include <QMainWindow>
#include <optional>

#include "meshtwin/gui/cluster_tree_model.hpp"
#include "meshtwin/gui/compare_model.hpp"
#include "meshtwin/gui/diagnostics_model.hpp"
#include "meshtwin/gui/findings_model.hpp"
#include "meshtwin/gui/scenario_document.hpp"
#include "meshtwin/gui/simulation_runner.hpp"

class QAction;
class QComboBox;
class QLabel;
class QListView;
class QPlainTextEdit;
class QProgressBar;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QTreeView;

namespace meshtwin::gui {

class PlanEditor;
class ResultsView;
class TopologyView;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  bool openScenario(const QString& path);
  // Starts a run of the current scenario with `duration_s` of load per phase.
  bool runSimulation();

  [[nodiscard]] ScenarioDocument* document() { return &doc_; }
  [[nodiscard]] SimulationRunner* runner() { return &runner_; }
  [[nodiscard]] PlanEditor* planEditor() const { return plan_editor_; }
  [[nodiscard]] ResultsView* resultsView() const { return results_; }
  [[nodiscard]] TopologyView* topologyView() const { return topology_; }
  [[nodiscard]] QTabWidget* tabs() const { return tabs_; }
  [[nodiscard]] QSpinBox* durationBox() const { return duration_s_; }
  // Selects an object in every view that shows it (tree, topology, details).
  void selectObject(const QString& key);

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  void buildActions();
  void onScenarioChanged();
  void refreshTopology();
  void onPhaseReady(int index, int total);
  void showStatus(const QString& text);
  void save(bool as);
  void exportReport();
  void exportCharts();
  void pinForCompare();
  void updateCompare();
  void jumpToDiagnostic(const QModelIndex& index);
  [[nodiscard]] bool confirmDiscard();

  ScenarioDocument doc_;
  SimulationRunner runner_;
  ClusterTreeModel cluster_;
  FindingsModel findings_;
  DiagnosticsModel diagnostics_;
  CompareModel compare_;
  std::optional<models::Report> pinned_;

  QTabWidget* tabs_ = nullptr;
  TopologyView* topology_ = nullptr;
  QTreeView* cluster_view_ = nullptr;
  QTextBrowser* details_ = nullptr;
  QComboBox* phase_ = nullptr;
  PlanEditor* plan_editor_ = nullptr;
  ResultsView* results_ = nullptr;
  ResultsView* compare_a_ = nullptr;
  ResultsView* compare_b_ = nullptr;
  QTableView* compare_table_ = nullptr;
  QLabel* compare_label_ = nullptr;
  QTableView* findings_view_ = nullptr;
  QPlainTextEdit* yaml_ = nullptr;
  QListView* diagnostics_view_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QSpinBox* duration_s_ = nullptr;
  QAction* run_ = nullptr;
  QAction* cancel_ = nullptr;
  QString selected_key_;
};

}  // namespace meshtwin::gui
