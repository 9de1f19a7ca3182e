// HTTP serving over tunnels (HTTP/1.1 via Beast, h2 via nghttp2), upstream exchanges with
// reuse, timeouts and retries, and Istio's request metrics.
#include "meshtwin/dataplane/l7.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace meshtwin::dataplane {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void halfCloseStream(H2Stream& s) { s.shutdownWrite(); }
void halfCloseStream(tcp::socket& s) {
  ErrorCode ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
}
void halfCloseStream(TlsStream& s) {
  ErrorCode ignored;
  s.next_layer().shutdown(tcp::socket::shutdown_send, ignored);
}
void abortStream(H2Stream& s) { s.reset(); }
void abortStream(tcp::socket& s) {
  ErrorCode ignored;
  s.close(ignored);
}
void abortStream(TlsStream& s) {
  ErrorCode ignored;
  s.next_layer().close(ignored);
}

// Reads a stream's bytes after the ones already taken off it (the protocol sniff).
template <class Stream>
Transport prefetched(std::shared_ptr<Stream> s, std::string pre) {
  auto buffered = std::make_shared<std::string>(std::move(pre));
  return Transport{[s, buffered](asio::mutable_buffer b) -> Task<std::size_t> {
                     if (!buffered->empty()) {
                       const std::size_t n = asio::buffer_copy(b, asio::buffer(*buffered));
                       buffered->erase(0, n);
                       co_return n;
                     }
                     co_return co_await s->async_read_some(b, kUseTask);
                   },
                   [s](asio::const_buffer b) -> Task<void> { co_await asio::async_write(*s, b, kUseTask); },
                   [s] { abortStream(*s); }};
}

Task<void> serveH2Request(std::shared_ptr<H2Stream> rs, HttpHandler handler) {
  HttpRequestMsg req;
  req.method = std::string(findHeader(rs->request(), ":method").value_or("GET"));
  req.target = std::string(findHeader(rs->request(), ":path").value_or("/"));
  req.authority = std::string(findHeader(rs->request(), ":authority").value_or(""));
  for (const auto& h : rs->request()) {
    if (!h.name.empty() && h.name[0] != ':') req.headers[h.name] = h.value;
  }
  std::array<char, 16384> buf{};
  for (;;) {
    ErrorCode ec;
    const auto n = co_await rs->async_read_some(asio::buffer(buf), asio::redirect_error(kUseTask, ec));
    if (ec) break;
    req.body.append(buf.data(), n);
  }
  HttpResponseMsg res = co_await handler(std::move(req));
  Headers h;
  for (const auto& [k, v] : res.headers) {
    const auto name = lower(k);
    if (name != "connection" && name != "keep-alive" && name != "transfer-encoding") h.push_back({name, v});
  }
  h.push_back({"content-length", std::to_string(res.body.size())});
  rs->respond(res.status, h, res.body.empty());
  if (!res.body.empty()) {
    ErrorCode ec;
    co_await asio::async_write(*rs, asio::buffer(res.body), asio::redirect_error(kUseTask, ec));
    rs->shutdownWrite();
  }
}

template <class Stream>
Task<void> serveHttpImpl(std::shared_ptr<Stream> s, HttpHandler handler) {
  beast::flat_buffer buf;
  // Sniff: HTTP/2 with prior knowledge starts with the connection preface.
  while (buf.size() < kH2Preface.size()) {
    ErrorCode ec;
    const auto n = co_await s->async_read_some(buf.prepare(16384), asio::redirect_error(kUseTask, ec));
    if (ec) co_return;
    buf.commit(n);
    const std::string_view seen(static_cast<const char*>(buf.data().data()), buf.size());
    if (kH2Preface.substr(0, std::min(seen.size(), kH2Preface.size())) != seen.substr(0, std::min(seen.size(), kH2Preface.size())))
      break;
  }
  const std::string_view head(static_cast<const char*>(buf.data().data()), buf.size());
  if (head.size() >= kH2Preface.size() && head.substr(0, kH2Preface.size()) == kH2Preface) {
    auto ex = co_await asio::this_coro::executor;
    auto done = std::make_shared<Event>(ex);
    auto conn = H2Connection::create(ex, H2Connection::Role::Server, prefetched(s, std::string(head)), {},
                                     [handler, ex](std::shared_ptr<H2Stream> rs) {
                                       asio::co_spawn(ex, serveH2Request(std::move(rs), handler), asio::detached);
                                     });
    conn->onClosed([done] { done->set(); });
    conn->start();
    co_await done->wait();
    co_return;
  }
  for (;;) {
    http::request<http::string_body> req;
    ErrorCode ec;
    co_await http::async_read(*s, buf, req, asio::redirect_error(kUseTask, ec));
    if (ec) break;
    HttpRequestMsg m;
    m.method = std::string(req.method_string());
    m.target = std::string(req.target());
    m.authority = std::string(req[http::field::host]);
    for (const auto& f : req) {
      auto name = lower(std::string_view(f.name_string().data(), f.name_string().size()));
      if (name != "host" && name != "content-length" && name != "connection") m.headers[name] = std::string(f.value().data(), f.value().size());
    }
    m.body = std::move(req.body());
    const bool keep = req.keep_alive();
    HttpResponseMsg r = co_await handler(std::move(m));
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    for (const auto& [k, v] : r.headers) {
      const auto name = lower(k);
      if (name != "content-length" && name != "connection" && name != "transfer-encoding") res.set(k, v);
    }
    res.body() = std::move(r.body);
    res.keep_alive(keep);
    res.prepare_payload();
    co_await http::async_write(*s, res, asio::redirect_error(kUseTask, ec));
    if (ec || !keep) break;
  }
  halfCloseStream(*s);
}

template <class Stream>
Task<HttpResponseMsg> exchangeImpl(Stream& s, const HttpRequestMsg& req) {
  http::request<http::string_body> r;
  r.version(11);
  const auto verb = http::string_to_verb(req.method);
  if (verb == http::verb::unknown) r.method_string(req.method);
  else r.method(verb);
  r.target(req.target);
  r.set(http::field::host, req.authority);
  for (const auto& [k, v] : req.headers) r.set(k, v);
  r.body() = req.body;
  r.keep_alive(true);
  r.prepare_payload();
  co_await http::async_write(s, r, kUseTask);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  co_await http::async_read(s, buf, res, kUseTask);
  HttpResponseMsg out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    const auto name = lower(std::string_view(f.name_string().data(), f.name_string().size()));
    if (name != "content-length" && name != "connection" && name != "transfer-encoding")
      out.headers.emplace_back(name, std::string(f.value().data(), f.value().size()));
  }
  if (!res.keep_alive()) out.headers.emplace_back("connection", "close");
  out.body = std::move(res.body());
  co_return out;
}

bool wantsClose(const HttpResponseMsg& r) {
  return std::any_of(r.headers.begin(), r.headers.end(),
                     [](const auto& h) { return h.first == "connection" && h.second == "close"; });
}

}  // namespace

Task<void> serveHttp(std::shared_ptr<H2Stream> stream, HttpHandler handler) {
  co_await serveHttpImpl(std::move(stream), std::move(handler));
}
Task<void> serveHttp(std::shared_ptr<TlsStream> stream, HttpHandler handler) {
  co_await serveHttpImpl(std::move(stream), std::move(handler));
}
Task<void> serveHttp(std::shared_ptr<tcp::socket> stream, HttpHandler handler) {
  co_await serveHttpImpl(std::move(stream), std::move(handler));
}

Task<HttpResponseMsg> http1Exchange(H2Stream& s, const HttpRequestMsg& req) { co_return co_await exchangeImpl(s, req); }
Task<HttpResponseMsg> http1Exchange(tcp::socket& s, const HttpRequestMsg& req) { co_return co_await exchangeImpl(s, req); }

void describeRequestMetrics(MetricsRegistry& r) {
  r.describe("istio_requests_total", "Total requests handled by an Istio proxy");
  r.describe("istio_request_duration_milliseconds", "Request duration in milliseconds");
  r.describe("istio_request_bytes", "Request body sizes in bytes");
  r.describe("istio_response_bytes", "Response body sizes in bytes");
}

void recordRequest(MetricsRegistry& r, const RequestLabels& l, double duration_ms, std::size_t request_bytes,
                   std::size_t response_bytes) {
  // Istio's size buckets: powers of ten from 1 B to 100 MB.
  static const std::vector<double> size_buckets{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  const auto labels = l.labels();
  r.counter("istio_requests_total", labels).add();
  r.histogram("istio_request_duration_milliseconds", labels, istioDurationBucketsMs()).observe(duration_ms);
  r.histogram("istio_request_bytes", labels, size_buckets).observe(static_cast<double>(request_bytes));
  r.histogram("istio_response_bytes", labels, size_buckets).observe(static_cast<double>(response_bytes));
}


PodProxy::PodProxy(Executor ex, PodProxyConfig config, std::string kind, std::vector<std::string> server_alpn)
    : ex_(ex), config_(std::move(config)), kind_(std::move(kind)), server_alpn_(std::move(server_alpn)),
      pool_(ex, config_.pool) {
  if (!config_.log) config_.log = spdlog::default_logger();
  describeRequestMetrics(metrics_);
  forwarder_ = std::make_unique<UpstreamForwarder>(ex_, pool_, config_.log);
}

PodProxy::~PodProxy() { stop(); }

Result<bool> PodProxy::setIdentity(ProxyIdentity identity) {
  auto cert = pickCertificate(identity, config_.account, kind_ + " " + config_.pod);
  if (!cert) return cert.error();
  TlsCredentials creds{cert.value(), identity.root};
  auto server = makeTlsContext(TlsRole::Server, creds, server_alpn_, config_.clock);
  if (!server) return server.error();
  auto client = makeTlsContext(TlsRole::Client, creds, {kAlpnH2}, config_.clock);
  if (!client) return client.error();
  server_ctx_ = server.value();
  pool_.setClientContext(cert->identity, client.value());
  if (listener_) listener_->setContext(server.value());
  config_.identity = std::move(identity);
  return true;
}

Result<bool> PodProxy::start(TlsAcceptHandlers handlers) {
  if (auto r = setIdentity(config_.identity); !r) return r.error();
  auto* self = this;
  handlers.on_failure = [self](const tcp::endpoint& remote, const std::string& flag, const std::string& why) {
    self->config_.log->warn("inbound mTLS from {} to {} {} refused ({}): {}", toString(remote), self->kind_,
                            self->config_.pod, flag, why);
  };
  auto l = TlsListener::bind(ex_, {config_.listen_address, config_.inbound_port}, server_ctx_, std::move(handlers),
                             config_.pool.h2);
  if (!l) return l.error();
  listener_ = l.value();
  listener_->start();
  AdminHooks hooks;
  hooks.metrics = [self] { return self->metrics_.render(); };
  hooks.not_ready = [self]() -> std::optional<std::string> {
    if (self->not_ready_.empty()) return std::nullopt;
    return self->not_ready_;
  };
  hooks.config_dump = [self] { return self->configDump(); };
  auto admin = AdminEndpoints::bind(ex_, config_.listen_address,
                                    {config_.metrics_port, config_.readiness_port, config_.admin_port}, kind_,
                                    std::move(hooks));
  if (!admin) return admin.error();
  admin_ = std::move(admin).value();
  return true;
}

Result<bool> PodProxy::adopt(std::shared_ptr<const MeshView>& view, models::Pod::Owner owner) {
  if (view_ && view->snapshot.version <= view_->snapshot.version) return false;
  auto it = view->pod_by_key.find(config_.pod);
  if (it == view->pod_by_key.end() || view->scenario.pods[it->second].owner != owner) {
    return Error{"apply snapshot", kind_ + " " + config_.pod,
                 std::string("the scenario has no ") + (owner == models::Pod::Owner::Waypoint ? "waypoint" : "workload") +
                     " pod of that name",
                 owner == models::Pod::Owner::Waypoint ? "waypoint pods are named ns/<waypoint>-<i>"
                                                       : "pods are named ns/<workload>-<i>"};
  }
  self_ = it->second;
  return true;
}

void PodProxy::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (listener_) listener_->stop();
  admin_.stop();
  pool_.closeAll();
}

std::size_t UpstreamForwarder::idleStreams() const {
  std::size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

Task<HttpResponseMsg> UpstreamForwarder::forward(std::shared_ptr<const MeshView> view, const WorkloadIdentity& source,
                                                 const HttpRequestMsg& req, const models::RouteDecision& route,
                                                 const EndpointPicker& pick, models::PodId* chosen) {
  const auto deadline = route.timeout_ns
                            ? std::chrono::steady_clock::now() + std::chrono::nanoseconds(*route.timeout_ns)
                            : std::chrono::steady_clock::time_point::max();
  const int attempts = 1 + route.retry_attempts;
  HttpResponseMsg last;
  for (int a = 0; a < attempts; ++a) {
    const auto ep = pick(a);
    if (!ep) co_return HttpResponseMsg{503, {}, "no healthy upstream", "UH"};
    if (chosen != nullptr) *chosen = *ep;
    if (a > 0) {
      asio::steady_timer backoff(ex_, std::chrono::nanoseconds(route.retry_backoff_ns));
      ErrorCode ec;
      co_await backoff.async_wait(asio::redirect_error(kUseTask, ec));
      if (std::chrono::steady_clock::now() >= deadline) co_return HttpResponseMsg{504, {}, "upstream request timeout", "UT"};
    }
    const bool in_mesh = view->modeOf(*ep) != models::MeshMode::None;
    if (!view->pod_app[*ep] || (in_mesh && !view->pod_hbone[*ep])) {
      last = HttpResponseMsg{503, {}, "upstream " + view->podKey(*ep) + " has no address in the snapshot", "UF"};
    } else {
      Target target{*view->pod_app[*ep], in_mesh ? view->pod_hbone[*ep] : std::nullopt, view->identityOf(*ep),
                    view->podKey(*ep)};
      last = co_await once(target, source, req, deadline);
    }
    if (last.flags == "UT") co_return last;
    const bool failed = last.flags == "UF" || last.flags == "UC" ||
                        std::find(route.retry_codes.begin(), route.retry_codes.end(), last.status) != route.retry_codes.end();
    if (!failed) co_return last;
    if (a + 1 < attempts) {
      log_->debug("retrying {} {} (attempt {} of {}): {} {}", req.method, req.target, a + 2, attempts, last.status,
                  last.flags);
    } else if (a > 0) {
      last.flags = "URX";
    }
  }
  co_return last;
}

Task<HttpResponseMsg> UpstreamForwarder::forwardLocal(const tcp::endpoint& app, const HttpRequestMsg& req) {
  // Named locals, not temporaries, in a co_await expression: GCC 12 destroys those twice.
  const Target target{app, std::nullopt, {}, "local app " + toString(app)};
  const WorkloadIdentity none{};
  co_return co_await once(target, none, req, std::chrono::steady_clock::time_point::max());
}

Task<HttpResponseMsg> UpstreamForwarder::once(const Target& target, const WorkloadIdentity& source,
                                              const HttpRequestMsg& req, std::chrono::steady_clock::time_point deadline) {
  const bool in_mesh = target.hbone.has_value();
  const std::string key = (in_mesh ? toString(*target.hbone) + "/" : std::string("plain/")) + toString(target.app) +
                          "/" + source.uri();
  for (int fresh = 0; fresh < 2; ++fresh) {
    Upstream up;
    bool reused = false;
    auto& idle = idle_[key];
    while (!idle.empty() && !reused) {
      up = std::move(idle.back());
      idle.pop_back();
      reused = up.stream ? !up.stream->closed() : (up.socket && up.socket->is_open());
    }
    if (!reused) {
      if (in_mesh) {
        HboneTarget hbone{*target.hbone, toString(target.app), target.peer};
        HboneRequestInfo info;
        info.forwarded_for = "127.0.0.1";
        auto s = co_await pool_.connect(source, hbone, info);
        if (!s) {
          log_->warn("upstream {} for {} {}: {}", target.name, req.method, req.target, s.error().text());
          co_return HttpResponseMsg{503, {}, "upstream connect error: " + s.error().text(), "UF"};
        }
        up.stream = s.value();
      } else {
        up.socket = std::make_shared<tcp::socket>(ex_);
        ErrorCode ec;
        co_await up.socket->async_connect(target.app, asio::redirect_error(kUseTask, ec));
        if (ec) co_return HttpResponseMsg{503, {}, "upstream connect error: " + ec.message(), "UF"};
        up.socket->set_option(tcp::no_delay(true), ec);
      }
    }
    bool timed_out = false;
    asio::steady_timer timer(ex_);
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      timer.expires_at(deadline);
      timer.async_wait([&timed_out, up](ErrorCode ec) {
        if (ec) return;
        timed_out = true;
        if (up.stream) up.stream->reset();
        if (up.socket) abortStream(*up.socket);
      });
    }
    try {
      // Not a conditional expression: GCC 12 miscompiles co_await inside ?:.
      HttpResponseMsg res;
      if (up.stream) res = co_await http1Exchange(*up.stream, req);
      else res = co_await http1Exchange(*up.socket, req);
      timer.cancel();
      if (!wantsClose(res) && idle.size() < 64) idle_[key].push_back(std::move(up));
      co_return res;
    } catch (const boost::system::system_error& e) {
      timer.cancel();
      if (timed_out) co_return HttpResponseMsg{504, {}, "upstream request timeout", "UT"};
      if (reused) continue;  // the idle stream had gone stale: once more on a fresh one
      co_return HttpResponseMsg{503, {}, std::string("upstream connect error or disconnect/reset before headers: ") + e.what(),
                                "UC"};
    }
  }
  co_return HttpResponseMsg{503, {}, "upstream reset", "UC"};
}

}  // namespace meshtwin::dataplane
