// Pending-event sets for the discrete-event engine. An entry is (time, sequence, slot):
// entries leave in increasing time, and among equal times in increasing sequence (the order
// they were scheduled in). Two implementations share this contract and one test suite:
// QuaternaryHeapQueue (the default: a 4-ary implicit heap on a vector, cache friendly) and
// MapQueue (a std::map, the simple reference and ns-3's default structure).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace meshtwin::engine {

using SimTime = std::int64_t;  // simulated nanoseconds

struct QueueEntry {
  SimTime time = 0;
  std::uint64_t seq = 0;   // insertion sequence: breaks ties between equal times
  std::uint32_t slot = 0;  // where the event's callable lives
  [[nodiscard]] friend bool operator<(const QueueEntry& a, const QueueEntry& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  }
};

class QuaternaryHeapQueue {
 public:
  void push(const QueueEntry& e);
  [[nodiscard]] const QueueEntry& top() const { return heap_.front(); }
  void pop();
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void clear() { heap_.clear(); }

 private:
  std::vector<QueueEntry> heap_;
};

class MapQueue {
 public:
  void push(const QueueEntry& e) { map_.emplace(std::make_pair(e.time, e.seq), e.slot); }
  [[nodiscard]] QueueEntry top() const {
    const auto& [k, slot] = *map_.begin();
    return {k.first, k.second, slot};
  }
  void pop() { map_.erase(map_.begin()); }
  [[nodiscard]] bool empty() const { return map_.empty(); }
  [[nodiscard]] std::size_t size() const { return map_.size(); }
  void reserve(std::size_t) {}
  void clear() { map_.clear(); }

 private:
  std::map<std::pair<SimTime, std::uint64_t>, std::uint32_t> map_;
};

}  // namespace meshtwin::engine
