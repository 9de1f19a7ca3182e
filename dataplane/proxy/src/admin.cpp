// Beast HTTP/1.1 server for metrics, readiness and config dump, and a blocking GET.
#include "meshtwin/dataplane/admin.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/metrics.hpp"

namespace meshtwin::dataplane {
namespace beast = boost::beast;
namespace http = beast::http;

Result<std::shared_ptr<HttpEndpoint>> HttpEndpoint::bind(Executor ex, const tcp::endpoint& at, std::string purpose,
                                                          std::map<std::string, HttpRoute> routes) {
  auto a = bindAcceptor(ex, at, purpose);
  if (!a) return a.error();
  auto e = std::shared_ptr<HttpEndpoint>(new HttpEndpoint(std::move(ex), std::move(a.value()), std::move(routes)));
  e->address_ = e->acceptor_.local_endpoint();
  return e;
}

void HttpEndpoint::start() {
  auto self = shared_from_this();
  asio::co_spawn(ex_, [self] { return self->acceptLoop(); }, asio::detached);
}

void HttpEndpoint::stop() {
  ErrorCode ignored;
  acceptor_.close(ignored);
}

Task<void> HttpEndpoint::acceptLoop() {
  auto self = shared_from_this();
  for (;;) {
    ErrorCode ec;
    tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec));
    if (!acceptor_.is_open()) co_return;
    if (!ec) asio::co_spawn(ex_, serve(std::move(s)), asio::detached);
  }
}

Task<void> HttpEndpoint::serve(tcp::socket s) {
  auto self = shared_from_this();
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    ErrorCode ec;
    co_await http::async_read(s, buf, req, asio::redirect_error(kUseTask, ec));
    if (ec) co_return;
    HttpReply reply;
    const std::string path(req.target().substr(0, req.target().find('?')));
    if (auto it = routes_.find(path); it != routes_.end()) {
      reply = it->second();
    } else {
      reply.status = 404;
      reply.body = "no such path: " + path + "; this endpoint serves:";
      for (const auto& [p, r] : routes_) reply.body += " " + p;
      reply.body += "\n";
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::content_type, reply.content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(reply.body);
    res.prepare_payload();
    co_await http::async_write(s, res, asio::redirect_error(kUseTask, ec));
    if (ec || !res.keep_alive()) co_return;
  }
}

Result<AdminEndpoints> AdminEndpoints::bind(Executor ex, const asio::ip::address& at, AdminPorts ports,
                                            const std::string& kind, AdminHooks hooks) {
  auto metrics = [hooks] {
    return HttpReply{200, "text/plain; version=0.0.4", hooks.metrics() + renderProcessMetrics()};
  };
  auto m = HttpEndpoint::bind(ex, {at, ports.metrics}, kind + " metrics",
                              {{"/stats/prometheus", metrics}, {"/metrics", metrics}});
  if (!m) return m.error();
  auto r = HttpEndpoint::bind(ex, {at, ports.readiness}, kind + " readiness",
                              {{"/healthz/ready", [hooks] {
                                  if (auto why = hooks.not_ready()) return HttpReply{503, "text/plain", "not ready: " + *why + "\n"};
                                  return HttpReply{200, "text/plain", "ready\n"};
                                }}});
  if (!r) return r.error();
  auto a = HttpEndpoint::bind(ex, {at, ports.admin}, kind + " admin",
                              {{"/config_dump", [hooks] { return HttpReply{200, "application/json", hooks.config_dump()}; }}});
  if (!a) return a.error();
  AdminEndpoints out;
  out.metrics_ = m.value();
  out.readiness_ = r.value();
  out.admin_ = a.value();
  for (const auto& ep : {out.metrics_, out.readiness_, out.admin_}) ep->start();
  return out;
}

void AdminEndpoints::stop() {
  for (const auto& ep : {metrics_, readiness_, admin_}) {
    if (ep) ep->stop();
  }
}

Result<HttpReply> httpGet(const tcp::endpoint& at, const std::string& path) {
  asio::io_context io;
  tcp::socket s(io);
  ErrorCode ec;
  s.connect(at, ec);
  if (ec) return Error{"HTTP GET", toString(at) + path, ec.message(), {}};
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, toString(at));
  http::write(s, req, ec);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec) http::read(s, buf, res, ec);
  if (ec) return Error{"HTTP GET", toString(at) + path, ec.message(), {}};
  HttpReply r;
  r.status = static_cast<int>(res.result_int());
  r.content_type = std::string(res[http::field::content_type]);
  r.body = std::move(res.body());
  return r;
}

}  // namespace meshtwin::dataplane
