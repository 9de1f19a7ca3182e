// HTTP/2 connections and streams over nghttp2's memory API: nghttp2 parses what the read
// loop feeds it and produces what the write loop sends; streams buffer DATA both ways and
// give the receive window back only as the consumer reads (backpressure end to end).
#include "meshtwin/dataplane/h2.hpp"

#include <array>
#include <limits>

#include <nghttp2/nghttp2.h>

namespace meshtwin::dataplane {
namespace {

// Queued outbound DATA above which a writer waits.
constexpr std::size_t kHighWater = 256 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;

std::vector<nghttp2_nv> toNv(const Headers& h) {
  std::vector<nghttp2_nv> nv;
  nv.reserve(h.size());
  for (const auto& f : h) {
    // nghttp2 copies names and values on submit, so pointing at `h` is enough.
    nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.name.data())),
                  reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.value.data())), f.name.size(), f.value.size(),
                  NGHTTP2_NV_FLAG_NONE});
  }
  return nv;
}

}  // namespace

std::optional<std::string_view> findHeader(const Headers& h, std::string_view name) {
  for (const auto& f : h) {
    if (f.name == name) return std::string_view(f.value);
  }
  return std::nullopt;
}

// nghttp2's callbacks, friends of the connection.
struct H2Callbacks {
  static H2Connection& conn(void* ud) { return *static_cast<H2Connection*>(ud); }
  static H2Stream* stream(H2Connection& c, std::int32_t id) {
    auto it = c.streams_.find(id);
    return it == c.streams_.end() ? nullptr : it->second.get();
  }

  static int beginHeaders(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    auto& c = conn(ud);
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST && c.role_ == H2Connection::Role::Server) {
      auto s = std::make_shared<H2Stream>(c.weak_from_this(), c.ex_);
      s->id_ = f->hd.stream_id;
      c.streams_[s->id_] = std::move(s);
    }
    return 0;
  }

  static int header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t namelen,
                    const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* ud) {
    H2Stream* s = stream(conn(ud), f->hd.stream_id);
    if (s == nullptr || f->hd.type != NGHTTP2_HEADERS) return 0;
    HeaderField field{std::string(reinterpret_cast<const char*>(name), namelen),
                      std::string(reinterpret_cast<const char*>(value), valuelen)};
    if (f->headers.cat == NGHTTP2_HCAT_REQUEST) s->request_.push_back(std::move(field));
    else if (!s->response_received_) s->response_.push_back(std::move(field));  // trailers are dropped
    return 0;
  }

  static int frameRecv(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    auto& c = conn(ud);
    H2Stream* s = stream(c, f->hd.stream_id);
    if (s == nullptr) return 0;
    if (f->hd.type == NGHTTP2_HEADERS) {
      if (f->headers.cat == NGHTTP2_HCAT_REQUEST && c.on_request_) {
        // Run the handler outside nghttp2's callback.
        asio::post(c.ex_, [handler = c.on_request_, sp = s->shared_from_this()] { handler(sp); });
      } else if (f->headers.cat == NGHTTP2_HCAT_RESPONSE) {
        auto status = findHeader(s->response_, ":status");
        if (status && !status->empty() && status->front() == '1') {
          s->response_.clear();  // an interim 1xx; wait for the final response
        } else {
          s->onResponseHeaders();
        }
      }
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      s->onPeerEnd();
    }
    return 0;
  }

  static int dataChunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                       std::size_t len, void* ud) {
    H2Stream* s = stream(conn(ud), id);
    if (s == nullptr) {
      nghttp2_session_consume_connection(session, len);  // nobody will read it
      return 0;
    }
    s->onData(data, len);
    return 0;
  }

  static int streamClose(nghttp2_session*, std::int32_t id, std::uint32_t code, void* ud) {
    conn(ud).streamClosed(id, code);
    return 0;
  }

  static ssize_t dataSource(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                            std::uint32_t* flags, nghttp2_data_source* source, void*) {
    bool deferred = false;
    const std::size_t n = static_cast<H2Stream*>(source->ptr)->pullSend(buf, length, flags, &deferred);
    if (deferred) return NGHTTP2_ERR_DEFERRED;
    return static_cast<ssize_t>(n);
  }

  static nghttp2_data_provider providerFor(H2Stream* s) {
    nghttp2_data_provider p{};
    p.source.ptr = s;
    p.read_callback = dataSource;
    return p;
  }
};


// ---- H2Stream ----------------------------------------------------------------------------

Task<int> H2Stream::awaitResponse() {
  while (!response_received_) {
    if (closed_) {
      throw boost::system::system_error(asio::error::connection_reset,
                                        "stream reset before a response (HTTP/2 error code " +
                                            std::to_string(reset_code_) + ")");
    }
    response_wait_ = std::make_unique<asio::steady_timer>(ex_, asio::steady_timer::time_point::max());
    ErrorCode ec;
    co_await response_wait_->async_wait(asio::redirect_error(kUseTask, ec));
  }
  const auto status = findHeader(response_, ":status");
  int code = 0;
  if (status) {
    for (char c : *status) code = code * 10 + (c - '0');
  }
  co_return code;
}

void H2Stream::dropPending() {
  auto read = std::move(read_op_);
  auto write = std::move(write_op_);
  response_wait_.reset();
}

void H2Stream::onResponseHeaders() {
  response_received_ = true;
  if (response_wait_) response_wait_->cancel();
}

void H2Stream::respond(int status, const Headers& extra, bool end_stream) {
  auto c = conn_.lock();
  if (!c || c->dead_ || closed_) return;
  Headers h;
  h.push_back({":status", std::to_string(status)});
  h.insert(h.end(), extra.begin(), extra.end());
  response_ = h;
  const auto nv = toNv(h);
  if (end_stream) {
    write_shutdown_ = true;
    nghttp2_submit_response(c->session_, id_, nv.data(), nv.size(), nullptr);
  } else {
    data_started_ = true;
    const auto prd = H2Callbacks::providerFor(this);
    nghttp2_submit_response(c->session_, id_, nv.data(), nv.size(), &prd);
  }
  c->wake();
}

void H2Stream::shutdownWrite() {
  if (write_shutdown_) return;
  write_shutdown_ = true;
  if (auto c = conn_.lock(); c && data_started_) c->resume(*this);
}

void H2Stream::reset(std::uint32_t code) {
  auto c = conn_.lock();
  if (!c || c->dead_ || closed_) return;
  nghttp2_submit_rst_stream(c->session_, NGHTTP2_FLAG_NONE, id_, code);
  c->wake();
}

void H2Stream::startRead(std::vector<asio::mutable_buffer> bufs, std::unique_ptr<PendingOp> op) {
  read_bufs_ = std::move(bufs);
  read_op_ = std::move(op);
  if (asio::buffer_size(read_bufs_) == 0 && !wait_only_) {
    auto done = std::move(read_op_);
    done->complete({}, 0);
    return;
  }
  serveRead();
}

void H2Stream::serveRead() {
  if (!read_op_) return;
  const std::size_t available = recv_.size() - recv_off_;
  if (wait_only_) {
    if (available == 0 && !peer_ended_ && !closed_) return;
    wait_only_ = false;
    auto done = std::move(read_op_);
    done->complete({}, 0);
    return;
  }
  if (available > 0) {
    const std::size_t n = asio::buffer_copy(read_bufs_, asio::buffer(recv_.data() + recv_off_, available));
    recv_off_ += n;
    if (recv_off_ == recv_.size()) {
      recv_.clear();
      recv_off_ = 0;
    }
    if (auto c = conn_.lock()) c->consume(*this, n);
    auto done = std::move(read_op_);
    done->complete({}, n);
    return;
  }
  if (peer_ended_ || (closed_ && reset_code_ == 0)) {
    auto done = std::move(read_op_);
    done->complete(asio::error::eof, 0);
  } else if (closed_) {
    auto done = std::move(read_op_);
    done->complete(asio::error::connection_reset, 0);
  }
}

void H2Stream::startWrite(std::string data, std::unique_ptr<PendingOp> op) {
  if (closed_ || write_shutdown_) {
    op->complete(closed_ ? asio::error::connection_reset : asio::error::shut_down, 0);
    return;
  }
  const std::size_t n = data.size();
  send_.append(data);
  bytes_sent_ += n;
  if (auto c = conn_.lock(); c && data_started_) c->resume(*this);
  if (send_.size() - send_off_ > kHighWater) {
    write_op_ = std::move(op);
    write_op_size_ = n;
  } else {
    op->complete({}, n);
  }
}

std::size_t H2Stream::pullSend(std::uint8_t* buf, std::size_t len, std::uint32_t* flags, bool* deferred) {
  const std::size_t available = send_.size() - send_off_;
  const std::size_t n = std::min(len, available);
  if (n > 0) {
    std::copy_n(send_.data() + send_off_, n, buf);
    send_off_ += n;
    if (send_off_ == send_.size()) {
      send_.clear();
      send_off_ = 0;
    } else if (send_off_ > kHighWater) {
      send_.erase(0, send_off_);
      send_off_ = 0;
    }
  }
  if (write_op_ && send_.size() - send_off_ <= kHighWater / 2) {
    auto done = std::move(write_op_);
    done->complete({}, write_op_size_);
  }
  if (send_.size() == send_off_) {
    if (write_shutdown_) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      data_deferred_ = true;
      *deferred = true;
    }
  }
  return n;
}

void H2Stream::onData(const std::uint8_t* data, std::size_t len) {
  recv_.append(reinterpret_cast<const char*>(data), len);
  bytes_received_ += len;
  serveRead();
}

void H2Stream::onPeerEnd() {
  peer_ended_ = true;
  serveRead();
}

void H2Stream::onClosed(std::uint32_t code) {
  closed_ = true;
  reset_code_ = code;
  serveRead();
  if (write_op_) {
    auto done = std::move(write_op_);
    done->complete(asio::error::connection_reset, 0);
  }
  if (response_wait_) response_wait_->cancel();
}

// ---- H2Connection ------------------------------------------------------------------------

std::shared_ptr<H2Connection> H2Connection::create(Executor ex, Role role, Transport transport, H2Options options,
                                                   RequestHandler on_request) {
  return std::shared_ptr<H2Connection>(
      new H2Connection(std::move(ex), role, std::move(transport), options, std::move(on_request)));
}

H2Connection::H2Connection(Executor ex, Role role, Transport transport, H2Options options, RequestHandler on_request)
    : ex_(ex), role_(role), transport_(std::move(transport)), options_(options), on_request_(std::move(on_request)),
      wake_(ex) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, H2Callbacks::beginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, H2Callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, H2Callbacks::frameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, H2Callbacks::dataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, H2Callbacks::streamClose);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // the window opens as the consumer reads
  if (role == Role::Client) nghttp2_session_client_new2(&session_, cbs, this, opt);
  else nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
}

H2Connection::~H2Connection() {
  // A pending read or write holds the coroutine that holds its stream: drop them, or each
  // pair keeps the other alive after the connection is gone (at shut-down, with open streams).
  for (auto& [id, s] : streams_) s->dropPending();
  nghttp2_session_del(session_);
}

void H2Connection::start() {
  if (started_) return;
  started_ = true;
  const std::array<nghttp2_settings_entry, 2> settings{{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(options_.stream_window)},
  }};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, options_.connection_window);
  auto self = shared_from_this();
  asio::co_spawn(ex_, [self]() { return self->readLoop(); }, asio::detached);
  asio::co_spawn(ex_, [self]() { return self->writeLoop(); }, asio::detached);
}

std::shared_ptr<H2Stream> H2Connection::open(const Headers& headers, bool end_stream) {
  auto s = std::make_shared<H2Stream>(weak_from_this(), ex_);
  s->request_ = headers;
  if (dead_ || going_away_) {
    s->closed_ = true;
    s->reset_code_ = NGHTTP2_REFUSED_STREAM;
    return s;
  }
  const auto nv = toNv(headers);
  std::int32_t id = 0;
  if (end_stream) {
    s->write_shutdown_ = true;
    id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), nullptr, s.get());
  } else {
    s->data_started_ = true;
    const auto prd = H2Callbacks::providerFor(s.get());
    id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), &prd, s.get());
  }
  if (id < 0) {
    s->closed_ = true;
    s->reset_code_ = NGHTTP2_REFUSED_STREAM;
    return s;
  }
  s->id_ = id;
  streams_[id] = s;
  wake();
  return s;
}

std::uint32_t H2Connection::peerMaxConcurrentStreams() const {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

void H2Connection::shutdown() {
  if (dead_ || going_away_) return;
  going_away_ = true;
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  wake();
}

void H2Connection::abort(const std::string& why) { finish(why); }

void H2Connection::wake() { wake_.cancel(); }

void H2Connection::resume(H2Stream& s) {
  if (dead_ || s.closed_) return;
  if (s.data_deferred_) {
    s.data_deferred_ = false;
    nghttp2_session_resume_data(session_, s.id_);
  }
  wake();
}

void H2Connection::consume(H2Stream& s, std::size_t n) {
  if (dead_) return;
  if (s.closed_) nghttp2_session_consume_connection(session_, n);
  else nghttp2_session_consume(session_, s.id_, n);
  wake();
}

void H2Connection::streamClosed(std::int32_t id, std::uint32_t code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto s = std::move(it->second);
  streams_.erase(it);
  // DATA that will never be read still holds connection window; give it back.
  const std::size_t unread = s->recv_.size() - s->recv_off_;
  s->onClosed(code);
  if (unread > 0 && !s->read_op_) nghttp2_session_consume_connection(session_, unread);
  if (streams_.empty()) {
    idle_since_ = std::chrono::steady_clock::now();
    if (on_idle_) asio::post(ex_, [fn = on_idle_] { fn(); });
  }
}

void H2Connection::finish(const std::string& why) {
  if (dead_) return;
  dead_ = true;
  close_reason_ = why;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, s] : streams) s->onClosed(NGHTTP2_INTERNAL_ERROR);
  if (transport_.close) transport_.close();
  wake_.cancel();
  if (on_closed_) asio::post(ex_, [fn = std::move(on_closed_)] { fn(); });
}

Task<void> H2Connection::readLoop() {
  auto self = shared_from_this();
  std::array<std::uint8_t, 16384> buf{};
  try {
    while (!dead_) {
      const std::size_t n = co_await transport_.read(asio::buffer(buf));
      if (dead_) break;
      const auto rv = nghttp2_session_mem_recv(session_, buf.data(), n);
      if (rv < 0) {
        finish(std::string("HTTP/2 protocol error: ") + nghttp2_strerror(static_cast<int>(rv)));
        co_return;
      }
      wake();
    }
  } catch (const boost::system::system_error& e) {
    finish(e.code() == asio::error::eof ? std::string("peer closed the connection") : e.code().message());
  }
}

Task<void> H2Connection::writeLoop() {
  auto self = shared_from_this();
  std::string out;
  while (!dead_) {
    out.clear();
    for (;;) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        finish(std::string("HTTP/2 send error: ") + nghttp2_strerror(static_cast<int>(n)));
        co_return;
      }
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      if (out.size() >= kWriteBatch) break;
    }
    if (!out.empty()) {
      try {
        co_await transport_.write(asio::buffer(out));
      } catch (const boost::system::system_error& e) {
        finish(e.code().message());
        co_return;
      }
      continue;
    }
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      finish(going_away_ ? "shut down" : "peer ended the session");
      co_return;
    }
    wake_.expires_at(asio::steady_timer::time_point::max());
    ErrorCode ec;
    co_await wake_.async_wait(asio::redirect_error(kUseTask, ec));
  }
}

}  // namespace meshtwin::dataplane
