// What the testbed asks of the machine: commands (iproute2, iptables), processes started in
// a network namespace and a cgroup, cgroup v2 accounting, /proc memory figures, and work done
// from inside a namespace. Linux only; most of it needs root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/dataplane/ca.hpp"

namespace meshtwin::testbed {

using dataplane::Error;
using dataplane::Result;

// Runs argv[0] (looked up in PATH) and returns its stdout; a non-zero exit is an Error
// carrying the command line and what it printed on stderr.
Result<std::string> runCommand(const std::vector<std::string>& argv);
// `ip [-n NETNS] -batch` over `lines` (one command each, without the leading "ip"): one process
// for many, applied inside `netns` when one is named.
Result<bool> ipBatch(const std::vector<std::string>& lines, const std::string& netns = "");

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is a path
  std::string netns;              // "" = the caller's namespace
  std::string cgroup;             // cgroup v2 directory the process starts in ("" = the caller's)
  std::string log_file;           // stdout and stderr, appended
};
// Starts a detached process (its own session; it outlives the caller). The child joins the
// namespace and the cgroup before exec, so its first socket is already accounted and steered.
Result<pid_t> spawnProcess(const SpawnSpec& spec);
// A process's start time (clock ticks since boot, /proc/PID/stat field 22); nullopt when it is
// gone. Stored with the pid so a reused pid is never mistaken for ours.
std::optional<std::uint64_t> processStartTime(pid_t pid);
bool processAlive(pid_t pid, std::uint64_t start_time);
// SIGTERM, then SIGKILL after `grace`; true once it is gone.
bool stopProcess(pid_t pid, std::uint64_t start_time, std::chrono::milliseconds grace);

struct ProcessMemory {
  std::uint64_t rss_bytes = 0;
  std::uint64_t pss_bytes = 0;
};
std::optional<ProcessMemory> processMemory(pid_t pid);  // /proc/PID/smaps_rollup

// The host's CPU time since boot, from /proc/stat's cpu line: busy (user, nice, system, irq,
// softirq), stolen by the hypervisor, and all of it (idle and iowait included).
struct HostCpuTimes {
  std::uint64_t busy_ns = 0, steal_ns = 0, total_ns = 0;
};
std::optional<HostCpuTimes> readHostCpuTimes();

// cgroup v2.
Result<bool> makeCgroup(const std::string& dir);
std::optional<std::uint64_t> cgroupCpuUsec(const std::string& dir);  // cpu.stat usage_usec
std::vector<pid_t> cgroupProcesses(const std::string& dir);          // cgroup.procs, recursively
// Kills every process under `dir` (SIGTERM, then SIGKILL), then removes the cgroups bottom-up.
Result<bool> removeCgroupTree(const std::string& dir, std::chrono::milliseconds grace);

// Runs `fn` on a thread that has joined the named network namespace (/run/netns/NAME); the
// caller's namespace is untouched.
Result<bool> inNetns(const std::string& netns, const std::function<void()>& fn);
std::vector<std::string> listNetns(const std::string& prefix);
// Waits until a TCP connect to `address` ("ip:port") from inside `netns` succeeds.
Result<bool> waitForListener(const std::string& netns, const std::string& address, std::chrono::milliseconds limit);
// Waits until a TCP connect to `address` from inside `netns` is refused (its listener closed).
Result<bool> waitForClosed(const std::string& netns, const std::string& address, std::chrono::milliseconds limit);

bool isRoot();

}  // namespace meshtwin::testbed
