// ztunnel end to end on 127.0.0.1: real TCP, real TLS 1.3, real HTTP/2 CONNECT, real policy.
#include <catch2/catch.hpp>

#include "mesh_harness.hpp"

using namespace meshtwin::test;

namespace {
const Labels kSource{{"reporter", "source"}};
const Labels kDest{{"reporter", "destination"}};
}  // namespace

TEST_CASE("ztunnel to ztunnel: bytes arrive through HBONE and both sides count them", "[dataplane][ztunnel]") {
  MeshHarness mesh;
  REQUIRE(mesh.nodeOf("client") != mesh.nodeOf("server"));  // two ztunnels in the path
  const auto r = exchange(mesh.outbound("client", "demo/server"), "hello through the mesh");
  CHECK(r.error.empty());
  CHECK(r.reply == "hello through the mesh");
  const Labels ok{{"response_flags", "-"}, {"connection_security_policy", "mutual_tls"}};
  auto with = [](Labels a, const Labels& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total", with(kSource, ok)) == 1);
  CHECK(mesh.counter("client", "istio_tcp_connections_closed_total", with(kSource, ok)) == 1);
  CHECK(mesh.counter("client", "istio_tcp_sent_bytes_total", kSource) == 22);
  CHECK(mesh.counter("client", "istio_tcp_received_bytes_total", kSource) == 22);
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     with(kDest, {{"source_principal", "spiffe://cluster.local/ns/demo/sa/client"},
                                  {"destination_principal", "spiffe://cluster.local/ns/demo/sa/server"},
                                  {"destination_workload", "server"}})) == 1);
  CHECK(mesh.counter("server", "istio_tcp_received_bytes_total", kDest) == 22);
  CHECK(mesh.counter("server", "istio_tcp_sent_bytes_total", kDest) == 22);

  // The exposition format with Istio's names, from the metrics endpoint over HTTP.
  const auto metrics = httpGet(mesh.onIo([&] { return mesh.ztunnelOf("server").metricsAddress(); }), "/stats/prometheus");
  REQUIRE(metrics.ok());
  CHECK(metrics->status == 200);
  CHECK_THAT(metrics->body, Catch::Contains("# TYPE istio_tcp_connections_opened_total counter"));
  CHECK_THAT(metrics->body, Catch::Contains("reporter=\"destination\",source_workload=\"client\""));
  const auto ready = httpGet(mesh.onIo([&] { return mesh.ztunnelOf("server").readinessAddress(); }), "/healthz/ready");
  REQUIRE(ready.ok());
  CHECK(ready->status == 200);
  const auto dump = httpGet(mesh.onIo([&] { return mesh.ztunnelOf("server").adminAddress(); }), "/config_dump");
  REQUIRE(dump.ok());
  CHECK_THAT(dump->body, Catch::Contains("\"identity\": \"spiffe://cluster.local/ns/demo/sa/server\""));
}

TEST_CASE("the pool shares a connection per source, destination and address, 100 streams at most",
          "[dataplane][ztunnel]") {
  MeshHarness mesh;
  const auto at = mesh.outbound("client", "demo/server");
  // 150 concurrent client connections, all held open.
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> clients;
  for (int i = 0; i < 150; ++i) {
    auto s = std::make_unique<tcp::socket>(io);
    s->connect(at);
    asio::write(*s, asio::buffer("x", 1));
    clients.push_back(std::move(s));
  }
  for (auto& s : clients) {  // each echo proves its stream is up
    char c = 0;
    asio::read(*s, asio::buffer(&c, 1));
    REQUIRE(c == 'x');
  }
  const auto stats = mesh.onIo([&] { return mesh.ztunnelOf("client").poolStats(); });
  CHECK(stats.connections == 2);
  CHECK(stats.streams == 150);
  CHECK(stats.handshakes == 2);
  for (auto& s : clients) s->close();
}

TEST_CASE("an idle pooled connection is released after the idle timeout", "[dataplane][ztunnel]") {
  MeshHarness::Options o;
  o.pool.idle_timeout = 50ms;
  MeshHarness mesh(o);
  REQUIRE(exchange(mesh.outbound("client", "demo/server"), "a").reply == "a");
  // Wait on the proxies' own signal (the pool's counter), bounded.
  for (int i = 0; i < 200 && mesh.onIo([&] { return mesh.ztunnelOf("client").poolStats().released_idle; }) == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const auto stats = mesh.onIo([&] { return mesh.ztunnelOf("client").poolStats(); });
  CHECK(stats.released_idle == 1);
  CHECK(stats.connections == 0);
  REQUIRE(exchange(mesh.outbound("client", "demo/server"), "b").reply == "b");  // a new one is dialled
  CHECK(mesh.onIo([&] { return mesh.ztunnelOf("client").poolStats().handshakes; }) == 2);
}

TEST_CASE("L4 policy: a DENY by principal fails closed with 401 and response_flags DENY", "[dataplane][ztunnel]") {
  MeshHarness::Options o;
  o.scenario = demoScenario("ambient",
                            "  policies:\n"
                            "    - apiVersion: security.istio.io/v1\n      kind: AuthorizationPolicy\n"
                            "      metadata: {name: no-client, namespace: demo}\n"
                            "      spec:\n        selector: {matchLabels: {app: server}}\n        action: DENY\n"
                            "        rules: [{from: [{source: {principals: [cluster.local/ns/demo/sa/client]}}]}]\n");
  MeshHarness mesh(o);
  const auto r = exchange(mesh.outbound("client", "demo/server"), "let me in");
  CHECK(r.reply.empty());
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total", {{"reporter", "source"}, {"response_flags", "DENY"}}) == 1);
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"response_flags", "DENY"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("refused with 401 (DENY): policy demo/no-client"));
  // "other" is not named by the policy and gets through.
  CHECK(exchange(mesh.outbound("other", "demo/server"), "hi").reply == "hi");
}

TEST_CASE("STRICT mTLS: a connection without identity is refused at the HBONE port", "[dataplane][ztunnel]") {
  MeshHarness mesh;
  const auto hbone = mesh.hboneOf("server");
  // Plaintext HTTP to 15008: the TLS handshake fails and the ztunnel says why.
  const auto r = exchange(hbone, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.reply.find("HTTP/1.1 200") == std::string::npos);
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"response_flags", "TLS_FAILURE"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("(TLS_FAILURE): not TLS (plaintext on the HBONE port?)"));
}

TEST_CASE("an expired certificate fails closed and the message names the clock", "[dataplane][ztunnel]") {
  MeshHarness::Options o;
  o.issue_offset["demo/server"] = -48h;  // the server's certificate expired a day ago
  MeshHarness mesh(o);
  const auto r = exchange(mesh.outbound("client", "demo/server"), "x");
  CHECK(r.reply.empty());
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total",
                     {{"reporter", "source"}, {"response_flags", "TLS_FAILURE"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("expired: NotAfter 2026-11-21T14:50:00Z is 1d0h0m0s before this node's clock"));
}

TEST_CASE("a node clock skewed beyond the backdate fails closed and says so", "[dataplane][ztunnel]") {
  MeshHarness::Options o;
  o.scenario = demoScenario();
  // The client's node runs 10 minutes slow: the server's fresh certificate (backdated 5 min)
  // is not yet valid there.
  MeshHarness probe;
  o.node_clock_skew[probe.nodeOf("client")] = -10min;
  MeshHarness mesh(o);
  const auto r = exchange(mesh.outbound("client", "demo/server"), "x");
  CHECK(r.reply.empty());
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total", {{"response_flags", "TLS_FAILURE"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("not yet valid: NotBefore 2026-11-22T14:45:00Z is 5m0s after this node's clock "
                                         "(2026-11-22T14:40:00Z); check the node's clock (NTP)"));
}

TEST_CASE("a peer presenting another identity is refused with IDENTITY_ERROR", "[dataplane][ztunnel]") {
  MeshHarness mesh;
  // The control plane (wrongly) says the server's HBONE endpoint is where "other" is served.
  const auto other = mesh.hboneOf("other");
  mesh.push([&](ControlPlaneSnapshot& s) { s.pod_hbone[mesh.podKey(mesh.pod("server"))] = toString(other); });
  const auto r = exchange(mesh.outbound("client", "demo/server"), "x");
  CHECK(r.reply.empty());
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total", {{"response_flags", "IDENTITY_ERROR"}}) == 1);
  CHECK_THAT(mesh.log(), Catch::Contains("the peer presented spiffe://cluster.local/ns/demo/sa/other, expected "
                                         "spiffe://cluster.local/ns/demo/sa/server"));
}

TEST_CASE("a new snapshot applies to new connections and leaves established ones alone", "[dataplane][ztunnel]") {
  MeshHarness mesh;
  asio::io_context io;
  tcp::socket held(io);
  held.connect(mesh.outbound("client", "demo/server"));
  asio::write(held, asio::buffer("1", 1));
  char c = 0;
  asio::read(held, asio::buffer(&c, 1));
  REQUIRE(c == '1');
  const auto before = mesh.onIo([&] { return mesh.ztunnelOf("client").snapshotVersion(); });
  // Push a snapshot whose scenario denies the client.
  const std::string deny = demoScenario("ambient",
                                        "  policies:\n"
                                        "    - apiVersion: security.istio.io/v1\n      kind: AuthorizationPolicy\n"
                                        "      metadata: {name: deny-all, namespace: demo}\n"
                                        "      spec: {selector: {matchLabels: {app: server}}, action: DENY, rules: [{}]}\n");
  mesh.push([&](ControlPlaneSnapshot& s) { s.scenario_yaml = deny; });
  CHECK(exchange(mesh.outbound("client", "demo/server"), "new").reply.empty());
  asio::write(held, asio::buffer("2", 1));  // the old connection still flows
  asio::read(held, asio::buffer(&c, 1));
  CHECK(c == '2');
  CHECK(mesh.onIo([&] { return mesh.ztunnelOf("client").snapshotVersion(); }) == before + 1);
}
