// The load generator's histogram: buckets tile the int64 range, small values are exact,
// percentiles stay within the bucket precision, merging adds.
#include <catch2/catch.hpp>

#include <limits>

#include "meshtwin/dataplane/apps/latency_histogram.hpp"

using meshtwin::dataplane::apps::LatencyHistogram;

TEST_CASE("histogram buckets tile the range without gaps or overlap", "[dataplane][histogram]") {
  for (std::size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    REQUIRE(LatencyHistogram::bucketLow(i) + LatencyHistogram::bucketWidth(i) == LatencyHistogram::bucketLow(i + 1));
    REQUIRE(LatencyHistogram::bucketOf(LatencyHistogram::bucketLow(i)) == i);
  }
  CHECK(LatencyHistogram::bucketOf(std::numeric_limits<std::int64_t>::max()) == LatencyHistogram::kBuckets - 1);
  CHECK(LatencyHistogram::bucketOf(127) == 127);
  CHECK(LatencyHistogram::bucketWidth(127) == 1);
}

TEST_CASE("histogram percentiles: exact below 128, within 1/128 above", "[dataplane][histogram]") {
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.percentile(50) == 50);
  CHECK(h.percentile(99) == 99);
  CHECK(h.percentile(100) == 100);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);

  LatencyHistogram us;
  for (std::int64_t v = 1; v <= 10000; ++v) us.record(v * 1000);  // 1 us .. 10 ms in ns
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100.0 * 1e7;
    CHECK(std::abs(static_cast<double>(us.percentile(p)) - exact) <= exact / 128.0 + 1000);
  }
  CHECK(us.mean() == Approx(5000.5 * 1000));
}

TEST_CASE("histogram merge equals recording into one", "[dataplane][histogram]") {
  LatencyHistogram a, b, both;
  for (std::int64_t v = 0; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 13);
    both.record(v * 13);
  }
  a.merge(b);
  CHECK(a.count() == both.count());
  CHECK(a.min() == both.min());
  CHECK(a.max() == both.max());
  for (const double p : {1.0, 50.0, 99.0}) CHECK(a.percentile(p) == both.percentile(p));
  LatencyHistogram negative;
  negative.record(-5);
  CHECK(negative.max() == 0);
}
