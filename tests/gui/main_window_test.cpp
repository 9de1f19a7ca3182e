// The planner end to end: open the default scenario, add a waypoint to a wave through the
// UI with QTest events, run the simulation, and check the charts hold the report's numbers.
// Under Xvfb ([xvfb]), the same run ends with screenshots of the main window.
#include <catch2/catch.hpp>

#include <QAbstractItemView>
#include <QApplication>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QAction>
#include <QLineEdit>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedBarSeries>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>

#include "main_window.hpp"
#include "meshtwin/gui/plan_model.hpp"
#include "meshtwin/gui/roles.hpp"
#include "plan_editor.hpp"
#include "results_view.hpp"
#include "topology_view.hpp"

using namespace meshtwin;

namespace {

QChart* chart(gui::MainWindow& w, const char* name) {
  auto* v = w.resultsView()->findChild<QChartView*>(QString::fromLatin1(name));
  REQUIRE(v);
  return v->chart();
}

std::vector<double> values(const QBarSet* set) {
  std::vector<double> out;
  for (int i = 0; i < set->count(); ++i) out.push_back(set->at(i));
  return out;
}

const models::ComponentUsage* component(const models::PhaseReport& p, const std::string& kind) {
  for (const auto& c : p.components) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

// Clicks through the plan editor: select wave 1, "Add waypoint...", fill the dialog, OK.
void addWaypointThroughTheUi(gui::MainWindow& w) {
  w.tabs()->setCurrentWidget(w.planEditor());
  auto* tree = w.planEditor()->planTree();
  const auto wave1 = tree->model()->index(0, 0);
  REQUIRE(wave1.data().toString() == QLatin1String("1. wave-1-data"));
  const QRect r = tree->visualRect(wave1);
  QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, r.center());
  REQUIRE(w.planEditor()->currentWave() == 0);
  auto* add = w.planEditor()->findChild<QPushButton*>(QStringLiteral("add-waypoint"));
  REQUIRE(add);
  REQUIRE(add->isEnabled());
  QTest::mouseClick(add, Qt::LeftButton);
  QDialog* dialog = nullptr;
  QTRY_VERIFY_WITH_TIMEOUT((dialog = w.planEditor()->findChild<QDialog*>(QStringLiteral("waypoint-dialog"))) && dialog->isVisible(), 5000);
  auto* ns = dialog->findChild<QComboBox*>(QStringLiteral("waypoint-namespace"));
  auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("waypoint-name"));
  auto* max = dialog->findChild<QSpinBox*>(QStringLiteral("waypoint-hpa-max"));
  REQUIRE(ns);
  REQUIRE(name);
  REQUIRE(max);
  ns->setFocus();
  while (ns->currentText() != QLatin1String("data") && ns->currentIndex() + 1 < ns->count()) QTest::keyClick(ns, Qt::Key_Down);
  REQUIRE(ns->currentText() == QLatin1String("data"));
  QTest::keyClicks(name, QStringLiteral("data-waypoint"));
  max->selectAll();
  QTest::keyClicks(max, QStringLiteral("3"));
  auto* ok = dialog->findChild<QDialogButtonBox*>(QStringLiteral("buttons"))->button(QDialogButtonBox::Ok);
  QTest::mouseClick(ok, Qt::LeftButton);
}

void runAndCheck(gui::MainWindow& w) {
  REQUIRE(w.openScenario(QStringLiteral("scenarios/default.yaml")));
  w.show();
  REQUIRE(QTest::qWaitForWindowExposed(&w));

  addWaypointThroughTheUi(w);
  const auto& s = *w.document()->scenario();
  const auto wp = s.findWaypoint("data", "data-waypoint");
  REQUIRE(wp);
  CHECK(s.waypoints[*wp].hpa->max_replicas == 3);
  CHECK(std::holds_alternative<models::AddWaypoint>(s.plan.waves[0].changes[0]));
  CHECK(w.document()->undoStack()->count() == 1);

  // Undo and redo through the keyboard, as a planner would. Shortcuts reach the active
  // window only; under Xvfb nothing activates it when the dialog closes.
  w.activateWindow();
  REQUIRE(QTest::qWaitForWindowActive(&w));
  QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
  CHECK_FALSE(w.document()->scenario()->findWaypoint("data", "data-waypoint"));
  QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  REQUIRE(w.document()->scenario()->findWaypoint("data", "data-waypoint"));

  // Run 10 s of load per phase (a few seconds of wall time).
  w.durationBox()->selectAll();
  QTest::keyClicks(w.durationBox(), QStringLiteral("10"));
  REQUIRE(w.durationBox()->value() == 10);
  QSignalSpy phases(w.runner(), &gui::SimulationRunner::phaseReady);
  QSignalSpy done(w.runner(), &gui::SimulationRunner::finished);
  QTest::keyClick(&w, Qt::Key_F5);
  REQUIRE(w.runner()->isRunning());
  // The window keeps handling events while the worker simulates: the first phase arrives
  // and is drawn before the run ends.
  REQUIRE(phases.wait(120'000));
  CHECK(w.runner()->isRunning());
  CHECK(chart(w, "chart-cpu")->series().size() == 1);
  REQUIRE(done.wait(300'000));
  const auto& r = w.runner()->report();
  REQUIRE(r.phases.size() == 7);
  CHECK(phases.count() == 7);

  // The waypoint added through the UI is in the simulated plan from wave 1 on.
  const auto* wp1 = component(r.phases[2], "waypoint");
  REQUIRE(r.phases[2].name == "wave-1-data");
  REQUIRE(wp1);
  CHECK(wp1->instances >= 2);
  const auto* wp0 = component(r.phases[0], "waypoint");
  CHECK((wp0 == nullptr || wp0->instances == 0));

  // Stacked CPU and memory: one bar set per mesh component, one value per phase.
  auto* cpu = qobject_cast<QStackedBarSeries*>(chart(w, "chart-cpu")->series().front());
  auto* mem = qobject_cast<QStackedBarSeries*>(chart(w, "chart-memory")->series().front());
  REQUIRE(cpu);
  REQUIRE(mem);
  REQUIRE(cpu->count() == 3);
  for (auto* set : cpu->barSets()) {
    const auto v = values(set);
    REQUIRE(v.size() == r.phases.size());
    for (std::size_t p = 0; p < v.size(); ++p) {
      const auto* c = component(r.phases[p], set->label().toStdString());
      CHECK(v[p] == (c ? c->cpu_millicores : 0));
    }
  }
  for (std::size_t p = 0; p < r.phases.size(); ++p) {
    double total = 0;
    for (auto* set : mem->barSets()) total += set->at(static_cast<int>(p));
    CHECK(total * 1024 * 1024 == Approx(r.phases[p].mesh_memory_bytes));
  }
  // Latency lines per entry point, and the gate lines.
  bool saw_p99 = false, saw_gate = false;
  for (auto* series : chart(w, "chart-latency")->series()) {
    auto* line = qobject_cast<QLineSeries*>(series);
    REQUIRE(line);
    if (line->name() == QLatin1String("web p99")) {
      saw_p99 = true;
      REQUIRE(line->count() == static_cast<int>(r.phases.size()));
      for (int p = 0; p < line->count(); ++p) CHECK(line->at(p).y() == r.phases[static_cast<std::size_t>(p)].entry_latency.at("web").p99_ms);
    }
    if (line->name() == QLatin1String("web p99 gate")) {
      saw_gate = true;
      CHECK(line->at(0) == QPointF(1, 120));  // wave-1-data's rollout window: p99 of web <= 120ms
    }
  }
  CHECK(saw_p99);
  CHECK(saw_gate);
  // Cost: compute and cross-zone per phase.
  auto* cost = qobject_cast<QStackedBarSeries*>(chart(w, "chart-cost")->series().front());
  REQUIRE(cost);
  for (std::size_t p = 0; p < r.phases.size(); ++p) {
    CHECK(cost->barSets()[0]->at(static_cast<int>(p)) == r.phases[p].compute_usd_per_month);
    CHECK(cost->barSets()[1]->at(static_cast<int>(p)) == r.phases[p].cross_zone_usd_per_month);
  }
  // The timeline shows the first rollout window's series.
  auto* timeline = w.resultsView()->findChild<QComboBox*>(QStringLiteral("timeline-phase"));
  REQUIRE(timeline);
  CHECK(timeline->currentText() == QLatin1String("rollout wave-1-data"));
  auto* p99 = qobject_cast<QLineSeries*>(chart(w, "chart-timeline")->series().at(1));
  REQUIRE(p99);
  CHECK(p99->count() == static_cast<int>(r.phases[1].series.size()));
}

}  // namespace

TEST_CASE("end to end: add a waypoint through the UI, run, charts hold the report", "[gui][e2e]") {
  gui::MainWindow w;
  runAndCheck(w);
  // A finding activated in the list selects its object in the topology.
  auto* findings = w.findChild<QAbstractItemView*>(QStringLiteral("findings"));
  REQUIRE(findings);
  const auto first = findings->model()->index(0, 0);
  // policy-sees-waypoint-identity: AuthorizationPolicy data/inventory-callers; a policy's
  // finding selects its namespace.
  REQUIRE(first.data(gui::ObjectKeyRole).toString() == QLatin1String("namespace:data"));
  emit findings->activated(first);
  CHECK(w.tabs()->currentIndex() == 0);
  CHECK(w.topologyView()->selectedKeys().size() == 6);  // inventory's and pricing's pods

  // Charts export to PNG and PDF.
  QTemporaryDir dir;
  CHECK(w.resultsView()->renderImage().save(dir.filePath(QStringLiteral("charts.png"))));
  REQUIRE(w.resultsView()->exportPdf(dir.filePath(QStringLiteral("charts.pdf"))).isEmpty());
  CHECK(QFileInfo(dir.filePath(QStringLiteral("charts.pdf"))).size() > 10'000);

  // Compare: pin this plan as A, undo the waypoint, run plan B; they differ from wave 1 on.
  w.findChild<QAction*>(QStringLiteral("pin"))->trigger();
  w.document()->undoStack()->undo();
  REQUIRE_FALSE(w.document()->scenario()->findWaypoint("data", "data-waypoint"));
  QSignalSpy done(w.runner(), &gui::SimulationRunner::finished);
  REQUIRE(w.runSimulation());
  REQUIRE(done.wait(300'000));
  auto* table = w.findChild<QAbstractItemView*>(QStringLiteral("compare-table"));
  REQUIRE(table);
  const auto* m = table->model();
  REQUIRE(m->rowCount() == 7 * 7);
  // Baseline is the same plan in both; wave-1-data's mesh memory is not (one waypoint less).
  CHECK_FALSE(m->index(1, 0).data(gui::HighlightRole).toBool());
  CHECK(m->index(2 * 7 + 1, 0).data().toString() == QLatin1String("wave-1-data"));
  CHECK(m->index(2 * 7 + 1, 0).data(gui::HighlightRole).toBool());
}

TEST_CASE("a file that does not load lists its errors and jumps to them", "[gui][e2e]") {
  gui::MainWindow w;
  CHECK_FALSE(w.openScenario(QStringLiteral("tests/data/bad/three-errors.yaml")));
  auto* list = w.findChild<QAbstractItemView*>(QStringLiteral("diagnostics"));
  auto* yaml = w.findChild<QPlainTextEdit*>(QStringLiteral("yaml"));
  REQUIRE(list);
  REQUIRE(yaml);
  REQUIRE(list->model()->rowCount() == 3);
  CHECK(w.tabs()->currentIndex() == w.tabs()->count() - 1);
  emit list->activated(list->model()->index(1, 0));
  CHECK(yaml->textCursor().blockNumber() + 1 == 47);
  CHECK(yaml->textCursor().positionInBlock() + 1 == 48);
}

TEST_CASE("screenshots of the main window after a run, under a real X server", "[xvfb]") {
  REQUIRE(QGuiApplication::platformName() == QLatin1String("xcb"));
  gui::MainWindow w;
  w.resize(1600, 1000);
  runAndCheck(w);
  // Pin the plan with the extra waypoint as A, then run the shipped plan as B.
  w.findChild<QAction*>(QStringLiteral("pin"))->trigger();
  w.document()->undoStack()->undo();
  QSignalSpy done(w.runner(), &gui::SimulationRunner::finished);
  REQUIRE(w.runSimulation());
  REQUIRE(done.wait(300'000));
  const QDir dir(QStringLiteral(MESHTWIN_SCREENSHOT_DIR));
  REQUIRE(QDir().mkpath(dir.path()));
  auto shot = [&](const char* name) {
    QApplication::processEvents();
    const auto img = w.grab();
    CHECK(img.width() >= 1200);
    REQUIRE(img.save(dir.filePath(QString::fromLatin1(name))));
  };
  w.tabs()->setCurrentWidget(w.resultsView());
  shot("meshtwin-gui-results.png");
  w.tabs()->setCurrentIndex(3);
  shot("meshtwin-gui-compare.png");
  w.tabs()->setCurrentIndex(0);
  auto* phase = w.findChild<QComboBox*>(QStringLiteral("phase"));
  REQUIRE(phase);
  phase->setCurrentIndex(2);  // after wave-2-checkout: mixed modes, a waypoint
  w.selectObject(QStringLiteral("workload:shop/frontend"));
  shot("meshtwin-gui-topology.png");
}
