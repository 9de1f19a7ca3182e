// Bucket arithmetic of the load generator's latency histogram.
#include "meshtwin/dataplane/apps/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace meshtwin::dataplane::apps {

namespace {
constexpr std::int64_t kSub = std::int64_t{1} << LatencyHistogram::kSubBits;  // 64
}

std::size_t LatencyHistogram::bucketOf(std::int64_t value) {
  if (value < kExactBelow) return static_cast<std::size_t>(std::max<std::int64_t>(value, 0));
  const int magnitude = 63 - std::countl_zero(static_cast<std::uint64_t>(value));  // >= 7
  const std::int64_t sub = (value >> (magnitude - kSubBits)) & (kSub - 1);
  return static_cast<std::size_t>(kExactBelow + (magnitude - kSubBits - 1) * kSub + sub);
}

std::int64_t LatencyHistogram::bucketLow(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kExactBelow) return i;
  const std::int64_t group = (i - kExactBelow) / kSub;  // magnitude - 7
  const std::int64_t sub = (i - kExactBelow) % kSub;
  return (kSub + sub) << (group + 1);
}

std::int64_t LatencyHistogram::bucketWidth(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kExactBelow) return 1;
  return std::int64_t{1} << ((i - kExactBelow) / kSub + 1);
}

void LatencyHistogram::record(std::int64_t value) {
  value = std::max<std::int64_t>(value, 0);
  ++counts_[bucketOf(value)];
  ++count_;
  sum_ += static_cast<double>(value);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.count_) {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
}

std::int64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  const std::uint64_t want = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= want) return std::clamp(bucketLow(i) + bucketWidth(i) / 2, min_, max_);
  }
  return max_;
}

}  // namespace meshtwin::dataplane::apps
