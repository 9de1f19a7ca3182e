// Station: FIFO multi-server queue with occupancy accounting for Little's law.
#include "station.hpp"

namespace meshtwin::sim::detail {

void Station::touch() {
  const auto now = sim_.now();
  if (measuring_) occupancy_ += static_cast<double>(busy_ + static_cast<int>(queue_.size())) * static_cast<double>(now - last_change_);
  last_change_ = now;
}

double Station::occupancyIntegral() const {
  return occupancy_ + static_cast<double>(busy_ + static_cast<int>(queue_.size())) * static_cast<double>(sim_.now() - last_change_);
}

void Station::startMeasuring() {
  touch();
  measuring_ = true;
  measure_start_ = sim_.now();
  last_change_ = sim_.now();
  occupancy_ = 0;
  work_ns_ = 0;
  arrivals_ = completions_ = rejections_ = 0;
  sojourn_sum_ns_ = 0;
}

void Station::addBackgroundWork(std::int64_t work_ns) {
  total_work_ns_ += work_ns;
  if (measuring_) work_ns_ += work_ns;
}

void Station::kill(std::string cause) {
  if (dead_) return;
  touch();
  dead_ = true;
  death_cause_ = std::move(cause);
  while (!queue_.empty()) {
    sim_.schedule(0, [d = std::move(queue_.front().done)] { d(false); });
    queue_.pop_front();
  }
}

void Station::submit(std::int64_t work_ns, Done done) {
  if (dead_) {
    sim_.schedule(0, [d = std::move(done)] { d(false); });
    return;
  }
  if (busy_ < servers_) {
    touch();
    if (measuring_) ++arrivals_;
    start({work_ns, sim_.now(), std::move(done)});
    return;
  }
  if (static_cast<int>(queue_.size()) >= queue_limit_) {
    if (measuring_) ++rejections_;
    // Answer on the next event, not inside the caller's stack.
    sim_.schedule(0, [d = std::move(done)] { d(false); });
    return;
  }
  touch();
  if (measuring_) ++arrivals_;
  queue_.push_back({work_ns, sim_.now(), std::move(done)});
}

void Station::start(Job job) {
  ++busy_;
  ++node_->busy;
  const double speed = std::min(1.0, node_->vcpus / static_cast<double>(node_->busy));
  const auto service_ns = static_cast<std::int64_t>(static_cast<double>(job.work_ns) / speed);
  total_work_ns_ += job.work_ns;
  if (measuring_) work_ns_ += job.work_ns;
  std::uint32_t slot;
  if (!free_running_.empty()) {
    slot = free_running_.back();
    free_running_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(running_.size());
    running_.emplace_back();
  }
  running_[slot].arrived_ns = job.arrived_ns;
  running_[slot].done = std::move(job.done);
  sim_.schedule(service_ns, [this, slot] { finish(slot); });
}

void Station::finish(std::uint32_t slot) {
  const auto arrived = running_[slot].arrived_ns;
  Done d = std::move(running_[slot].done);
  running_[slot].done = nullptr;
  free_running_.push_back(slot);
  touch();
  --busy_;
  --node_->busy;
  if (measuring_ && arrived >= measure_start_) {
    ++completions_;
    sojourn_sum_ns_ += static_cast<double>(sim_.now() - arrived);
  }
  if (!queue_.empty()) {
    Job next = std::move(queue_.front());
    queue_.pop_front();
    start(std::move(next));
  }
  d(!dead_);
}

}  // namespace meshtwin::sim::detail
