// LatencyHistogram: bucket arithmetic, percentile accuracy against exact order statistics,
// and merging.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "meshtwin/engine/histogram.hpp"
#include "meshtwin/engine/rng.hpp"

using namespace meshtwin::engine;

TEST_CASE("buckets tile the value range without gaps", "[histogram]") {
  // The last bucket holds the largest int64.
  CHECK(LatencyHistogram::bucketOf(INT64_MAX) == LatencyHistogram::kBuckets - 1);
  for (std::size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    CHECK(LatencyHistogram::bucketLow(i) + LatencyHistogram::bucketWidth(i) == LatencyHistogram::bucketLow(i + 1));
  }
  for (std::int64_t v : {0LL, 1LL, 127LL, 128LL, 129LL, 1000LL, 123456789LL, 1LL << 40, (1LL << 62) + 12345}) {
    const auto b = LatencyHistogram::bucketOf(v);
    CHECK(LatencyHistogram::bucketLow(b) <= v);
    CHECK(v < LatencyHistogram::bucketLow(b) + LatencyHistogram::bucketWidth(b));
    // Relative width at most 1/64.
    CHECK(static_cast<double>(LatencyHistogram::bucketWidth(b)) <= std::max(1.0, static_cast<double>(v) / 64.0));
  }
}

TEST_CASE("percentiles are within 1% of the exact order statistics", "[histogram]") {
  RngStream rng(7, "hist");
  LogNormal ln;
  REQUIRE(LogNormal::fromMeanP99(2e6, 2e7, ln));  // 2 ms mean, 20 ms p99
  std::vector<std::int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<std::int64_t>(ln.sample(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size()))) - 1;
    const double exact = static_cast<double>(values[rank]);
    const double got = static_cast<double>(h.percentile(p));
    CAPTURE(p, exact, got);
    CHECK(std::abs(got - exact) / exact <= 0.01);
  }
  CHECK(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
}

TEST_CASE("small values are exact", "[histogram]") {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.percentile(50) == 50);
  CHECK(h.percentile(99) == 99);
  CHECK(h.percentile(100) == 100);
  CHECK(h.mean() == Approx(50.5));
}

TEST_CASE("merging equals recording everything in one", "[histogram]") {
  RngStream rng(3, "merge");
  LatencyHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<std::int64_t>(rng.exponential(1e6));
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  for (double p : {50.0, 90.0, 99.0, 99.9}) CHECK(a.percentile(p) == all.percentile(p));
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  CHECK(a.mean() == Approx(all.mean()));
}
