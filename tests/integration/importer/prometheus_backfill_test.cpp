// The Prometheus reader against a real Prometheus: Istio and cAdvisor series of a known mesh,
// backfilled with promtool over the last hours, queried through kube::PrometheusClient; every
// edge comes back, with rates and sizes within 2% of what the series encode.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <set>
#include <sstream>

#include "../../support/prometheus_support.hpp"
#include "meshtwin/importer/prometheus.hpp"
#include "meshtwin/kube/prometheus.hpp"

using namespace meshtwin;
using namespace meshtwin::importer;
using meshtwin::test::Labels;

namespace {

constexpr std::int64_t kScrape = 15;

// One edge of the mesh and who reports it (reporter, the reporting proxy's namespace/pod).
struct EdgeSpec {
  std::string src_ns, src, svc_ns, svc, dst_ns, dst;
  std::vector<std::pair<std::string, std::string>> reporters;  // the first is the one the reader must keep
  double rps = 0, req_bytes = 0, resp_bytes = 0;
  std::string proto = "http";  // http | grpc | tcp
  double errors = 0;
  double server_ms = 0, client_ms = 0;
};

const std::string kGw = "istio-system/istio-ingressgateway-6c8f9d7b5-q2w3e";
const std::string kWaypoint = "data/waypoint-7d9c5b8f4-kx2lm";
const std::string kZtunnel = "istio-system/ztunnel-8fz2q";

std::string pod(const std::string& ns, const std::string& wl) { return ns + "/" + wl + "-5f7b9c-" + wl.substr(0, 3) + "xy"; }

std::vector<EdgeSpec> mesh() {
  const auto fe = pod("shop", "frontend");
  return {
      {"istio-system", "istio-ingressgateway", "shop", "frontend", "shop", "frontend",
       {{"destination", fe}, {"source", kGw}}, 40, 700, 20000, "http", 0, 25, 27},
      {"unknown", "unknown", "shop", "frontend", "shop", "frontend", {{"destination", fe}}, 7.5, 500, 18000, "http", 0, 25, 0},
      {"shop", "frontend", "shop", "cart", "shop", "cart",
       {{"destination", pod("shop", "cart")}, {"source", fe}}, 18, 300, 1500, "http", 0.03, 4, 5},
      {"shop", "frontend", "shop", "catalog", "shop", "catalog-v1",
       {{"destination", pod("shop", "catalog-v1")}, {"source", fe}}, 30, 200, 8000, "http", 0, 9, 10},
      {"shop", "frontend", "shop", "catalog", "shop", "catalog-v2",
       {{"destination", pod("shop", "catalog-v2")}, {"source", fe}}, 12, 200, 8100, "http", 0, 11, 12},
      {"shop", "frontend", "shop", "recommendations", "shop", "recommendations",
       {{"destination", pod("shop", "recommendations")}, {"source", fe}}, 9, 150, 4000, "grpc", 0.01, 7, 8},
      {"shop", "frontend", "shop", "payments-ext", "unknown", "unknown", {{"source", fe}}, 2.5, 900, 300, "http", 0, 0, 40},
      {"shop", "catalog-v1", "data", "pricing", "data", "pricing",
       {{"waypoint", kWaypoint}, {"source", pod("shop", "catalog-v1")}}, 75, 100, 250, "http", 0, 2, 3},
      {"shop", "cart", "shop", "redis", "shop", "redis",
       {{"destination", pod("shop", "redis")}, {"source", pod("shop", "cart")}}, 4, 1500, 800, "tcp"},
      {"unknown", "unknown", "data", "ledger", "data", "ledger", {{"destination", kZtunnel}}, 1.5, 300, 90000, "tcp"},
  };
}

struct ProxySpec {
  std::string ns_pod;
  double cores = 0, memory = 0;
};
std::vector<ProxySpec> proxies() {
  return {{pod("shop", "frontend"), 0.060, 95e6}, {pod("shop", "cart"), 0.020, 71e6},
          {pod("shop", "catalog-v1"), 0.045, 82e6}, {pod("shop", "catalog-v2"), 0.012, 76e6},
          {pod("shop", "recommendations"), 0.011, 73e6}, {pod("shop", "redis"), 0.004, 61e6},
          {kGw, 0.090, 120e6}, {kZtunnel, 0.018, 14e6}, {"istio-system/ztunnel-n4c7d", 0.006, 12e6},
          {kWaypoint, 0.035, 58e6}};
}

Labels edgeLabels(const EdgeSpec& e, const std::string& reporter, const std::string& ns_pod) {
  const auto slash = ns_pod.find('/');
  return {{"reporter", reporter}, {"source_workload", e.src}, {"source_workload_namespace", e.src_ns},
          {"destination_service_name", e.svc}, {"destination_service_namespace", e.svc_ns},
          {"destination_service", e.svc + "." + e.svc_ns + ".svc.cluster.local"},
          {"destination_workload", e.dst}, {"destination_workload_namespace", e.dst_ns},
          {"request_protocol", e.proto}, {"namespace", ns_pod.substr(0, slash)}, {"pod", ns_pod.substr(slash + 1)}};
}

// A histogram whose observations are exponential with `mean`: cumulative share below le.
void histogram(test::OpenMetrics& om, const std::string& name, Labels labels, double rps, double mean) {
  for (const double le : {1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 500.0, 1000.0, 10000.0, 100000.0, 1e6}) {
    std::ostringstream le_text;
    le_text << le;
    labels["le"] = le_text.str();
    om.counter(name + "_bucket", labels, rps * (1 - std::exp(-le / mean)));
  }
  labels["le"] = "+Inf";
  om.counter(name + "_bucket", labels, rps);
  labels.erase("le");
  om.counter(name + "_sum", labels, rps * mean);
  om.counter(name + "_count", labels, rps);
}

void requestFamilies(test::OpenMetrics& om, const std::vector<EdgeSpec>& edges) {
  om.family("istio_requests", "counter");
  for (const auto& e : edges) {
    if (e.proto == "tcp") continue;
    for (const auto& [rep, p] : e.reporters) {
      auto ok = edgeLabels(e, rep, p), bad = ok;
      ok["response_code"] = "200", ok["grpc_response_status"] = e.proto == "grpc" ? "0" : "";
      bad["response_code"] = e.proto == "grpc" ? "200" : "503", bad["grpc_response_status"] = e.proto == "grpc" ? "14" : "";
      // cart's proxy restarts half-way through the window: its counters start again from 0
      const auto reset = e.dst == "cart" && rep == "destination" ? std::optional<std::int64_t>(om.t0() + 5400) : std::nullopt;
      om.counter("istio_requests_total", ok, e.rps * (1 - e.errors), 1234, reset);
      if (e.errors > 0) om.counter("istio_requests_total", bad, e.rps * e.errors, 17);
    }
  }
  for (const char* fam : {"istio_request_bytes", "istio_response_bytes", "istio_request_duration_milliseconds"}) {
    om.family(fam, "histogram");
    for (const auto& e : edges) {
      if (e.proto == "tcp") continue;
      for (const auto& [rep, p] : e.reporters) {
        const std::string f = fam;
        const double mean = f == "istio_request_bytes" ? e.req_bytes
                            : f == "istio_response_bytes" ? e.resp_bytes
                            : rep == "source" ? e.client_ms : e.server_ms;
        histogram(om, f, edgeLabels(e, rep, p), e.rps, mean);
      }
    }
  }
}

void tcpFamilies(test::OpenMetrics& om, const std::vector<EdgeSpec>& edges) {
  for (const char* fam : {"istio_tcp_connections_opened", "istio_tcp_received_bytes", "istio_tcp_sent_bytes"}) {
    om.family(fam, "counter");
    for (const auto& e : edges) {
      if (e.proto != "tcp") continue;
      const std::string f = fam;
      const double per = f == "istio_tcp_connections_opened" ? 1 : f == "istio_tcp_received_bytes" ? e.req_bytes : e.resp_bytes;
      for (const auto& [rep, p] : e.reporters) om.counter(f + "_total", edgeLabels(e, rep, p), e.rps * per);
    }
  }
}

void cadvisorFamilies(test::OpenMetrics& om) {
  om.family("container_cpu_usage_seconds", "counter");
  for (const auto& p : proxies()) {
    const auto slash = p.ns_pod.find('/');
    Labels l{{"namespace", p.ns_pod.substr(0, slash)}, {"pod", p.ns_pod.substr(slash + 1)}, {"container", "istio-proxy"}};
    om.counter("container_cpu_usage_seconds_total", l, p.cores, 50);
    l["container"] = "app";  // the application beside it: not a proxy
    om.counter("container_cpu_usage_seconds_total", l, 0.5, 900);
  }
  om.family("container_memory_working_set_bytes", "gauge");
  for (const auto& p : proxies()) {
    const auto slash = p.ns_pod.find('/');
    const Labels l{{"namespace", p.ns_pod.substr(0, slash)}, {"pod", p.ns_pod.substr(slash + 1)}, {"container", "istio-proxy"}};
    const double m = p.memory;
    om.series("container_memory_working_set_bytes", l, [m](std::int64_t) { return m; });
  }
}

// The caller's proxy times calls per (source, service): the rps-weighted mean over the backends.
double clientMs(const EdgeSpec& of) {
  double rps = 0, ms = 0;
  for (const auto& e : mesh()) {
    if (e.src == of.src && e.svc == of.svc) rps += e.rps, ms += e.rps * e.client_ms;
  }
  return ms / rps;
}

// Requests (and TCP connections) the sidecars reported: every report from a pod that is
// neither the gateway, a waypoint nor a ztunnel.
double carriedBySidecars() {
  double rps = 0;
  for (const auto& e : mesh()) {
    for (const auto& [rep, p] : e.reporters) {
      if (p != kGw && p != kWaypoint && p != kZtunnel) rps += e.rps;
    }
  }
  return rps;
}

double relErr(double got, double want) { return want == 0 ? std::abs(got) : std::abs(got - want) / want; }

struct Running {
  test::TempDir dir;
  std::string url;
  std::unique_ptr<test::ChildProcess> prometheus;
  std::int64_t t0 = 0, t1 = 0;
};

// Backfills the mesh's series over [now - 3h, now - 1h] and starts Prometheus on them.
void start(Running& r) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  r.t0 = (now - 3 * 3600) / kScrape * kScrape;
  r.t1 = r.t0 + 2 * 3600;
  test::OpenMetrics om(r.t0, r.t1, kScrape);
  requestFamilies(om, mesh());
  tcpFamilies(om, mesh());
  cadvisorFamilies(om);
  const auto file = r.dir.path() / "istio.om", tsdb = r.dir.path() / "tsdb", cfg = r.dir.path() / "prometheus.yml";
  std::ofstream(file) << om.text();
  std::ofstream(cfg) << "global:\n  scrape_interval: 15s\n";
  const auto t_start = std::chrono::steady_clock::now();
  const int rc = test::runToEnd({"/usr/bin/promtool", "tsdb", "create-blocks-from", "openmetrics", file.string(), tsdb.string()},
                                r.dir.path() / "promtool.log");
  INFO(test::fileText(r.dir.path() / "promtool.log"));
  REQUIRE(rc == 0);
  const int port = test::freePort();
  r.url = "http://127.0.0.1:" + std::to_string(port);
  r.prometheus = std::make_unique<test::ChildProcess>(
      std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + cfg.string(), "--storage.tsdb.path=" + tsdb.string(),
                               "--storage.tsdb.retention.time=30d", "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      r.dir.path() / "prometheus.log");
  std::cout << "backfill: " << om.samples() << " samples, promtool "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() << " s\n";
}

void waitReady(Running& r, const kube::PrometheusClient& client) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    INFO(test::fileText(r.dir.path() / "prometheus.log"));
    REQUIRE(r.prometheus->running());
    const auto probe = client.query("count(istio_requests_total)", std::chrono::system_clock::time_point(std::chrono::seconds(r.t1)));
    if (probe.ok() && !probe->data["result"].empty()) return;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

TEST_CASE("a real Prometheus with backfilled Istio series gives back every edge, rate and size", "[importer][prometheus]") {
  if (!std::filesystem::exists("/usr/bin/prometheus") || !std::filesystem::exists("/usr/bin/promtool")) {
    WARN("skipped: /usr/bin/prometheus or /usr/bin/promtool is not installed (Debian packages prometheus)");
    return;
  }
  Running run;
  start(run);
  kube::PrometheusConfig cfg;
  cfg.url = run.url;
  cfg.timeout = std::chrono::milliseconds(10000);
  const kube::PrometheusClient client(cfg);
  waitReady(run, client);

  TrafficWindow w;
  w.url = run.url;
  w.eval_unix_s = run.t1 - 15 * 60;  // a 1h window well inside the backfilled 2h
  const auto r = fetchTraffic(w, queryThrough(client));
  INFO(r.errorText());
  REQUIRE(r.ok());
  const Traffic& t = *r;

  std::set<std::string> want, got;
  for (const auto& e : mesh())
    want.insert(e.src_ns + "/" + e.src + " -> " + e.svc + "." + e.svc_ns + " (" + e.dst + ") " + e.reporters.front().first);
  for (const auto& e : t.edges) got.insert(e.describe() + " " + e.reporter);
  CHECK(got == want);

  double max_rate = 0, max_size = 0;
  for (const auto& spec : mesh()) {
    for (const auto& e : t.edges) {
      if (e.source_workload != spec.src || e.service != spec.svc || e.dest_workload != spec.dst) continue;
      INFO(e.describe());
      max_rate = std::max(max_rate, relErr(e.rps, spec.rps));
      max_size = std::max({max_size, relErr(e.request_bytes, spec.req_bytes), relErr(e.response_bytes, spec.resp_bytes)});
      CHECK(e.rps == Approx(spec.rps).epsilon(0.02));
      CHECK(e.request_bytes == Approx(spec.req_bytes).epsilon(0.02));
      CHECK(e.response_bytes == Approx(spec.resp_bytes).epsilon(0.02));
      CHECK(e.error_ratio == Approx(spec.errors).margin(0.001));
      CHECK(e.protocol == (spec.proto == "grpc" ? models::Protocol::Grpc : spec.proto == "tcp" ? models::Protocol::Tcp : models::Protocol::Http));
      if (spec.client_ms > 0) CHECK(e.client_latency_ms.value_or(0) == Approx(clientMs(spec)).epsilon(0.02));
    }
  }

  // Each curve point is a rate over the last 75 s (5 scrapes): what the uneven counters encode there.
  const test::OpenMetrics grid(run.t0, run.t1, kScrape);
  const auto R = w.curveRateSeconds();
  REQUIRE(t.entry_loads.size() == 2);
  for (const auto& l : t.entry_loads) {
    INFO(l.serviceKey());
    REQUIRE(l.rps.size() == 60);
    for (std::size_t i = 0; i < l.rps.size(); ++i) {
      const std::int64_t at = w.eval_unix_s - w.windowSeconds() + w.stepSeconds() * static_cast<std::int64_t>(i + 1);
      double encoded = 0;
      for (const auto& e : mesh()) {
        if (e.src == "unknown" || e.src == "istio-ingressgateway")
          if (e.svc == l.service) encoded += (grid.counted(e.rps, at) - grid.counted(e.rps, at - R)) / static_cast<double>(R);
      }
      max_rate = std::max(max_rate, relErr(l.rps[i], encoded));
      CHECK(l.rps[i] == Approx(encoded).epsilon(0.02));
    }
  }
  const auto* fe = t.latency("shop", "frontend");
  REQUIRE(fe);
  CHECK(fe->mean_ms == Approx(25).epsilon(0.02));
  CHECK(fe->p50_ms.value_or(0) < fe->p90_ms.value_or(0));
  CHECK(fe->p90_ms.value_or(0) < fe->p99_ms.value_or(0));
  CHECK(t.latency("data", "pricing")->reporter == "waypoint");

  const auto* sc = t.proxy("sidecar");
  REQUIRE(sc);
  CHECK(sc->proxies == 6);
  CHECK(sc->cpu_cores == Approx(0.152).epsilon(0.02));
  CHECK(sc->memory_bytes_mean == Approx((95 + 71 + 82 + 76 + 73 + 61) / 6.0 * 1e6).epsilon(0.02));
  CHECK(sc->rps == Approx(carriedBySidecars()).epsilon(0.02));
  CHECK(t.proxy("ztunnel")->cpu_cores == Approx(0.024).epsilon(0.02));
  CHECK(t.proxy("ztunnel")->rps == Approx(1.5).epsilon(0.02));
  CHECK(t.proxy("waypoint")->rps == Approx(75).epsilon(0.02));
  std::cout << "backfill: " << t.edges.size() << " edges recovered of " << want.size() << "; max rate error "
            << 100 * max_rate << "%, max size error " << 100 * max_size << "%\n";
}
