// What calibrate and validate share: the simulator set up as the testbed runs (one host's vCPUs for every node, apps that wait rather than compute, the
// ingress outside every zone), scaled entry loads, and where a run happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "meshtwin/models/profile.hpp"
#include "meshtwin/models/scenario.hpp"
#include "meshtwin/sim/simulation.hpp"

namespace meshtwin::twin {

// The simulator's options for predicting a testbed measurement of `measured_ns` after
// `warmup_ns`: the testbed's nodes share `host_vcpus` of this machine, its workload app's
// service time is a timer, its apps and load generator cost the CPU the profile's `testbed`
// section gives, and its ingress gateway is outside the zones.
sim::SimOptions testbedSimOptions(const models::Profile& profile, double host_vcpus, std::int64_t measured_ns,
                                  std::int64_t warmup_ns, std::uint64_t seed = 0);
// CPUs this process may run on (what the testbed's processes share): its CPU affinity, capped
// by the tightest CPU quota of its cgroups (v2 cpu.max or v1 cpu.cfs_quota_us).
double hostVcpus();
// That quota alone in vCPUs, 0 when there is none.
double cgroupCpuQuota();

// What the host gives the testbed: hostVcpus(), less what other work kept busy while it was
// sampled (another build, a neighbour; the testbed itself down), and the time the hypervisor stole.
struct HostCapacity {
  double vcpus = 0, background_vcpus = 0, steal_vcpus = 0;
  [[nodiscard]] double available() const;  // vcpus less background and steal, at least a tenth of one
};
// Samples /proc/stat for `window` (nullopt where the host's CPU times cannot be read).
std::optional<HostCapacity> sampleHostCapacity(std::chrono::milliseconds window);
// The scenario's network as the testbed has it: its links are veth pairs through a fabric
// namespace with no emulated delay, so the scenario's round-trip times are set to 0 (the
// few microseconds a veth hop takes are part of the calibrated latency per pass).
void useTestbedNetwork(models::Scenario& s);
// Multiplies every entry point's offered load.
void scaleLoad(models::Scenario& s, double factor);
// The component profile of a kind ("sidecar", "ztunnel", "waypoint").
models::ComponentProfile& componentOf(models::Profile& p, const std::string& kind);
const models::ComponentProfile& componentOf(const models::Profile& p, const std::string& kind);
std::string hostName();
std::string gitCommit();  // of the working directory's repository, else the build's, else ""

// A testbed run's window: the measured time and the load before it.
struct RunWindow {
  std::int64_t measured_ns = 0, warmup_ns = 0;
  [[nodiscard]] std::chrono::milliseconds measured() const { return std::chrono::milliseconds(measured_ns / 1'000'000); }
  [[nodiscard]] std::chrono::milliseconds warmup() const { return std::chrono::milliseconds(warmup_ns / 1'000'000); }
};

}  // namespace meshtwin::twin
