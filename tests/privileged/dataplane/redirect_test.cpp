// Privileged tier (root): the ztunnel's redirect mode. In a network namespace of its own, an
// iptables REDIRECT rule sends a pod's connection to a service VIP to the ztunnel, which reads
// the original destination with getsockopt(SO_ORIGINAL_DST) (what the eBPF sockopt hook of
// bpf/ answers too) and identifies the pod by its source address.
#include <catch2/catch.hpp>

#include <iostream>

#include "../../integration/dataplane/mesh_harness.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::test;

TEST_CASE("redirect mode: an iptables REDIRECT to the ztunnel keeps the original destination", "[privileged][ztunnel]") {
  if (const auto why = enterOwnNetns(); !why.empty()) {
    WARN("SKIPPED: needs root and network namespaces: " << why);
    return;
  }
  REQUIRE(std::system("ip addr add 10.0.0.1/32 dev lo") == 0);  // the client pod's address
  REQUIRE(std::system("ip route add 10.96.0.0/16 dev lo") == 0);  // service VIPs route somewhere, as on a node
  HarnessOptions o;
  o.redirect = true;
  MeshHarness mesh(o);
  const std::string client = mesh.podKey(mesh.pod("client"));
  mesh.push([&](ControlPlaneSnapshot& s) { s.pod_app[client] = "10.0.0.1:8080"; });
  const auto vip = *parseEndpoint(mesh.snapshot().service_vip.at("demo/server"));
  const auto redirect = *mesh.onIo([&] { return mesh.ztunnelOf("client").redirectAddress(); });
  const std::string rule = "iptables -t nat -A OUTPUT -p tcp -s 10.0.0.1 -d " + vip.address().to_string() +
                           " --dport " + std::to_string(vip.port()) + " -j REDIRECT --to-ports " +
                           std::to_string(redirect.port());
  REQUIRE(std::system(rule.c_str()) == 0);

  // The "pod" connects to the service VIP from its own address, as an unmodified app would.
  asio::io_context io;
  tcp::socket s(io);
  s.open(tcp::v4());
  s.bind(tcp::endpoint(asio::ip::make_address("10.0.0.1"), 0));
  s.connect(vip);
  asio::write(s, asio::buffer(std::string("via the VIP")));
  s.shutdown(tcp::socket::shutdown_send);
  std::string reply;
  ErrorCode ec;
  while (!ec) {
    std::array<char, 256> buf{};
    const auto n = s.read_some(asio::buffer(buf), ec);
    reply.append(buf.data(), n);
  }
  CHECK(reply == "via the VIP");
  CHECK(mesh.counter("client", "istio_tcp_connections_opened_total",
                     {{"reporter", "source"}, {"source_workload", "client"}, {"destination_workload", "server"},
                      {"response_flags", "-"}}) == 1);
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total", {{"reporter", "destination"}}) == 1);

  // A connection straight to the redirect port (not to a VIP) is closed, and the log says why.
  tcp::socket direct(io);
  direct.connect(redirect);
  asio::write(direct, asio::buffer(std::string("x")));
  std::array<char, 8> buf{};
  ec = {};
  const auto n = direct.read_some(asio::buffer(buf), ec);
  CHECK(n == 0);
  CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  CHECK_THAT(mesh.log(), Catch::Contains("the original destination is not a service VIP of the snapshot"));
}
