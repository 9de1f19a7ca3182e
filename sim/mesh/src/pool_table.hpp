// Pooled connections between proxies, looked up on every link a call crosses. Internal to sim/mesh.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::sim::detail {

// A connection pool between two proxies: how many streams are open now and how many
// connections it had to open for them.
struct Pool {
  int streams_per_connection = 100;
  int active = 0;
  int connections = 0;
};

// The pools, keyed by (from station, to station, source pod or 0). Looked up on every link
// a call crosses; a 10,000-pod mesh holds ~10^5 of them, so a lookup is cache misses:
// an open-addressing table (linear probing, 24-byte slots) costs one for the slot and one
// for the pool, where std::unordered_map costs three (bucket, previous node, node). Pools
// live in a deque, so their addresses are stable and flows hold Pool pointers.
class PoolTable {
 public:
  // The pool for the key, made (zeroed) if there is none yet.
  Pool& at(std::size_t from, std::size_t to, models::PodId src) {
    if (slots_.empty() || 2 * (pools_.size() + 1) > slots_.size()) grow();
    const auto f = static_cast<std::uint32_t>(from), t = static_cast<std::uint32_t>(to), s = static_cast<std::uint32_t>(src);
    if (f != from || t != to || s != src) throw std::length_error("PoolTable: index beyond 32 bits");
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(f, t, s) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (!slot.pool) {
        slot = {f, t, s, &pools_.emplace_back()};
        return *slot.pool;
      }
      if (slot.from == f && slot.to == t && slot.src == s) return *slot.pool;
    }
  }

 private:
  struct Slot {
    std::uint32_t from = 0, to = 0, src = 0;
    Pool* pool = nullptr;  // nullptr: empty
  };
  static std::size_t hash(std::uint32_t f, std::uint32_t t, std::uint32_t s) {
    std::uint64_t h = ((static_cast<std::uint64_t>(f) << 32) | t) * 0x9e3779b97f4a7c15ULL;
    h = (h ^ (h >> 29) ^ s) * 0xbf58476d1ce4e5b9ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const auto& o : old) {
      if (!o.pool) continue;
      std::size_t i = hash(o.from, o.to, o.src) & mask;
      while (slots_[i].pool) i = (i + 1) & mask;
      slots_[i] = o;
    }
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::deque<Pool> pools_;
};

}  // namespace meshtwin::sim::detail
