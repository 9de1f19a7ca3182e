// LatencyHistogram bucket arithmetic: index = value below 128; above, (magnitude - 6) * 64
// plus the value's top 7 bits (which lie in [64, 128)).
#include "meshtwin/engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace meshtwin::engine {

std::size_t LatencyHistogram::bucketOf(std::int64_t value) {
  assert(value >= 0);
  if (value < kLinearLimit) return static_cast<std::size_t>(value);
  const auto v = static_cast<std::uint64_t>(value);
  const int magnitude = 63 - std::countl_zero(v);  // >= 7
  const int shift = magnitude - kSubBits;
  const auto sub = static_cast<std::size_t>(v >> shift);  // in [64, 128)
  return static_cast<std::size_t>(shift - 1) * (1u << kSubBits) + sub + (1u << kSubBits);
}

std::int64_t LatencyHistogram::bucketLow(std::size_t index) {
  if (index < static_cast<std::size_t>(kLinearLimit)) return static_cast<std::int64_t>(index);
  const std::size_t half = 1u << kSubBits;
  const std::size_t shift = (index - half) / half;  // >= 1
  const std::size_t sub = (index - half) % half + half;
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(sub) << shift);
}

std::int64_t LatencyHistogram::bucketWidth(std::size_t index) {
  if (index < static_cast<std::size_t>(kLinearLimit)) return 1;
  const std::size_t half = 1u << kSubBits;
  return std::int64_t{1} << ((index - half) / half);
}

void LatencyHistogram::record(std::int64_t value, std::uint64_t count) {
  if (value < 0) value = 0;
  counts_[bucketOf(value)] += count;
  count_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() { *this = LatencyHistogram{}; }

std::int64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-9)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::int64_t mid = bucketLow(i) + (bucketWidth(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace meshtwin::engine
