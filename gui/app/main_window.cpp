// MainWindow: widgets and the signals between them and the gui/core objects.
#include "main_window.hpp"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTextBlock>
#include <QTextBrowser>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

#include "meshtwin/gui/report_file.hpp"
#include "meshtwin/gui/roles.hpp"
#include "meshtwin/gui/topology_layout.hpp"
#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "plan_editor.hpp"
#include "results_view.hpp"
#include "topology_view.hpp"

namespace meshtwin::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("meshtwin planner"));
  resize(1500, 950);
  tabs_ = new QTabWidget;
  tabs_->setObjectName(QStringLiteral("tabs"));
  setCentralWidget(tabs_);

  // Topology: tree | view | details.
  cluster_view_ = new QTreeView;
  cluster_view_->setObjectName(QStringLiteral("cluster-tree"));
  cluster_view_->setModel(&cluster_);
  cluster_view_->setHeaderHidden(true);
  topology_ = new TopologyView;
  topology_->setObjectName(QStringLiteral("topology"));
  details_ = new QTextBrowser;
  details_->setObjectName(QStringLiteral("details"));
  details_->setPlaceholderText(tr("Select a zone, node, pod or waypoint to see its details."));
  auto* topo_split = new QSplitter;
  topo_split->addWidget(cluster_view_);
  topo_split->addWidget(topology_);
  topo_split->addWidget(details_);
  topo_split->setStretchFactor(1, 3);
  topo_split->setSizes({260, 900, 280});
  tabs_->addTab(topo_split, tr("Topology"));
  connect(cluster_view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& i) { selectObject(i.data(ObjectKeyRole).toString()); });
  connect(topology_, &TopologyView::objectSelected, this, &MainWindow::selectObject);

  plan_editor_ = new PlanEditor(&doc_);
  tabs_->addTab(plan_editor_, tr("Plan"));
  connect(plan_editor_, &PlanEditor::message, this, &MainWindow::showStatus);

  results_ = new ResultsView;
  results_->setObjectName(QStringLiteral("results"));
  tabs_->addTab(results_, tr("Results"));

  // Compare: plan A (pinned) | plan B (current), and the table of differences.
  auto* compare = new QWidget;
  auto* cl = new QVBoxLayout(compare);
  compare_label_ = new QLabel(tr("Run a plan, press \"Pin as plan A\", change the plan and run again: both appear here."));
  compare_label_->setWordWrap(true);
  compare_a_ = new ResultsView;
  compare_b_ = new ResultsView;
  compare_table_ = new QTableView;
  compare_table_->setObjectName(QStringLiteral("compare-table"));
  compare_table_->setModel(&compare_);
  compare_table_->horizontalHeader()->setStretchLastSection(true);
  auto* columns = new QSplitter;
  columns->addWidget(compare_a_);
  columns->addWidget(compare_b_);
  auto* rows = new QSplitter(Qt::Vertical);
  rows->addWidget(columns);
  rows->addWidget(compare_table_);
  rows->setStretchFactor(0, 3);
  cl->addWidget(compare_label_);
  cl->addWidget(rows, 1);
  tabs_->addTab(compare, tr("Compare"));

  // YAML: the text, Apply, and every diagnostic (activating one moves the cursor there).
  auto* yaml_tab = new QWidget;
  auto* yl = new QVBoxLayout(yaml_tab);
  yaml_ = new QPlainTextEdit;
  yaml_->setObjectName(QStringLiteral("yaml"));
  yaml_->setFont(QFont(QStringLiteral("DejaVu Sans Mono"), 9));
  yaml_->setLineWrapMode(QPlainTextEdit::NoWrap);
  auto* apply = new QPushButton(tr("Apply text"));
  apply->setObjectName(QStringLiteral("apply-yaml"));
  diagnostics_view_ = new QListView;
  diagnostics_view_->setObjectName(QStringLiteral("diagnostics"));
  diagnostics_view_->setModel(&diagnostics_);
  diagnostics_view_->setMaximumHeight(150);
  yl->addWidget(yaml_, 1);
  yl->addWidget(apply);
  yl->addWidget(diagnostics_view_);
  tabs_->addTab(yaml_tab, tr("YAML"));
  connect(apply, &QPushButton::clicked, this, [this] {
    if (!doc_.applyText(yaml_->toPlainText())) showStatus(doc_.lastError());
  });
  connect(diagnostics_view_, &QListView::activated, this, &MainWindow::jumpToDiagnostic);

  // Findings dock: activating one selects its object in the topology.
  findings_view_ = new QTableView;
  findings_view_->setObjectName(QStringLiteral("findings"));
  findings_view_->setModel(&findings_);
  findings_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  findings_view_->horizontalHeader()->setStretchLastSection(true);
  findings_view_->verticalHeader()->hide();
  findings_view_->setWordWrap(false);
  findings_view_->setTextElideMode(Qt::ElideMiddle);
  connect(&findings_, &QAbstractItemModel::modelReset, this, [this] {
    for (int c = 0; c < FindingsModel::Message; ++c) findings_view_->resizeColumnToContents(c);
  });
  auto* dock = new QDockWidget(tr("Findings"));
  dock->setObjectName(QStringLiteral("findings-dock"));
  dock->setWidget(findings_view_);
  addDockWidget(Qt::BottomDockWidgetArea, dock);
  connect(findings_view_, &QTableView::activated, this, [this](const QModelIndex& i) {
    const auto key = i.data(ObjectKeyRole).toString();
    if (key.isEmpty()) return;
    tabs_->setCurrentIndex(0);
    selectObject(key);
  });

  buildActions();
  connect(&doc_, &ScenarioDocument::scenarioChanged, this, &MainWindow::onScenarioChanged);
  connect(&doc_, &ScenarioDocument::diagnosticsChanged, this, [this] {
    diagnostics_.setDiagnostics(doc_.diagnostics());
    if (!doc_.diagnostics().empty()) tabs_->setCurrentIndex(tabs_->count() - 1);
  });
  connect(&runner_, &SimulationRunner::started, this, [this](int total) {
    progress_->setRange(0, total);
    progress_->setValue(0);
    progress_->setFormat(tr("%v of %m phases"));
    run_->setEnabled(false);
    cancel_->setEnabled(true);
    results_->clear();
  });
  connect(&runner_, &SimulationRunner::phaseReady, this, &MainWindow::onPhaseReady);
  connect(&runner_, &SimulationRunner::finished, this, [this] {
    run_->setEnabled(true);
    cancel_->setEnabled(false);
    showStatus(tr("simulation done: %1 phase(s) in %2 s").arg(runner_.report().phases.size()).arg(static_cast<double>(runner_.lastRunWallMs()) / 1000.0, 0, 'f', 1));
    updateCompare();
  });
  connect(&runner_, &SimulationRunner::cancelled, this, [this] {
    run_->setEnabled(true);
    cancel_->setEnabled(false);
    progress_->setFormat(tr("cancelled"));
    showStatus(tr("simulation cancelled after %1 phase(s)").arg(runner_.report().phases.size()));
  });
  onScenarioChanged();
}

void MainWindow::buildActions() {
  auto* tb = addToolBar(tr("Main"));
  tb->setObjectName(QStringLiteral("toolbar"));
  tb->setToolButtonStyle(Qt::ToolButtonTextOnly);
  auto* open = tb->addAction(tr("Open\u2026"), this, [this] {
    if (!confirmDiscard()) return;
    const auto path = QFileDialog::getOpenFileName(this, tr("Open scenario"), QString(), tr("Scenarios (*.yaml *.yml)"));
    if (!path.isEmpty()) openScenario(path);
  });
  open->setShortcut(QKeySequence::Open);
  tb->addAction(tr("Save"), this, [this] { save(false); })->setShortcut(QKeySequence::Save);
  tb->addAction(tr("Save as\u2026"), this, [this] { save(true); })->setShortcut(QKeySequence::SaveAs);
  tb->addSeparator();
  auto* undo = doc_.undoStack()->createUndoAction(this, tr("Undo"));
  undo->setShortcut(QKeySequence::Undo);
  auto* redo = doc_.undoStack()->createRedoAction(this, tr("Redo"));
  // Both common spellings, whatever the platform theme prefers.
  redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  tb->addAction(undo);
  tb->addAction(redo);
  tb->addSeparator();
  tb->addWidget(new QLabel(tr(" Phase: ")));
  phase_ = new QComboBox;
  phase_->setObjectName(QStringLiteral("phase"));
  phase_->setMinimumWidth(160);
  tb->addWidget(phase_);
  connect(phase_, &QComboBox::currentIndexChanged, this, &MainWindow::refreshTopology);
  tb->addSeparator();
  tb->addWidget(new QLabel(tr(" Load per phase: ")));
  duration_s_ = new QSpinBox;
  duration_s_->setObjectName(QStringLiteral("duration"));
  duration_s_->setRange(5, 3600);
  duration_s_->setValue(60);
  duration_s_->setSuffix(tr(" s"));
  tb->addWidget(duration_s_);
  run_ = tb->addAction(tr("Run"), this, &MainWindow::runSimulation);
  run_->setObjectName(QStringLiteral("run"));
  run_->setShortcut(Qt::Key_F5);
  cancel_ = tb->addAction(tr("Cancel"), &runner_, &SimulationRunner::cancel);
  cancel_->setObjectName(QStringLiteral("cancel"));
  cancel_->setEnabled(false);
  progress_ = new QProgressBar;
  progress_->setObjectName(QStringLiteral("progress"));
  progress_->setMaximumWidth(200);
  progress_->setFormat(tr("idle"));
  progress_->setValue(0);
  tb->addWidget(progress_);
  tb->addSeparator();
  tb->addAction(tr("Export report\u2026"), this, &MainWindow::exportReport);
  tb->addAction(tr("Export charts\u2026"), this, &MainWindow::exportCharts);
  tb->addAction(tr("Pin as plan A"), this, &MainWindow::pinForCompare)->setObjectName(QStringLiteral("pin"));
}

bool MainWindow::openScenario(const QString& path) {
  const bool ok = doc_.open(path);
  yaml_->setPlainText(doc_.text());
  if (!ok) {
    showStatus(tr("open: %1: %2 error(s); each is listed under the YAML, activate one to jump to it")
                   .arg(path)
                   .arg(doc_.diagnostics().size()));
    tabs_->setCurrentIndex(tabs_->count() - 1);
  } else {
    showStatus(tr("opened %1").arg(path));
    tabs_->setCurrentIndex(0);
  }
  return ok;
}

void MainWindow::onScenarioChanged() {
  const auto& s = doc_.scenario();
  setWindowTitle(tr("meshtwin planner - %1").arg(doc_.path().isEmpty() ? tr("no scenario") : doc_.path()));
  if (yaml_->toPlainText() != doc_.text()) yaml_->setPlainText(doc_.text());
  const auto keep = phase_->currentIndex();
  phase_->blockSignals(true);
  phase_->clear();
  if (s) {
    phase_->addItem(QStringLiteral("baseline"));
    for (const auto& w : s->plan.waves) phase_->addItem(QString::fromStdString(w.name));
    phase_->setCurrentIndex(std::clamp(keep, 0, phase_->count() - 1));
    findings_.setFindings(models::analyze(*s));
  } else {
    findings_.setFindings({});
  }
  phase_->blockSignals(false);
  refreshTopology();
}

void MainWindow::refreshTopology() {
  const auto& s = doc_.scenario();
  if (!s) {
    cluster_.clear();
    topology_->setTopology({});
    return;
  }
  const auto state = models::meshStateAt(*s, static_cast<std::size_t>(std::max(0, phase_->currentIndex())));
  cluster_.setScenario(*s, state);
  cluster_view_->expandToDepth(0);
  topology_->setTopology(layoutTopology(*s, state));
  if (!selected_key_.isEmpty()) selectObject(selected_key_);
}

void MainWindow::selectObject(const QString& key) {
  if (key.isEmpty() || !doc_.scenario()) return;
  selected_key_ = key;
  topology_->selectKey(key);
  const auto idx = cluster_.indexOfKey(key);
  if (idx.isValid() && cluster_view_->currentIndex() != idx) {
    cluster_view_->selectionModel()->blockSignals(true);
    cluster_view_->setCurrentIndex(idx);
    cluster_view_->scrollTo(idx);
    cluster_view_->selectionModel()->blockSignals(false);
  }
  const auto state = models::meshStateAt(*doc_.scenario(), static_cast<std::size_t>(std::max(0, phase_->currentIndex())));
  details_->setPlainText(QString::fromStdString(describeObject(*doc_.scenario(), state, key.toStdString())));
}

bool MainWindow::runSimulation() {
  if (!doc_.scenario()) {
    showStatus(tr("run: no scenario loaded; open one, or fix the errors listed under the YAML"));
    return false;
  }
  sim::SimOptions o;
  o.duration_ns = static_cast<std::int64_t>(duration_s_->value()) * 1'000'000'000;
  // About 60 points per window for the timeline.
  o.series_step_ns = std::max<std::int64_t>(1'000'000'000, *o.duration_ns / 60);
  if (!runner_.start(*doc_.scenario(), o)) {
    showStatus(tr("run: a simulation is still running; cancel it first"));
    return false;
  }
  tabs_->setCurrentWidget(results_);
  showStatus(tr("simulating %1 s of load per phase\u2026").arg(duration_s_->value()));
  return true;
}

void MainWindow::onPhaseReady(int index, int total) {
  progress_->setValue(index + 1);
  results_->setReport(runner_.report(), doc_.scenario() ? &*doc_.scenario() : nullptr);
  showStatus(tr("phase %1 of %2 ready: %3")
                 .arg(index + 1)
                 .arg(total)
                 .arg(QString::fromStdString(runner_.report().phases.back().name)));
}

void MainWindow::showStatus(const QString& text) { statusBar()->showMessage(text); }

bool MainWindow::confirmDiscard() {
  if (doc_.undoStack()->isClean() && yaml_->toPlainText() == doc_.text()) return true;
  return QMessageBox::question(this, tr("Discard changes?"), tr("The plan has unsaved edits. Discard them?")) ==
         QMessageBox::Yes;
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (confirmDiscard()) e->accept();
  else e->ignore();
}

void MainWindow::save(bool as) {
  // Text typed in the YAML tab but not applied is what the user means to save.
  if (yaml_->toPlainText() != doc_.text() && !doc_.applyText(yaml_->toPlainText())) {
    showStatus(doc_.lastError());
    QMessageBox::warning(this, tr("Not saved"), doc_.lastError());
    return;
  }
  QString path = doc_.path();
  if (as || path.isEmpty()) {
    path = QFileDialog::getSaveFileName(this, tr("Save scenario"), path, tr("Scenarios (*.yaml)"));
    if (path.isEmpty()) return;
  }
  if (doc_.saveDropsComments() && path == doc_.path() &&
      QMessageBox::warning(this, tr("Comments will not be kept"),
                           tr("%1 has comments. The edited plan is written from the model, which does not hold "
                              "comments, so saving here drops them. Save anyway? (Save as\u2026 keeps the original.)")
                               .arg(path),
                           QMessageBox::Save | QMessageBox::Cancel) != QMessageBox::Save)
    return;
  const auto err = doc_.save(path);
  showStatus(err.isEmpty() ? tr("saved %1").arg(path) : err);
  if (!err.isEmpty()) QMessageBox::warning(this, tr("Save failed"), err);
}

void MainWindow::exportReport() {
  if (runner_.report().phases.empty()) {
    showStatus(tr("export report: no results; run the simulation first"));
    return;
  }
  const auto path = QFileDialog::getSaveFileName(this, tr("Export report"), QStringLiteral("report.json"), tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  const auto err = writeReportJson(runner_.report(), path);
  showStatus(err.isEmpty() ? tr("report written to %1").arg(path) : err);
}

void MainWindow::exportCharts() {
  const auto path = QFileDialog::getSaveFileName(this, tr("Export charts"), QStringLiteral("charts.png"),
                                                 tr("PNG image (*.png);;PDF document (*.pdf)"));
  if (path.isEmpty()) return;
  QString err;
  if (path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) err = results_->exportPdf(path);
  else if (!results_->renderImage().save(path))
    err = tr("export charts: %1: cannot write the image; use a .png name in a folder you can write to").arg(path);
  showStatus(err.isEmpty() ? tr("charts written to %1").arg(path) : err);
}

void MainWindow::pinForCompare() {
  if (runner_.report().phases.empty()) {
    showStatus(tr("pin: no results; run the simulation first"));
    return;
  }
  pinned_ = runner_.report();
  compare_a_->setReport(*pinned_, doc_.scenario() ? &*doc_.scenario() : nullptr);
  showStatus(tr("results pinned as plan A; change the plan and run again to compare"));
  updateCompare();
}

void MainWindow::updateCompare() {
  if (!pinned_) return;
  compare_b_->setReport(runner_.report(), doc_.scenario() ? &*doc_.scenario() : nullptr);
  compare_.setReports(*pinned_, runner_.report());
  compare_label_->setText(tr("Plan A (pinned, left) against plan B (latest run, right): %1 figure(s) differ by more than 0.5%, highlighted below.")
                              .arg(compare_.differingRows()));
}

void MainWindow::jumpToDiagnostic(const QModelIndex& index) {
  const int line = index.data(LineRole).toInt();
  const int col = index.data(ColumnRole).toInt();
  if (line <= 0) return;
  auto block = yaml_->document()->findBlockByNumber(line - 1);
  QTextCursor c(block);
  c.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor, std::max(0, col - 1));
  yaml_->setTextCursor(c);
  yaml_->setFocus();
  yaml_->centerCursor();
}

}  // namespace meshtwin::gui
