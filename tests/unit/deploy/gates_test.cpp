// planGates on scenarios/default.yaml: each wave's SLOs become PromQL over Istio's request
// metrics for the entry path's Service, a prediction adds memory checks and predicted
// latencies, and a check's figures survive the journal's JSON.
#include <catch2/catch.hpp>

#include "meshtwin/deploy/gates.hpp"
#include "default_scenario.hpp"

using namespace meshtwin;
using meshtwin::deploy::test::defaultScenario;

TEST_CASE("a wave's SLO gates become PromQL on the entry path's Service", "[gates]") {
  const auto& s = defaultScenario();
  deploy::GateSettings settings;
  settings.window = std::chrono::seconds(90);
  const auto checks = deploy::planGates(s, 0, nullptr, settings);
  REQUIRE(checks.size() == s.plan.waves[0].gates.size());
  const auto& lat = checks[0];
  CHECK(lat.kind == "slo");
  CHECK(lat.name == "p99 web <= 120 ms");
  CHECK(lat.threshold == Approx(120));
  CHECK_THAT(lat.query, Catch::StartsWith("histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{"));
  CHECK_THAT(lat.query, Catch::Contains(R"(reporter="source",destination_service_name=")"));
  CHECK_THAT(lat.query, Catch::Contains("[90s]"));
  const auto& err = checks[1];
  CHECK(err.unit == "ratio");
  CHECK(err.threshold == Approx(0.005));
  CHECK_THAT(err.query, Catch::Contains(R"(response_code=~"5..|0")"));
  CHECK_THAT(err.query, Catch::Contains(") / sum(rate(istio_requests_total{"));
}

TEST_CASE("a prediction adds the ztunnel and waypoint memory checks and the predicted latency", "[gates]") {
  const auto& s = defaultScenario();
  models::PhaseReport predicted;
  predicted.name = s.plan.waves[1].name;
  predicted.components = {{"ztunnel", 6, 1000, 6e7, 200, 1e7, 0}, {"waypoint", 2, 500, 8e7, 300, 4e7, 0}};
  const auto& ep = s.entry_points[0];
  predicted.entry_latency[ep.name].p99_ms = 42;
  predicted.entry_latency[ep.name].p50_ms = 7;
  deploy::GateSettings settings;
  const auto checks = deploy::planGates(s, 1, &predicted, settings);
  const deploy::GateCheck* zt = nullptr;
  const deploy::GateCheck* wp = nullptr;
  for (const auto& c : checks) {
    if (c.name == "ztunnel memory vs prediction") zt = &c;
    if (c.name == "waypoint memory vs prediction") wp = &c;
    if (c.name == "p99 web <= 150 ms") CHECK(c.predicted == Approx(42));
    if (c.name == "p50 web <= 40 ms") CHECK(c.predicted == Approx(7));
  }
  REQUIRE(zt);
  REQUIRE(wp);
  CHECK(zt->threshold == Approx(6e7));
  CHECK_THAT(wp->query, Catch::Contains("checkout-waypoint"));
  CHECK_THAT(wp->query, !Catch::Contains("{waypoints}"));
  settings.check_prediction = false;
  CHECK(deploy::planGates(s, 1, &predicted, settings).size() == s.plan.waves[1].gates.size());
}

TEST_CASE("a gate check keeps its figures through JSON", "[gates]") {
  deploy::GateCheck g{"p99 web <= 120 ms", "slo", "q", "ms", 120, 40.0, 130.0, false, "above"};
  const auto back = deploy::gateCheckFromJson(deploy::toJson(g));
  CHECK(back.name == g.name);
  CHECK(back.measured == Approx(130));
  CHECK(back.predicted == Approx(40));
  CHECK_FALSE(back.holds);
  deploy::GateCheck none{"x", "slo", "q", "ratio", 0.01, std::nullopt, std::nullopt, false, "no data"};
  CHECK_FALSE(deploy::gateCheckFromJson(deploy::toJson(none)).measured.has_value());
}
