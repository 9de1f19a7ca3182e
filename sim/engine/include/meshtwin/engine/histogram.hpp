// A log-bucketed histogram of non-negative integers (latencies in ns), HdrHistogram-style:
// each power of two is split into 64 linear sub-buckets (values below 128 are exact), so a
// reported percentile is within 1/128 (0.78%) of a recorded value. Fixed size (~30 KiB),
// O(1) record, mergeable by adding counts: shards and replications combine exactly.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

namespace meshtwin::engine {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;                       // 64 sub-buckets per power of two
  static constexpr std::int64_t kLinearLimit = 2 << kSubBits;  // 128: exact below
  // The largest int64 has magnitude 62: (62 - 6) groups of 64 above the 128 exact values.
  static constexpr std::size_t kBuckets = (62 - kSubBits) * (1u << kSubBits) + kLinearLimit;

  void record(std::int64_t value, std::uint64_t count = 1);
  void merge(const LatencyHistogram& other);
  void clear();

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::int64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::int64_t max() const { return count_ ? max_ : 0; }
  [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  // The value at percentile p (0 < p <= 100): the smallest recorded value v such that at
  // least p% of values are <= v, reported as its bucket's midpoint (clamped to min/max).
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

}  // namespace meshtwin::engine
