// mTLS handshake cost with the proxies' TLS contexts, over loopback TCP.
#include "meshtwin/testbed/handshake.hpp"

#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/tls.hpp"

namespace meshtwin::testbed {

namespace {

double threadCpuNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace

Result<HandshakeCost> measureHandshakes(int count) {
  using namespace dataplane;
  using asio::ip::tcp;
  const auto now = systemNow();
  auto ca = CertificateAuthority::create({}, now);
  if (!ca) return ca.error();
  auto client_cert = ca->issueUnbound({"calibrate", "client"}, now);
  if (!client_cert) return client_cert.error();
  auto server_cert = ca->issueUnbound({"calibrate", "server"}, now);
  if (!server_cert) return server_cert.error();
  auto client_ctx = makeTlsContext(TlsRole::Client, {client_cert.value(), ca->root()}, {kAlpnH2}, systemNow);
  if (!client_ctx) return client_ctx.error();
  auto server_ctx = makeTlsContext(TlsRole::Server, {server_cert.value(), ca->root()}, {kAlpnH2}, systemNow);
  if (!server_ctx) return server_ctx.error();

  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto endpoint = acceptor.local_endpoint();
  std::atomic<double> server_cpu{0};
  std::string server_error;
  std::thread server([&] {
    const double t0 = threadCpuNs();
    for (int i = 0; i < count; ++i) {
      asio::ssl::stream<tcp::socket> s(io, server_ctx.value()->ssl);
      boost::system::error_code ec;
      acceptor.accept(s.lowest_layer(), ec);
      if (!ec) s.handshake(asio::ssl::stream_base::server, ec);
      if (ec) {
        server_error = "accept/handshake: " + ec.message();
        return;
      }
    }
    server_cpu = threadCpuNs() - t0;
  });
  std::string client_error;
  const auto w0 = std::chrono::steady_clock::now();
  const double c0 = threadCpuNs();
  for (int i = 0; i < count && client_error.empty(); ++i) {
    asio::ssl::stream<tcp::socket> s(io, client_ctx.value()->ssl);
    boost::system::error_code ec;
    s.lowest_layer().connect(endpoint, ec);
    if (!ec) s.handshake(asio::ssl::stream_base::client, ec);
    if (ec) client_error = "connect/handshake: " + ec.message();
  }
  const double client_cpu = threadCpuNs() - c0;
  const double wall = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - w0).count();
  if (!client_error.empty()) acceptor.close();
  server.join();
  if (!client_error.empty() || !server_error.empty()) {
    return Error{"measure handshakes", endpoint.address().to_string() + ":" + std::to_string(endpoint.port()),
                 client_error.empty() ? server_error : client_error};
  }
  HandshakeCost h;
  h.handshakes = count;
  h.client_cpu_ns = client_cpu / count;
  h.server_cpu_ns = server_cpu.load() / count;
  h.wall_ns = wall / count;
  return h;
}

}  // namespace meshtwin::testbed
