// HTTP/2 over any byte transport with nghttp2, on Boost.Asio: a connection that multiplexes
// streams, and each stream as an Asio byte stream (AsyncReadStream + AsyncWriteStream), so an
// HBONE CONNECT tunnel can be spliced to a socket and Beast can parse HTTP/1.1 inside it.
// Single-threaded: a connection and its streams live on one executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/dataplane/asio.hpp"

struct nghttp2_session;

namespace meshtwin::dataplane {

struct HeaderField {
  std::string name;  // lower case; pseudo-headers start with ':'
  std::string value;
};
using Headers = std::vector<HeaderField>;
// The first value of `name`, or nullopt.
std::optional<std::string_view> findHeader(const Headers& h, std::string_view name);

// The bytes a connection reads and writes: a TLS stream, a TCP socket or another H2 stream.
struct Transport {
  std::function<Task<std::size_t>(asio::mutable_buffer)> read;  // throws on error, 0 never returned
  std::function<Task<void>(asio::const_buffer)> write;
  std::function<void()> close;  // abort: wake pending reads and writes with an error
};
template <class Stream>
Transport transportOf(std::shared_ptr<Stream> s) {
  return Transport{
      [s](asio::mutable_buffer b) -> Task<std::size_t> { co_return co_await s->async_read_some(b, kUseTask); },
      [s](asio::const_buffer b) -> Task<void> { co_await asio::async_write(*s, b, kUseTask); },
      [s] {
        ErrorCode ignored;
        s->lowest_layer().close(ignored);
      }};
}

class H2Connection;
struct H2Callbacks;

// A completion waiting in a stream (a read for data, a write for buffer space). Type-erased
// because Asio 1.74 has no any_completion_handler.
struct PendingOp {
  virtual ~PendingOp() = default;
  virtual void complete(ErrorCode ec, std::size_t n) = 0;
};

// One HTTP/2 stream. Reading yields the peer's DATA and then asio::error::eof after its
// END_STREAM; a reset stream yields asio::error::connection_reset. Writing queues DATA,
// completing at once unless more than a high-water mark is queued (backpressure).
class H2Stream : public std::enable_shared_from_this<H2Stream> {
 public:
  using executor_type = Executor;
  H2Stream(std::weak_ptr<H2Connection> conn, Executor ex) : conn_(std::move(conn)), ex_(std::move(ex)) {}
  H2Stream(const H2Stream&) = delete;
  H2Stream& operator=(const H2Stream&) = delete;
  ~H2Stream() = default;

  [[nodiscard]] executor_type get_executor() const { return ex_; }
  [[nodiscard]] std::int32_t id() const { return id_; }
  // The request (server side: received; client side: sent) and the response.
  [[nodiscard]] const Headers& request() const { return request_; }
  [[nodiscard]] const Headers& response() const { return response_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] std::uint32_t resetCode() const { return reset_code_; }
  [[nodiscard]] std::uint64_t bytesReceived() const { return bytes_received_; }
  [[nodiscard]] std::uint64_t bytesSent() const { return bytes_sent_; }

  // Client: waits for the response headers; returns the :status, or throws when the stream
  // or connection fails first.
  Task<int> awaitResponse();
  // Server: sends the response headers; `end_stream` for a response without body.
  void respond(int status, const Headers& extra = {}, bool end_stream = false);
  // Sends END_STREAM after what is queued (a TCP half-close through the tunnel).
  void shutdownWrite();
  // RST_STREAM with `code` (NGHTTP2_CANCEL by default).
  void reset(std::uint32_t code = 0x8);

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(ErrorCode, std::size_t)>(
        [this](auto handler, const MutableBufferSequence& bufs) {
          std::vector<asio::mutable_buffer> v(asio::buffer_sequence_begin(bufs), asio::buffer_sequence_end(bufs));
          startRead(std::move(v), wrap(std::move(handler)));
        },
        token, buffers);
  }
  // Completes (with 0 bytes) once a read would not wait: data, the peer's end, or a reset.
  // Lets a reader hold no buffer while the stream is idle.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return asio::async_initiate<Token, void(ErrorCode, std::size_t)>(
        [this](auto handler) {
          wait_only_ = true;
          startRead({}, wrap(std::move(handler)));
        },
        token);
  }
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(ErrorCode, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& bufs) {
          std::string data;
          data.reserve(asio::buffer_size(bufs));
          for (auto it = asio::buffer_sequence_begin(bufs); it != asio::buffer_sequence_end(bufs); ++it) {
            const asio::const_buffer b = *it;  // Beast's iterators have no operator->
            data.append(static_cast<const char*>(b.data()), b.size());
          }
          startWrite(std::move(data), wrap(std::move(handler)));
        },
        token, buffers);
  }

 private:
  friend class H2Connection;
  friend struct H2Callbacks;
  template <class Handler>
  std::unique_ptr<PendingOp> wrap(Handler&& h) {
    struct Op final : PendingOp {
      Op(Handler&& hh, Executor ex) : h(std::move(hh)), work(asio::make_work_guard(asio::get_associated_executor(h, ex))) {}
      void complete(ErrorCode ec, std::size_t n) override {
        auto ex = work.get_executor();
        asio::post(ex, [h = std::move(h), ec, n]() mutable { std::move(h)(ec, n); });
        work.reset();
      }
      Handler h;
      asio::executor_work_guard<asio::associated_executor_t<Handler, Executor>> work;
    };
    return std::make_unique<Op>(std::forward<Handler>(h), ex_);
  }
  void startRead(std::vector<asio::mutable_buffer> bufs, std::unique_ptr<PendingOp> op);
  void startWrite(std::string data, std::unique_ptr<PendingOp> op);
  // From the connection:
  void onData(const std::uint8_t* data, std::size_t len);
  void onPeerEnd();
  void onClosed(std::uint32_t code);
  void onResponseHeaders();
  void dropPending();  // destroys waiting completions without running them
  void serveRead();
  // Copies queued DATA into nghttp2's frame buffer.
  std::size_t pullSend(std::uint8_t* buf, std::size_t len, std::uint32_t* flags, bool* deferred);

  std::weak_ptr<H2Connection> conn_;
  Executor ex_;
  std::int32_t id_ = -1;
  Headers request_, response_;
  bool response_received_ = false;
  std::unique_ptr<asio::steady_timer> response_wait_;
  // Receive side: bytes not yet read by the consumer, and whether the peer ended.
  std::string recv_;
  std::size_t recv_off_ = 0;
  bool peer_ended_ = false;
  std::vector<asio::mutable_buffer> read_bufs_;
  bool wait_only_ = false;  // the pending read only waits for readability
  std::unique_ptr<PendingOp> read_op_;
  // Send side.
  std::string send_;
  std::size_t send_off_ = 0;
  bool write_shutdown_ = false;
  bool data_deferred_ = false;
  bool data_started_ = false;  // a data provider is attached (request or response submitted with one)
  std::unique_ptr<PendingOp> write_op_;
  std::size_t write_op_size_ = 0;
  bool closed_ = false;
  std::uint32_t reset_code_ = 0;
  std::uint64_t bytes_received_ = 0, bytes_sent_ = 0;
};

struct H2Options {
  std::uint32_t max_concurrent_streams = 100;  // what this side accepts (server) and uses (pool)
  std::int32_t stream_window = 1 << 20;        // receive window per stream, bytes
  std::int32_t connection_window = 8 << 20;    // receive window per connection, bytes
};

// One HTTP/2 connection. Create, then start(); a server calls `on_request` once for each new
// stream whose request headers are complete (the handler then responds and reads/writes).
class H2Connection : public std::enable_shared_from_this<H2Connection> {
 public:
  enum class Role { Client, Server };
  using RequestHandler = std::function<void(std::shared_ptr<H2Stream>)>;

  static std::shared_ptr<H2Connection> create(Executor ex, Role role, Transport transport, H2Options options = {},
                                              RequestHandler on_request = {});
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;
  ~H2Connection();

  // Sends the preface and settings and spawns the read and write loops.
  void start();
  // Client: opens a stream with `headers` (pseudo-headers first); the request has a body
  // stream (CONNECT tunnels and requests with bodies) unless `end_stream`.
  std::shared_ptr<H2Stream> open(const Headers& headers, bool end_stream = false);
  // GOAWAY, then close once the streams finish.
  void shutdown();
  // Close now: every stream fails.
  void abort(const std::string& why);

  [[nodiscard]] bool alive() const { return !dead_; }
  [[nodiscard]] bool goingAway() const { return going_away_; }
  [[nodiscard]] std::size_t activeStreams() const { return streams_.size(); }
  [[nodiscard]] std::uint32_t peerMaxConcurrentStreams() const;
  [[nodiscard]] std::chrono::steady_clock::time_point idleSince() const { return idle_since_; }
  [[nodiscard]] const std::string& closeReason() const { return close_reason_; }
  [[nodiscard]] const Executor& executor() const { return ex_; }
  // Called once when the connection is gone (after abort, peer close or shutdown).
  void onClosed(std::function<void()> fn) { on_closed_ = std::move(fn); }
  // Called when the last stream closes (the pool's idle timer).
  void onIdle(std::function<void()> fn) { on_idle_ = std::move(fn); }

 private:
  friend class H2Stream;
  friend struct H2Callbacks;
  H2Connection(Executor ex, Role role, Transport transport, H2Options options, RequestHandler on_request);
  Task<void> readLoop();
  Task<void> writeLoop();
  void wake();
  void finish(const std::string& why);
  void submitData(H2Stream& s);
  void resume(H2Stream& s);
  void consume(H2Stream& s, std::size_t n);
  void streamClosed(std::int32_t id, std::uint32_t code);

  Executor ex_;
  Role role_;
  Transport transport_;
  H2Options options_;
  RequestHandler on_request_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::shared_ptr<H2Stream>> streams_;
  asio::steady_timer wake_;
  bool dead_ = false;
  bool going_away_ = false;
  bool started_ = false;
  std::string close_reason_;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
  std::function<void()> on_closed_, on_idle_;
};

}  // namespace meshtwin::dataplane
