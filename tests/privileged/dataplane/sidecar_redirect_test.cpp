// Privileged tier (root): the sidecar's redirect mode. In a network namespace of its own, an
// iptables REDIRECT rule sends an app's plain HTTP/1.1 request for a service VIP to the client
// pod's sidecar, which reads the original destination with getsockopt(SO_ORIGINAL_DST), maps
// the VIP to the service and serves it as its plain listener for that service would: over
// HBONE to the server's sidecar, with the request metrics on both sides.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "../../integration/dataplane/mesh_harness.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::test;
namespace http = boost::beast::http;

namespace {

// A blocking socket from `from` to `to`, whose reads give up after 5 s (a proxy that kept the
// connection fails the test instead of hanging it).
tcp::socket connectFrom(asio::io_context& io, const std::string& from, const tcp::endpoint& to) {
  tcp::socket s(io);
  s.open(tcp::v4());
  s.bind(tcp::endpoint(asio::ip::make_address(from), 0));
  s.connect(to);
  const timeval limit{5, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return s;
}

std::string redirectRule(const tcp::endpoint& vip, const tcp::endpoint& to) {
  return "iptables -t nat -A OUTPUT -p tcp -d " + vip.address().to_string() + " --dport " + std::to_string(vip.port()) +
         " -j REDIRECT --to-ports " + std::to_string(to.port());
}

}  // namespace

TEST_CASE("sidecar redirect mode: an app's request to a service VIP goes through both sidecars",
          "[privileged][sidecar]") {
  if (const auto why = enterOwnNetns(); !why.empty()) {
    WARN("SKIPPED: needs root and network namespaces: " << why);
    return;
  }
  REQUIRE(std::system("ip addr add 10.0.0.1/32 dev lo") == 0);    // the client pod's address
  REQUIRE(std::system("ip route add 10.96.0.0/16 dev lo") == 0);  // service VIPs route somewhere, as on a node
  HarnessOptions o;
  o.scenario = demoScenario("sidecar");
  o.http_apps = true;
  MeshHarness mesh(o);

  // The client pod's sidecar in redirect mode (the harness's sidecars use plain listener mode).
  const std::string client = mesh.podKey(mesh.pod("client"));
  const auto snapshot = mesh.snapshot();
  std::ostringstream log;
  std::unique_ptr<Sidecar> sidecar = mesh.onIo([&] {
    SidecarConfig cfg;
    cfg.pod = client;
    cfg.redirect_port = 0;
    auto cert = mesh.ca().issue(mesh.nodeOf("client"), {"demo", "client"}, kT0);
    if (!cert) throw std::runtime_error(cert.error().text());
    cfg.identity.root = mesh.ca().root();
    cfg.identity.certificates.emplace(ServiceAccount{"demo", "client"}, std::move(cert).value());
    cfg.clock = [] { return kT0; };
    cfg.log = std::make_shared<spdlog::logger>(client, std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    auto sc = Sidecar::create(mesh.io().get_executor(), std::move(cfg));
    if (!sc) throw std::runtime_error(sc.error().text());
    auto view = buildMeshView(snapshot);
    if (!view) throw std::runtime_error(view.error().text());
    if (auto r = sc.value()->apply(view.value()); !r) throw std::runtime_error(r.error().text());
    return std::move(sc).value();
  });
  struct DestroyOnIo {  // the sidecar lives on the proxies' thread; it goes before the harness
    MeshHarness& mesh;
    std::unique_ptr<Sidecar>& sidecar;
    ~DestroyOnIo() {
      mesh.onIo([this] { sidecar.reset(); });
    }
  } destroy{mesh, sidecar};
  const auto redirect = *mesh.onIo([&] { return sidecar->redirectAddress(); });
  const auto vip = *parseEndpoint(snapshot.service_vip.at("demo/server"));
  const auto unknown_vip = *parseEndpoint("10.96.0.99:80");
  REQUIRE(std::system(redirectRule(vip, redirect).c_str()) == 0);
  REQUIRE(std::system(redirectRule(unknown_vip, redirect).c_str()) == 0);

  // The app sends plain HTTP/1.1 to the VIP from the pod's address, as an unmodified app would.
  asio::io_context io;
  auto s = connectFrom(io, "10.0.0.1", vip);
  http::request<http::string_body> req{http::verb::get, "/hello", 11};
  req.set(http::field::host, "server.demo.svc.cluster.local");
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  ErrorCode ec;
  http::read(s, buf, res, ec);
  INFO("redirect sidecar log:\n" << mesh.onIo([&] { return log.str(); }) << "\nmesh log:\n" << mesh.log());
  REQUIRE_FALSE(ec);
  CHECK(res.result_int() == 200);
  CHECK(res.body() == mesh.podKey(mesh.pod("server")) + " GET /hello");
  const auto source_requests = [&](const Labels& subset) {
    return mesh.onIo([&] { return sidecar->metrics().counterValue("istio_requests_total", subset); });
  };
  CHECK(source_requests({{"reporter", "source"},
                         {"response_code", "200"},
                         {"destination_service_name", "server"},
                         {"destination_workload", "server"},
                         {"connection_security_policy", "mutual_tls"}}) == 1);
  CHECK(mesh.sidecarCounter("server", "istio_requests_total",
                            {{"reporter", "destination"},
                             {"response_code", "200"},
                             {"source_principal", "spiffe://cluster.local/ns/demo/sa/client"}}) == 1);
  // The harness's client sidecar (plain listener mode) saw none of it.
  CHECK(mesh.sidecarCounter("client", "istio_requests_total", {{"reporter", "source"}}) == 0);

  // A redirected connection whose original destination is no service VIP is closed, and the
  // log says why.
  auto other = connectFrom(io, "10.0.0.1", unknown_vip);
  asio::write(other, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::array<char, 64> bytes{};
  ec = {};
  const auto n = other.read_some(asio::buffer(bytes), ec);
  CHECK(n == 0);
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  CHECK_THAT(mesh.onIo([&] { return log.str(); }),
             Catch::Contains("to 10.96.0.99:80 closed: the original destination is not a service VIP of the snapshot"));
  CHECK(source_requests({{"reporter", "source"}}) == 1);
}
