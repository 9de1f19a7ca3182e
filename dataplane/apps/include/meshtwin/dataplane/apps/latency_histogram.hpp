// A log-bucketed latency histogram for the load generator (dataplane does not link sim/, so
// this is its own small one, the same shape as sim/engine's): values below 128 are exact,
// above that each power of two is split into 64 linear sub-buckets, so a percentile is
// within 1/128 of a recorded value. Fixed size, O(1) record, mergeable.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

namespace meshtwin::dataplane::apps {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr std::int64_t kExactBelow = std::int64_t{2} << kSubBits;  // 128
  static constexpr std::size_t kBuckets = (62 - kSubBits) * (std::size_t{1} << kSubBits) + kExactBelow;

  // Negative values (a clock that went backwards) count as 0.
  void record(std::int64_t value);
  void merge(const LatencyHistogram& other);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::int64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::int64_t max() const { return count_ ? max_ : 0; }
  [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // The smallest recorded value v with at least p% of values <= v (0 < p <= 100), as its
  // bucket's midpoint clamped to [min, max]; 0 when empty.
  [[nodiscard]] std::int64_t percentile(double p) const;

  static std::size_t bucketOf(std::int64_t value);
  static std::int64_t bucketLow(std::size_t index);
  static std::int64_t bucketWidth(std::size_t index);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::int64_t min_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ = 0;
};

}  // namespace meshtwin::dataplane::apps
