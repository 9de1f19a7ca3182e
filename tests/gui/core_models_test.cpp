// gui/core item models offscreen: QAbstractItemModelTester on each, what their rows say,
// and plan edits through the document (drop, mode, waypoint, waves, undo/redo).
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QMimeData>
#include <QTemporaryDir>
#include <QTextStream>

#include "gui_test_support.hpp"
#include "meshtwin/gui/cluster_tree_model.hpp"
#include "meshtwin/gui/compare_model.hpp"
#include "meshtwin/gui/diagnostics_model.hpp"
#include "meshtwin/gui/findings_model.hpp"
#include "meshtwin/gui/plan_edits.hpp"
#include "meshtwin/gui/plan_model.hpp"
#include "meshtwin/gui/roles.hpp"
#include "meshtwin/gui/scenario_document.hpp"
#include "meshtwin/gui/target_model.hpp"
#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/mesh_state.hpp"

using namespace meshtwin;
using gui::Role;

namespace {

const QString kDefault = QStringLiteral("scenarios/default.yaml");

QModelIndex childNamed(const QAbstractItemModel& m, const QModelIndex& parent, const QString& text) {
  for (int r = 0; r < m.rowCount(parent); ++r) {
    const auto i = m.index(r, 0, parent);
    if (i.data().toString() == text || i.data().toString().startsWith(text + QLatin1Char(' '))) return i;
  }
  return {};
}

std::optional<models::MeshMode> modeChangeOf(const models::Scenario& s, const std::string& ns, std::size_t wave) {
  for (const auto& c : s.plan.waves[wave].changes) {
    if (const auto* mc = std::get_if<models::ModeChange>(&c); mc && mc->whole_namespace && mc->ns == ns) return mc->to;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("the cluster tree is zone -> node -> pod and keeps its structure valid", "[gui][models]") {
  const auto s = test::loadFile("scenarios/default.yaml");
  gui::ClusterTreeModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setScenario(s, models::meshStateAt(s, 0));
  REQUIRE(m.rowCount() == 3);
  int nodes = 0, pods = 0;
  for (int z = 0; z < m.rowCount(); ++z) {
    const auto zone = m.index(z, 0);
    CHECK(zone.data(gui::ObjectKeyRole).toString().startsWith(QLatin1String("zone:")));
    nodes += m.rowCount(zone);
    for (int n = 0; n < m.rowCount(zone); ++n) pods += m.rowCount(m.index(n, 0, zone));
  }
  CHECK(nodes == 6);
  CHECK(pods == 35);  // the baseline has no waypoint: only app pods
  const auto after_wave3 = models::meshStateAt(s, 3);
  m.setScenario(s, after_wave3);
  const auto frontend0 = m.indexOfKey(QStringLiteral("pod:frontend-0"));
  REQUIRE(frontend0.isValid());
  CHECK(frontend0.data().toString().contains(QLatin1String("ambient")));
  CHECK(m.indexOfKey(QStringLiteral("pod:checkout-waypoint-0")).isValid());
}

TEST_CASE("the target model lists namespaces and workloads and drags them", "[gui][models]") {
  const auto s = test::loadFile("scenarios/default.yaml");
  gui::TargetModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setScenario(s);
  CHECK(m.rowCount() == static_cast<int>(s.namespaces.size()));
  const auto data = childNamed(m, {}, QStringLiteral("data"));
  REQUIRE(data.isValid());
  CHECK(m.rowCount(data) == 2);
  CHECK(data.siblingAtColumn(gui::TargetModel::Wave).data().toString() == QLatin1String("wave-1-data -> ambient"));
  const auto inventory = childNamed(m, data, QStringLiteral("inventory"));
  std::unique_ptr<QMimeData> mime(m.mimeData({inventory}));
  REQUIRE(mime);
  QString target;
  models::MeshMode mode{};
  REQUIRE(gui::parseTargetMimePayload(mime->data(QString::fromLatin1(gui::kTargetMime)), target, mode));
  CHECK(target == QLatin1String("data/inventory"));
  CHECK(mode == models::MeshMode::Ambient);
}

TEST_CASE("a target dropped on a wave moves there; undo and redo restore each model", "[gui][models][edit]") {
  gui::ScenarioDocument doc;
  REQUIRE(doc.open(kDefault));
  gui::PlanModel plan(&doc);
  QAbstractItemModelTester tester(&plan, QAbstractItemModelTester::FailureReportingMode::Fatal);
  REQUIRE(plan.rowCount() == 3);
  CHECK(plan.rowCount(plan.index(0, 0)) == 1 + 2);  // one change, two gates
  const auto original = doc.text();

  // Drop namespace "identity" (moved in wave 3) on wave 1.
  QMimeData mime;
  mime.setData(QString::fromLatin1(gui::kTargetMime), gui::targetMimePayload(QStringLiteral("identity"), models::MeshMode::Ambient));
  REQUIRE(plan.canDropMimeData(&mime, Qt::CopyAction, -1, -1, plan.index(0, 0)));
  plan.dropMimeData(&mime, Qt::CopyAction, -1, -1, plan.index(0, 0));
  REQUIRE(doc.scenario());
  CHECK(modeChangeOf(*doc.scenario(), "identity", 0) == models::MeshMode::Ambient);
  CHECK_FALSE(modeChangeOf(*doc.scenario(), "identity", 2).has_value());
  CHECK(plan.rowCount(plan.index(0, 0)) == 2 + 2);
  CHECK(doc.undoStack()->count() == 1);
  CHECK(doc.text() != original);

  // Its mode is editable in place.
  const auto row = childNamed(plan, plan.index(0, 0), QStringLiteral("namespace identity"));
  REQUIRE(row.isValid());
  REQUIRE(plan.setData(row.siblingAtColumn(gui::PlanModel::Mode), QStringLiteral("sidecar")));
  CHECK(modeChangeOf(*doc.scenario(), "identity", 0) == models::MeshMode::Sidecar);

  doc.undoStack()->undo();
  CHECK(modeChangeOf(*doc.scenario(), "identity", 0) == models::MeshMode::Ambient);
  doc.undoStack()->undo();
  CHECK(modeChangeOf(*doc.scenario(), "identity", 2) == models::MeshMode::Ambient);
  CHECK(doc.text() == original);
  doc.undoStack()->redo();
  CHECK(modeChangeOf(*doc.scenario(), "identity", 0) == models::MeshMode::Ambient);
}

TEST_CASE("an edit the loader refuses leaves the plan and says why", "[gui][models][edit]") {
  gui::ScenarioDocument doc;
  REQUIRE(doc.open(kDefault));
  models::Gate g;
  g.kind = models::Gate::Kind::Latency;
  g.path = "no-such-entry";
  g.threshold_ns = 1'000'000;
  CHECK_FALSE(doc.edit(QStringLiteral("add gate"), [&](models::Scenario& s) { return gui::addGate(s, 0, g); }));
  INFO(doc.lastError().toStdString());
  CHECK(doc.lastError().startsWith(QLatin1String("add gate: wave wave-1-data: gate path \"no-such-entry\" is not an entry point")));
  CHECK(doc.undoStack()->count() == 0);
  CHECK_FALSE(doc.edit(QStringLiteral("rollout"), [](models::Scenario& s) {
    return gui::setRollout(s, 0, {{false, 0, 0}, {false, 0, 0}});
  }));
  CHECK(doc.lastError().contains(QLatin1String("both zero")));
}

TEST_CASE("plan edits: add a waypoint, reorder and rename waves, rollout, gates", "[gui][models][edit]") {
  auto s = test::loadFile("scenarios/default.yaml");
  gui::WaypointSpec spec;
  spec.ns = "data";
  spec.name = "data-wp";
  spec.replicas = 2;
  spec.zones = {"eu-west-1a", "eu-west-1b"};
  spec.hpa = models::Hpa{2, 5, 60};
  REQUIRE_FALSE(gui::addWaypoint(s, 0, spec));
  const auto wp = s.findWaypoint("data", "data-wp");
  REQUIRE(wp);
  CHECK_FALSE(s.waypoint_initial[*wp]);
  REQUIRE(s.plan.waves[0].changes.size() == 3);
  CHECK(std::holds_alternative<models::AddWaypoint>(s.plan.waves[0].changes[0]));
  CHECK(std::holds_alternative<models::BindWaypoint>(s.plan.waves[0].changes[1]));
  CHECK(gui::addWaypoint(s, 0, spec) == std::optional<std::string>("waypoint data/data-wp exists already"));

  REQUIRE_FALSE(gui::moveWave(s, 2, 0));
  CHECK(s.plan.waves[0].name == "wave-3-rest");
  CHECK(s.plan.waves[1].name == "wave-1-data");
  REQUIRE_FALSE(gui::moveWave(s, 0, 2));
  CHECK(s.plan.waves[2].name == "wave-3-rest");
  REQUIRE_FALSE(gui::renameWave(s, 1, "checkout"));
  CHECK(s.plan.waves[1].name == "checkout");
  CHECK(gui::moveWave(s, 0, 3).value().find("no such wave") != std::string::npos);

  // A target moved into a new wave creates it; the wave it left keeps its other changes.
  const auto data = gui::MoveTarget::parse(s, "data").value();
  REQUIRE_FALSE(gui::moveToWave(s, data, s.plan.waves.size(), models::MeshMode::Ambient, "wave-4-data"));
  CHECK(s.plan.waves.back().name == "wave-4-data");
  CHECK(s.plan.waves[0].changes.size() == 2);  // the waypoint and its binding stay
  // Removing the last mode change of a wave removes the wave.
  REQUIRE_FALSE(gui::removeModeChange(s, 3, 0));
  CHECK(s.plan.waves.size() == 3);
}

TEST_CASE("findings carry the key of the object they concern", "[gui][models]") {
  const auto s = test::loadFile("scenarios/default.yaml");
  gui::FindingsModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setFindings(models::analyze(s));
  REQUIRE(m.rowCount() == 9);  // 6, plus the three unlabelled workloads once the labelPolicy enforces
  CHECK(m.index(0, gui::FindingsModel::Code).data().toString() == QLatin1String("sidecar-bypasses-waypoint"));
  CHECK(m.index(0, 0).data(gui::ObjectKeyRole).toString() == QLatin1String("workload:shop/frontend"));
  CHECK(gui::objectKeyOfFinding("waypoint checkout/checkout-waypoint") == "waypoint:checkout/checkout-waypoint");
  CHECK(gui::objectKeyOfFinding("AuthorizationPolicy checkout/checkout-api") == "namespace:checkout");
}

TEST_CASE("a broken file lists every error with its line and column", "[gui][models]") {
  gui::ScenarioDocument doc;
  CHECK_FALSE(doc.open(QStringLiteral("tests/data/bad/three-errors.yaml")));
  gui::DiagnosticsModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setDiagnostics(doc.diagnostics());
  REQUIRE(m.rowCount() == 3);
  CHECK(m.index(0).data(gui::LineRole).toInt() == 8);
  CHECK(m.index(0).data(gui::ColumnRole).toInt() == 21);
  CHECK(m.index(1).data().toString().startsWith(QLatin1String("tests/data/bad/three-errors.yaml:47:48: wave w1:")));
  CHECK(m.index(2).data(gui::LineRole).toInt() == 51);
}

TEST_CASE("saving writes YAML that opens to the same plan", "[gui][models][edit]") {
  gui::ScenarioDocument doc;
  REQUIRE(doc.open(kDefault));
  CHECK_FALSE(doc.saveDropsComments());
  REQUIRE(doc.edit(QStringLiteral("rename"), [](models::Scenario& s) { return gui::renameWave(s, 0, "data-first"); }));
  CHECK(doc.saveDropsComments());  // the shipped file has comments; the model's text has none
  QTemporaryDir dir;
  const auto path = dir.filePath(QStringLiteral("saved.yaml"));
  REQUIRE(doc.save(path).isEmpty());
  gui::ScenarioDocument again;
  REQUIRE(again.open(path));
  CHECK(again.scenario()->plan.waves[0].name == "data-first");
  CHECK(again.text() == doc.text());
  CHECK(doc.save(QStringLiteral("/nonexistent-dir/x.yaml")).startsWith(QLatin1String("save: /nonexistent-dir/x.yaml: ")));
}

TEST_CASE("the compare model highlights figures that differ between two reports", "[gui][models]") {
  models::Report a, b;
  models::PhaseReport p;
  p.name = "baseline";
  p.mesh_cpu_millicores = 100;
  p.nodes_needed = 3;
  a.phases.push_back(p);
  p.mesh_cpu_millicores = 80;
  b.phases.push_back(p);
  p.name = "only-b";
  b.phases.push_back(p);
  gui::CompareModel m;
  QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
  m.setReports(a, b);
  REQUIRE(m.rowCount() == 2 * 7);
  CHECK(m.index(0, gui::CompareModel::PlanA).data().toString() == QLatin1String("100.0"));
  CHECK(m.index(0, gui::CompareModel::Difference).data().toString() == QLatin1String("-20.0"));
  CHECK(m.index(0, 0).data(gui::HighlightRole).toBool());
  CHECK_FALSE(m.index(6, 0).data(gui::HighlightRole).toBool());  // nodes: 3 and 3
  CHECK(m.differingRows() == 1 + 7);
}
