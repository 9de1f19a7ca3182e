// The ns-3 side of engine_hold, behind a plain interface: ns-3.37's headers do not compile
// as C++20 (template-id constructors such as Singleton<T>()), so engine_hold_ns3.cpp is
// built as C++17 and nothing of ns-3 leaks into this header.
#pragma once

#include <cstdint>
#include <string>

namespace meshtwin::bench {

// The HOLD model on ns-3's process-wide simulator with the given scheduler TypeId
// ("ns3::MapScheduler", "ns3::PriorityQueueScheduler"). One instance at a time.
class Ns3Hold {
 public:
  Ns3Hold(const std::string& scheduler, std::uint64_t pending, std::uint64_t seed);
  ~Ns3Hold();  // Simulator::Destroy()
  Ns3Hold(const Ns3Hold&) = delete;
  Ns3Hold& operator=(const Ns3Hold&) = delete;

  // Handles exactly n events; returns the simulated time reached (ns).
  std::int64_t run(std::uint64_t n);
  // ns-3 has no public pending-event count; the hold model keeps the initial one.
  [[nodiscard]] std::uint64_t pending() const { return pending_; }

 private:
  std::uint64_t pending_ = 0;
};

}  // namespace meshtwin::bench
