// A wave reverted on the testbed (sidecars back, its waypoint stopped, traffic flowing), and
// waves resumed after the command applying or reverting them was SIGKILLed part-way, as root.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "meshtwin/testbed/testbed.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// One node; front (sidecar) calls back (two sidecar pods); wave 1 gives data a waypoint and
// moves it to ambient: two restarts and one waypoint each way.
constexpr const char* kScenario = R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: testbed-wave-revert}
seed: 7
cluster:
  zones: [za]
  nodePools:
    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
defaults:
  serviceTime: {distribution: constant, mean: 200us}
workloads:
  - {name: front, namespace: web, replicas: 1, zones: [za], responseSize: 1KiB,
     script: [{call: {service: back.data, size: 1KiB}}]}
  - {name: back, namespace: data, replicas: 2, zones: [za], responseSize: 4KiB}
entryPoints:
  - {name: web, service: front.web, arrival: uniform, load: [{constant: {rps: 40, duration: 60s}}]}
mesh:
  defaultMode: sidecar
plan:
  waves:
    - name: data-ambient
      changes:
        - addWaypoint: {name: data-waypoint, namespace: data, for: service, replicas: 1, zones: [za]}
        - useWaypoint: {namespace: data, waypoint: data-waypoint}
        - setMode: {namespace: data, mode: ambient}
)";

const std::vector<std::string> kMoving = {"data/back-0", "data/back-1"};

struct Testbed {
  test::TempDir dir{"wave-revert"};
  testbed::TestbedOptions o;
  std::string scenario = dir / "wave-revert.yaml";
  Testbed() {
    o.name = "r" + std::to_string(::getpid() % 100000);
    o.state_root = dir.path.string();
    std::ofstream(scenario) << kScenario;
  }
  ~Testbed() { (void)testbed::down(o); }  // also when a REQUIRE fails
  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;
};

json readStateFile(const testbed::TestbedOptions& o) {
  std::ifstream in(o.stateDir() + "/state.json");
  return json::parse(in, nullptr, false);  // replaced by rename: never a partial file
}

// Alive processes by name, with their pids.
std::map<std::string, int> alive(const testbed::TestbedOptions& o) {
  auto st = testbed::status(o);
  REQUIRE(st.ok());
  std::map<std::string, int> out;
  for (const auto& p : st.value()["processes"]) {
    if (p["alive"].get<bool>()) out[p["name"].get<std::string>()] = p["pid"].get<int>();
  }
  return out;
}

// Runs `step` in a child process and SIGKILLs it once the state file records its first pod
// moved; returns the transition record it left.
template <class Step>
json killAfterFirstPod(const testbed::TestbedOptions& o, Step step) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const bool ok = step().ok();
    ::_exit(ok ? 0 : 1);  // no destructors: the parent owns the testbed
  }
  std::vector<std::string> done;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until) {
    const auto j = readStateFile(o);
    if (!j.is_discarded() && j.contains("transition") && j["transition"]["pods_done"].size() >= 1) {
      ::kill(child, SIGKILL);
      done = j["transition"]["pods_done"].get<std::vector<std::string>>();
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  if (done.empty()) ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  INFO("the child's wait status: " << status);
  REQUIRE(!done.empty());
  CHECK(WIFSIGNALED(status));
  // What the child wrote after the pod read above is also durable: read it again.
  const auto j = readStateFile(o);
  REQUIRE(j.contains("transition"));
  return j["transition"];
}

std::vector<std::string> podsDone(const json& transition) {
  return transition["pods_done"].get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("testbed: a wave reverted brings sidecars back and stops its waypoint; traffic flows; it applies again",
          "[testbed][wave]") {
  if (!testbed::isRoot()) {
    WARN("skipped: needs root (network namespaces, cgroups, BPF)");
    return;
  }
  Testbed tb;
  auto up = testbed::up(tb.o, {tb.scenario, 0, 30s});
  REQUIRE(up.ok());
  CHECK(up->processes == 7);  // a ztunnel, 3 apps, 3 sidecars

  auto applied = testbed::applyWave(tb.o, 1);
  REQUIRE(applied.ok());
  CHECK(applied->pods_restarted == 2);
  CHECK(applied->waypoints_started == 1);
  auto at = testbed::phase(tb.o);
  REQUIRE(at.ok());
  CHECK(at.value() == 1);
  auto procs = alive(tb.o);
  CHECK(procs.count("waypoint/data/data-waypoint-0") == 1);
  CHECK(procs.count("sidecar/data/back-0") == 0);

  auto reverted = testbed::revertWave(tb.o, 1);
  REQUIRE(reverted.ok());
  CHECK(reverted->pods_restarted == 2);
  CHECK(reverted->waypoints_started == 0);
  CHECK(reverted->waypoints_stopped == 1);
  auto st = testbed::status(tb.o);
  REQUIRE(st.ok());
  CHECK(st.value()["phase"].get<int>() == 0);
  CHECK(st.value()["transition"].is_null());
  CHECK(st.value()["drained"].empty());
  CHECK(st.value()["processes_alive"].get<int>() == 7);
  for (const auto& [pod, mode] : st.value()["pod_modes"].items()) {
    INFO(pod);
    CHECK(mode.get<std::string>() == "sidecar");
  }
  procs = alive(tb.o);
  for (const auto& k : kMoving) CHECK(procs.count("sidecar/" + k) == 1);
  CHECK(procs.count("waypoint/data/data-waypoint-0") == 0);

  testbed::MeasureOptions m;
  m.duration = 2500ms;
  m.warmup = 500ms;
  auto r = testbed::measure(tb.o, m);
  REQUIRE(r.ok());
  const auto& web = r->report.phases.at(0).entry_latency.at("web");
  INFO("after the revert: " << web.errors << " failed of " << web.requests);
  CHECK(web.errors == 0);
  CHECK(web.count >= 80);  // 40 rps for 2.5 s

  // Already in phase 0: nothing to do; out of order: refused.
  auto again = testbed::revertWave(tb.o, 1);
  REQUIRE(again.ok());
  CHECK(again->pods_restarted + again->waypoints_started + again->waypoints_stopped == 0);
  CHECK_FALSE(testbed::applyWave(tb.o, 2).ok());

  auto reapplied = testbed::applyWave(tb.o, 1);
  REQUIRE(reapplied.ok());
  CHECK(reapplied->pods_restarted == 2);
  CHECK(reapplied->waypoints_started == 1);
  auto noop = testbed::applyWave(tb.o, 1);
  REQUIRE(noop.ok());
  CHECK(noop->pods_restarted + noop->pods_enrolled + noop->waypoints_started + noop->waypoints_stopped == 0);
  CHECK(alive(tb.o).count("sidecar/data/back-1") == 0);
}

TEST_CASE("testbed: a wave killed part-way is finished by the next call, no pod restarted twice (apply and revert), "
          "or turned back by a revert",
          "[testbed][wave]") {
  if (!testbed::isRoot()) {
    WARN("skipped: needs root (network namespaces, cgroups, BPF)");
    return;
  }
  Testbed tb;
  REQUIRE(testbed::up(tb.o, {tb.scenario, 0, 30s}).ok());

  // Apply, killed after its first pod.
  auto done = podsDone(killAfterFirstPod(tb.o, [&] { return testbed::applyWave(tb.o, 1); }));
  auto info = testbed::phaseInfo(tb.o);
  REQUIRE(info.ok());
  CHECK(info->phase == 0);
  REQUIRE(info->transition.has_value());
  CHECK(info->transition->to_phase == 1);
  CHECK(info->transition->pods == kMoving);
  auto st = testbed::status(tb.o);
  REQUIRE(st.ok());
  CHECK(st.value()["transition"]["to_phase"].get<int>() == 1);
  const auto before = alive(tb.o);
  CHECK_FALSE(testbed::applyWave(tb.o, 2).ok());  // another wave waits for this one

  auto resumed = testbed::applyWave(tb.o, 1);
  REQUIRE(resumed.ok());
  INFO("moved before the kill: " << done.size() << ", restarted by the resumed call: " << resumed->pods_restarted);
  CHECK(done.size() + resumed->pods_restarted == kMoving.size());
  CHECK(resumed->waypoints_started == 0);  // the killed call had started it
  auto after = alive(tb.o);
  for (const auto& k : done) CHECK(after.at("app/" + k) == before.at("app/" + k));  // not restarted again
  CHECK(after.count("waypoint/data/data-waypoint-0") == 1);
  CHECK(after.size() == 6);  // a ztunnel, 3 apps, front's sidecar, the waypoint
  info = testbed::phaseInfo(tb.o);
  REQUIRE(info.ok());
  CHECK(info->phase == 1);
  CHECK_FALSE(info->transition.has_value());

  // Revert, killed after its first pod.
  done = podsDone(killAfterFirstPod(tb.o, [&] { return testbed::revertWave(tb.o, 1); }));
  auto at = testbed::phase(tb.o);
  REQUIRE(at.ok());
  CHECK(at.value() == 1);
  const auto mid = alive(tb.o);
  auto back = testbed::revertWave(tb.o, 1);
  REQUIRE(back.ok());
  CHECK(done.size() + back->pods_restarted == kMoving.size());
  CHECK(back->waypoints_stopped == 1);
  after = alive(tb.o);
  for (const auto& k : done) CHECK(after.at("app/" + k) == mid.at("app/" + k));
  for (const auto& k : kMoving) CHECK(after.count("sidecar/" + k) == 1);
  CHECK(after.size() == 7);
  at = testbed::phase(tb.o);
  REQUIRE(at.ok());
  CHECK(at.value() == 0);

  // Apply killed after its first pod, then reverted from there: the pods it had not reached
  // keep running as they were.
  const auto t = killAfterFirstPod(tb.o, [&] { return testbed::applyWave(tb.o, 1); });
  done = podsDone(t);
  const auto part_way = alive(tb.o);
  auto turned = testbed::revertWave(tb.o, 1);
  REQUIRE(turned.ok());
  INFO("moved before the kill: " << done.size() << ", restarted by the revert: " << turned->pods_restarted);
  CHECK(turned->pods_restarted >= done.size());
  CHECK(turned->pods_restarted <= kMoving.size());
  CHECK(turned->waypoints_stopped == 1);
  after = alive(tb.o);
  for (const auto& k : kMoving) {
    const bool reached = std::find(done.begin(), done.end(), k) != done.end() || t["pod"].get<std::string>() == k;
    if (!reached) CHECK(after.at("app/" + k) == part_way.at("app/" + k));
    CHECK(after.count("sidecar/" + k) == 1);
  }
  CHECK(after.size() == 7);
  CHECK(after.count("waypoint/data/data-waypoint-0") == 0);
  auto st0 = testbed::status(tb.o);
  REQUIRE(st0.ok());
  CHECK(st0.value()["phase"].get<int>() == 0);
  CHECK(st0.value()["transition"].is_null());
  CHECK(st0.value()["drained"].empty());
}
