// Seeded random streams. A stream is derived from (seed, name), so each component draws
// from its own stream and adding a component never shifts another's draws.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace meshtwin::engine {

// xoshiro256** (Blackman & Vigna): small state, fast, passes BigCrush.
class RngStream {
 public:
  RngStream(std::uint64_t seed, std::string_view name);
  explicit RngStream(std::uint64_t seed) : RngStream(seed, "") {}

  std::uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe for log().
  double uniformPositive() { return 1.0 - uniform(); }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log(uniformPositive()); }
  double standardNormal();
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);

 private:
  std::uint64_t s_[4];
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

// A lognormal given by its mean and 99th percentile (what a planner knows); the spread
// sigma solves mean = exp(mu + sigma^2/2), p99 = exp(mu + z99 sigma) (smaller root).
struct LogNormal {
  double mu = 0;
  double sigma = 0;
  // Returns false when no lognormal has that mean and p99 (p99 / mean above about 15).
  static bool fromMeanP99(double mean, double p99, LogNormal& out);
  double sample(RngStream& r) const { return std::exp(mu + sigma * r.standardNormal()); }
  [[nodiscard]] double mean() const { return std::exp(mu + sigma * sigma / 2); }
  [[nodiscard]] double quantile(double z) const { return std::exp(mu + sigma * z); }
};

inline constexpr double kZ99 = 2.3263478740408408;  // standard normal 99th percentile

}  // namespace meshtwin::engine
