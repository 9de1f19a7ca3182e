// The stand-in HTTP server on Boost.Beast: an accept loop and one coroutine per connection
// on an io_context thread of its own; streamed bodies are polled, as chunks.
#include "kube_standin_http.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <atomic>
#include <cctype>
#include <thread>

namespace meshtwin::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Awaitable = asio::awaitable<void>;

constexpr auto kStreamPoll = std::chrono::milliseconds(5);  // how soon a streamed event goes out

struct StandinHttpServer::Impl {
  StandinHandler handler;
  std::optional<StandinTls> tls;
  ssl::context ctx{ssl::context::tls_server};
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  std::optional<tcp::acceptor> acceptor;
  unsigned short port = 0;
  std::atomic<int> requests{0};
  std::atomic<int> failed_handshakes{0};
  std::thread thread;

  void setupTls() {
    ctx.use_certificate_chain(asio::buffer(tls->cert_pem));
    ctx.use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
    if (!tls->client_ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(tls->client_ca_pem));
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }

  Awaitable acceptLoop() {
    for (int i = 0; i < 100000; ++i) {  // bounded: a test makes far fewer connections
      ErrorCode ec;
      tcp::socket s = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (tls) asio::co_spawn(*io, serveTls(std::move(s)), asio::detached);
      else asio::co_spawn(*io, servePlain(std::move(s)), asio::detached);
    }
  }

  Awaitable servePlain(tcp::socket s) {
    beast::tcp_stream stream(std::move(s));
    co_await serveRequests(stream, "");
    ErrorCode ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  Awaitable serveTls(tcp::socket s) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(s), ctx);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    ErrorCode ec;
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++failed_handshakes;
      co_return;
    }
    co_await serveRequests(stream, peerCommonName(stream.native_handle()));
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  static std::string peerCommonName(SSL* ssl) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    if (peer == nullptr) return "";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    X509_free(peer);
    return cn;
  }

  template <class Stream>
  Awaitable serveRequests(Stream& stream, std::string client_cn) {
    beast::flat_buffer buffer;
    for (int i = 0; i < 1000; ++i) {  // keep-alive, bounded
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      http::request<http::string_body> req;
      ErrorCode ec;
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++requests;
      const StandinResponse out = handler(toStandin(req, client_cn));
      if (out.drop) co_return;  // the caller closes the socket: no answer at all
      if (out.stream) co_return co_await writeStream(stream, req, out);  // then the connection closes
      auto res = toBeast(req, out);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !req.keep_alive()) co_return;
    }
  }

  // The head at once, then a chunk whenever the stream has something, until it is done, the
  // client goes away or the server stops.
  template <class Stream>
  Awaitable writeStream(Stream& stream, const http::request<http::string_body>& req, const StandinResponse& out) {
    http::response<http::empty_body> head{static_cast<http::status>(out.status), req.version()};
    head.set(http::field::content_type, out.content_type);
    for (const auto& [k, v] : out.headers) head.set(k, v);
    head.chunked(true);
    head.keep_alive(false);
    http::response_serializer<http::empty_body> serializer{head};
    ErrorCode ec;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    co_await http::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    asio::steady_timer poll(co_await asio::this_coro::executor);
    for (;;) {
      auto piece = out.stream->pull();
      if (!piece.data.empty()) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece.data)), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
      }
      if (piece.abort) co_return;  // no last chunk: the client sees the stream break
      if (piece.done) break;
      poll.expires_after(kStreamPoll);
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
  }

  static StandinRequest toStandin(const http::request<http::string_body>& req, const std::string& client_cn) {
    StandinRequest in{std::string(req.method_string()), std::string(req.target()), req.body(), {}, client_cn};
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      in.headers[name] = std::string(f.value());
    }
    return in;
  }

  static http::response<http::string_body> toBeast(const http::request<http::string_body>& req, const StandinResponse& out) {
    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::content_type, out.content_type);
    for (const auto& [k, v] : out.headers) res.set(k, v);
    res.body() = out.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
  }
};

StandinHttpServer::StandinHttpServer(StandinHandler handler, std::optional<StandinTls> tls) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->tls = std::move(tls);
  if (impl_->tls) impl_->setupTls();
  impl_->acceptor.emplace(*impl_->io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  impl_->port = impl_->acceptor->local_endpoint().port();
  asio::co_spawn(*impl_->io, impl_->acceptLoop(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io->run(); });
}

void StandinHttpServer::stop() {
  impl_->io->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

StandinHttpServer::~StandinHttpServer() {
  stop();
  impl_->acceptor.reset();
  impl_->io.reset();  // destroys the coroutine frames while everything they use is alive
}

unsigned short StandinHttpServer::port() const { return impl_->port; }

std::string StandinHttpServer::url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

int StandinHttpServer::requests() const { return impl_->requests.load(); }

int StandinHttpServer::failedHandshakes() const { return impl_->failed_handshakes.load(); }

}  // namespace meshtwin::test
