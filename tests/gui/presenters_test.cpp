// gui/core presenters and the runner: the topology layout, the result series, and a
// simulation on a worker thread with phases arriving and Cancel.
#include <catch2/catch.hpp>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "gui_test_support.hpp"
#include "meshtwin/gui/report_file.hpp"
#include "meshtwin/gui/results_presenter.hpp"
#include "meshtwin/gui/simulation_runner.hpp"
#include "meshtwin/gui/topology_layout.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/traffic.hpp"

using namespace meshtwin;

TEST_CASE("the topology layout is stable and colours pods by their mode in the phase", "[gui][topology]") {
  const auto s = test::loadFile("scenarios/default.yaml");
  const auto base = gui::layoutTopology(s, models::meshStateAt(s, 0));
  const auto wave1 = gui::layoutTopology(s, models::meshStateAt(s, 1));
  // Same zones, nodes and pods in the same places: only colours change between phases.
  REQUIRE(base.items.size() == wave1.items.size());
  for (std::size_t i = 0; i < base.items.size(); ++i) {
    CHECK(base.items[i].key == wave1.items[i].key);
    CHECK(base.items[i].rect == wave1.items[i].rect);
  }
  const auto* inv_before = base.find("pod:inventory-0");
  const auto* inv_after = wave1.find("pod:inventory-0");
  REQUIRE(inv_before);
  REQUIRE(inv_after);
  CHECK(inv_before->fill == gui::modeColor(models::MeshMode::Sidecar));
  CHECK(inv_after->fill == gui::modeColor(models::MeshMode::Ambient));
  // Each node has its ztunnel, active once an ambient pod runs there.
  const auto inventory0 = std::find_if(s.pods.begin(), s.pods.end(), [](const models::Pod& p) { return p.name == "inventory-0"; });
  REQUIRE(inventory0 != s.pods.end());
  const auto* zt = wave1.find("ztunnel:" + s.nodes[inventory0->node].name);
  REQUIRE(zt);
  CHECK(zt->active);
  CHECK(std::count_if(base.items.begin(), base.items.end(), [](const gui::TopologyItem& it) {
          return it.kind == gui::TopologyItem::Kind::Ztunnel && it.active;
        }) == 0);
  // Waypoints appear with the wave that deploys them.
  const auto wave2 = gui::layoutTopology(s, models::meshStateAt(s, 2));
  CHECK_FALSE(wave1.find("pod:checkout-waypoint-0"));
  CHECK(wave2.find("pod:checkout-waypoint-0"));
  // Selecting a workload selects all its pods.
  CHECK(base.selectedBy("workload:shop/frontend").size() == 3);
  CHECK(base.selectedBy("zone:eu-west-1a").count("node:general-eu-west-1a-0") == 1);
  // Traffic: edges between nodes, some across zones, widths ordered by rate.
  REQUIRE_FALSE(base.edges.empty());
  CHECK(std::any_of(base.edges.begin(), base.edges.end(), [](const gui::TopologyEdge& e) { return e.cross_zone; }));
  const auto [lo, hi] = std::minmax_element(base.edges.begin(), base.edges.end(),
                                            [](const auto& a, const auto& b) { return a.rps < b.rps; });
  CHECK(lo->width_px < hi->width_px);
}

TEST_CASE("offered load follows the scripts from the entry points", "[gui][topology]") {
  const auto s = test::loadFile("tests/data/good/smoke.yaml");
  const auto rps = models::offeredRps(s);
  const auto front = *s.findWorkload("shop", "front");
  const auto cart = *s.findWorkload("shop", "cart");
  const auto pay = *s.findWorkload("payments", "pay");
  CHECK(rps[front] == Approx(100));
  CHECK(rps[cart] == Approx(200));  // called twice per request
  CHECK(rps[pay] == Approx(50));    // probability 50
}

TEST_CASE("result series hold the report's numbers", "[gui][results]") {
  const auto s = test::loadFile("tests/data/good/gates.yaml");
  const auto r = *sim::simulateScenario(s, test::shortRun());
  const auto d = gui::presentResults(r, &s);
  REQUIRE(d.phases.size() == static_cast<int>(r.phases.size()));
  for (std::size_t p = 0; p < r.phases.size(); ++p) {
    double cpu = 0, mem = 0;
    for (const auto& series : d.cpu_millicores) cpu += series.values[p];
    for (const auto& series : d.memory_mib) mem += series.values[p];
    CHECK(cpu == Approx(r.phases[p].mesh_cpu_millicores));
    CHECK(mem * 1024 * 1024 == Approx(r.phases[p].mesh_memory_bytes));
    CHECK(d.latency[0].p99_ms[p] == r.phases[p].entry_latency.at("in").p99_ms);
    CHECK(d.compute_usd_per_month[p] == r.phases[p].compute_usd_per_month);
    CHECK(d.nodes_needed[p] == r.phases[p].nodes_needed);
  }
  // The gate line: ok-wave gates p99 of "in" at 1 s, in its rollout and its steady phase.
  CHECK_FALSE(d.latency[0].slo_p99_ms[0].has_value());
  CHECK(d.latency[0].slo_p99_ms[1] == 1000.0);
  CHECK(d.latency[0].slo_p99_ms[2] == 1000.0);
  const auto t = gui::presentTimeline(r.phases[1]);
  REQUIRE(t.p99_ms.size() == r.phases[1].series.size());
  CHECK(t.p99_ms.back().y() == r.phases[1].series.back().p99_ms);
}

TEST_CASE("the runner delivers phases on the GUI thread and finishes", "[gui][runner]") {
  const auto s = test::loadFile("tests/data/good/gates.yaml");
  gui::SimulationRunner runner;
  QSignalSpy phases(&runner, &gui::SimulationRunner::phaseReady);
  QSignalSpy done(&runner, &gui::SimulationRunner::finished);
  REQUIRE(runner.start(s, test::shortRun()));
  CHECK(runner.isRunning());
  CHECK_FALSE(runner.start(s, test::shortRun()));  // one run at a time
  REQUIRE(done.wait(120'000));
  CHECK(phases.count() == 5);
  CHECK(phases.at(4).at(0).toInt() == 4);
  CHECK(runner.report().phases.size() == 5);
  CHECK_FALSE(runner.isRunning());
  // Same numbers as the library called directly.
  const auto direct = *sim::simulateScenario(s, test::shortRun());
  CHECK(models::toJson(direct)["phases"] == models::toJson(runner.report())["phases"]);
}

TEST_CASE("Cancel stops a long run inside its first phase", "[gui][runner]") {
  const auto s = test::loadFile("scenarios/default.yaml");
  auto o = test::shortRun();
  o.duration_ns = 3'600'000'000'000;  // an hour per phase: minutes of work if not cancelled
  gui::SimulationRunner runner;
  QSignalSpy cancelled(&runner, &gui::SimulationRunner::cancelled);
  QSignalSpy phases(&runner, &gui::SimulationRunner::phaseReady);
  REQUIRE(runner.start(s, o));
  runner.cancel();
  REQUIRE(cancelled.wait(30'000));
  CHECK(phases.count() == 0);
  CHECK(runner.report().phases.empty());
  CHECK_FALSE(runner.isRunning());
}

TEST_CASE("an exported report is the report's JSON", "[gui][results]") {
  const auto s = test::loadFile("tests/data/good/gates.yaml");
  const auto r = *sim::simulateScenario(s, test::shortRun());
  QTemporaryDir dir;
  const auto path = dir.filePath(QStringLiteral("report.json"));
  REQUIRE(gui::writeReportJson(r, path).isEmpty());
  QFile f(path);
  REQUIRE(f.open(QIODevice::ReadOnly));
  CHECK(nlohmann::json::parse(f.readAll().toStdString()) == models::toJson(r));
  CHECK(gui::writeReportJson({}, path).contains(QLatin1String("no phase simulated yet")));
  CHECK(gui::writeReportJson(r, QStringLiteral("/nonexistent-dir/r.json")).startsWith(QLatin1String("export report: /nonexistent-dir/r.json: ")));
}
