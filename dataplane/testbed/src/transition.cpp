// A plan's wave applied or reverted pod by pod the way a cluster would, journaled in the state
// file so a killed command is finished (or turned back) by the next one without redoing a step.
#include "context.hpp"

#include <thread>

#include <fmt/format.h>

namespace meshtwin::testbed {

using namespace detail;

namespace {

// What a call finds: the testbed already there, a wave to begin, one under way in the same
// direction, or one under way in the other.
enum class Start { AlreadyThere, Fresh, Resume, TurnBack };

struct Request {
  std::size_t wave = 0;
  bool revert = false;
  [[nodiscard]] std::size_t target() const { return revert ? wave - 1 : wave; }
  [[nodiscard]] std::size_t source() const { return revert ? wave : wave - 1; }
  [[nodiscard]] std::string what() const { return revert ? "revert wave" : "apply wave"; }
};

std::string commandFor(std::size_t from, std::size_t to) {
  return to > from ? fmt::format("`meshtwin testbed apply-wave {}`", to)
                   : fmt::format("`meshtwin testbed apply-wave --revert {}`", from);
}

// The testbed moves pods into ambient (from a sidecar or none) and back; a wave that does
// anything else is refused before anything changes.
std::optional<Error> checkMoves(const Context& c, const Request& q) {
  const auto& s = c.scenario;
  const auto before = models::meshStateAt(s, q.wave - 1), after = models::meshStateAt(s, q.wave);
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (s.pods[p].owner != models::Pod::Owner::Workload) continue;
    const auto a = before.modeOf(s, p), b = after.modeOf(s, p);
    if (a != b && (a == MeshMode::Ambient || b != MeshMode::Ambient)) {
      return Error{q.what(), s.plan.waves[q.wave - 1].name,
                   fmt::format("pod {} goes from {} to {}", c.key(p), models::toString(a), models::toString(b)),
                   "the testbed performs moves into ambient only (and reverts them)"};
    }
  }
  return std::nullopt;
}

// Waves apply and revert in order, to a testbed no one changed by hand.
Result<Start> classify(const Context& c, const Request& q) {
  const auto& s = c.scenario;
  const auto wave = std::to_string(q.wave);
  if (q.wave == 0 || q.wave > s.plan.waves.size()) {
    return Error{q.what(), wave, fmt::format("the plan has waves 1 to {}", s.plan.waves.size()), ""};
  }
  if (const auto& t = c.state.transition) {
    const bool same_wave = std::min(t->from_phase, t->to_phase) == q.wave - 1 && std::max(t->from_phase, t->to_phase) == q.wave;
    if (!same_wave) {
      return Error{q.what(), wave, fmt::format("the testbed is part-way from phase {} to {}", t->from_phase, t->to_phase),
                   "finish that first: " + commandFor(t->from_phase, t->to_phase)};
    }
    return t->to_phase == q.target() ? Start::Resume : Start::TurnBack;
  }
  const auto at = c.state.phase;
  if (at == q.target()) return Start::AlreadyThere;
  if (at != q.source()) {
    return Error{q.what(), wave, fmt::format("the testbed is in phase {}", at),
                 q.revert ? (at == 0 ? std::string("it is in the baseline: there is no wave to revert")
                                     : fmt::format("waves revert in order: the last applied is {}", at))
                          : fmt::format("waves apply in order: the next is {}", at + 1)};
  }
  if (!c.state.pod_mode.empty() || !c.state.drained.empty()) {
    return Error{q.what(), wave, "pods were enrolled or left by hand",
                 "`meshtwin testbed status` shows which; take it down and up again to start clean"};
  }
  return Start::Fresh;
}

// The journal's first record, written with the phase it goes to and the overrides that keep
// every pod in the mode it runs in until its turn (one write: a kill leaves the old state or
// this). Turning back reuses the pods' list; those that had not moved yet are done already.
Result<bool> beginTransition(const TestbedOptions& o, Context& c, const Request& q, Start start) {
  const auto& s = c.scenario;
  Transition t;
  if (start == Start::TurnBack) {
    const auto& old = *c.state.transition;
    t.from_phase = old.to_phase;
    t.settled_phase = old.settled_phase;
    t.pods = old.pods;
  } else {
    t.from_phase = c.state.phase;
    t.settled_phase = c.state.phase;
    const auto after = models::meshStateAt(s, q.target());
    for (PodId p = 0; p < s.pods.size(); ++p) {
      if (s.pods[p].owner == models::Pod::Owner::Workload && c.modeOf(p) != after.modeOf(s, p)) {
        t.pods.push_back(c.key(p));
      }
    }
  }
  t.to_phase = q.target();
  std::vector<MeshMode> now(s.pods.size(), MeshMode::None);
  for (PodId p = 0; p < s.pods.size(); ++p) now[p] = c.modeOf(p);
  c.setPhase(q.target());
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (s.pods[p].owner == models::Pod::Owner::Workload) c.setMode(p, now[p]);
  }
  c.state.transition = std::move(t);
  return writeState(o, c.state);
}

// The waypoints the phase has, each running and ready before anything routes to it; one that
// runs already (an earlier attempt started it) is left as it is.
Result<bool> startWaypoints(const TestbedOptions& o, Context& c, WaveResult& res) {
  const auto& s = c.scenario;
  std::vector<PodId> started;
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (!waypointPresent(c, p)) continue;
    const auto name = "waypoint/" + c.key(p);
    if (recordedAlive(c, name)) continue;
    stopRecorded(o, c, name);  // a record of one that died
    stopUnrecorded(c, c.layout.podCgroup(s, p, "app"));
    if (auto r = startWaypoint(o, c, p); !r) return r.error();
    started.push_back(p);
    ++res.waypoints_started;
  }
  for (PodId p : started) {
    if (auto r = waitReady(c, p, std::chrono::seconds(20)); !r) return r.error();
  }
  if (res.waypoints_started) say(o, fmt::format("  {} waypoint pod(s) started and listening", res.waypoints_started));
  return true;
}

// Waypoints the phase does not have, once nothing routes to them.
void stopWaypoints(const TestbedOptions& o, Context& c, WaveResult& res) {
  std::this_thread::sleep_for(kSnapshotSettle);
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    if (c.scenario.pods[p].owner != models::Pod::Owner::Waypoint || waypointPresent(c, p)) continue;
    const auto name = "waypoint/" + c.key(p);
    if (!c.process(name)) continue;
    res.connections_reset += stopRecorded(o, c, name);
    ++res.waypoints_stopped;
  }
}

Result<WaveResult> transition(const TestbedOptions& o, const Request& q) {
  const auto t0 = Clock::now();
  if (auto e = checkTestbedName(o.name)) return *e;
  auto lock = lockState(o, q.what());
  if (!lock) return lock.error();
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  WaveResult res;
  res.wave = q.wave;
  auto start = classify(c, q);
  if (!start) return start.error();
  if (start.value() == Start::AlreadyThere) {
    say(o, fmt::format("{} {}: the testbed is in phase {} already", q.what(), q.wave, q.target()));
    res.seconds = secondsSince(t0);
    return res;
  }
  if (auto e = checkMoves(c, q)) return *e;
  if (start.value() != Start::Resume) {
    if (auto r = beginTransition(o, c, q, start.value()); !r) return r.error();
  }
  const auto& t = *c.state.transition;
  std::string how;
  if (start.value() == Start::Resume) how = fmt::format(", resumed ({} of {} pods moved)", t.pods_done.size(), t.pods.size());
  if (start.value() == Start::TurnBack) how = ", turning back part-way";
  say(o, fmt::format("{} {} ({}): from phase {} to {}{}", q.revert ? "revert wave" : "wave", q.wave,
                     models::meshStateAt(c.scenario, q.wave).phase_name, t.from_phase, t.to_phase, how));
  // 1. The waypoints the new phase adds.
  if (auto r = startWaypoints(o, c, res); !r) return r.error();
  // 2. The new phase's routes and policies, with every moving pod still in its old mode.
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  std::this_thread::sleep_for(kSnapshotSettle);
  // 3. One pod at a time.
  const auto pods = t.pods;
  for (const auto& k : pods) {
    auto p = c.pod(k);
    if (!p) return p.error();
    if (auto r = movePod(o, c, p.value(), res); !r) return r.error();
  }
  // 4. The waypoints the new phase removes.
  stopWaypoints(o, c, res);
  c.state.transition.reset();
  if (auto r = writeState(o, c.state); !r) return r.error();
  res.seconds = secondsSince(t0);
  return res;
}

}  // namespace

Result<WaveResult> applyWave(const TestbedOptions& o, std::size_t wave) { return transition(o, {wave, false}); }

Result<WaveResult> revertWave(const TestbedOptions& o, std::size_t wave) { return transition(o, {wave, true}); }

Result<PhaseInfo> phaseInfo(const TestbedOptions& o) {
  if (auto e = checkTestbedName(o.name)) return *e;
  auto st = readState(o);
  if (!st) return st.error();
  PhaseInfo info;
  info.phase = st->phase;
  if (const auto& t = st->transition) {
    info.phase = t->settled_phase;
    info.transition = WaveTransition{t->from_phase, t->to_phase, t->pods, t->pods_done, t->pod};
  }
  return info;
}

Result<std::size_t> phase(const TestbedOptions& o) {
  auto info = phaseInfo(o);
  if (!info) return info.error();
  return info->phase;
}

}  // namespace meshtwin::testbed
