// meshtwin-load in HBONE mode, as the testbed's ingress gateway: tunnels opened with the
// gateway's identity straight to a ztunnel-captured pod (the destination's L4 metrics name
// that identity), a DENY policy counted per request as the tunnel's failure, a TLS failure
// that stops the run before it starts, and --source binding every connection.
#include <catch2/catch.hpp>

#include "meshtwin/dataplane/apps/load_generator.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "mesh_harness.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::test;
using meshtwin::dataplane::apps::HboneLoad;
using meshtwin::dataplane::apps::LoadOptions;
using meshtwin::dataplane::apps::runLoad;
using meshtwin::dataplane::apps::runLoadProgram;

namespace {

// The ingress gateway's identity: a service account of no workload in the scenario.
const ServiceAccount kGateway{"istio-ingress", "gateway"};
const std::string kGatewayUri = "spiffe://cluster.local/ns/istio-ingress/sa/gateway";

HarnessOptions httpMesh(const std::string& extra_mesh = "") {
  HarnessOptions o;
  o.scenario = demoScenario("ambient", extra_mesh);
  o.http_apps = true;
  return o;
}

// A modest load (50 rps for 1 s over 2 tunnels) on demo/server, from the files the program
// reads: the harness's snapshot and an identity directory holding the gateway's certificate.
LoadOptions hboneLoad(MeshHarness& mesh, const TempDir& dir) {
  REQUIRE(writeSnapshotFile(dir / "snapshot.json", mesh.snapshot()).ok());
  auto cert = mesh.ca().issueUnbound(kGateway, kT0);
  REQUIRE(cert.ok());
  REQUIRE(writeIdentityDir(dir / "id", mesh.ca().root(), {cert.value()}).ok());
  LoadOptions o;
  o.hbone = HboneLoad{dir / "snapshot.json", dir / "id", "demo/server", "", [] { return kT0; }};
  o.rps = 50;
  o.connections = 2;
  o.request_bytes = 0;
  o.duration = 1s;
  o.grace = 2s;
  return o;
}

}  // namespace

TEST_CASE("meshtwin-load over HBONE reaches a captured pod with the gateway's identity", "[dataplane][load][hbone]") {
  MeshHarness mesh(httpMesh());
  TempDir dir("load-hbone");
  auto o = hboneLoad(mesh, dir);
  const auto r = runLoad(o);
  INFO((r.ok() ? std::string() : r.error().text()) << "\nproxy log:\n" << mesh.log());
  REQUIRE(r.ok());
  CHECK(r->scheduled >= 49);
  CHECK(r->scheduled <= 51);
  CHECK(r->errors == 0);
  CHECK(r->completed == r->scheduled);
  CHECK(r->latency_ns.count() == r->completed);
  // Every request reached the pod's app through the destination ztunnel.
  CHECK(mesh.appRequests(mesh.pod("server")) == static_cast<int>(r->scheduled));
  // One CONNECT per load connection, authorised and reported with the gateway as the source.
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"source_principal", kGatewayUri}, {"response_flags", "-"},
                      {"destination_workload", "server"}}) == 2);
}

TEST_CASE("meshtwin-load over HBONE: a DENY for the gateway is each request's error, from the bound source",
          "[dataplane][load][hbone]") {
  MeshHarness mesh(httpMesh("  policies:\n"
                            "    - apiVersion: security.istio.io/v1\n      kind: AuthorizationPolicy\n"
                            "      metadata: {name: no-gateway, namespace: demo}\n"
                            "      spec:\n        selector: {matchLabels: {app: server}}\n        action: DENY\n"
                            "        rules: [{from: [{source: {principals: [cluster.local/ns/istio-ingress/sa/gateway]}}]}]\n"));
  TempDir dir("load-hbone-deny");
  auto o = hboneLoad(mesh, dir);
  o.duration = 500ms;
  o.source = "127.0.0.2";  // on lo, as any address of 127/8
  const auto r = runLoad(o);
  INFO((r.ok() ? std::string() : r.error().text()) << "\nproxy log:\n" << mesh.log());
  REQUIRE(r.ok());
  CHECK(r->scheduled >= 24);
  CHECK(r->completed == 0);
  CHECK(r->errors == r->scheduled);
  CHECK(r->error_causes == std::map<std::string, std::uint64_t>{{"hbone: 401 DENY", r->scheduled}});
  CHECK(mesh.appRequests(mesh.pod("server")) == 0);
  // Two tunnels refused at set-up, then one per due request (each retries).
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"source_principal", kGatewayUri}, {"response_flags", "DENY"}}) ==
        r->scheduled + 2);
  CHECK_THAT(mesh.log(), Catch::Contains("from 127.0.0.2:"));
  CHECK_THAT(mesh.log(), Catch::Contains("refused with 401 (DENY): policy demo/no-gateway"));
}

TEST_CASE("meshtwin-load over HBONE: tunnels that cannot open stop the run before it starts",
          "[dataplane][load][hbone]") {
  MeshHarness mesh(httpMesh());
  TempDir dir("load-hbone-fail");
  auto o = hboneLoad(mesh, dir);
  SECTION("the pod's certificate has expired by the load's clock") {
    o.hbone->clock = [] { return kT0 + 48h; };
    const auto r = runLoad(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == flags::kTlsFailure);
    CHECK_THAT(r.error().text(), Catch::Contains("expired"));
  }
  SECTION("--source is not an address of this host") {
    o.source = "192.0.2.1";
    const auto r = runLoad(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(), Catch::Contains("bind 192.0.2.1: "));
  }
  SECTION("no such service") {
    o.hbone->service = "demo/nope";
    const auto r = runLoad(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(), Catch::Contains("find service: demo/nope"));
  }
  CHECK(mesh.appRequests(mesh.pod("server")) == 0);
}

TEST_CASE("meshtwin-load in TCP mode binds --source too", "[dataplane][load]") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  LoadOptions o;
  o.target = toString(acceptor.local_endpoint());
  o.source = "192.0.2.1";
  o.duration = 100ms;
  const auto r = runLoad(o);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().text(), Catch::Contains("connect: " + o.target + ": bind 192.0.2.1: "));
}

TEST_CASE("meshtwin-load refuses HBONE options that do not go together", "[dataplane][load]") {
  std::ostringstream out, err;
  const char* both[] = {"meshtwin-load", "--hbone", "--target", "127.0.0.1:1"};
  CHECK(runLoadProgram(4, both, out, err) == 2);
  const char* alone[] = {"meshtwin-load", "--snapshot", "s.json"};
  CHECK(runLoadProgram(3, alone, out, err) == 2);
  const char* missing[] = {"meshtwin-load", "--hbone", "--snapshot", "s.json", "--identity", "id"};
  CHECK(runLoadProgram(6, missing, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("configure load: --service: required with --hbone"));
  const char* bad_service[] = {"meshtwin-load", "--hbone", "--snapshot", "s.json", "--identity", "id", "--service", "server"};
  CHECK(runLoadProgram(8, bad_service, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("configure load: --service: 'server' is not NS/NAME"));
  const char* help[] = {"meshtwin-load", "--help"};
  CHECK(runLoadProgram(2, help, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("--as"));
}
