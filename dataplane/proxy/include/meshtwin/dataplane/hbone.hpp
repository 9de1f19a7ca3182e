// HBONE: HTTP/2 CONNECT over mutual TLS 1.3 (ALPN h2) to port 15008. The client side is a
// connection pool keyed by (source identity, destination identity, address) with at most
// N streams per connection and idle release; the server side accepts TLS, dispatches by
// ALPN and hands each CONNECT stream, with the verified peer identity, to a handler.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/h2.hpp"
#include "meshtwin/dataplane/tls.hpp"

namespace meshtwin::dataplane {

using TlsStream = asio::ssl::stream<tcp::socket>;

// Istio's response_flags values for TCP metrics (ztunnel's src/proxy/metrics.rs).
namespace flags {
inline constexpr const char* kNone = "-";
inline constexpr const char* kDeny = "DENY";
inline constexpr const char* kConnect = "CONNECT";
inline constexpr const char* kTlsFailure = "TLS_FAILURE";
inline constexpr const char* kH2HandshakeFailure = "H2_HANDSHAKE_FAILURE";
inline constexpr const char* kIdentityError = "IDENTITY_ERROR";
}  // namespace flags

// A one-shot event several coroutines can wait for.
class Event {
 public:
  explicit Event(Executor ex) : timer_(std::move(ex), asio::steady_timer::time_point::max()) {}
  void set() {
    set_ = true;
    timer_.cancel();
  }
  [[nodiscard]] bool isSet() const { return set_; }
  Task<void> wait();

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

// Copies both directions between a socket and a stream until both ends finish; an end of
// stream on one side becomes a half-close on the other. `on_bytes(to_stream, n)` is called
// per chunk so live byte counters stay current.
struct SpliceResult {
  std::uint64_t socket_to_stream = 0;
  std::uint64_t stream_to_socket = 0;
  std::string error;  // empty when both sides ended cleanly
};
using ByteCallback = std::function<void(bool socket_to_stream, std::size_t n)>;
Task<SpliceResult> splice(tcp::socket& socket, H2Stream& stream, ByteCallback on_bytes = {});
Task<SpliceResult> splice(tcp::socket& socket, TlsStream& tls, ByteCallback on_bytes = {});
Task<SpliceResult> splice(tcp::socket& socket, tcp::socket& other, ByteCallback on_bytes = {});

// Where an HBONE stream goes: the peer's HBONE address, the inner :authority (the
// destination pod's ip:port, or a service's for a waypoint) and who the peer must be.
struct HboneTarget {
  tcp::endpoint address;
  std::string authority;
  WorkloadIdentity expected_peer;
};

struct HboneRequestInfo {
  std::string forwarded_for;  // the original client's address, for `forwarded: for="..."`
  std::string host;           // the destination service's hostname, when known
  std::string baggage;        // k8s.namespace.name=...,k8s.deployment.name=...,...
};

// The traceparent header ztunnel puts on each CONNECT: random, not correlated with the
// application's own tracing.
class TraceparentSource {
 public:
  std::string operator()();

 private:
  std::mt19937_64 rng_{std::random_device{}()};
};

struct PoolOptions {
  std::uint32_t max_streams_per_connection = 100;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // The local address every connection binds (port 0) before connecting; absent: the kernel
  // picks. A client outside the cluster (meshtwin-load as the ingress) sends from its own IP.
  std::optional<asio::ip::address> bind_address;
  H2Options h2;
};

struct PoolStats {
  std::size_t connections = 0;
  std::size_t streams = 0;
  std::uint64_t handshakes = 0;
  std::uint64_t released_idle = 0;
};

class HbonePool {
 public:
  HbonePool(Executor ex, PoolOptions options) : ex_(std::move(ex)), options_(options) {}
  // The client context used for streams from `source` (its certificate); replaced on rotation.
  void setClientContext(const WorkloadIdentity& source, std::shared_ptr<TlsContext> ctx);
  // Opens a CONNECT stream, reusing a pooled connection with room. On failure the Error's
  // `code` is a response_flags value (CONNECT, TLS_FAILURE, IDENTITY_ERROR, DENY, ...).
  Task<Result<std::shared_ptr<H2Stream>>> connect(const WorkloadIdentity& source, const HboneTarget& target,
                                                  const HboneRequestInfo& info);
  [[nodiscard]] PoolStats stats() const;
  void closeAll();

 private:
  struct Entry {
    std::vector<std::shared_ptr<H2Connection>> connections;
    std::shared_ptr<Event> connecting;  // set while a new connection is being made
  };
  Task<Result<std::shared_ptr<H2Connection>>> dial(const WorkloadIdentity& source, const HboneTarget& target);
  std::shared_ptr<H2Connection> withRoom(Entry& e) const;
  void armIdleRelease(const std::weak_ptr<H2Connection>& weak);

  Executor ex_;
  PoolOptions options_;
  std::map<std::string, std::shared_ptr<TlsContext>> client_ctx_;  // by source URI
  std::map<std::string, Entry> entries_;                           // by pool key
  std::uint64_t handshakes_ = 0;
  std::uint64_t released_idle_ = 0;
  // Idle-release timers still waiting; closeAll cancels them, so a pool's owner does not wait
  // out the idle timeout (an io_context::run that should return).
  std::vector<std::weak_ptr<asio::steady_timer>> idle_timers_;
  TraceparentSource traceparent_;
};

// A TLS listener. Each accepted connection is handshaken with the context the selector picks
// (ztunnel serves the certificate of the pod the listener belongs to); then by ALPN: "h2"
// starts an HTTP/2 server whose streams go to `on_stream`, "istio" hands the TLS stream to
// `on_raw`. A failed handshake goes to `on_failure` with the reason.
struct TlsAcceptHandlers {
  std::function<void(std::shared_ptr<H2Stream>, const WorkloadIdentity& peer, const tcp::endpoint& remote)> on_stream;
  std::function<Task<void>(std::shared_ptr<TlsStream>, const WorkloadIdentity& peer, const tcp::endpoint& remote)> on_raw;
  std::function<void(const tcp::endpoint& remote, const std::string& flag, const std::string& why)> on_failure;
};

class TlsListener : public std::enable_shared_from_this<TlsListener> {
 public:
  static Result<std::shared_ptr<TlsListener>> bind(Executor ex, const tcp::endpoint& at,
                                                    std::shared_ptr<TlsContext> ctx, TlsAcceptHandlers handlers,
                                                    H2Options h2 = {});
  void start();
  void stop();  // stops accepting; established connections go on
  void setContext(std::shared_ptr<TlsContext> ctx) { ctx_ = std::move(ctx); }
  [[nodiscard]] tcp::endpoint address() const { return address_; }

 private:
  TlsListener(Executor ex, tcp::acceptor acceptor, std::shared_ptr<TlsContext> ctx, TlsAcceptHandlers h, H2Options o)
      : ex_(std::move(ex)), acceptor_(std::move(acceptor)), ctx_(std::move(ctx)), handlers_(std::move(h)), h2_(o) {}
  Task<void> acceptLoop();
  Task<void> serve(tcp::socket socket);

  Executor ex_;
  tcp::acceptor acceptor_;
  std::shared_ptr<TlsContext> ctx_;
  TlsAcceptHandlers handlers_;
  H2Options h2_;
  tcp::endpoint address_;
};

// Binds a plain TCP acceptor with SO_REUSEADDR; errors name the address.
Result<tcp::acceptor> bindAcceptor(Executor ex, const tcp::endpoint& at, const std::string& purpose);

// Opens `s` for connecting to `to`, bound to `from` (port 0) when given; the error is the
// bind's ("" when fine), to be named with the address by the caller.
std::string openBound(tcp::socket& s, const tcp::endpoint& to, const std::optional<asio::ip::address>& from);

// The destination a redirected connection was addressed to, as getsockopt(SO_ORIGINAL_DST)
// (IPv4) or IP6T_SO_ORIGINAL_DST (IPv6) reports it; the error says what to check. Redirect
// mode (the ztunnel's and the sidecar's) reads it on every accepted connection.
Result<tcp::endpoint> originalDestination(tcp::socket& s);

// A short summary of a failed HbonePool::connect, without addresses, for counting failures
// by kind: "hbone: 401 DENY" (the peer's answer to CONNECT and its response_flags),
// "tls: <why>" (handshake, verification, ALPN, peer identity), "hbone connect: <why>" (TCP).
std::string hboneFailureKind(const Error& e);

// `forwarded: for="1.2.3.4:5"` (`;host=...` when known), as ztunnel's build_forwarded.
std::string forwardedHeader(const HboneRequestInfo& info);

}  // namespace meshtwin::dataplane
