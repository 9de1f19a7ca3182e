// Internal to meshtwin::testbed: the state and context that up, down, status, enroll, measure and
// apply-wave share (each a separate process working from the state directory: state.json, the
// snapshot, identities, logs, and the bpffs pins), and the steps one command's file lends another.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
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

struct State {
  std::string name;
  std::string scenario_file;
  std::size_t phase = 0;
  std::uint64_t snapshot_version = 0;
  std::vector<ProcessRecord> processes;
  std::map<std::string, std::string> pod_mode;  // overrides, as in the snapshot
  std::set<std::string> drained;                // pods left out of the endpoints
};

Result<State> readState(const TestbedOptions& o);
Result<bool> writeState(const TestbedOptions& o, const State& s);

// What every command after `up` works with: the state, the scenario and its layout.
struct Context {
  State state;
  std::string scenario_text;
  models::Scenario scenario;
  Layout layout;
  std::map<std::string, PodId> pod_by_key;
  models::MeshState phase_state;  // the plan's state in state.phase: set through setPhase

  void setPhase(std::size_t phase) {
    state.phase = phase;
    phase_state = models::meshStateAt(scenario, phase);
  }

  [[nodiscard]] std::string key(PodId p) const { return layout.podKey(scenario, p); }
  Result<PodId> pod(const std::string& key_text) const;
  // The mode a pod runs in now: the phase's, unless overridden.
  [[nodiscard]] MeshMode modeOf(PodId p) const;
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

// ------------------------------------------------------------------ network (network.cpp)

// The fabric and node namespaces, their links and addresses, and the fabric's zone counters.
Result<bool> buildNetwork(const TestbedOptions& o, const Context& c);
// The fabric's per-zone-pair counters since the last read, read and zeroed.
Result<std::vector<ZoneCounter>> readZoneCounters(const Context& c);

}  // namespace meshtwin::testbed::detail
