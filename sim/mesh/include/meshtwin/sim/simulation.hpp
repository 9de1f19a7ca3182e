// The mesh simulator: predicts, for every phase of a plan (the baseline and the state after
// each wave), what the mesh costs and how it behaves, by simulating the scenario's traffic
// through the hops hopPath gives. CPU, latency and memory emerge from the modelled load;
// nothing is copied from the profile's anchors.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::sim {

struct SimOptions {
  std::uint64_t seed = 0;                    // 0: the scenario's seed
  std::optional<std::int64_t> duration_ns;   // default: the entry points' load duration
  std::int64_t warmup_ns = 5'000'000'000;    // excluded from measurement (capped at 20% of the run)
  // Requests waiting at one proxy before it answers 503: Envoy's default circuit breaker
  // (max_pending_requests 1024) and the same bound for ztunnel.
  int proxy_queue_limit = 1024;
  int app_queue_limit = 1024;                // requests waiting at one app replica before 503
  std::int64_t pod_startup_ns = 10'000'000'000;   // from scheduling to ready (image pulled)
  std::int64_t sidecar_startup_ns = 2'000'000'000;  // extra when the pod carries a sidecar
  std::int64_t rollout_settle_ns = 30'000'000'000;  // measured after the last pod is ready
  std::int64_t rollout_limit_ns = 3'600'000'000'000;  // a rollout still running then is reported stuck
  bool rollouts = true;                      // also simulate the window of each wave's rollout
  std::int64_t series_step_ns = 0;           // > 0: also report a time series at this step
  std::int64_t request_timeout_ns = 15'000'000'000;  // Envoy's default route timeout: slower calls are 503s
  std::int64_t node_failure_detection_ns = 40'000'000'000;  // node-monitor-grace-period: a lost node's pods stay endpoints this long
  std::int64_t certificate_backdate_ns = 300'000'000'000;   // assumption: workload certificates' NotBefore is backdated 5 min
  // The testbed's conditions, for validation against it (defaults model a cluster):
  // > 0: every node's stations share one host of this many vCPUs (the testbed runs all its
  // nodes on one machine), instead of each node its own pool's vCPUs.
  double host_vcpus = 0;
  // false: an app's service time is a wait (a timer, I/O), not CPU work: it neither counts
  // as app CPU nor slows down when the node is busy (the testbed's workload app sleeps).
  bool app_service_is_cpu = true;
  // With host_vcpus: CPU the testbed's own processes spend beside the proxies, on the same
  // host: each request an app serves (beyond its service time) and each entry request the
  // load generator sends. It keeps one of the host's vCPUs busy while it runs (so the
  // proxies queue behind it on a busy host), delays no request, and counts as the app's and
  // the "ingress" component's CPU.
  std::int64_t app_cpu_per_request_ns = 0;
  std::int64_t ingress_cpu_per_request_ns = 0;
  // false: bytes between the entry client and the first hop are not counted per zone pair
  // (the testbed's ingress sits outside every zone).
  bool count_entry_zone_bytes = true;
};

// Called after each phase with (phases done, phases in all); return false to cancel.
using ProgressFn = std::function<bool(std::size_t done, std::size_t total)>;

// How a caller that runs the simulator in the background (the GUI) follows and stops it.
// Both hooks are called on the simulating thread.
struct RunControl {
  // Polled between phases and after every simulated second inside one (about a tenth of a
  // wall second on the 10,000-pod scenario); true ends the run without a report.
  std::function<bool()> cancelled;
  // Each phase's report as soon as it is complete (index into Report::phases, and how many
  // phases the run has), so results can be shown before the whole plan is done.
  std::function<void(const models::PhaseReport& phase, std::size_t index, std::size_t total)> phase_done;
};

// What one station (an app replica or a proxy) saw, for checks such as Little's law.
struct StationStats {
  std::string kind;  // app | sidecar | ztunnel | waypoint
  std::string name;
  int servers = 0;
  std::uint64_t arrivals = 0, completions = 0, rejections = 0;
  double window_ns = 0;           // from the start of measurement to the end of the run
  double occupancy_integral = 0;  // integral of jobs present (queued + in service) over time, job-ns
  double sojourn_sum_ns = 0;      // over completions that arrived in the window
};

// How much simulating took: for benchmarks (calls per wall second), not for reports.
struct RunStats {
  std::uint64_t events = 0;  // engine events run
  std::uint64_t calls = 0;   // calls simulated (entry requests and service-to-service calls), warm-up included
};

// Simulates one phase in steady state; `stations`, when given, receives per-station figures.
models::PhaseReport simulatePhase(const models::Scenario& s, const models::MeshState& m, const SimOptions& opts,
                                  std::vector<StationStats>* stations = nullptr, RunStats* stats = nullptr);
// Simulates the rollout of a wave: traffic flows while the mesh moves from `from` to `to`
// (rolling restarts, enrolment, waypoints starting). The report's kind is "rollout".
models::PhaseReport simulateRollout(const models::Scenario& s, const models::MeshState& from,
                                    const models::MeshState& to, const std::string& wave, const SimOptions& opts);
// Every phase of the plan, in order; nullopt when cancelled through `progress`.
std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const ProgressFn& progress = {});
// The same, followed and cancellable through `control`; nullopt when cancelled.
std::optional<models::Report> simulateScenario(const models::Scenario& s, const SimOptions& opts,
                                               const RunControl& control);
// Phases simulateScenario runs for this scenario (rollout windows included when enabled).
std::size_t phaseCount(const models::Scenario& s, const SimOptions& opts);

}  // namespace meshtwin::sim
