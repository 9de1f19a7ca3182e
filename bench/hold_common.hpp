// What every engine in engine_hold shares: the delay distribution and the seeding, so only
// the event-set machinery differs between rows. Kept C++17 so the ns-3 part can include it.
#pragma once

#include <cstdint>

#include "meshtwin/engine/rng.hpp"

namespace meshtwin::bench {

inline constexpr double kMeanDelayNs = 100.0;

// Exp(mean 100 ns), truncated to whole nanoseconds (as ns-3's utils/bench-scheduler.cc
// uses Exp(100) with a nanosecond clock).
inline std::int64_t drawDelay(engine::RngStream& rng) {
  return static_cast<std::int64_t>(rng.exponential(kMeanDelayNs));
}

inline engine::RngStream makeRng(std::uint64_t seed, std::uint64_t pending) {
  return engine::RngStream(seed ^ pending, "hold");
}

}  // namespace meshtwin::bench
