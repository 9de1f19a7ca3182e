// The Prometheus reader on recorded API answers: the queries it asks, the edges it keeps (each
// request once), entry curves, latency, proxy costs, and the errors for answers without Istio.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "meshtwin/importer/prometheus.hpp"

using namespace meshtwin;
using namespace meshtwin::importer;

namespace {

TrafficWindow shopWindow() {
  TrafficWindow w;
  w.url = "http://prometheus.test:9090";
  w.eval_unix_s = 1735725600;  // 2025-01-01T10:00:00Z
  w.window_ns = 600'000'000'000;
  w.step_ns = 60'000'000'000;
  return w;
}

std::map<std::string, nlohmann::json> answersFrom(const std::string& file) {
  std::ifstream in(std::string(MESHTWIN_SOURCE_DIR) + "/tests/data/import/prometheus/" + file);
  REQUIRE(in);
  const auto j = nlohmann::json::parse(in);
  std::map<std::string, nlohmann::json> out;
  for (const auto& [k, v] : j.items()) out[k] = v;
  return out;
}

Traffic shop() {
  auto r = readTraffic(answersFrom("shop-mixed.json"), {}, shopWindow());
  INFO(r.errorText());
  REQUIRE(r.ok());
  return *r;
}

const TrafficEdge* edge(const Traffic& t, const std::string& source, const std::string& service, const std::string& dest) {
  for (const auto& e : t.edges) {
    if (e.source_workload == source && e.service == service && e.dest_workload == dest) return &e;
  }
  return nullptr;
}

bool anyWarning(const Traffic& t, const std::string& part) {
  for (const auto& w : t.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("trafficQueries: one named query per answer, instant at the evaluation time, entry loads over the window",
          "[importer][prometheus]") {
  const auto w = shopWindow();
  const auto qs = trafficQueries(w);
  std::set<std::string> names;
  for (const auto& q : qs) {
    CHECK(names.insert(q.name).second);
    CHECK_FALSE(q.purpose.empty());
    if (q.range) {
      CHECK(q.end_s == w.eval_unix_s);
      CHECK(q.step_s == 60);
      CHECK((q.end_s - q.start_s) / q.step_s + 1 == 10);  // one point per step of the window
      CHECK(q.promql.find("[75s]") != std::string::npos);  // max(step + scrape, 4 x scrape)
      CHECK(q.promql.find("unknown|istio-ingressgateway") != std::string::npos);
    } else {
      CHECK(q.time_s == w.eval_unix_s);
      CHECK(q.promql.find("[600s]") != std::string::npos);
    }
  }
  CHECK(names.size() == 17);
  const auto& requests = qs.front();
  CHECK(requests.name == "requests");
  CHECK(requests.promql.find(R"(rate(istio_requests_total{reporter=~"source|destination|waypoint"}[600s]))") != std::string::npos);
  CHECK(requests.promql.find("sum by (reporter, source_workload,") == 0);
  CHECK(requests.promql.find("grpc_response_status") != std::string::npos);
}

TEST_CASE("readTraffic keeps every edge once, by the best reporter present", "[importer][prometheus]") {
  const auto t = shop();
  std::vector<std::string> got;
  for (const auto& e : t.edges) got.push_back(e.describe() + " " + e.reporter);
  const std::vector<std::string> want = {
      "istio-system/istio-ingressgateway -> frontend.shop (frontend) destination",
      "shop/cart -> redis.shop (redis) destination",
      "shop/catalog-v1 -> pricing.data (pricing) waypoint",
      "shop/catalog-v2 -> pricing.data (pricing) waypoint",
      "shop/frontend -> cart.shop (cart) destination",
      "shop/frontend -> catalog.shop (catalog-v1) destination",
      "shop/frontend -> catalog.shop (catalog-v2) destination",
      "shop/frontend -> recommendations.shop (recommendations) destination",
      "unknown/unknown -> ledger.data (ledger) destination",
      "unknown/unknown -> frontend.shop (frontend) destination",
  };
  CHECK(got == want);

  const auto* gw = edge(t, "istio-ingressgateway", "frontend", "frontend");
  REQUIRE(gw);
  CHECK(gw->from_outside);
  CHECK(gw->rps == Approx(40));  // not 80: the gateway's own source report is the same requests
  CHECK(gw->request_bytes == Approx(800));
  CHECK(gw->response_bytes == Approx(24000));
  CHECK(gw->client_latency_ms.value_or(0) == Approx(31));

  const auto* cart = edge(t, "frontend", "cart", "cart");
  REQUIRE(cart);
  CHECK_FALSE(cart->from_outside);
  CHECK(cart->rps == Approx(20));
  CHECK(cart->error_ratio == Approx(0.02));
  CHECK(cart->protocol == models::Protocol::Http);
  CHECK(cart->client_latency_ms.value_or(0) == Approx(6));

  const auto* reco = edge(t, "frontend", "recommendations", "recommendations");
  REQUIRE(reco);
  CHECK(reco->protocol == models::Protocol::Grpc);
  CHECK(reco->error_ratio == Approx(0.02));  // grpc-status 14 under HTTP 200
  CHECK_FALSE(reco->client_latency_ms);

  const auto* pricing = edge(t, "catalog-v1", "pricing", "pricing");
  REQUIRE(pricing);
  CHECK(pricing->rps == Approx(100));  // the waypoint's count; ztunnel's L4 view of the same traffic is not added
  CHECK(pricing->request_bytes == Approx(100));

  const auto* redis = edge(t, "cart", "redis", "redis");
  REQUIRE(redis);
  CHECK(redis->protocol == models::Protocol::Tcp);
  CHECK(redis->rps == Approx(5));
  CHECK(redis->request_bytes == Approx(2048));
  CHECK(redis->response_bytes == Approx(512));

  CHECK(anyWarning(t, "PassthroughCluster"));
  CHECK(anyWarning(t, "2 edge(s) seen only at L4"));
  CHECK(t.evaluated_at == "2025-01-01T10:00:00Z");
}

TEST_CASE("readTraffic: entry loads from outside the mesh as curves at the step", "[importer][prometheus]") {
  const auto t = shop();
  REQUIRE(t.entry_loads.size() == 2);
  const auto& ledger = t.entry_loads[0];
  CHECK(ledger.serviceKey() == "data/ledger");
  CHECK(ledger.rps == std::vector<double>(10, 2.0));  // TCP connections: ambient L4
  const auto& web = t.entry_loads[1];
  CHECK(web.serviceKey() == "shop/frontend");
  CHECK(web.sources == std::vector<std::string>{"istio-system/istio-ingressgateway", "unknown"});
  CHECK(web.step_ns == 60'000'000'000);
  REQUIRE(web.rps.size() == 10);
  CHECK(web.rps[0] == Approx(36 + 10));
  CHECK(web.rps[1] == Approx(40 + 10));
  CHECK(web.rps[2] == Approx(44 + 10));
  CHECK(web.rps[4] == Approx(40));  // the unknown clients' series has a gap there
  CHECK(web.meanRps() == Approx(48.6));
}

TEST_CASE("readTraffic: server latency per workload and what each proxy kind cost", "[importer][prometheus]") {
  const auto t = shop();
  const auto* fe = t.latency("shop", "frontend");
  REQUIRE(fe);
  CHECK(fe->reporter == "destination");
  CHECK(fe->mean_ms == Approx(30));
  CHECK(fe->p50_ms.value_or(0) == Approx(20));
  CHECK(fe->p90_ms.value_or(0) == Approx(60));
  CHECK(fe->p99_ms.value_or(0) == Approx(120));
  const auto* pricing = t.latency("data", "pricing");
  REQUIRE(pricing);
  CHECK(pricing->reporter == "waypoint");

  REQUIRE(t.proxies.size() == 3);
  const auto* sc = t.proxy("sidecar");
  REQUIRE(sc);
  CHECK(sc->proxies == 6);  // the ingress gateway's istio-proxy is none of the kinds
  CHECK(sc->cpu_cores == Approx(0.145));
  CHECK(sc->memory_bytes_mean == Approx(74.5e6));
  CHECK(sc->rps == Approx(326.5));  // requests and connections, once per proxy they pass
  // rps-weighted request + response bytes of the sidecar-reported request edges
  CHECK(sc->bytes_per_request == Approx((40 * 24800.0 + 10 * 20600 + 20 * 1800 + 50 * 8200 + 15 * 4150) / 135));
  const auto* zt = t.proxy("ztunnel");
  REQUIRE(zt);
  CHECK(zt->proxies == 2);
  CHECK(zt->cpu_cores == Approx(0.02));
  CHECK(zt->memory_bytes_mean == Approx(13e6));
  CHECK(zt->rps == Approx(4));
  const auto* wp = t.proxy("waypoint");
  REQUIRE(wp);
  CHECK(wp->proxies == 1);
  CHECK(wp->rps == Approx(110));
}

TEST_CASE("readTraffic: no Istio series at all is an input error that says what was looked for", "[importer][prometheus]") {
  const auto r = readTraffic(answersFrom("no-istio.json"), {}, shopWindow());
  REQUIRE_FALSE(r.ok());
  REQUIRE_FALSE(r.isClientError());
  const auto& e = r.readError();
  CHECK(e.object == "Prometheus http://prometheus.test:9090");
  CHECK(e.message.find("no Istio series in the 10m to 2025-01-01T10:00:00Z") != std::string::npos);
  CHECK(e.message.find("istio_requests_total") != std::string::npos);
  CHECK(e.message.find("istio_tcp_connections_opened_total") != std::string::npos);
  CHECK(e.hint.find("the Prometheus that scrapes Istio") != std::string::npos);
  CHECK(e.hint.find("window") != std::string::npos);
}

TEST_CASE("readTraffic: series without traffic, missing and malformed answers", "[importer][prometheus]") {
  auto answers = answersFrom("no-istio.json");
  answers["requests"]["result"].push_back(
      {{"metric", {{"reporter", "destination"}, {"source_workload", "a"}, {"destination_service_name", "b"}}},
       {"value", {1735725600, "0"}}});
  auto r = readTraffic(answers, {}, shopWindow());
  REQUIRE_FALSE(r.ok());
  CHECK(r.readError().message.find("carried no traffic in the 10m") != std::string::npos);

  auto missing = answersFrom("shop-mixed.json");
  missing.erase("server_latency_p90");
  r = readTraffic(missing, {}, shopWindow());
  REQUIRE_FALSE(r.ok());
  CHECK(format(r.readError()).find("query server_latency_p90: has no answer") == 0);

  auto bad = answersFrom("shop-mixed.json");
  bad["proxy_cpu"]["resultType"] = "matrix";
  r = readTraffic(bad, {}, shopWindow());
  REQUIRE_FALSE(r.ok());
  CHECK(r.readError().object == "query proxy_cpu");
  CHECK(r.readError().message.find("resultType is not \"vector\"") != std::string::npos);

  auto w = shopWindow();
  w.ztunnel_pods = "ztunnel-(";
  r = readTraffic(answersFrom("shop-mixed.json"), {}, w);
  REQUIRE_FALSE(r.ok());
  CHECK(r.readError().object == "pattern \"ztunnel-(\"");
}

TEST_CASE("fetchTraffic runs every query through the client, and client errors pass through untouched", "[importer][prometheus]") {
  const auto answers = answersFrom("shop-mixed.json");
  std::vector<std::string> asked;
  const auto r = fetchTraffic(shopWindow(), [&](const NamedQuery& q) -> kube::Result<QueryAnswer> {
    asked.push_back(q.name);
    std::vector<std::string> warnings;
    if (q.name == "requests") warnings.push_back("PromQL info: metric might not be a counter");
    return QueryAnswer{answers.at(q.name), warnings};
  });
  INFO(r.errorText());
  REQUIRE(r.ok());
  CHECK(asked.size() == trafficQueries(shopWindow()).size());
  CHECK(r->edges.size() == shop().edges.size());
  CHECK(r->warnings.front() == "query requests: PromQL info: metric might not be a counter");

  kube::Error down;
  down.kind = kube::Error::Kind::Unreachable;
  down.verb = "POST";
  down.url = "http://prometheus.test:9090/api/v1/query";
  down.message = "connection refused";
  int calls = 0;
  const auto failed = fetchTraffic(shopWindow(), [&](const NamedQuery&) -> kube::Result<QueryAnswer> {
    ++calls;
    return down;
  });
  REQUIRE_FALSE(failed.ok());
  REQUIRE(failed.isClientError());
  CHECK(calls == 1);
  CHECK(failed.clientError().kind == kube::Error::Kind::Unreachable);
  CHECK(failed.clientError().url == down.url);
  CHECK(failed.clientError().message == "connection refused");
}

TEST_CASE("pickReports counts each request once, also for a service half-way through a migration", "[importer][prometheus]") {
  using detail::pickReports;
  using P = std::vector<std::pair<int, std::string>>;
  CHECK(pickReports({{0, {"shop/a"}}, {2, {"shop/a"}}}) == P{{0, "shop/a"}});
  // a backend without a sidecar only the callers' proxies report
  CHECK(pickReports({{0, {"shop/v1"}}, {2, {"shop/v1", "shop/v2"}}}) == P{{0, "shop/v1"}, {2, "shop/v2"}});
  // behind a waypoint every request passes it: the callers' reports add nothing
  CHECK(pickReports({{1, {"data/pricing"}}, {2, {"data/waypoint"}}}) == P{{1, "data/pricing"}});
  CHECK(pickReports({{2, {"x/unknown"}}}) == P{{2, "x/unknown"}});
  CHECK(pickReports({{0, {}}, {2, {"x/y"}}}) == P{{2, "x/y"}});
}

TEST_CASE("readTraffic: a backend without a sidecar is counted from its callers' reports", "[importer][prometheus]") {
  auto answers = answersFrom("shop-mixed.json");
  auto series = [](const std::string& reporter, const std::string& dest, double rps) {
    return nlohmann::json{{"metric",
                           {{"reporter", reporter}, {"source_workload", "frontend"}, {"source_workload_namespace", "shop"},
                            {"destination_service_name", "search"}, {"destination_service_namespace", "shop"},
                            {"destination_workload", dest}, {"destination_workload_namespace", "shop"},
                            {"request_protocol", "http"}, {"response_code", "200"}}},
                          {"value", {1735725600, std::to_string(rps)}}};
  };
  for (const auto& s : {series("destination", "search-v1", 6), series("source", "search-v1", 6), series("source", "search-v2", 4)})
    answers["requests"]["result"].push_back(s);
  const auto r = readTraffic(answers, {}, shopWindow());
  REQUIRE(r.ok());
  const auto* v1 = edge(*r, "frontend", "search", "search-v1");
  const auto* v2 = edge(*r, "frontend", "search", "search-v2");
  REQUIRE(v1);
  REQUIRE(v2);
  CHECK(v1->reporter == "destination");
  CHECK(v1->rps == Approx(6));
  CHECK(v2->reporter == "source");
  CHECK(v2->rps == Approx(4));
}
