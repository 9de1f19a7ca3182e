// HBONE client pool, TLS listener and the byte splice between a socket and a tunnel.
#include "meshtwin/dataplane/hbone.hpp"

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace meshtwin::dataplane {

Task<void> Event::wait() {
  while (!set_) {
    ErrorCode ec;
    co_await timer_.async_wait(asio::redirect_error(kUseTask, ec));
  }
}

std::string TraceparentSource::operator()() {
  // 00-<32 hex trace id>-<16 hex parent id>-00: random per connection, as ztunnel's TraceParent.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "00-";
  auto hex = [&](int digits) {
    for (int i = 0; i < digits; i += 16) {
      std::uint64_t r = rng_();
      for (int j = 0; j < 16 && i + j < digits; ++j, r >>= 4) out += kHex[r & 0xF];
    }
  };
  hex(32);
  out += '-';
  hex(16);
  out += "-00";
  return out;
}

namespace {
// The cause of a CONNECT the peer refused, followed by its status (hboneFailureKind reads it).
const std::string kPeerAnswered = "the peer answered ";
}  // namespace

std::string hboneFailureKind(const Error& e) {
  if (e.code == flags::kTlsFailure || e.code == flags::kIdentityError || e.code == flags::kH2HandshakeFailure)
    return "tls: " + e.cause;
  if (e.what == "HBONE CONNECT" && e.cause.rfind(kPeerAnswered, 0) == 0)
    return "hbone: " + e.cause.substr(kPeerAnswered.size()) + " " + e.code;
  if (e.what == "HBONE CONNECT") return "hbone: " + e.cause;
  return "hbone connect: " + e.cause;
}

std::string forwardedHeader(const HboneRequestInfo& info) {
  std::string out = "for=\"" + info.forwarded_for + "\"";
  if (!info.host.empty()) out += ";host=" + info.host;
  return out;
}

Result<tcp::acceptor> bindAcceptor(Executor ex, const tcp::endpoint& at, const std::string& purpose) {
  tcp::acceptor a(ex);
  ErrorCode ec;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{"listen", purpose + " on " + toString(at), ec.message(),
                 at.port() == 0 ? std::string() : "another process may hold the port; use port 0 for an ephemeral one"};
  }
  return a;
}

Result<tcp::endpoint> originalDestination(tcp::socket& s) {
  ErrorCode ec;
  const auto local = s.local_endpoint(ec);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const bool v6 = !ec && local.address().is_v6();
  const int rc = v6 ? ::getsockopt(s.native_handle(), SOL_IPV6, IP6T_SO_ORIGINAL_DST, &addr, &len)
                    : ::getsockopt(s.native_handle(), SOL_IP, SO_ORIGINAL_DST, &addr, &len);
  if (rc != 0) {
    return Error{"read the original destination", "connection to " + toString(local),
                 std::string("getsockopt(SO_ORIGINAL_DST): ") + std::strerror(errno),
                 "only a redirected connection has one (eBPF cgroup hooks or an iptables REDIRECT rule)"};
  }
  if (addr.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &addr, sizeof in);
    return tcp::endpoint(asio::ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port));
  }
  sockaddr_in6 in6{};
  std::memcpy(&in6, &addr, sizeof in6);
  asio::ip::address_v6::bytes_type bytes{};
  std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
  return tcp::endpoint(asio::ip::address_v6(bytes), ntohs(in6.sin6_port));
}

std::string openBound(tcp::socket& s, const tcp::endpoint& to, const std::optional<asio::ip::address>& from) {
  ErrorCode ec;
  if (s.is_open()) s.close(ec);
  s.open(to.protocol(), ec);
  if (!ec && from) s.bind(tcp::endpoint(*from, 0), ec);
  return ec ? ec.message() : std::string();
}

// ---- splice ------------------------------------------------------------------------------

namespace {

void halfClose(tcp::socket& s) {
  ErrorCode ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
}
void halfClose(H2Stream& s) { s.shutdownWrite(); }
void halfClose(TlsStream& s) {
  // TLS has no half-close that keeps reading; close_notify ends the peer's reads.
  SSL_shutdown(s.native_handle());
  ErrorCode ignored;
  s.next_layer().shutdown(tcp::socket::shutdown_send, ignored);
}
// Both pumps of a splice count down here; the second to finish wakes the splice.
struct PumpsDone {
  explicit PumpsDone(Executor ex) : event(std::move(ex)) {}
  int running = 2;
  Event event;
};

// Chunk buffers for the pumps, recycled per thread. A pump holds one only while bytes are
// moving, so an idle connection (10,000 idle HBONE streams) costs no 16 KiB buffer per direction.
constexpr std::size_t kChunk = 16384;
struct ChunkPool {
  std::vector<std::unique_ptr<char[]>> free;
  std::unique_ptr<char[]> acquire() {
    if (free.empty()) return std::make_unique_for_overwrite<char[]>(kChunk);
    auto b = std::move(free.back());
    free.pop_back();
    return b;
  }
  void release(std::unique_ptr<char[]> b) {
    if (b && free.size() < 64) free.push_back(std::move(b));
  }
};
thread_local ChunkPool chunk_pool;

// Waits until a read would not block. A socket can be asked without a buffer; a TLS or HTTP/2
// stream may already hold decoded bytes, so for those the read itself is the wait.
Task<bool> awaitReadable(tcp::socket& s, ErrorCode& ec) {
  co_await s.async_wait(tcp::socket::wait_read, asio::redirect_error(kUseTask, ec));
  co_return !ec;
}
Task<bool> awaitReadable(H2Stream& s, ErrorCode& ec) {
  co_await s.async_wait_readable(asio::redirect_error(kUseTask, ec));
  co_return !ec;
}
template <class Stream>
Task<bool> awaitReadable(Stream&, ErrorCode&) {
  co_return true;
}

template <class From, class To>
Task<void> pump(From& from, To& to, std::uint64_t& total, std::string& error, bool forward, const ByteCallback& cb,
                std::shared_ptr<PumpsDone> done, const std::function<void()>& abort_all) {
  // Sockets and HTTP/2 streams report readiness, so they take a pooled chunk only once
  // readable; a TLS stream (which may hold decoded bytes) reads into a small buffer in the frame
  // and takes a chunk only while reads fill it (a burst).
  constexpr bool kSocket = std::is_same_v<From, tcp::socket> || std::is_same_v<From, H2Stream>;
  std::array<char, kSocket ? 1 : 2048> small{};
  std::unique_ptr<char[]> chunk;
  try {
    for (;;) {
      ErrorCode ec;
      if (kSocket && !chunk) {
        co_await awaitReadable(from, ec);
        if (!ec) chunk = chunk_pool.acquire();
      }
      const auto buf = chunk ? asio::buffer(chunk.get(), kChunk) : asio::buffer(small);
      std::size_t n = 0;
      if (!ec) n = co_await from.async_read_some(buf, asio::redirect_error(kUseTask, ec));
      if (ec == asio::error::eof || (ec && n == 0 && ec == asio::ssl::error::stream_truncated)) {
        halfClose(to);
        break;
      }
      if (ec) throw boost::system::system_error(ec);
      co_await asio::async_write(to, asio::buffer(buf.data(), n), kUseTask);
      total += n;
      if (cb) cb(forward, n);
      if (n == buf.size() && !chunk) {
        chunk = chunk_pool.acquire();
      } else if (n < buf.size() && chunk) {
        chunk_pool.release(std::move(chunk));
      }
    }
  } catch (const boost::system::system_error& e) {
    if (error.empty()) error = e.code().message();
    abort_all();  // one side failed: tear both down so the other pump ends too
  }
  chunk_pool.release(std::move(chunk));
  if (--done->running == 0) done->event.set();
}

template <class A, class B>
Task<SpliceResult> spliceImpl(A& a, B& b, ByteCallback on_bytes, std::function<void()> abort_all) {
  SpliceResult r;
  auto ex = co_await asio::this_coro::executor;
  auto done = std::make_shared<PumpsDone>(ex);
  asio::co_spawn(ex, pump(a, b, r.socket_to_stream, r.error, true, on_bytes, done, abort_all), asio::detached);
  asio::co_spawn(ex, pump(b, a, r.stream_to_socket, r.error, false, on_bytes, done, abort_all), asio::detached);
  co_await done->event.wait();
  co_return r;
}

void closeSocket(tcp::socket& s) {
  ErrorCode ignored;
  s.close(ignored);
}

}  // namespace

Task<SpliceResult> splice(tcp::socket& socket, H2Stream& stream, ByteCallback on_bytes) {
  co_return co_await spliceImpl(socket, stream, std::move(on_bytes), [&] {
    closeSocket(socket);
    stream.reset();
  });
}

Task<SpliceResult> splice(tcp::socket& socket, TlsStream& tls, ByteCallback on_bytes) {
  co_return co_await spliceImpl(socket, tls, std::move(on_bytes), [&] {
    closeSocket(socket);
    closeSocket(tls.next_layer());
  });
}

Task<SpliceResult> splice(tcp::socket& socket, tcp::socket& other, ByteCallback on_bytes) {
  co_return co_await spliceImpl(socket, other, std::move(on_bytes), [&] {
    closeSocket(socket);
    closeSocket(other);
  });
}

// ---- client pool -------------------------------------------------------------------------

void HbonePool::setClientContext(const WorkloadIdentity& source, std::shared_ptr<TlsContext> ctx) {
  client_ctx_[source.uri()] = std::move(ctx);
}

std::shared_ptr<H2Connection> HbonePool::withRoom(Entry& e) const {
  for (auto& c : e.connections) {
    if (!c->alive() || c->goingAway()) continue;
    const auto limit = std::min<std::size_t>(options_.max_streams_per_connection, c->peerMaxConcurrentStreams());
    if (c->activeStreams() < limit) return c;
  }
  return nullptr;
}

Task<Result<std::shared_ptr<H2Connection>>> HbonePool::dial(const WorkloadIdentity& source, const HboneTarget& target) {
  const std::string what = "HBONE connect";
  const std::string object = toString(target.address) + " (" + target.expected_peer.uri() + ")";
  auto ctx_it = client_ctx_.find(source.uri());
  if (ctx_it == client_ctx_.end()) {
    co_return Error{what, object, "no certificate for source identity " + source.uri(),
                    "the CA issues this node's ztunnel only identities of pods on the node", flags::kIdentityError};
  }
  auto ctx = ctx_it->second;
  auto stream = std::make_shared<TlsStream>(ex_, ctx->ssl);
  asio::steady_timer deadline(ex_, options_.connect_timeout);
  bool timed_out = false;
  deadline.async_wait([&, stream](ErrorCode ec) {
    if (!ec) {
      timed_out = true;
      ErrorCode ignored;
      stream->next_layer().close(ignored);
    }
  });
  if (const auto bound = openBound(stream->next_layer(), target.address, options_.bind_address); !bound.empty()) {
    deadline.cancel();
    co_return Error{what, object, "bind " + options_.bind_address->to_string() + ": " + bound,
                    "the source address must be one of this host's", flags::kConnect};
  }
  ErrorCode ec;
  co_await stream->next_layer().async_connect(target.address, asio::redirect_error(kUseTask, ec));
  if (ec) {
    deadline.cancel();
    co_return Error{what, object, timed_out ? "connection timed out" : ec.message(),
                    "is the peer's HBONE port reachable? A NetworkPolicy must allow port 15008", flags::kConnect};
  }
  stream->next_layer().set_option(tcp::no_delay(true));
  co_await stream->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(kUseTask, ec));
  deadline.cancel();
  ++handshakes_;
  if (ec) {
    std::string why = verifyFailure(stream->native_handle());
    if (why.empty()) why = "TLS handshake: " + (timed_out ? std::string("timed out") : ec.message());
    ERR_clear_error();
    co_return Error{what, object, why, "both sides need certificates from the mesh root, with clocks in sync",
                    flags::kTlsFailure};
  }
  if (negotiatedAlpn(stream->native_handle()) != kAlpnH2) {
    co_return Error{what, object, "the peer did not negotiate ALPN h2", "the peer's 15008 must speak HBONE",
                    flags::kH2HandshakeFailure};
  }
  auto peer = peerIdentity(stream->native_handle());
  if (!peer) co_return Error{what, object, peer.error().cause, {}, flags::kTlsFailure};
  if (peer.value() != target.expected_peer) {
    co_return Error{what, object, "the peer presented " + peer->uri() + ", expected " + target.expected_peer.uri(),
                    "the address may belong to another workload now (a reused pod IP?)", flags::kIdentityError};
  }
  auto conn = H2Connection::create(ex_, H2Connection::Role::Client, transportOf(stream), options_.h2);
  conn->start();
  co_return conn;
}

Task<Result<std::shared_ptr<H2Stream>>> HbonePool::connect(const WorkloadIdentity& source, const HboneTarget& target,
                                                           const HboneRequestInfo& info) {
  const std::string key = source.uri() + "|" + target.expected_peer.uri() + "|" + toString(target.address);
  std::shared_ptr<H2Connection> conn;
  for (;;) {
    Entry& e = entries_[key];
    if ((conn = withRoom(e))) break;
    if (e.connecting) {  // someone is dialling for this key: wait for that connection
      auto ev = e.connecting;
      co_await ev->wait();
      continue;
    }
    const auto ev = std::make_shared<Event>(ex_);
    e.connecting = ev;
    auto dialled = co_await dial(source, target);
    // closeAll may have emptied the pool during the dial: the entry is looked up again.
    Entry& e2 = entries_[key];
    if (e2.connecting == ev) e2.connecting.reset();
    ev->set();
    if (!dialled) co_return dialled.error();
    conn = dialled.value();
    e2.connections.push_back(conn);
    std::weak_ptr<H2Connection> weak = conn;
    conn->onClosed([this, key, weak] {
      auto it = entries_.find(key);
      if (it == entries_.end()) return;
      auto& v = it->second.connections;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& c) { return c == weak.lock() || !c->alive(); }), v.end());
      if (v.empty() && !it->second.connecting) entries_.erase(it);
    });
    conn->onIdle([this, weak] { armIdleRelease(weak); });
    break;
  }
  Headers h{{":method", "CONNECT"}, {":authority", target.authority}};
  h.push_back({"forwarded", forwardedHeader(info)});
  if (!info.baggage.empty()) h.push_back({"baggage", info.baggage});
  h.push_back({"traceparent", traceparent_()});
  auto stream = conn->open(h);
  try {
    const int status = co_await stream->awaitResponse();
    if (status == 200) co_return stream;
    stream->reset();
    const char* flag = status == 401 || status == 403 ? flags::kDeny : flags::kConnect;
    co_return Error{"HBONE CONNECT", target.authority + " via " + toString(target.address),
                    kPeerAnswered + std::to_string(status),
                    status == 401 ? "an authorization policy at the destination denies this source" : std::string(),
                    flag};
  } catch (const boost::system::system_error& e) {
    co_return Error{"HBONE CONNECT", target.authority + " via " + toString(target.address),
                    std::string(e.what()) + (conn->alive() ? std::string() : "; connection: " + conn->closeReason()),
                    {}, flags::kConnect};
  }
}

void HbonePool::armIdleRelease(const std::weak_ptr<H2Connection>& weak) {
  // The notice is posted: the connection may have died since (closeAll), and needs no timer.
  if (const auto c = weak.lock(); !c || !c->alive()) return;
  auto timer = std::make_shared<asio::steady_timer>(ex_, options_.idle_timeout);
  std::erase_if(idle_timers_, [](const auto& t) { return t.expired(); });
  idle_timers_.push_back(timer);
  timer->async_wait([this, weak, timer](ErrorCode ec) {
    auto conn = weak.lock();
    if (ec || !conn || !conn->alive() || conn->activeStreams() > 0) return;
    if (std::chrono::steady_clock::now() - conn->idleSince() < options_.idle_timeout) return;
    ++released_idle_;
    conn->shutdown();
  });
}

PoolStats HbonePool::stats() const {
  PoolStats s;
  for (const auto& [key, e] : entries_) {
    for (const auto& c : e.connections) {
      if (!c->alive()) continue;
      ++s.connections;
      s.streams += c->activeStreams();
    }
  }
  s.handshakes = handshakes_;
  s.released_idle = released_idle_;
  return s;
}

void HbonePool::closeAll() {
  auto entries = std::move(entries_);
  entries_.clear();
  for (auto& [key, e] : entries) {
    for (auto& c : e.connections) c->abort("pool closed");
  }
  for (auto& weak : idle_timers_) {
    if (auto t = weak.lock()) t->cancel();
  }
  idle_timers_.clear();
}

// ---- TLS listener ------------------------------------------------------------------------

Result<std::shared_ptr<TlsListener>> TlsListener::bind(Executor ex, const tcp::endpoint& at,
                                                        std::shared_ptr<TlsContext> ctx, TlsAcceptHandlers handlers,
                                                        H2Options h2) {
  auto acceptor = bindAcceptor(ex, at, "HBONE listener");
  if (!acceptor) return acceptor.error();
  auto l = std::shared_ptr<TlsListener>(
      new TlsListener(std::move(ex), std::move(acceptor.value()), std::move(ctx), std::move(handlers), h2));
  l->address_ = l->acceptor_.local_endpoint();
  return l;
}

void TlsListener::start() {
  auto self = shared_from_this();
  asio::co_spawn(ex_, [self]() { return self->acceptLoop(); }, asio::detached);
}

void TlsListener::stop() {
  ErrorCode ignored;
  acceptor_.close(ignored);
}

Task<void> TlsListener::acceptLoop() {
  auto self = shared_from_this();
  for (;;) {
    ErrorCode ec;
    tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE: keep serving what is open
    asio::co_spawn(ex_, serve(std::move(s)), asio::detached);
  }
}

Task<void> TlsListener::serve(tcp::socket socket) {
  auto self = shared_from_this();
  ErrorCode ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  socket.set_option(tcp::no_delay(true), ec);
  auto ctx = ctx_;
  auto tls = std::make_shared<TlsStream>(std::move(socket), ctx->ssl);
  co_await tls->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(kUseTask, ec));
  if (ec) {
    std::string why = verifyFailure(tls->native_handle());
    if (why.empty()) {
      why = ec.message();
      if (ec.category() == asio::error::get_ssl_category() && (ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_WRONG_VERSION_NUMBER ||
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST))
        why = "not TLS (plaintext on the HBONE port?): " + why;
    }
    ERR_clear_error();
    if (handlers_.on_failure) handlers_.on_failure(remote, flags::kTlsFailure, why);
    ErrorCode ignored;
    tls->next_layer().close(ignored);
    co_return;
  }
  auto peer = peerIdentity(tls->native_handle());
  if (!peer) {
    if (handlers_.on_failure) handlers_.on_failure(remote, flags::kTlsFailure, peer.error().cause);
    co_return;
  }
  const std::string alpn = negotiatedAlpn(tls->native_handle());
  if (alpn == kAlpnH2 && handlers_.on_stream) {
    auto handler = handlers_.on_stream;
    const WorkloadIdentity id = peer.value();
    auto conn = H2Connection::create(ex_, H2Connection::Role::Server, transportOf(tls), h2_,
                                     [handler, id, remote](std::shared_ptr<H2Stream> s) { handler(std::move(s), id, remote); });
    conn->start();
  } else if (alpn == kAlpnIstio && handlers_.on_raw) {
    co_await handlers_.on_raw(tls, peer.value(), remote);
  } else {
    if (handlers_.on_failure) handlers_.on_failure(remote, flags::kH2HandshakeFailure, "unexpected ALPN '" + alpn + "'");
    ErrorCode ignored;
    tls->next_layer().close(ignored);
  }
}

}  // namespace meshtwin::dataplane
