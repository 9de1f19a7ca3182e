// The transport under the Kubernetes and Prometheus clients: one HTTP/1.1 request over
// Boost.Beast, plain or TLS (CA, SNI, host name check, client certificate), within a deadline,
// its body read whole or streamed to the caller as it arrives (a watch).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/kube/error.hpp"

namespace meshtwin::kube {

struct TlsOptions {
  std::string ca_pem;                 // trusted CAs (PEM, one or more); empty: the system's
  bool insecure_skip_verify = false;  // no certificate or name check at all
  std::string server_name;            // SNI and the name checked; empty: the URL's host
  std::string client_cert_pem;        // with client_key_pem: mutual TLS
  std::string client_key_pem;
};

struct Header {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path?query
  std::vector<Header> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  // stream() only: why a 2xx body stopped before its end ("read the stream: end of stream", the
  // deadline), "" when it ended as the server meant it to or on_data stopped it.
  std::string stream_error{};
  // The first header of that name (case-insensitive), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

// Error reasons of Kind::Unreachable, so callers can decide what to retry.
namespace transport_reason {
inline constexpr std::string_view kDns = "DNS";
inline constexpr std::string_view kRefused = "ConnectionRefused";
inline constexpr std::string_view kReset = "ConnectionReset";  // reset or closed before a response
inline constexpr std::string_view kTimeout = "Timeout";
inline constexpr std::string_view kTls = "TLS";
inline constexpr std::string_view kNetwork = "Network";
}  // namespace transport_reason

// Immutable after create(); send() may be called from several threads at once (each request
// has its own connection and I/O context).
class HttpClient {
 public:
  // Fails (Kind::Config) when a PEM does not load; the message carries OpenSSL's reason.
  static Result<HttpClient> create(const TlsOptions& tls, std::chrono::milliseconds timeout);

  // Connect, TLS handshake, write and read, all within the timeout. Any HTTP status is a
  // response; only "nothing usable came back" is an Error (Kind::Unreachable).
  [[nodiscard]] Result<HttpResponse> send(const HttpRequest& request) const;

  // The same within `deadline`, but a 2xx body is not kept: each piece goes to on_data as it
  // arrives (no framing: a piece may hold part of a line or several) until the body ends, the
  // deadline passes or on_data returns false. The response has the status and headers, and
  // stream_error when the stream broke. Any other status is read whole into the body, without
  // on_data, so it can be decoded as an error. What on_data throws is thrown from here.
  [[nodiscard]] Result<HttpResponse> stream(const HttpRequest& request, std::chrono::milliseconds deadline,
                                            const std::function<bool(std::string_view)>& on_data) const;

  [[nodiscard]] std::chrono::milliseconds timeout() const;

 private:
  struct Impl;
  explicit HttpClient(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  [[nodiscard]] Result<HttpResponse> exchange(const HttpRequest& request, std::chrono::milliseconds deadline,
                                              const std::function<bool(std::string_view)>* on_data) const;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace meshtwin::kube
