// The testbed: a scenario's data plane as real processes on this machine. Nodes are network
// namespaces, zones subnets joined through a fabric namespace, pods processes with their own
// address and cgroup; each node runs a ztunnel (eBPF steers its ambient pods' connect() to it),
// sidecar-mode pods get a sidecar process (also steered by eBPF), waypoints run as pods. Every
// command is a separate process working from the state directory and the bpffs pins, so `down`
// also cleans up after a crash: it removes whatever carries the testbed's name.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/report.hpp"
#include "meshtwin/testbed/layout.hpp"
#include "meshtwin/testbed/system.hpp"

namespace meshtwin::testbed {

struct TestbedOptions {
  std::string name = "mt";
  std::string state_root = "/run/meshtwin";  // the state lives in <state_root>/<name>
  std::string bin_dir;  // where meshtwin-proxy, meshtwin-app and meshtwin-load are ("" = found)
  std::string cgroup_mount = "/sys/fs/cgroup/unified";
  std::function<void(const std::string&)> progress;  // one line per step; may be empty
  [[nodiscard]] std::string stateDir() const { return state_root + "/" + name; }
};

struct UpOptions {
  std::string scenario_file;
  std::size_t phase = 0;  // the plan's phase to start in (0 = baseline)
  std::chrono::milliseconds ready_limit{30000};
};

struct UpSummary {
  std::size_t nodes = 0, pods = 0, processes = 0;
  double seconds = 0;
};
Result<UpSummary> up(const TestbedOptions& o, const UpOptions& u);

struct DownSummary {
  std::size_t processes = 0, netns = 0, links = 0, cgroups = 0;
  bool bpf_pins = false, state_dir = false;
};
// Removes everything named after the testbed, whether or not its state file survived.
Result<DownSummary> down(const TestbedOptions& o);

// What is running: phase, processes (alive or not), namespaces, pins; JSON.
Result<nlohmann::json> status(const TestbedOptions& o);
// Leftovers of the testbed on this machine (namespaces, interfaces, cgroups, pins, state),
// each as a line; empty after a clean `down`.
std::vector<std::string> leftovers(const TestbedOptions& o);

// A running pod without a sidecar joins (or leaves) ambient: its cgroup's connect() is steered
// to its node's ztunnel (or no longer), and the control-plane snapshot says so. No restart.
Result<bool> enroll(const TestbedOptions& o, const std::string& pod);
Result<bool> unenroll(const TestbedOptions& o, const std::string& pod);

struct MeasureOptions {
  std::chrono::milliseconds duration{20000};
  std::chrono::milliseconds warmup{2000};
  double rps = 0;          // total over the entry points, split as the scenario's rates; 0 = theirs
  double rps_scale = 1.0;  // multiplies the scenario's rates when rps is 0
  int connections = 4;     // per entry point, opened before the load starts
  // More per entry point while every one is busy, up to this many; 0: never, a due request
  // waits for a free one and the wait is latency (a client queueing behind its own
  // connections, which the simulator's entry does not model: near saturation it doubles
  // the chain's p99). Off by default: calibrate and validate are measured without it.
  int max_connections = 0;
  std::string json_file;   // also write the report here
};
struct ZoneCounter {
  std::string from, to;  // zone names
  std::uint64_t bytes = 0, packets = 0;
};
struct Measurement {
  models::Report report;
  std::vector<ZoneCounter> zone_counters;  // including pairs that carried nothing
  std::map<std::string, ProcessMemory> memory;  // by process name (RSS and PSS)
  struct ProcessFigures {
    std::string role;  // app | sidecar | ztunnel | waypoint
    double cpu_millicores = 0;
    std::size_t connections = 0;  // established TCP connections at the end of the window
  };
  std::map<std::string, ProcessFigures> processes;  // by process name
  // The host over the window: every CPU's busy time (the testbed's processes, the kernel's
  // packet work, anything else running), time stolen by the hypervisor, and the testbed's
  // own processes' cgroup time (pods, proxies and the load generators).
  struct HostFigures {
    double busy_millicores = 0, steal_millicores = 0, testbed_millicores = 0;
  };
  HostFigures host;
};
// Runs the scenario's entry points against the testbed (open loop, from outside the cluster,
// as the ingress gateway: HBONE straight to the destination pods) and measures one phase.
Result<Measurement> measure(const TestbedOptions& o, const MeasureOptions& m);

struct WaveResult {
  std::size_t wave = 0;
  std::size_t waypoints_started = 0, waypoints_stopped = 0;
  std::size_t pods_restarted = 0;  // with their sidecar (revert) or without it (apply)
  std::size_t pods_enrolled = 0;   // pods without a sidecar moved into ambient in place
  std::size_t pods_unenrolled = 0; // ... and out of it (revert)
  std::size_t connections_reset = 0;  // established TCP connections of the processes it stopped
  double seconds = 0;
};
// Performs wave `wave` (the testbed must be in phase wave-1): starts the waypoints it adds,
// pushes the new snapshot, restarts its sidecar pods one by one without their sidecar (each
// drained first: removed from the endpoints, then stopped) and enrols them with the ztunnel,
// enrols pods that had no sidecar without a restart, stops the waypoints it removes.
// Resumable and idempotent: each step is journaled in the state file, so after the command
// doing it was killed, calling it again finishes the wave without redoing a step (a pod moved
// is not restarted again, a waypoint running is not started twice); part-way into a revert of
// the same wave, it turns back. In phase `wave` already: nothing to do (zero counts).
Result<WaveResult> applyWave(const TestbedOptions& o, std::size_t wave);

// Takes the testbed from phase `wave` back to phase wave-1 (the testbed must be at phase `wave`,
// or part-way into it after an interrupted applyWave): starts the waypoints phase wave-1 has and
// `wave` does not, pushes the wave-1 snapshot, restarts pods that had a sidecar at wave-1 with
// their sidecar again (drained first, as applyWave drains: out of the endpoints, stopped, back
// with a sidecar, rejoining once ready), unenrols pods that were enrolled without a restart,
// stops the waypoints `wave` added. Resumable and idempotent as applyWave; in phase wave-1
// already: nothing to do.
Result<WaveResult> revertWave(const TestbedOptions& o, std::size_t wave);

// A wave under way, or left part-way by a command that was killed.
struct WaveTransition {
  std::size_t from_phase = 0, to_phase = 0;  // the direction it goes in (to_phase's routes are in force)
  std::vector<std::string> pods;             // the pods that change mode, in their order
  std::vector<std::string> pods_done;        // those already in their to_phase mode
  std::string pod;                           // the pod being moved ("" between two)
};
struct PhaseInfo {
  std::size_t phase = 0;  // the phase last completed (up's, or the last wave applied or reverted)
  std::optional<WaveTransition> transition;
};
// The phase the testbed is at, from its state: the last one completed. During a wave (or after
// one was interrupted) that is the phase it started from; phaseInfo says where it is going.
Result<std::size_t> phase(const TestbedOptions& o);
Result<PhaseInfo> phaseInfo(const TestbedOptions& o);

// The bytes each zone pair carried through the fabric since the last read (iptables
// counters in the fabric namespace, read and zeroed).
Result<std::vector<ZoneCounter>> readZoneCounters(const TestbedOptions& o);

}  // namespace meshtwin::testbed
