// The proxies' small HTTP/1.1 servers (Boost.Beast): metrics (15020), readiness (15021) and
// the admin config dump (15000). Each listener serves a fixed set of paths.
#pragma once

#include <functional>
#include <map>
#include <optional>
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

// The admin listeners every proxy has, as Istio's: Prometheus metrics (15020:
// /stats/prometheus and /metrics), readiness (15021: /healthz/ready, 503 with the reason
// when not ready) and the config dump (15000: /config_dump). Port 0 takes an ephemeral one.
struct AdminPorts {
  std::uint16_t metrics = 0, readiness = 0, admin = 0;
};
struct AdminHooks {
  std::function<std::string()> metrics;                    // Prometheus text
  std::function<std::optional<std::string>()> not_ready;  // nullopt when ready, else why
  std::function<std::string()> config_dump;                // JSON
};
class AdminEndpoints {
 public:
  // `kind` names the proxy in messages ("ztunnel", "waypoint", ...).
  static Result<AdminEndpoints> bind(Executor ex, const asio::ip::address& at, AdminPorts ports,
                                     const std::string& kind, AdminHooks hooks);
  void stop();
  [[nodiscard]] tcp::endpoint metrics() const { return metrics_->address(); }
  [[nodiscard]] tcp::endpoint readiness() const { return readiness_->address(); }
  [[nodiscard]] tcp::endpoint admin() const { return admin_->address(); }

 private:
  std::shared_ptr<HttpEndpoint> metrics_, readiness_, admin_;
};

// A blocking HTTP/1.1 GET for tests and tools: the status and body.
Result<HttpReply> httpGet(const tcp::endpoint& at, const std::string& path);

}  // namespace meshtwin::dataplane
