// The waypoint end to end on 127.0.0.1: client -> its ztunnel -> HBONE -> waypoint (HTTP
// inside the tunnel, targetRefs authz, HTTPRoute) -> HBONE -> server's ztunnel -> server.
#include <catch2/catch.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "mesh_harness.hpp"

using namespace meshtwin::test;
namespace http = boost::beast::http;

namespace {

// The scenario: server has replicas in zones a and b; the waypoint runs in zone a only.
std::string waypointScenario(const std::string& extra = "") {
  return "apiVersion: meshtwin/v1\nkind: Scenario\nmetadata: {name: dp-waypoint}\n"
         "cluster:\n  zones: [a, b]\n  nodePools:\n"
         "    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}\n"
         "workloads:\n"
         "  - {name: client, namespace: demo, replicas: 1, zones: [b], script: [{call: server}]}\n"
         "  - {name: server, namespace: demo, replicas: 2}\n"
         "  - {name: server-v2, namespace: demo, replicas: 1}\n"
         "  - {name: other, namespace: demo, replicas: 1}\n"
         "entryPoints:\n  - {name: web, service: client.demo, load: [{constant: {rps: 1, duration: 1s}}]}\n"
         "mesh:\n  defaultMode: ambient\n"
         "  waypoints: [{name: wp, namespace: demo, zones: [a]}]\n"
         "  useWaypoint: [{namespace: demo, waypoint: wp}]\n" +
         extra;
}

HarnessOptions withScenario(const std::string& extra = "") {
  HarnessOptions o;
  o.scenario = waypointScenario(extra);
  o.http_apps = true;
  return o;
}

struct Reply {
  int status = 0;
  std::string body;
  std::string served_by;
};

// HTTP/1.1 requests on one keep-alive connection.
std::vector<Reply> get(const tcp::endpoint& at, const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& reqs) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(at);
  boost::beast::flat_buffer buf;
  std::vector<Reply> out;
  for (const auto& [target, headers] : reqs) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "server.demo.svc.cluster.local");
    for (const auto& [k, v] : headers) req.set(k, v);
    http::write(s, req);
    http::response<http::string_body> res;
    http::read(s, buf, res);
    out.push_back({static_cast<int>(res.result_int()), res.body(), std::string(res["x-served-by"])});
  }
  return out;
}

Reply get1(const tcp::endpoint& at, const std::string& target, std::map<std::string, std::string> headers = {}) {
  return get(at, {{target, std::move(headers)}}).front();
}

const std::string kWp = "demo/wp-0";

}  // namespace

TEST_CASE("through a waypoint: HTTP inside HBONE, endpoints in the waypoint's zone", "[dataplane][waypoint]") {
  MeshHarness mesh(withScenario());
  const auto at = mesh.outbound("client", "demo/server");
  const auto replies = get(at, {{"/a", {}}, {"/b", {}}, {"/c", {}}, {"/d", {}}});
  // The waypoint is in zone a; of server's two replicas it picks the one in zone a every time.
  const auto& s = mesh.scenario();
  const auto wp_zone = s.zoneOfPod(s.waypoint_pods[0][0]);
  std::string local;
  for (auto p : s.workload_pods[*s.findWorkload("demo", "server")]) {
    if (s.zoneOfPod(p) == wp_zone) local = mesh.podKey(p);
  }
  REQUIRE_FALSE(local.empty());
  for (const auto& r : replies) {
    CHECK(r.status == 200);
    CHECK(r.served_by == local);
  }
  CHECK(replies[1].body == local + " GET /b");
  CHECK(mesh.waypointCounter(kWp, "istio_requests_total",
                             {{"reporter", "waypoint"}, {"response_code", "200"}, {"source_workload", "client"},
                              {"destination_workload", "server"}, {"destination_service", "server.demo.svc.cluster.local"},
                              {"source_principal", "spiffe://cluster.local/ns/demo/sa/client"}}) == 4);
  // Both ztunnels saw the tunnels: client -> waypoint and waypoint -> server.
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total",
                     {{"reporter", "source"}, {"destination_service", "server.demo.svc.cluster.local"}}) == 1);
  const auto dump = mesh.onIo([&] { return mesh.waypoint(kWp).configDump(); });
  CHECK_THAT(dump, Catch::Contains("\"name\": \"demo/server\""));
  const auto metrics = httpGet(mesh.onIo([&] { return mesh.waypoint(kWp).metricsAddress(); }), "/stats/prometheus");
  REQUIRE(metrics.ok());
  CHECK_THAT(metrics->body, Catch::Contains("istio_request_duration_milliseconds_bucket{reporter=\"waypoint\""));
}

TEST_CASE("waypoint L7 authz: targetRefs policy allows GET /public only, 403 otherwise", "[dataplane][waypoint]") {
  MeshHarness mesh(withScenario(
      "  policies:\n"
      "    - apiVersion: security.istio.io/v1\n      kind: AuthorizationPolicy\n"
      "      metadata: {name: public-only, namespace: demo}\n"
      "      spec:\n        targetRefs: [{kind: Service, group: \"\", name: server}]\n        action: ALLOW\n"
      "        rules: [{to: [{operation: {methods: [GET], paths: [\"/public*\"]}}]}]\n"));
  const auto at = mesh.outbound("client", "demo/server");
  const auto r = get(at, {{"/public/x", {}}, {"/private", {}}});
  CHECK(r[0].status == 200);
  CHECK(r[1].status == 403);
  CHECK(r[1].body == "RBAC: access denied");
  CHECK(mesh.waypointCounter(kWp, "istio_requests_total", {{"response_code", "403"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("GET /private from spiffe://cluster.local/ns/demo/sa/client to demo/server denied"));
}

TEST_CASE("waypoint routes: header match, weighted backends, timeout and retries", "[dataplane][waypoint]") {
  MeshHarness mesh(withScenario(
      "  routes:\n"
      "    - apiVersion: gateway.networking.k8s.io/v1\n      kind: HTTPRoute\n"
      "      metadata: {name: server, namespace: demo}\n"
      "      spec:\n        parentRefs: [{group: \"\", kind: Service, name: server}]\n        rules:\n"
      "          - matches: [{headers: [{name: x-canary, value: \"true\"}]}]\n"
      "            backendRefs: [{name: server-v2, port: 8080, weight: 1}]\n"
      "          - matches: [{path: {type: PathPrefix, value: /slow}}]\n"
      "            timeouts: {request: 50ms}\n"
      "          - matches: [{path: {type: PathPrefix, value: /status}}]\n"
      "            retry: {attempts: 2, codes: [503], backoff: 1ms}\n"
      "          - backendRefs: [{name: server, port: 8080, weight: 100}, {name: server-v2, port: 8080, weight: 0}]\n"));
  const auto at = mesh.outbound("client", "demo/server");
  const std::string v2 = mesh.podKey(mesh.pod("server-v2"));
  // Header match sends to server-v2; the default rule's weights never pick it.
  CHECK(get1(at, "/x", {{"x-canary", "true"}}).served_by == v2);
  for (int i = 0; i < 5; ++i) CHECK(get1(at, "/y").served_by != v2);
  // The timeout: under /slow the route gives up after 50 ms with 504 UT; elsewhere no
  // timeout applies and a 100 ms answer arrives.
  const auto timed = get1(at, "/slow?sleep=1000");
  CHECK(timed.status == 504);
  CHECK(timed.body == "upstream request timeout");
  CHECK(get1(at, "/fast?sleep=100").status == 200);
  CHECK(mesh.waypointCounter(kWp, "istio_requests_total", {{"response_code", "504"}, {"response_flags", "UT"}}) == 1);
  // Retries: /status/503 is tried 3 times (1 + 2 retries), then 503 with URX.
  const auto before = mesh.appRequests(mesh.pod("server", 0)) + mesh.appRequests(mesh.pod("server", 1));
  const auto r = get1(at, "/status/503");
  CHECK(r.status == 503);
  const auto after = mesh.appRequests(mesh.pod("server", 0)) + mesh.appRequests(mesh.pod("server", 1));
  CHECK(after - before == 3);
  CHECK(mesh.waypointCounter(kWp, "istio_requests_total", {{"response_code", "503"}, {"response_flags", "URX"}}) == 1);
}

TEST_CASE("independent HTTP clients through the waypoint: curl with HTTP/1.1 and with h2", "[dataplane][waypoint][interop]") {
  if (std::system("curl --version >/dev/null 2>&1") != 0) FAIL("curl is missing; scripts/install-deps.sh installs it");
  MeshHarness mesh(withScenario());
  const auto at = mesh.outbound("client", "demo/server");
  const std::string url = "http://" + toString(at) + "/from-curl";
  auto run = [](const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (const auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    pclose(p);
    return out;
  };
  // -w prints the protocol curl used and the status after the body.
  const auto h1 = run("curl -s --max-time 10 -w ' %{http_version} %{http_code}' " + url);
  CHECK_THAT(h1, Catch::EndsWith(" GET /from-curl 1.1 200"));
  const auto h2 = run("curl -s --max-time 10 --http2-prior-knowledge -w ' %{http_version} %{http_code}' " + url);
  CHECK_THAT(h2, Catch::EndsWith(" GET /from-curl 2 200"));
  CHECK(mesh.waypointCounter(kWp, "istio_requests_total", {{"response_code", "200"}}) == 2);
}
