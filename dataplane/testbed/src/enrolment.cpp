// Enrolment: a pod joining or leaving ambient (its cgroup's connect() steered to its node's
// ztunnel, or no longer), and a plan's wave applied pod by pod the way a cluster would.
#include "context.hpp"

#include <optional>
#include <thread>

#include <fmt/format.h>

#include "meshtwin/bpf/pinned.hpp"

namespace meshtwin::testbed {

using namespace detail;

namespace {

// How long a proxy may take to notice a new snapshot (it polls the file every 250 ms).
constexpr auto kSnapshotSettle = std::chrono::milliseconds(600);

}  // namespace

Result<bool> enroll(const TestbedOptions& o, const std::string& pod_key) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.scenario.pods[p].owner != models::Pod::Owner::Workload) {
    return Error{"enrol pod", pod_key, "a waypoint pod is part of the data plane", "enrol workload pods"};
  }
  if (c.process("sidecar/" + pod_key)) {
    return Error{"enrol pod", pod_key, "it runs with a sidecar",
                 "a sidecar pod moves to ambient by a restart without its sidecar: `meshtwin testbed apply-wave N`"};
  }
  const auto node = c.scenario.pods[p].node;
  if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), c.layout.podCgroup(c.scenario, p, "app"),
                                 c.layout.podLinks(c.scenario, p))) {
    return fromBpf(*e);
  }
  c.state.pod_mode[pod_key] = "ambient";
  if (c.phase_state.modeOf(c.scenario, p) == MeshMode::Ambient) {
    c.state.pod_mode.erase(pod_key);
  }
  if (auto r = pushSnapshot(o, c); !r) return r;
  return waitForListener(c.layout.nodes[node].netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10));
}

Result<bool> unenroll(const TestbedOptions& o, const std::string& pod_key) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.modeOf(p) != MeshMode::Ambient) {
    return Error{"unenrol pod", pod_key, fmt::format("it is not in ambient mode (it is {})", models::toString(c.modeOf(p))),
                 std::string("`meshtwin testbed status` shows each pod's mode")};
  }
  if (auto e = bpf::unenrollPinned(c.layout.podLinks(c.scenario, p))) return fromBpf(*e);
  c.state.pod_mode[pod_key] = "none";
  return pushSnapshot(o, c);
}

// ----------------------------------------------------------------------------- apply-wave

namespace {

// A wave applies in order, to a testbed no one changed by hand.
std::optional<Error> checkWaveApplies(const Context& c, std::size_t wave) {
  const auto& s = c.scenario;
  if (wave == 0 || wave > s.plan.waves.size()) {
    return Error{"apply wave", std::to_string(wave), fmt::format("the plan has waves 1 to {}", s.plan.waves.size()), ""};
  }
  if (c.state.phase != wave - 1) {
    return Error{"apply wave", std::to_string(wave), fmt::format("the testbed is in phase {}", c.state.phase),
                 fmt::format("waves apply in order: the next is {}", c.state.phase + 1)};
  }
  if (!c.state.pod_mode.empty() || !c.state.drained.empty()) {
    return Error{"apply wave", std::to_string(wave), "pods were enrolled or left by hand (or a wave stopped half-way)",
                 "`meshtwin testbed status` shows which; take it down and up again to start clean"};
  }
  return std::nullopt;
}

// The workload pods whose mode the wave changes; each keeps its old mode (an override) until
// its turn.
Result<std::vector<PodId>> holdMovingPods(Context& c, std::size_t wave, const models::MeshState& before,
                                          const models::MeshState& after) {
  const auto& s = c.scenario;
  std::vector<PodId> moving;
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (s.pods[p].owner != models::Pod::Owner::Workload) continue;
    const auto a = before.modeOf(s, p), b = after.modeOf(s, p);
    if (a == b) continue;
    if (a == MeshMode::Ambient || b != MeshMode::Ambient) {
      return Error{"apply wave", s.plan.waves[wave - 1].name,
                   fmt::format("pod {} goes from {} to {}", c.key(p), models::toString(a), models::toString(b)),
                   "the testbed performs moves into ambient only"};
    }
    moving.push_back(p);
    c.state.pod_mode[c.key(p)] = models::toString(a);
  }
  return moving;
}

// Whether pod `p` is a waypoint present in `in` but not in `not_in`.
bool waypointOnlyIn(const models::Scenario& s, PodId p, const models::MeshState& in, const models::MeshState& not_in) {
  const auto& pod = s.pods[p];
  return pod.owner == models::Pod::Owner::Waypoint && in.waypoint_present[pod.owner_id] &&
         !not_in.waypoint_present[pod.owner_id];
}

// The waypoints the wave adds, ready before anything routes to them.
Result<bool> startAddedWaypoints(const TestbedOptions& o, Context& c, const models::MeshState& before,
                                 const models::MeshState& after, WaveResult& res) {
  const auto& s = c.scenario;
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (waypointOnlyIn(s, p, after, before)) {
      if (auto r = startWaypoint(o, c, p); !r) return r.error();
      ++res.waypoints_started;
    }
  }
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (waypointOnlyIn(s, p, after, before)) {
      if (auto r = waitReady(c, p, std::chrono::seconds(20)); !r) return r.error();
    }
  }
  if (res.waypoints_started) say(o, fmt::format("  {} waypoint pod(s) started and listening", res.waypoints_started));
  return true;
}

// A sidecar pod's move: drained (out of the endpoints, then no proxy picks it and its calls
// finish), stopped with its sidecar, and back as an ambient pod, still unready: the ztunnel
// captures it, the app starts (enrolled with the ztunnel first), and only once both listen does
// it rejoin the endpoints.
Result<bool> restartWithoutSidecar(const TestbedOptions& o, Context& c, PodId p, WaveResult& res) {
  const auto& s = c.scenario;
  const auto k = c.key(p);
  c.state.drained.insert(k);
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  std::this_thread::sleep_for(kSnapshotSettle);
  res.connections_reset += stopRecorded(o, c, "app/" + k);
  res.connections_reset += stopRecorded(o, c, "sidecar/" + k);
  if (auto e = bpf::unenrollPinned(c.layout.podLinks(s, p))) return fromBpf(*e);
  if (auto e = bpf::removePinnedTree(c.layout.sidecarPrograms(s, p))) return fromBpf(*e);
  c.state.pod_mode.erase(k);
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  if (auto r = startPod(o, c, p); !r) return r.error();
  if (auto r = waitReady(c, p, std::chrono::seconds(10)); !r) return r.error();
  c.state.drained.erase(k);
  ++res.pods_restarted;
  return true;
}

// One moving pod into ambient: restarted without its sidecar, or enrolled without a restart.
Result<bool> movePod(const TestbedOptions& o, Context& c, PodId p, std::size_t moving, WaveResult& res) {
  const auto& s = c.scenario;
  const auto k = c.key(p);
  const auto from = c.modeOf(p);
  const auto node = s.pods[p].node;
  if (from == MeshMode::Sidecar) {
    if (auto r = restartWithoutSidecar(o, c, p, res); !r) return r.error();
  } else {
    if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), c.layout.podCgroup(s, p, "app"),
                                   c.layout.podLinks(s, p))) {
      return fromBpf(*e);
    }
    c.state.pod_mode.erase(k);
    ++res.pods_enrolled;
  }
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  if (auto r = waitForListener(c.layout.nodes[node].netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10)); !r) {
    return r.error();
  }
  say(o, fmt::format("  {} {} ({} of {})", from == MeshMode::Sidecar ? "restarted without sidecar:" : "enrolled:", k,
                     res.pods_restarted + res.pods_enrolled, moving));
  return true;
}

// Waypoints the wave removes, once nothing routes to them.
void stopRemovedWaypoints(const TestbedOptions& o, Context& c, const models::MeshState& before,
                          const models::MeshState& after, WaveResult& res) {
  std::this_thread::sleep_for(kSnapshotSettle);
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    if (waypointOnlyIn(c.scenario, p, before, after)) {
      res.connections_reset += stopRecorded(o, c, "waypoint/" + c.key(p));
      ++res.waypoints_stopped;
    }
  }
}

}  // namespace

Result<WaveResult> applyWave(const TestbedOptions& o, std::size_t wave) {
  const auto t0 = Clock::now();
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  if (auto e = checkWaveApplies(c, wave)) return *e;
  WaveResult res;
  res.wave = wave;
  const auto before = c.phase_state;
  const auto after = models::meshStateAt(c.scenario, wave);
  say(o, fmt::format("wave {} ({}): from phase {} to {}", wave, after.phase_name, wave - 1, wave));
  auto moving = holdMovingPods(c, wave, before, after);
  if (!moving) return moving.error();
  // 1. The waypoints the wave adds.
  c.setPhase(wave);
  if (auto r = startAddedWaypoints(o, c, before, after, res); !r) return r.error();
  // 2. The new phase's routes and policies, with every moving pod still in its old mode.
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  std::this_thread::sleep_for(kSnapshotSettle);
  // 3. One pod at a time.
  for (PodId p : moving.value()) {
    if (auto r = movePod(o, c, p, moving->size(), res); !r) return r.error();
  }
  // 4. The waypoints the wave removes.
  stopRemovedWaypoints(o, c, before, after, res);
  if (auto r = writeState(o, c.state); !r) return r.error();
  res.seconds = secondsSince(t0);
  return res;
}

}  // namespace meshtwin::testbed
