// The pure parts of calibration and validation (twin/): the non-negative least
// squares, the profile writer (read back by the loader), and the figure comparison.
#include <catch2/catch.hpp>

#include <optional>
#include <sstream>

#include "meshtwin/models/profile.hpp"
#include "meshtwin/twin/calibrate.hpp"
#include "meshtwin/twin/conditions.hpp"
#include "meshtwin/twin/fit.hpp"
#include "meshtwin/twin/validation.hpp"

using namespace meshtwin;

TEST_CASE("least squares recovers the coefficients of exact data and reports a perfect fit") {
  std::vector<std::vector<double>> x{{1, 2}, {2, 1}, {3, 5}, {4, 0}};
  std::vector<double> y;
  for (const auto& r : x) y.push_back(3 * r[0] + 0.5 * r[1]);
  const auto f = twin::fitNonNegative(x, y);
  REQUIRE(f.coef.size() == 2);
  CHECK(f.coef[0] == Approx(3));
  CHECK(f.coef[1] == Approx(0.5));
  CHECK(f.r2 == Approx(1));
  CHECK(f.rmse == Approx(0).margin(1e-9));
  CHECK(f.points == 4);
}

TEST_CASE("a coefficient that would be negative is pinned at zero and the rest refitted") {
  // y = 2 a - 1 b: unconstrained least squares gives b < 0; costs cannot be negative.
  std::vector<std::vector<double>> x{{1, 1}, {2, 1}, {3, 2}, {4, 2}};
  std::vector<double> y{1, 3, 4, 6};
  const auto f = twin::fitNonNegative(x, y);
  CHECK(f.coef[1] == 0);
  CHECK(f.coef[0] > 0);
  CHECK(f.r2 < 1);
  // A column with no data gets 0 and does not break the solve.
  const auto g = twin::fitNonNegative({{1, 0}, {2, 0}}, {2, 4});
  CHECK(g.coef[0] == Approx(2));
  CHECK(g.coef[1] == 0);
}

TEST_CASE("solveLinear refuses a singular system") {
  std::vector<double> z;
  CHECK_FALSE(twin::solveLinear({{1, 2}, {2, 4}}, {1, 2}, z));
  REQUIRE(twin::solveLinear({{2, 1}, {1, 3}}, {3, 5}, z));
  CHECK(z[0] == Approx(0.8));
  CHECK(z[1] == Approx(1.4));
}

TEST_CASE("a written profile loads back with the same values, sources and the calibration points") {
  models::Diagnostics d;
  auto p = models::loadProfile("istio-1.24-published", ".", d);
  REQUIRE(d.empty());
  p.name = "embedded-test";
  p.provenance = {"measured", "meshtwin calibrate", "meshtwin 0.1.0", "2026-11-22T00:00:00Z", "host", "abc", "notes"};
  p.sidecar.cpu_per_request_ns = 12345;
  p.sidecar.latency_per_pass_ns = 40'000;
  p.sidecar.latency_per_pass_p99_ns = 90'000;
  p.network.message_overhead_bytes = 187;
  p.network.tls_overhead_fraction = 0.0342;
  p.testbed.app_cpu_per_request_ns = 190'000;
  p.testbed.ingress_cpu_per_request_ns = 226'000;
  p.sources["testbed.appCpuPerRequest"] = {models::Basis::Measured, "meshtwin calibrate", "fit"};
  p.sources["sidecar.cpuPerRequest"] = {models::Basis::Measured, "meshtwin calibrate 2026-11-22 on host", "fit"};
  YAML::Node cal;
  cal["points"].push_back(YAML::Load("{rps: 50, phase: 0}"));
  const auto text = twin::writeProfileYaml(p, cal);
  models::Diagnostics d2;
  const auto q = models::loadProfileText(text, "embedded-test.yaml", d2);
  std::string diags;
  for (const auto& x : d2.items()) diags += models::format(x) + "\n";
  INFO(text);
  INFO(diags);
  REQUIRE(d2.empty());
  CHECK(q.name == "embedded-test");
  CHECK(q.provenance.kind == "measured");
  CHECK(q.provenance.commit == "abc");
  CHECK(q.sidecar.cpu_per_request_ns == 12345);
  CHECK(q.sidecar.latency_per_pass_ns == 40'000);
  CHECK(q.sidecar.latency_per_pass_p99_ns == 90'000);
  CHECK(q.sidecar.memory_per_endpoint_bytes == p.sidecar.memory_per_endpoint_bytes);
  CHECK(q.ztunnel.cpu_per_request_ns == p.ztunnel.cpu_per_request_ns);
  CHECK(q.waypoint.resources.memory_limit_bytes == p.waypoint.resources.memory_limit_bytes);
  CHECK(q.network.message_overhead_bytes == 187);
  CHECK(q.network.tls_overhead_fraction == Approx(0.0342));
  CHECK(q.testbed.app_cpu_per_request_ns == 190'000);
  CHECK(q.testbed.ingress_cpu_per_request_ns == 226'000);
  CHECK(q.sources.at("testbed.appCpuPerRequest").basis == models::Basis::Measured);
  CHECK(q.pricing.cpu_usd_per_vcpu_hour == Approx(p.pricing.cpu_usd_per_vcpu_hour));
  REQUIRE(q.sources.count("sidecar.cpuPerRequest"));
  CHECK(q.sources.at("sidecar.cpuPerRequest").basis == models::Basis::Measured);
  CHECK(q.sources.at("sidecar.workerThreads").basis == models::Basis::Published);
  CHECK(text.find("calibration:") != std::string::npos);
}

namespace {
models::PhaseReport phase(double sidecar_cpu, double p50, double p99, double bytes, std::uint64_t errors) {
  models::PhaseReport r;
  r.name = "baseline";
  r.duration_s = 10;
  r.requests = 1000;
  r.errors = errors;
  models::ComponentUsage u;
  u.kind = "sidecar";
  u.instances = 3;
  u.cpu_millicores = sidecar_cpu;
  u.memory_bytes = 30 * 1048576.0;
  r.components.push_back(u);
  models::LatencySummary l;
  l.count = 1000;
  l.p50_ms = p50;
  l.p90_ms = p50 * 1.5;
  l.p99_ms = p99;
  r.entry_latency["web"] = l;
  r.zone_pairs.push_back({"za", "zb", bytes, 0, 0});
  r.zone_pairs.push_back({"za", "za", 5 * bytes, 0, 0});  // same-zone: not compared
  return r;
}
}  // namespace

TEST_CASE("compare gives every figure's relative error and holds it to its tolerance") {
  twin::Tolerances tol;
  const auto measured = phase(100, 10, 40, 2e6, 0);
  const auto predicted = phase(110, 10.5, 52, 2.03e6, 5);
  const auto figs = twin::compare(predicted, measured, 1.0, tol);
  auto find = [&](const std::string& metric) {
    for (const auto& f : figs)
      if (f.metric == metric) return f;
    FAIL("no figure " << metric);
    return twin::Figure{};
  };
  CHECK(find("cpu").error() == Approx(0.10));
  CHECK(find("cpu").pass());  // 10% within 15%
  CHECK(find("memory").error() == Approx(0));
  CHECK(find("p50").error() == Approx(0.05));
  CHECK(find("p99").error() == Approx(0.30));
  CHECK_FALSE(find("p99").pass());  // 30% beyond 20%
  CHECK(find("bytes").object == "za -> zb");
  CHECK(find("bytes").error() == Approx(0.015));
  CHECK(find("error_rate").error() == Approx(0.005));  // absolute: 0.5% predicted, 0% measured
  CHECK(find("error_rate").pass());
  std::size_t bytes = 0;
  for (const auto& f : figs) bytes += f.metric == "bytes" ? 1U : 0U;
  CHECK(bytes == 1);

  // The prediction's bytes are brought to the measured window (here twice as long).
  auto longer = predicted;
  longer.duration_s = 20;
  longer.requests = 2000;  // the same rate
  for (auto& z : longer.zone_pairs) z.bytes *= 2;
  for (const auto& f : twin::compare(longer, measured, 1.0, tol))
    if (f.metric == "bytes") CHECK(f.error() == Approx(0.015));

  // Totals follow the requests the testbed really sent: 10% more requests in the same window
  // than the prediction's nominal rate bring the predicted bytes and CPU up 10%.
  auto busier = measured;
  busier.requests = 1100;
  for (auto& z : busier.zone_pairs) z.bytes *= 1.1;
  for (auto& c : busier.components) c.cpu_millicores *= 1.1;
  for (const auto& f : twin::compare(predicted, busier, 1.0, tol)) {
    if (f.metric == "bytes") CHECK(f.error() == Approx(0.015));
    if (f.metric == "cpu") CHECK(f.error() == Approx(0.10));
  }

  // The testbed's processes together: a figure only where the measurement has the load
  // generator, gated only where the prediction models it too.
  auto with_ingress = [](models::PhaseReport r, double cpu) {
    models::ComponentUsage in;
    in.kind = "ingress";
    in.instances = 1;
    in.cpu_millicores = cpu;
    r.components.push_back(in);
    return r;
  };
  auto testbedFigure = [&](const models::PhaseReport& pr, const models::PhaseReport& me) -> std::optional<twin::Figure> {
    for (const auto& f : twin::compare(pr, me, 1.0, tol))
      if (f.object == "testbed processes") return f;
    return std::nullopt;
  };
  CHECK_FALSE(testbedFigure(predicted, measured));
  const auto unmodelled = testbedFigure(predicted, with_ingress(measured, 50));
  REQUIRE(unmodelled);
  CHECK_FALSE(unmodelled->gated);
  const auto modelled = testbedFigure(with_ingress(predicted, 55), with_ingress(measured, 50));
  REQUIRE(modelled);
  CHECK(modelled->gated);
  CHECK(modelled->predicted == Approx(165));
  CHECK(modelled->measured == Approx(150));

  // Below the floor a figure is shown, never failed.
  const auto tiny = twin::compare(phase(2.4, 10, 40, 2e6, 0), phase(1.0, 10, 40, 2e6, 0), 1.0, tol);
  for (const auto& f : tiny) {
    if (f.metric != "cpu") continue;
    CHECK_FALSE(f.gated);
    CHECK(f.pass());
  }

  twin::Validation v;
  v.scenario = "s";
  v.phases = {"baseline"};
  v.loads = {1.0};
  v.figures = figs;
  CHECK_FALSE(v.pass());
  const auto j = twin::toJson(v);
  CHECK(j["pass"] == false);
  CHECK(j["summary"]["p99"]["gated"] == 1);
  CHECK(j["summary"]["p99"]["passed"] == 0);
  std::ostringstream table;
  twin::printValidation(v, table);
  CHECK(table.str().find("OUT") != std::string::npos);
  // With loads sized from the machine, the table says from what.
  v.utilization = {0.3};
  v.loads = {0.75};
  v.capacity.push_back({"baseline", 43.5, 3171, 628, 250, "workload chain-c/c"});
  std::ostringstream sized;
  twin::printValidation(v, sized);
  CHECK_THAT(sized.str(), Catch::Contains("workload chain-c/c") && Catch::Contains("30% -> load x0.750"));
  CHECK(twin::toJson(v)["capacity"][0]["slots_rps"] == 250);
  const auto html = twin::validationHtml(v);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("p99 web") != std::string::npos);
}
