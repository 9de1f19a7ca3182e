// RngStream: determinism, independence of named streams, and distribution moments.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "meshtwin/engine/rng.hpp"

using namespace meshtwin::engine;

TEST_CASE("a stream depends only on the seed and its name", "[rng]") {
  RngStream a(42, "workload/shop/cart"), b(42, "workload/shop/cart");
  for (int i = 0; i < 100; ++i) CHECK(a.next() == b.next());
  RngStream c(42, "workload/shop/web"), d(43, "workload/shop/cart");
  RngStream e(42, "workload/shop/cart");
  int same_name = 0, same_seed = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = e.next();
    same_name += x == c.next();
    same_seed += x == d.next();
  }
  CHECK(same_name == 0);
  CHECK(same_seed == 0);
}

TEST_CASE("adding a component does not change another's draws", "[rng]") {
  // Streams are created by name, not by creation order.
  std::vector<double> before;
  {
    RngStream cart(9, "cart");
    for (int i = 0; i < 10; ++i) before.push_back(cart.uniform());
  }
  RngStream added(9, "new-workload");
  (void)added.next();
  RngStream cart(9, "cart");
  for (int i = 0; i < 10; ++i) CHECK(cart.uniform() == before[static_cast<std::size_t>(i)]);
}

TEST_CASE("distribution moments", "[rng]") {
  RngStream r(1, "moments");
  const int n = 400000;
  double sum = 0, sum_sq = 0, exp_sum = 0, norm_sum = 0, norm_sq = 0;
  std::uint64_t below_hits[10] = {};
  int out_of_range = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    out_of_range += (u < 0.0 || u >= 1.0);
    sum += u;
    sum_sq += u * u;
    exp_sum += r.exponential(3.0);
    const double z = r.standardNormal();
    norm_sum += z;
    norm_sq += z * z;
    ++below_hits[r.below(10)];
  }
  CHECK(out_of_range == 0);
  CHECK(sum / n == Approx(0.5).epsilon(0.01));
  CHECK(sum_sq / n - (sum / n) * (sum / n) == Approx(1.0 / 12).epsilon(0.02));
  CHECK(exp_sum / n == Approx(3.0).epsilon(0.01));
  CHECK(norm_sum / n == Approx(0.0).margin(0.01));
  CHECK(norm_sq / n == Approx(1.0).epsilon(0.01));
  for (auto hits : below_hits) CHECK(static_cast<double>(hits) / n == Approx(0.1).epsilon(0.03));
}

TEST_CASE("lognormal from mean and p99", "[rng]") {
  LogNormal ln;
  REQUIRE(LogNormal::fromMeanP99(2.0, 10.0, ln));
  CHECK(ln.mean() == Approx(2.0));
  CHECK(ln.quantile(kZ99) == Approx(10.0));
  CHECK_FALSE(LogNormal::fromMeanP99(1.0, 100.0, ln));  // no lognormal is that skewed at p99
  CHECK_FALSE(LogNormal::fromMeanP99(2.0, 1.0, ln));
  RngStream r(5, "ln");
  REQUIRE(LogNormal::fromMeanP99(2.0, 10.0, ln));
  double sum = 0;
  int above = 0;
  const int n = 400000;
  for (int i = 0; i < n; ++i) {
    const double x = ln.sample(r);
    sum += x;
    above += x > 10.0;
  }
  CHECK(sum / n == Approx(2.0).epsilon(0.02));
  CHECK(static_cast<double>(above) / n == Approx(0.01).epsilon(0.1));
}
