// Sidecar mode end to end on 127.0.0.1, and the mixed paths of a migration: sidecar to
// sidecar, a sidecar client to an ambient server (bypassing its waypoint, as Istio does),
// L7 policy at the destination sidecar, and an ambient client to a pod outside the mesh.
#include <catch2/catch.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "mesh_harness.hpp"

using namespace meshtwin::test;
namespace http = boost::beast::http;

namespace {

std::string scenario(const std::string& mesh) {
  return "apiVersion: meshtwin/v1\nkind: Scenario\nmetadata: {name: dp-sidecar}\n"
         "cluster:\n  zones: [a, b]\n  nodePools:\n"
         "    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}\n"
         "workloads:\n"
         "  - {name: client, namespace: demo, replicas: 1, script: [{call: server}]}\n"
         "  - {name: server, namespace: demo, replicas: 1}\n"
         "entryPoints:\n  - {name: web, service: client.demo, load: [{constant: {rps: 1, duration: 1s}}]}\n"
         "mesh:\n" +
         mesh;
}

HarnessOptions options(const std::string& mesh) {
  HarnessOptions o;
  o.scenario = scenario(mesh);
  o.http_apps = true;
  return o;
}

std::pair<int, std::string> request(const tcp::endpoint& at, http::verb verb, const std::string& target) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(at);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "server.demo.svc.cluster.local");
  req.body() = verb == http::verb::post ? "payload" : "";
  req.prepare_payload();
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

TEST_CASE("sidecar to sidecar: HBONE between the pods' proxies, metrics on both sides", "[dataplane][sidecar]") {
  MeshHarness mesh(options("  defaultMode: sidecar\n"));
  const auto [status, body] = request(mesh.sidecarOut("client", "demo/server"), http::verb::get, "/hello");
  CHECK(status == 200);
  CHECK(body == mesh.podKey(mesh.pod("server")) + " GET /hello");
  CHECK(mesh.sidecarCounter("client", "istio_requests_total",
                            {{"reporter", "source"}, {"response_code", "200"}, {"destination_workload", "server"},
                             {"connection_security_policy", "mutual_tls"}}) == 1);
  CHECK(mesh.sidecarCounter("server", "istio_requests_total",
                            {{"reporter", "destination"}, {"response_code", "200"},
                             {"source_principal", "spiffe://cluster.local/ns/demo/sa/client"}}) == 1);
}

TEST_CASE("L7 policy at the destination sidecar sees the method", "[dataplane][sidecar]") {
  MeshHarness mesh(options("  defaultMode: sidecar\n"
                           "  policies:\n"
                           "    - apiVersion: security.istio.io/v1\n      kind: AuthorizationPolicy\n"
                           "      metadata: {name: get-only, namespace: demo}\n"
                           "      spec:\n        selector: {matchLabels: {app: server}}\n        action: ALLOW\n"
                           "        rules: [{to: [{operation: {methods: [GET]}}]}]\n"));
  const auto at = mesh.sidecarOut("client", "demo/server");
  CHECK(request(at, http::verb::get, "/x").first == 200);
  const auto denied = request(at, http::verb::post, "/x");
  CHECK(denied.first == 403);
  CHECK(denied.second == "RBAC: access denied");
  CHECK(mesh.sidecarCounter("server", "istio_requests_total", {{"reporter", "destination"}, {"response_code", "403"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("POST /x from spiffe://cluster.local/ns/demo/sa/client denied: no ALLOW policy matched"));
}

TEST_CASE("a sidecar client reaches an ambient server over HBONE and bypasses its waypoint", "[dataplane][sidecar]") {
  MeshHarness mesh(options("  defaultMode: ambient\n"
                           "  workloads: {demo/client: sidecar}\n"
                           "  waypoints: [{name: wp, namespace: demo}]\n"
                           "  useWaypoint: [{namespace: demo, waypoint: wp}]\n"));
  const auto [status, body] = request(mesh.sidecarOut("client", "demo/server"), http::verb::get, "/mixed");
  CHECK(status == 200);
  CHECK(body == mesh.podKey(mesh.pod("server")) + " GET /mixed");
  // The server's ztunnel terminated HBONE from the client's identity: no waypoint in between.
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"source_principal", "spiffe://cluster.local/ns/demo/sa/client"}}) == 1);
  CHECK(mesh.waypointCounter("demo/wp-0", "istio_requests_total", {}) == 0);
}

TEST_CASE("an ambient client reaches a pod outside the mesh in plaintext through its ztunnel", "[dataplane][ztunnel]") {
  MeshHarness mesh(options("  defaultMode: ambient\n  workloads: {demo/server: none}\n"));
  const auto [status, body] = request(mesh.outbound("client", "demo/server"), http::verb::get, "/plain");
  CHECK(status == 200);
  CHECK(body == mesh.podKey(mesh.pod("server")) + " GET /plain");
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total",
                     {{"reporter", "source"}, {"connection_security_policy", "unknown"}, {"response_flags", "-"}}) == 1);
}
