// One pod's move during a wave (into ambient, or back when a wave is reverted), resumable: each
// step is journaled in the transition record and checked against what runs before it is redone.
#include "context.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "meshtwin/bpf/pinned.hpp"

namespace meshtwin::testbed::detail {

namespace {

std::uint64_t appStart(Context& c, const std::string& key) {
  const auto* rec = c.process("app/" + key);
  return rec ? rec->start_time : 0;
}

// A pod's links to whichever proxy it was steered to, gone; none is nothing to do.
Result<bool> unenrollIfEnrolled(const Context& c, PodId p) {
  const auto links = c.layout.podLinks(c.scenario, p);
  std::error_code ec;
  if (!std::filesystem::is_directory(links, ec)) return true;
  if (auto e = bpf::unenrollPinned(links)) return fromBpf(*e);
  return true;
}

// Whether the pod's processes are those of mode `m`: its app, with a sidecar exactly when `m` has one.
bool runsAs(Context& c, PodId p, MeshMode m) {
  const auto k = c.key(p);
  return recordedAlive(c, "app/" + k) && recordedAlive(c, "sidecar/" + k) == (m == MeshMode::Sidecar);
}

// The journal's record that the pod's move begins (again, after a kill: then it keeps the app's
// start time from the first attempt, so a restart is counted once, by whichever call ends it).
Result<bool> beginMove(const TestbedOptions& o, Context& c, const std::string& key) {
  auto& t = *c.state.transition;
  if (t.pod == key) return true;
  t.pod = key;
  t.pod_app_start = appStart(c, key);
  return writeState(o, c.state);
}

// The journal's record that the pod is in its new mode, written with the snapshot that takes it
// back into the endpoints: one write, so a kill leaves it either moving or done.
Result<bool> endMove(const TestbedOptions& o, Context& c, const std::string& key) {
  auto& t = *c.state.transition;
  c.state.drained.erase(key);
  if (std::find(t.pods_done.begin(), t.pods_done.end(), key) == t.pods_done.end()) t.pods_done.push_back(key);
  t.pod.clear();
  t.pod_app_start = 0;
  return pushSnapshot(o, c);
}

// A pod whose sidecar comes or goes: drained (out of the endpoints, then no proxy picks it and
// its calls finish), stopped with its sidecar if it has one, and back in mode `to`, still
// unready: its sidecar (or the ztunnel) captures it, the app starts, and only once both listen
// does it rejoin the endpoints. Already running as `to` (an earlier attempt started it), it is
// not restarted.
Result<bool> restartAs(const TestbedOptions& o, Context& c, PodId p, MeshMode to, WaveResult& res) {
  const auto& s = c.scenario;
  const auto k = c.key(p);
  if (c.modeOf(p) == to && runsAs(c, p, to)) return waitReady(c, p, std::chrono::seconds(10));
  if (!c.state.drained.count(k)) {
    c.state.drained.insert(k);
    if (auto r = pushSnapshot(o, c); !r) return r.error();
  }
  std::this_thread::sleep_for(kSnapshotSettle);
  // Whatever runs (the old mode's processes, or what a killed attempt started) goes.
  res.connections_reset += stopRecorded(o, c, "app/" + k);
  res.connections_reset += stopRecorded(o, c, "sidecar/" + k);
  stopUnrecorded(c, c.layout.podCgroup(s, p, "app"));
  stopUnrecorded(c, c.layout.podCgroup(s, p, "sidecar"));
  if (auto r = unenrollIfEnrolled(c, p); !r) return r.error();
  if (auto e = bpf::removePinnedTree(c.layout.sidecarPrograms(s, p))) return fromBpf(*e);
  c.setMode(p, to);
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  if (to == MeshMode::Sidecar) {
    // The ztunnel served the pod's HBONE address while it was ambient; it lets go once it has
    // read the snapshot, and only then can the sidecar listen there.
    const auto& netns = c.layout.nodes[s.pods[p].node].netns;
    if (auto r = waitForClosed(netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10)); !r) return r.error();
  }
  if (auto r = startPod(o, c, p); !r) return r.error();
  return waitReady(c, p, std::chrono::seconds(10));
}

// A pod without a sidecar joins its node's ztunnel, or leaves it, in place.
Result<bool> enrollAs(Context& c, PodId p, MeshMode to) {
  const auto& s = c.scenario;
  if (to == MeshMode::Ambient) {
    if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(s.pods[p].node), c.layout.podCgroup(s, p, "app"),
                                   c.layout.podLinks(s, p))) {
      return fromBpf(*e);
    }
  } else if (auto r = unenrollIfEnrolled(c, p); !r) {
    return r.error();
  }
  c.setMode(p, to);
  return true;
}

}  // namespace

Result<bool> movePod(const TestbedOptions& o, Context& c, PodId p, WaveResult& res) {
  const auto& s = c.scenario;
  const auto k = c.key(p);
  auto& t = *c.state.transition;
  const auto from = c.modeOf(p);
  const auto to = c.phase_state.modeOf(s, p);
  const bool done = std::find(t.pods_done.begin(), t.pods_done.end(), k) != t.pods_done.end();
  if (done && from == to) return true;
  if (auto r = beginMove(o, c, k); !r) return r.error();
  std::string what;
  if (from == MeshMode::Sidecar || to == MeshMode::Sidecar) {
    if (auto r = restartAs(o, c, p, to, res); !r) return r.error();
    const bool restarted = appStart(c, k) != t.pod_app_start;
    if (restarted) ++res.pods_restarted;
    what = to == MeshMode::Sidecar ? "restarted with sidecar:" : "restarted without sidecar:";
    if (!restarted) what = "already in its mode:";
  } else {
    if (from != to) {
      if (auto r = enrollAs(c, p, to); !r) return r.error();
      ++(to == MeshMode::Ambient ? res.pods_enrolled : res.pods_unenrolled);
    }
    what = from == to ? "already in its mode:" : to == MeshMode::Ambient ? "enrolled:" : "unenrolled:";
  }
  if (auto r = endMove(o, c, k); !r) return r.error();
  if (to == MeshMode::Ambient) {
    const auto& netns = c.layout.nodes[s.pods[p].node].netns;
    if (auto r = waitForListener(netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10)); !r) return r.error();
  }
  say(o, fmt::format("  {} {} ({} of {})", what, k, t.pods_done.size(), t.pods.size()));
  return true;
}

}  // namespace meshtwin::testbed::detail
