// A station: c servers in front of a bounded FIFO queue, on a node whose vCPUs it shares.
// Internal to sim/mesh.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>

#include "meshtwin/engine/simulator.hpp"

namespace meshtwin::sim::detail {

// The vCPUs of one node and how many servers on it are busy now. A job that starts while
// more servers are busy than the node has vCPUs runs slower in proportion (processor
// sharing, sampled when the job starts).
struct NodeCpu {
  double vcpus = 1;
  int busy = 0;
};

// Who waits for a job at a station (a request flow). It waits on one station at a time,
// and hears once: served(true) when the job is done, served(false) when the queue was full
// or the station died. The station keeps the job's arrival time in it, so that a pending
// completion is an engine event holding two pointers (which std::function stores inline).
class StationClient {
 public:
  virtual void served(bool accepted) = 0;
  std::int64_t station_arrived_ns = 0;

 protected:
  ~StationClient() = default;
};

// Aligned to a cache line, with what every job touches in the first line: a large mesh has
// tens of thousands of stations, and a job's visit is then a cache miss per line touched.
class alignas(64) Station {
 public:

  // A station whose `node` is null does no CPU work: its jobs are waits (an app's service
  // time when it is I/O), neither slowed by a busy node nor counted as work.
  Station(engine::Simulator& sim, NodeCpu* node, int servers, int queue_limit)
      : sim_(sim), node_(node), servers_(std::max(1, servers)), queue_limit_(queue_limit) {}

  // Queues `work_ns` of CPU work; `client->served(true)` when served, `served(false)` on
  // the next event when the queue is full.
  void submit(std::int64_t work_ns, StationClient* client);
  // Counts CPU work that does not queue (e.g. the sending side of a TLS handshake).
  void addBackgroundWork(std::int64_t work_ns);
  void startMeasuring();
  // The station is gone (its node lost, its pod crashed): what it holds and what arrives
  // later fail with `cause`.
  void kill(std::string cause);
  [[nodiscard]] bool dead() const { return dead_; }
  [[nodiscard]] const std::string& deathCause() const { return death_cause_; }

  // Measurements since startMeasuring():
  [[nodiscard]] std::int64_t workNs() const { return work_ns_; }
  [[nodiscard]] std::uint64_t arrivals() const { return arrivals_; }
  [[nodiscard]] std::uint64_t completions() const { return completions_; }
  [[nodiscard]] std::uint64_t rejections() const { return rejections_; }
  [[nodiscard]] double sojournSumNs() const { return sojourn_sum_ns_; }
  // Time integral of the number of jobs in the station (queued + in service), in job-ns.
  [[nodiscard]] double occupancyIntegral() const;
  [[nodiscard]] std::int64_t measuredSinceNs() const { return measure_start_; }
  [[nodiscard]] int servers() const { return servers_; }
  // All work since creation, measured or not (what an HPA samples).
  [[nodiscard]] std::int64_t totalWorkNs() const { return total_work_ns_; }
  [[nodiscard]] int inSystem() const { return busy_ + queued_; }

 private:
  struct Job {
    std::int64_t work_ns;
    StationClient* client;
  };
  void start(Job job);
  void finish(StationClient* client);  // its job is served
  void touch();  // accumulate occupancy up to now

  // First cache line: what submit, start, finish and touch read and write.
  engine::Simulator& sim_;
  NodeCpu* node_;
  int servers_;
  int queue_limit_;
  int busy_ = 0;
  int queued_ = 0;  // queue_.size(), kept here so an empty queue is not looked at
  bool measuring_ = false;
  bool dead_ = false;
  std::int64_t last_change_ = 0;
  double occupancy_ = 0;
  std::int64_t work_ns_ = 0;
  // Second line: counters.
  std::int64_t total_work_ns_ = 0;
  std::int64_t measure_start_ = 0;
  std::uint64_t arrivals_ = 0, completions_ = 0, rejections_ = 0;
  double sojourn_sum_ns_ = 0;
  // Cold.
  std::deque<Job> queue_;
  std::string death_cause_;
};

}  // namespace meshtwin::sim::detail
