// Internal to meshtwin::testbed: the state and context that up, down, status, enroll, measure and
// apply-wave share (each a separate process working from the state directory: state.json, the
// snapshot, identities, logs, and the bpffs pins), and the steps one command's file lends another.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "meshtwin/bpf/redirect_loader.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"
#include "meshtwin/testbed/testbed.hpp"

namespace meshtwin::testbed::detail {

using Clock = std::chrono::steady_clock;
using models::MeshMode;
using models::PodId;

constexpr auto kStopGrace = std::chrono::milliseconds(3000);
// How long a proxy may take to notice a new snapshot (it polls the file every 250 ms).
constexpr auto kSnapshotSettle = std::chrono::milliseconds(600);

inline double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline void say(const TestbedOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

inline Error fromBpf(const bpf::Error& e) { return Error{e.what, e.object, e.cause, e.hint}; }

// ------------------------------------------------------------------ state (context.cpp)

struct ProcessRecord {
  std::string name;  // "ztunnel/<node>", "app/<ns>/<pod>", "sidecar/<ns>/<pod>", "waypoint/<ns>/<pod>"
  std::string role;  // app | sidecar | ztunnel | waypoint
  std::string pod;   // "ns/pod" ("" for a ztunnel)
  models::NodeId node = 0;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string cgroup, netns, log;
};

// A wave being applied or reverted, journaled so a killed command is finished by the next one:
// written before and after each pod's move, with the phase and the overrides it goes with.
struct Transition {
  std::size_t from_phase = 0, to_phase = 0;  // this direction's; State::phase is to_phase
  std::size_t settled_phase = 0;             // the phase last completed (kept when it turns back)
  std::vector<std::string> pods;             // the pods that change mode, in their order
  std::vector<std::string> pods_done;        // those already in their to_phase mode
  std::string pod;                           // the pod being moved ("" between moves)
  std::uint64_t pod_app_start = 0;           // its app's start time when its move began (0: none)
};

struct State {
  std::string name;
  std::string scenario_file;
  std::size_t phase = 0;
  std::uint64_t snapshot_version = 0;
  std::vector<ProcessRecord> processes;
  std::map<std::string, std::string> pod_mode;  // overrides, as in the snapshot
  std::set<std::string> drained;                // pods left out of the endpoints
  std::optional<Transition> transition;         // a wave under way (or interrupted)
};

Result<State> readState(const TestbedOptions& o);
// The transition record as state.json holds it (status shows the same).
nlohmann::json transitionJson(const Transition& t);
Result<bool> writeState(const TestbedOptions& o, const State& s);

// An exclusive hold on the testbed's state for commands that change it (a wave, enrol, unenrol):
// a second one waits for none and is told so. The kernel drops it when the holder dies.
class StateLock {
 public:
  explicit StateLock(int fd = -1) : fd_(fd) {}
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock();

 private:
  int fd_;
};
Result<StateLock> lockState(const TestbedOptions& o, const std::string& what);

// What every command after `up` works with: the state, the scenario and its layout.
struct Context {
  State state;
  std::string scenario_text;
  models::Scenario scenario;
  Layout layout;
  std::map<std::string, PodId> pod_by_key;
  models::MeshState phase_state;  // the plan's state in state.phase: set through setPhase
  // Whether state.snapshot_version was checked against the snapshot file (a command killed
  // between writing the file and the state leaves the file a version ahead).
  bool snapshot_version_checked = false;

  void setPhase(std::size_t phase) {
    state.phase = phase;
    phase_state = models::meshStateAt(scenario, phase);
  }

  [[nodiscard]] std::string key(PodId p) const { return layout.podKey(scenario, p); }
  Result<PodId> pod(const std::string& key_text) const;
  // The mode a pod runs in now: the phase's, unless overridden.
  [[nodiscard]] MeshMode modeOf(PodId p) const;
  // Records that pod `p` runs in mode `m`: an override, unless the phase says `m`.
  void setMode(PodId p, MeshMode m);
  ProcessRecord* process(const std::string& name);
};

Result<std::string> readText(const std::string& path);
Result<models::Scenario> loadScenario(const std::string& text, const std::string& file);
Result<Context> makeContext(const TestbedOptions& o, State state);
Result<Context> openTestbed(const TestbedOptions& o);

bool waypointPresent(const Context& c, PodId p);
std::string podAddress(const Context& c, PodId p, std::uint16_t port);
// The snapshot of the current state; a drained pod is listed unready, so nothing routes to it.
Result<bool> pushSnapshot(const TestbedOptions& o, Context& c);

// -------------------------------------------------------------- processes (processes.cpp)

std::string findBinary(const TestbedOptions& o, const std::string& name);
Result<bool> startZtunnel(const TestbedOptions& o, Context& c, models::NodeId n);
// The pod's app, steered as its mode says: to its sidecar (started first) or its ztunnel.
Result<bool> startPod(const TestbedOptions& o, Context& c, PodId p);
Result<bool> startWaypoint(const TestbedOptions& o, Context& c, PodId p);
// Established TCP connections of a process (its socket inodes found in its namespace's table).
std::size_t establishedConnections(pid_t pid);
// Stops a recorded process and forgets it; returns its established connections at the stop.
std::size_t stopRecorded(const TestbedOptions& o, Context& c, const std::string& name);
Result<bool> waitReady(const Context& c, PodId p, std::chrono::milliseconds limit);
// Whether the recorded process `name` exists and is alive.
bool recordedAlive(Context& c, const std::string& name);
// Stops the processes in `cgroup` that no record names (a command killed between starting one
// and recording it); returns how many.
std::size_t stopUnrecorded(const Context& c, const std::string& cgroup);

// ------------------------------------------------------------ pod moves (pod_move.cpp)

// One pod of a transition into the mode the (new) phase gives it: restarted with or without
// its sidecar (drained first), or enrolled with (or left by) its ztunnel in place. Resumable:
// what an earlier, killed attempt did is not done again. Counts into `res`.
Result<bool> movePod(const TestbedOptions& o, Context& c, PodId p, WaveResult& res);

// ------------------------------------------------------------------ network (network.cpp)

// The fabric and node namespaces, their links and addresses, and the fabric's zone counters.
Result<bool> buildNetwork(const TestbedOptions& o, const Context& c);
// The fabric's per-zone-pair counters since the last read, read and zeroed.
Result<std::vector<ZoneCounter>> readZoneCounters(const Context& c);

}  // namespace meshtwin::testbed::detail
