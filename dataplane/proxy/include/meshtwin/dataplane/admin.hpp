// The proxies' small HTTP/1.1 servers (Boost.Beast): metrics (15020), readiness (15021) and
// the admin config dump (15000). Each listener serves a fixed set of paths.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/ca.hpp"

namespace meshtwin::dataplane {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpRoute = std::function<HttpReply()>;

class HttpEndpoint : public std::enable_shared_from_this<HttpEndpoint> {
 public:
  // `routes` by path ("/stats/prometheus"); anything else answers 404 with the known paths.
  static Result<std::shared_ptr<HttpEndpoint>> bind(Executor ex, const tcp::endpoint& at, std::string purpose,
                                                     std::map<std::string, HttpRoute> routes);
  void start();
  void stop();
  [[nodiscard]] tcp::endpoint address() const { return address_; }

 private:
  HttpEndpoint(Executor ex, tcp::acceptor a, std::map<std::string, HttpRoute> routes)
      : ex_(std::move(ex)), acceptor_(std::move(a)), routes_(std::move(routes)) {}
  Task<void> acceptLoop();
  Task<void> serve(tcp::socket s);
  Executor ex_;
  tcp::acceptor acceptor_;
  std::map<std::string, HttpRoute> routes_;
  tcp::endpoint address_;
};

// A blocking HTTP/1.1 GET for tests and tools: the status and body.
Result<HttpReply> httpGet(const tcp::endpoint& at, const std::string& path);

}  // namespace meshtwin::dataplane
