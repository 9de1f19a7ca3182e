// The sidecar's redirect mode as meshtwin-proxy sets it up, on 127.0.0.1: --redirect-port
// opens the listener and the ports file names it, and a connection that no rule redirected
// (no original destination of a service) is closed with the reason in the log. A redirected
// request end to end needs an iptables rule: tests/privileged/dataplane/sidecar_redirect_test.cpp.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include "meshtwin/dataplane/apps/proxy_program.hpp"
#include "mesh_harness.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::test;
using meshtwin::dataplane::apps::ProxyOptions;
using meshtwin::dataplane::apps::proxyKinds;
using meshtwin::dataplane::apps::runProxyProgram;

TEST_CASE("meshtwin-proxy sidecar --redirect-port: a redirect listener that closes what was not redirected",
          "[dataplane][sidecar][redirect]") {
  TempDir dir("sidecar-redirect");
  const auto text = demoScenario("sidecar");
  auto loaded = meshtwin::models::loadScenarioText(text, "dp-demo.yaml");
  REQUIRE(loaded.scenario);
  const auto& sc = *loaded.scenario;
  const std::string client = "demo/" + sc.pods[sc.workload_pods[*sc.findWorkload("demo", "client")].front()].name;
  ControlPlaneSnapshot snapshot;
  snapshot.scenario_yaml = text;
  snapshot.service_vip["demo/server"] = "10.96.0.11:80";
  REQUIRE(writeSnapshotFile(dir / "snapshot.json", snapshot).ok());
  auto ca = CertificateAuthority::create({}, kT0 - 24h);
  REQUIRE(ca.ok());
  auto cert = ca->issueUnbound({"demo", "client"}, kT0);
  REQUIRE(cert.ok());
  ProxyIdentity identity{ca->root(), {}};
  identity.certificates.emplace(ServiceAccount{"demo", "client"}, cert.value());

  // The sidecar kind as meshtwin-proxy creates it from its options.
  ProxyOptions o;
  o.node = client;
  o.snapshot_file = dir / "snapshot.json";
  o.metrics_port = o.readiness_port = o.admin_port = o.hbone_port = 0;
  o.redirect_port = 0;
  const auto kinds = proxyKinds();
  const auto kind = std::find_if(kinds.begin(), kinds.end(), [](const auto& k) { return k.name == "sidecar"; });
  REQUIRE(kind != kinds.end());
  asio::io_context io;
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("sidecar", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  auto proxy = kind->create(io.get_executor(), o, identity, logger);
  REQUIRE(proxy.ok());
  auto view = buildMeshView(snapshot);
  REQUIRE(view.ok());
  REQUIRE(proxy.value()->apply(view.value()).ok());
  const auto ports = proxy.value()->ports();
  REQUIRE(ports.contains("redirect"));
  CHECK(ports["outbound"].contains("demo/server"));  // plain listener mode goes on beside it
  const auto redirect = parseEndpoint(ports["redirect"].get<std::string>());
  REQUIRE(redirect);
  CHECK(redirect->port() != 0);

  std::thread io_thread([&] { io.run(); });
  // Stops the proxy on its thread and joins it: explicitly before reading the log, or when
  // a failed REQUIRE leaves the scope.
  struct Stop {
    asio::io_context& io;
    std::thread& t;
    std::unique_ptr<meshtwin::dataplane::apps::RunningProxy>& p;
    void operator()() {
      if (!t.joinable()) return;
      asio::post(io, [this] {
        p->stop();
        io.stop();
      });
      t.join();
      p.reset();
    }
    ~Stop() { (*this)(); }
  } stop{io, io_thread, proxy.value()};

  // Straight to the redirect port: no original destination of a service VIP (on plain
  // loopback getsockopt(SO_ORIGINAL_DST) either fails or reports the port itself).
  asio::io_context client_io;
  tcp::socket s(client_io);
  s.connect(*redirect);
  const timeval limit{5, 0};  // a sidecar that kept the connection would fail the test, not hang it
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  asio::write(s, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: server\r\n\r\n")));
  std::array<char, 64> buf{};
  ErrorCode ec;
  const auto n = s.read_some(asio::buffer(buf), ec);
  CHECK(n == 0);
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  stop();
  const auto text_log = log.str();
  CHECK_THAT(text_log, Catch::Contains("sidecar " + client + ": redirected connection from 127.0.0.1:"));
  CHECK_THAT(text_log, Catch::Contains(" closed: "));
}

TEST_CASE("meshtwin-proxy sidecar --help offers --redirect-port", "[dataplane][sidecar][redirect]") {
  std::ostringstream out, err;
  const char* help[] = {"meshtwin-proxy", "sidecar", "--help"};
  CHECK(runProxyProgram(3, help, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("--redirect-port"));
}
