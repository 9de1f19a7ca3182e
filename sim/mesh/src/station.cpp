// Station: FIFO multi-server queue with occupancy accounting for Little's law.
#include "station.hpp"

namespace meshtwin::sim::detail {

void Station::touch() {
  const auto now = sim_.now();
  if (measuring_) occupancy_ += static_cast<double>(busy_ + queued_) * static_cast<double>(now - last_change_);
  last_change_ = now;
}

double Station::occupancyIntegral() const {
  return occupancy_ + static_cast<double>(busy_ + queued_) * static_cast<double>(sim_.now() - last_change_);
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
    sim_.schedule(0, [c = queue_.front().client] { c->served(false); });
    queue_.pop_front();
  }
  queued_ = 0;
}

void Station::submit(std::int64_t work_ns, StationClient* client) {
  if (dead_) {
    sim_.schedule(0, [client] { client->served(false); });
    return;
  }
  if (busy_ < servers_) {
    touch();
    if (measuring_) ++arrivals_;
    client->station_arrived_ns = sim_.now();
    start({work_ns, client});
    return;
  }
  if (queued_ >= queue_limit_) {
    if (measuring_) ++rejections_;
    // Answer on the next event, not inside the caller's stack.
    sim_.schedule(0, [client] { client->served(false); });
    return;
  }
  touch();
  if (measuring_) ++arrivals_;
  client->station_arrived_ns = sim_.now();
  queue_.push_back({work_ns, client});
  ++queued_;
}

void Station::start(Job job) {
  ++busy_;
  if (!node_) {  // a wait, not CPU work
    sim_.schedule(job.work_ns, [this, c = job.client] { finish(c); });
    return;
  }
  ++node_->busy;
  const double speed = std::min(1.0, node_->vcpus / static_cast<double>(node_->busy));
  const auto service_ns = static_cast<std::int64_t>(static_cast<double>(job.work_ns) / speed);
  total_work_ns_ += job.work_ns;
  if (measuring_) work_ns_ += job.work_ns;
  sim_.schedule(service_ns, [this, c = job.client] { finish(c); });
}

void Station::finish(StationClient* client) {
  const auto arrived = client->station_arrived_ns;
  touch();
  --busy_;
  if (node_) --node_->busy;
  if (measuring_ && arrived >= measure_start_) {
    ++completions_;
    sojourn_sum_ns_ += static_cast<double>(sim_.now() - arrived);
  }
  if (queued_ > 0) {
    const Job next = queue_.front();
    queue_.pop_front();
    --queued_;
    start(next);
  }
  client->served(!dead_);
}

}  // namespace meshtwin::sim::detail
