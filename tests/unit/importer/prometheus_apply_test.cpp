// applyTraffic and measuredProfileYaml on recorded answers: calls per request served, repeated
// calls, sizes, entry curves, service times, created objects, assumptions; a profile that loads.
#include <catch2/catch.hpp>

#include <fstream>

#include "meshtwin/importer/prometheus.hpp"

using namespace meshtwin;
using namespace meshtwin::importer;

namespace {

Traffic shop() {
  TrafficWindow w;
  w.url = "http://prometheus.test:9090";
  w.eval_unix_s = 1735725600;
  w.window_ns = 600'000'000'000;
  std::ifstream in(std::string(MESHTWIN_SOURCE_DIR) + "/tests/data/import/prometheus/shop-mixed.json");
  REQUIRE(in);
  std::map<std::string, nlohmann::json> answers;
  const auto j = nlohmann::json::parse(in);
  for (const auto& [k, v] : j.items()) answers[k] = v;
  auto r = readTraffic(answers, {}, w);
  INFO(r.errorText());
  REQUIRE(r.ok());
  return *r;
}

// What the manifests would have given: four workloads, three services, one entry candidate.
Draft manifests() {
  Draft d;
  for (const char* n : {"frontend", "cart", "catalog-v1", "catalog-v2", "reviews-v3"}) {
    DraftWorkload w;
    w.ns = "shop", w.name = n;
    d.workloads.push_back(w);
  }
  d.services.push_back({"shop", "frontend", {"frontend"}, {}, {}});
  d.services.push_back({"shop", "cart", {"cart"}, {}, {}});
  d.services.push_back({"shop", "catalog", {"catalog-v1", "catalog-v2"}, {}, {}});
  DraftEntryPoint web;
  web.name = "web";
  web.service = "frontend.shop";
  d.entry_points.push_back(web);
  return d;
}

std::vector<std::string> calls(const DraftWorkload& w) {
  std::vector<std::string> out;
  for (const auto& s : w.script) {
    for (const auto& c : s.calls) out.push_back(c.service + " " + std::to_string(c.probability).substr(0, 4));
  }
  return out;
}

bool assumed(const ImportReport& r, const std::string& object, const std::string& part) {
  for (const auto& a : r.assumptions) {
    if (a.object == object && a.message.find(part) != std::string::npos) return true;
  }
  return false;
}

bool noted(const std::vector<std::string>& notes, const std::string& part) {
  for (const auto& n : notes) {
    if (n.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("applyTraffic: calls per request served, in the callers' scripts", "[importer][prometheus]") {
  const auto t = shop();
  auto d = manifests();
  ImportReport report;
  applyTraffic(t, d, report);

  const auto* fe = d.findWorkload("shop", "frontend");
  REQUIRE(fe);
  // 50 rps served: 20 to cart, 50 to catalog (two backends), 15 to recommendations
  CHECK(calls(*fe) == std::vector<std::string>{"cart 0.40", "catalog 1.00", "recommendations 0.30"});
  CHECK(fe->script[0].calls[0].request_bytes == 300);
  CHECK(noted(fe->notes, "calls from Prometheus (10m to 2025-01-01T10:00:00Z)"));
  CHECK(assumed(report, "workload shop/frontend", "one after another"));

  const auto* v1 = d.findWorkload("shop", "catalog-v1");
  REQUIRE(v1);
  CHECK(calls(*v1) == std::vector<std::string>{"pricing.data 1.00", "pricing.data 1.00", "pricing.data 0.50"});
  CHECK(assumed(report, "workload shop/catalog-v1", "calls pricing.data 2.5 times per request served: 3 call steps"));
  const auto* v2 = d.findWorkload("shop", "catalog-v2");
  REQUIRE(v2);
  CHECK(calls(*v2) == std::vector<std::string>{"pricing.data 1.00"});
  const auto* cart = d.findWorkload("shop", "cart");
  REQUIRE(cart);
  CHECK(calls(*cart) == std::vector<std::string>{"redis 0.25"});  // TCP: connections per request
}

TEST_CASE("applyTraffic: sizes, entry curves, created objects and what is assumed", "[importer][prometheus]") {
  const auto t = shop();
  auto d = manifests();
  ImportReport report;
  applyTraffic(t, d, report);

  const auto* fe = d.findWorkload("shop", "frontend");
  CHECK(fe->request_bytes.value_or(0) == 760);     // (40 x 800 + 10 x 600) / 50
  CHECK(fe->response_bytes.value_or(0) == 23200);  // (40 x 24000 + 10 x 20000) / 50

  REQUIRE(d.entry_points.size() == 2);
  const auto& web = d.entry_points[0];
  CHECK(web.name == "web");  // the manifests' candidate, filled
  CHECK(web.rps == t.entry_loads[1].rps);
  CHECK(web.step_ns == 60'000'000'000);
  CHECK(noted(web.notes, "from istio-system/istio-ingressgateway, unknown"));
  CHECK(d.entry_points[1].name == "ledger");
  CHECK(d.entry_points[1].service == "ledger.data");

  for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
           {"shop", "recommendations"}, {"shop", "redis"}, {"data", "pricing"}, {"data", "ledger"}}) {
    INFO(ns + "/" + name);
    CHECK(d.findWorkload(ns, name));
    REQUIRE(d.findService(ns, name));
    CHECK(assumed(report, "workload " + ns + "/" + name, "no resources known"));
    CHECK(assumed(report, "service " + ns + "/" + name, "port unknown"));
  }
  CHECK(d.findService("shop", "recommendations")->ports.at(0).protocol == models::Protocol::Grpc);
  CHECK(d.findService("shop", "redis")->ports.at(0).protocol == models::Protocol::Tcp);
  CHECK_FALSE(d.findWorkload("istio-system", "istio-ingressgateway"));  // the way in, not a workload

  CHECK(assumed(report, "service shop/cart", "answers 2% errors"));
  CHECK(assumed(report, "service shop/cart", "not modelled as a fault"));
  CHECK(assumed(report, "service shop/recommendations", "answers 2% errors"));
  CHECK(assumed(report, "workload shop/reviews-v3", "no traffic seen for reviews-v3"));
  CHECK(assumed(report, "Prometheus http://prometheus.test:9090", "PassthroughCluster"));
  CHECK(noted(d.findService("shop", "catalog")->notes, "rate from Prometheus (10m to 2025-01-01T10:00:00Z): 50 rps"));
  CHECK(noted(d.findService("shop", "redis")->notes, "5 TCP connections/s"));
  CHECK(fe->mode == models::MeshMode::Sidecar);  // its own sidecar reported as destination
  CHECK(d.findWorkload("data", "pricing")->mode == models::MeshMode::Ambient);  // its waypoint did
  CHECK_FALSE(d.findWorkload("shop", "redis")->mode);  // TCP: a sidecar's or ztunnel's report alike
  CHECK(report.sources == std::vector<std::string>{"Prometheus http://prometheus.test:9090: 10m to 2025-01-01T10:00:00Z"});
}

TEST_CASE("applyTraffic: service time is the server-side mean less the time spent in calls", "[importer][prometheus]") {
  const auto t = shop();
  auto d = manifests();
  ImportReport report;
  applyTraffic(t, d, report);
  const auto* fe = d.findWorkload("shop", "frontend");
  REQUIRE(fe->service_time);
  // 30 ms less 0.4 x 6 ms (cart), 1 x 13 ms (catalog), 0.3 x 8 ms (recommendations' own server mean)
  CHECK(fe->service_time->mean_ns == 12'200'000);
  CHECK(fe->service_time->kind == models::ServiceTime::Kind::LogNormal);
  CHECK(fe->service_time->p99_ns == 48'800'000);  // the measured p99/mean ratio, 4
  CHECK(noted(fe->notes, "server-side mean 30 ms (reporter=destination) less 17.8 ms waiting on 3 called service(s)"));
  const auto* v1 = d.findWorkload("shop", "catalog-v1");
  CHECK(v1->service_time->mean_ns == 5'750'000);  // 12 ms less 2.5 calls x 2.5 ms
  const auto* cart = d.findWorkload("shop", "cart");
  CHECK(cart->service_time->mean_ns == 5'000'000);
  CHECK(noted(cart->notes, "no latency known for shop/redis"));
  CHECK(noted(d.findWorkload("data", "pricing")->notes, "measured at the waypoint"));
}

TEST_CASE("measuredProfileYaml: measured memory and CPU per request on the base profile, and it loads",
          "[importer][prometheus]") {
  const auto t = shop();
  models::Diagnostics diags;
  const auto base = models::loadProfile("istio-1.24-published", ".", diags);
  REQUIRE(diags.empty());
  const auto yaml = measuredProfileYaml(t, base);
  const auto p = models::loadProfileText(yaml, "measured.yaml", diags);
  INFO(yaml);
  std::string problems;
  for (const auto& x : diags.items()) problems += models::format(x) + "\n";
  INFO(problems);
  REQUIRE(diags.empty());

  CHECK(p.name == "istio-1.24-published-measured");
  CHECK(p.provenance.kind == "measured");
  CHECK(p.provenance.source == "Prometheus http://prometheus.test:9090");
  CHECK(p.provenance.date == "2025-01-01T10:00:00Z");
  CHECK(p.provenance.notes.find("window 10m") != std::string::npos);

  const auto* sc = t.proxy("sidecar");
  CHECK(p.sidecar.memory_base_bytes == 74'500'000);
  CHECK(p.sidecar.memory_per_endpoint_bytes == 0);
  const double per_request = sc->cpu_cores * 1e9 / sc->rps - 10'000.0 * sc->bytes_per_request / 1024;
  CHECK(static_cast<double>(p.sidecar.cpu_per_request_ns) == Approx(per_request).margin(1));
  CHECK(p.sidecar.cpu_per_kib_ns == base.sidecar.cpu_per_kib_ns);
  CHECK(p.sidecar.memory_per_connection_bytes == base.sidecar.memory_per_connection_bytes);
  CHECK(p.sources.at("sidecar.cpuPerRequest").basis == models::Basis::Measured);
  CHECK(p.sources.at("sidecar.cpuPerRequest").ref.find("Prometheus http://prometheus.test:9090 over 10m") == 0);
  CHECK(p.sources.at("sidecar.cpuPerKiB").basis == base.sources.at("sidecar.cpuPerKiB").basis);
  CHECK(p.ztunnel.memory_base_bytes == 13'000'000);
  CHECK(p.waypoint.memory_base_bytes == 60'000'000);
  CHECK(p.sidecar.resources.memory_request_bytes == base.sidecar.resources.memory_request_bytes);
  CHECK(p.network.tls_overhead_fraction == Approx(base.network.tls_overhead_fraction));
  CHECK(p.anchors.size() == 6);
}

TEST_CASE("applyTraffic: a workload that serves no requests but calls out becomes an entry point", "[importer][prometheus]") {
  auto t = shop();
  TrafficEdge gen;
  gen.source_ns = "shop", gen.source_workload = "loadgen";
  gen.service_ns = "shop", gen.service = "frontend";
  gen.dest_ns = "shop", gen.dest_workload = "frontend";
  gen.reporter = "destination";
  gen.rps = 5;
  t.edges.push_back(gen);
  auto d = manifests();
  ImportReport report;
  applyTraffic(t, d, report);
  REQUIRE(d.findWorkload("shop", "loadgen"));
  CHECK(d.findWorkload("shop", "loadgen")->script.empty());
  const auto it = std::find_if(d.entry_points.begin(), d.entry_points.end(),
                               [](const DraftEntryPoint& e) { return e.name == "loadgen-frontend"; });
  REQUIRE(it != d.entry_points.end());
  CHECK(it->service == "frontend.shop");
  CHECK(it->rps == std::vector<double>{5});
  CHECK(it->step_ns == t.window.window_ns);
  CHECK(assumed(report, "workload shop/loadgen", "modelled as entry point loadgen-frontend"));
  // frontend now serves 55 rps: its calls per request follow
  CHECK(calls(*d.findWorkload("shop", "frontend")).front() == "cart 0.36");
}
