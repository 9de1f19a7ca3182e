// One HTTP/1.1 request over Boost.Beast (plain TCP or asio::ssl), within a deadline: read whole,
// or (stream()) a 2xx body handed on piece by piece as it arrives.
#include "meshtwin/kube/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <limits>
#include <optional>

#include "meshtwin/kube/url.hpp"

namespace meshtwin::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

struct HttpClient::Impl {
  mutable ssl::context ctx{ssl::context::tls_client};
  TlsOptions tls;
  std::chrono::milliseconds timeout{0};
};

namespace {

constexpr std::uint64_t kBodyLimit = 512ULL * 1024 * 1024;  // a list page of big objects fits

// What one request produced: a response, or where and why it failed.
struct Exchange {
  std::optional<HttpResponse> response;
  std::exception_ptr sink_thrown;  // what the caller's on_data threw, to be thrown again to the caller
  std::string_view reason;  // transport_reason::*
  std::string step;
  std::string detail;
  std::string hint;
};

bool isIpLiteral(const std::string& host) {
  ErrorCode ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string_view classify(const ErrorCode& ec) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return transport_reason::kTimeout;
  if (ec == asio::error::connection_refused) return transport_reason::kRefused;
  if (ec == asio::error::connection_reset || ec == asio::error::eof || ec == http::error::end_of_stream ||
      ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated || ec == http::error::partial_message)
    return transport_reason::kReset;
  // TLS 1.3 clients learn that the server wanted a certificate only when they read its alert.
  if (ec.category() == asio::error::get_ssl_category()) return transport_reason::kTls;
  return transport_reason::kNetwork;
}

void fail(Exchange& out, std::string step, const ErrorCode& ec, std::string_view reason = {}) {
  out.reason = reason.empty() ? classify(ec) : reason;
  out.step = std::move(step);
  out.detail = ec.message();
}

Error loadError(std::string what, const ErrorCode& ec, std::string hint) {
  return Error{Error::Kind::Config, 0, "", "", "TLS", what + ": " + ec.message(), std::move(hint)};
}

std::optional<Error> configureContext(ssl::context& ctx, const TlsOptions& tls) {
  ErrorCode ec;
  if (tls.insecure_skip_verify) {
    ctx.set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx.set_verify_mode(ssl::verify_peer, ec);
    if (tls.ca_pem.empty()) ctx.set_default_verify_paths(ec);
    else ctx.add_certificate_authority(asio::buffer(tls.ca_pem), ec);
    if (ec) return loadError("load the certificate authority", ec, "expected PEM \"-----BEGIN CERTIFICATE-----\" blocks");
  }
  if (tls.client_cert_pem.empty() != tls.client_key_pem.empty())
    return Error{Error::Kind::Config, 0, "", "", "TLS", "a client certificate needs both the certificate and its key",
                 "set client-certificate(-data) and client-key(-data) together"};
  if (tls.client_cert_pem.empty()) return std::nullopt;
  ctx.use_certificate_chain(asio::buffer(tls.client_cert_pem), ec);
  if (ec) return loadError("load the client certificate", ec, "expected a PEM certificate");
  ctx.use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem, ec);
  if (ec) return loadError("load the client key", ec, "expected a PEM private key");
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
    return Error{Error::Kind::Config, 0, "", "", "TLS", "the client key does not match the client certificate",
                 "check client-certificate-data and client-key-data come from the same pair"};
  return std::nullopt;
}

http::request<http::string_body> toBeast(const HttpRequest& in, const Url& url) {
  http::request<http::string_body> req;
  req.method_string(in.method);
  req.target(url.path.empty() && url.query.empty() ? "/" : url.path + (url.query.empty() ? "" : "?" + url.query));
  req.version(11);
  req.set(http::field::host, url.authority());
  req.set(http::field::user_agent, "meshtwin");
  for (const auto& h : in.headers) req.set(h.name, h.value);
  req.keep_alive(false);
  req.body() = in.body;
  req.prepare_payload();
  return req;
}

HttpResponse fromBeast(http::response<http::string_body>&& res) {
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  out.body = std::move(res.body());
  return out;
}

using DataSink = std::function<bool(std::string_view)>;

// A 2xx body goes to on_data as it arrives (buffer_body, one read_some at a time, so a line of a
// watch is handed on without waiting for more); any other answer is read whole, to be decoded as
// an error. A 2xx stream that breaks keeps its response, with stream_error saying why.
template <class Stream>
asio::awaitable<void> readStreamed(Stream& stream, beast::flat_buffer& buffer, const DataSink& on_data, Exchange& out) {
  ErrorCode ec;
  http::response_parser<http::buffer_body> parser;
  // A watch ends at its deadline, not at a size. (Not boost::none: Boost 1.74 compares a
  // Content-Length against an empty optional as "over the limit".)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(out, "read the response", ec);
  HttpResponse res;
  res.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) res.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  const bool streamed = res.status >= 200 && res.status < 300;
  std::array<char, 16384> piece{};
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    const std::string_view got(piece.data(), piece.size() - parser.get().body().size);
    if (!streamed) {
      if (ec) co_return fail(out, "read the response", ec);
      if (res.body.size() + got.size() > kBodyLimit) co_return fail(out, "read the response", http::error::body_limit);
      res.body.append(got);
      continue;
    }
    bool more = true;
    try {
      if (!got.empty()) more = on_data(got);
    } catch (...) {
      out.sink_thrown = std::current_exception();
      co_return;
    }
    if (!more) break;
    if (ec) {
      res.stream_error = "read the stream: " + ec.message();
      break;
    }
  }
  out.response = std::move(res);
}

template <class Stream>
asio::awaitable<void> writeAndRead(Stream& stream, const http::request<http::string_body>& req, const DataSink* on_data,
                                   Exchange& out) {
  ErrorCode ec;
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(out, "write the request", ec);
  beast::flat_buffer buffer;
  if (on_data != nullptr) co_return co_await readStreamed(stream, buffer, *on_data, out);
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(out, "read the response", ec);
  out.response = fromBeast(parser.release());
}

// SNI (not for IP literals, as RFC 6066 says) and the host name check.
void prepareTls(beast::ssl_stream<beast::tcp_stream>& stream, const TlsOptions& tls, const Url& url) {
  const std::string name = tls.server_name.empty() ? url.host : tls.server_name;
  if (!isIpLiteral(name))
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  if (tls.insecure_skip_verify) stream.set_verify_mode(ssl::verify_none);
  else stream.set_verify_callback(ssl::host_name_verification(name));
}

void failHandshake(Exchange& out, beast::ssl_stream<beast::tcp_stream>& stream, const ErrorCode& ec, const TlsOptions& tls) {
  const auto reason = classify(ec);
  fail(out, "TLS handshake", ec, reason == transport_reason::kTimeout ? reason : transport_reason::kTls);
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK) {
    out.detail += std::string(": ") + X509_verify_cert_error_string(verify);
    out.hint = tls.ca_pem.empty() ? "the server's certificate is not trusted by the system; set certificate-authority(-data)"
                                  : "the server's certificate must be signed by the configured CA and name the host "
                                    "(or set tls-server-name to a name it carries)";
  } else if (reason != transport_reason::kTimeout) {
    out.hint = "the server refused the TLS session; if it wants a client certificate, check client-certificate(-data)";
  }
}

asio::awaitable<void> run(ssl::context& ctx, const TlsOptions& tls, Url url, http::request<http::string_body> req,
                          SteadyClock::time_point deadline, const DataSink* on_data, Exchange& out) {
  auto ex = co_await asio::this_coro::executor;
  ErrorCode ec;
  tcp::resolver resolver(ex);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(out, "resolve " + url.host, ec, transport_reason::kDns);
  if (url.scheme == "http") {
    beast::tcp_stream stream(ex);
    stream.expires_at(deadline);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "connect", ec);
    co_await writeAndRead(stream, req, on_data, out);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(ex, ctx);
  prepareTls(stream, tls, url);
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(out, "connect", ec);
  co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failHandshake(out, stream, ec, tls);
  co_await writeAndRead(stream, req, on_data, out);
  // No TLS shutdown: the request said Connection: close and the answer is complete (or no
  // longer wanted).
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
}

std::string hintFor(std::string_view reason, std::chrono::milliseconds timeout) {
  if (reason == transport_reason::kRefused) return "nothing listens there: is the server running and the port right?";
  if (reason == transport_reason::kDns) return "the host name does not resolve: check the server URL";
  if (reason == transport_reason::kTimeout)
    return "no answer within " + std::to_string(timeout.count()) + " ms: a firewall may drop the traffic, or the server is overloaded";
  if (reason == transport_reason::kReset) return "the server closed the connection; retrying may help";
  if (reason == transport_reason::kTls)
    return "the server ended the TLS session; if it wants a client certificate, check client-certificate(-data)";
  return "";
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (beast::iequals(h.name, beast::string_view(name.data(), name.size()))) return h.value;
  return "";
}

Result<HttpClient> HttpClient::create(const TlsOptions& tls, std::chrono::milliseconds timeout) {
  auto impl = std::make_shared<Impl>();
  impl->tls = tls;
  impl->timeout = timeout;
  if (auto err = configureContext(impl->ctx, tls)) return *err;
  return HttpClient(std::move(impl));
}

std::chrono::milliseconds HttpClient::timeout() const { return impl_->timeout; }

Result<HttpResponse> HttpClient::send(const HttpRequest& request) const { return exchange(request, impl_->timeout, nullptr); }

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, std::chrono::milliseconds deadline,
                                        const std::function<bool(std::string_view)>& on_data) const {
  return exchange(request, deadline, &on_data);
}

Result<HttpResponse> HttpClient::exchange(const HttpRequest& request, std::chrono::milliseconds deadline,
                                          const std::function<bool(std::string_view)>* on_data) const {
  auto url = parseUrl(request.url);
  if (!url) return url.error();
  Exchange out;
  std::exception_ptr thrown;
  asio::io_context io;
  asio::co_spawn(io, run(impl_->ctx, impl_->tls, *url, toBeast(request, *url), SteadyClock::now() + deadline, on_data, out),
                 [&thrown](std::exception_ptr e) { thrown = std::move(e); });
  io.run();
  if (out.sink_thrown) std::rethrow_exception(out.sink_thrown);
  if (out.response) return std::move(*out.response);
  if (thrown) {
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      out.step = "send";
      out.detail = e.what();
      out.reason = transport_reason::kNetwork;
    }
  }
  Error err{Error::Kind::Unreachable, 0, request.method, request.url, std::string(out.reason),
            out.step + ": " + out.detail, out.hint};
  if (err.hint.empty()) err.hint = hintFor(out.reason, deadline);
  return err;
}

}  // namespace meshtwin::kube
