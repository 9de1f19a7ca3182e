// Pending-event sets for the discrete-event engine. An entry is (time, sequence, slot):
// entries leave in increasing time, and among equal times in increasing sequence (the order
// they were scheduled in). Three implementations share this contract and one test suite:
// RadixQueue (the default: a monotone radix heap with FIFO buckets, O(1) amortised and
// sequential in memory), QuaternaryHeapQueue (a 4-ary implicit heap on a vector) and
// MapQueue (a std::map, the simple reference and ns-3's default structure).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
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

// A monotone radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990) over the integer time, for
// the simulator's pattern where nothing is pushed before the last entry taken. Bucket i
// (1..64) holds the entries whose time first differs from the radix base (the time of the
// last entry taken) in bit i-1; bucket 0 holds those equal to the base. Taking from an
// empty bucket 0 moves the lowest non-empty bucket down, relative to its least time, so
// an entry moves at most 64 times in all and typically log2(its delay) times; every move
// is a sequential read and an append, so the pending set is never walked at random.
// Equal times stay in one bucket in push order, so they leave first-in first-out: that is
// the insertion sequence when, as in BasicSimulator, sequences increase with every push;
// the sequence itself is not stored (top() reports 0). A push below the base (only after
// the simulator dropped cancelled entries past its clock) re-buckets what is pending.
// Memory: 16 B per entry plus bucket capacity, which is kept for reuse.
class RadixQueue {
 public:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();

  void push(const QueueEntry& e) {
    const Item it{keyOf(e.time), e.slot};
    if (it.key < base_) rebase(it.key);
    place(it);
    ++size_;
  }
  // Not const: with bucket 0 empty, the first call finds the least entry and remembers it.
  [[nodiscard]] QueueEntry top() {
    const auto& b0 = buckets_[0];
    if (head_ < b0.size()) return {timeOf(b0[head_].key), 0, b0[head_].slot};
    if (least_bucket_ == 0) findLeast();
    const Item& it = buckets_[static_cast<std::size_t>(least_bucket_)][least_index_];
    return {timeOf(it.key), 0, it.slot};
  }
  void pop() {
    if (head_ == buckets_[0].size()) refill();
    ++head_;
    --size_;
    if (head_ == buckets_[0].size()) {
      buckets_[0].clear();
      head_ = 0;
    }
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  void reserve(std::size_t) {}
  void clear();
  // The slot of the entry k places behind top() when known cheaply (kNoSlot otherwise):
  // the simulator prefetches that event's callable while it runs the ones before it.
  [[nodiscard]] std::uint32_t slotAhead(std::size_t k) const {
    const auto& b0 = buckets_[0];
    return head_ + k < b0.size() ? b0[head_ + k].slot : kNoSlot;
  }

 private:
  struct Item {
    std::uint64_t key;  // the time, sign bit flipped: unsigned order = signed order
    std::uint32_t slot;
  };
  static std::uint64_t keyOf(SimTime t) { return static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63); }
  static SimTime timeOf(std::uint64_t key) { return static_cast<SimTime>(key ^ (std::uint64_t{1} << 63)); }
  // Bucket 0 for equal keys, else 1 + the index of the highest bit in which they differ.
  static int bucketIndex(std::uint64_t differing) {
    return differing == 0 ? 0 : 64 - std::countl_zero(differing);
  }
  static std::uint64_t bucketBit(int i) { return std::uint64_t{1} << (i - 1); }
  void place(const Item& it) {
    const int i = bucketIndex(it.key ^ base_);
    auto& bucket = buckets_[static_cast<std::size_t>(i)];
    if (i > 0) {
      non_empty_ |= bucketBit(i);
      // Forget the remembered least if this entry is now the least (or below its bucket).
      if (i < least_bucket_ || (i == least_bucket_ && it.key < bucket[least_index_].key)) least_bucket_ = 0;
    }
    bucket.push_back(it);
  }
  void findLeast();
  void refill();
  void rebase(std::uint64_t key);

  std::array<std::vector<Item>, 65> buckets_;
  std::size_t head_ = 0;                   // next entry to leave bucket 0
  std::uint64_t base_ = keyOf(0);          // radix base: the key of the last entry taken
  std::uint64_t non_empty_ = 0;            // bit i-1 set: bucket i (1..64) holds entries
  std::size_t size_ = 0;
  int least_bucket_ = 0;                   // > 0: bucket 0 is empty and the least entry is
  std::size_t least_index_ = 0;            //   buckets_[least_bucket_][least_index_]
};

}  // namespace meshtwin::engine
