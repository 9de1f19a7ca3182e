// The L7 machinery the waypoint and the sidecar share: HTTP/1.1 (Beast) and h2 (nghttp2)
// served over any byte stream, including an HBONE tunnel; forwarding a request to a pod over
// HBONE with route timeouts and retries; Istio's request metrics.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "meshtwin/dataplane/admin.hpp"
#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/metrics.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"
#include "meshtwin/models/routing.hpp"

namespace meshtwin::dataplane {

struct HttpRequestMsg {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::string authority;     // Host or :authority
  std::map<std::string, std::string> headers;  // lower-case names, without Host
  std::string body;
};

struct HttpResponseMsg {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string flags = "-";  // Envoy-style response flags: UF, UT, URX, NR, DC ...
};

using HttpHandler = std::function<Task<HttpResponseMsg>(HttpRequestMsg)>;

// Serves requests from a byte stream until it ends: HTTP/1.1 with keep-alive, or h2 with
// prior knowledge when the stream opens with the HTTP/2 preface.
Task<void> serveHttp(std::shared_ptr<H2Stream> stream, HttpHandler handler);
Task<void> serveHttp(std::shared_ptr<TlsStream> stream, HttpHandler handler);
Task<void> serveHttp(std::shared_ptr<tcp::socket> stream, HttpHandler handler);

// One HTTP/1.1 exchange on an upstream stream; throws on I/O errors.
Task<HttpResponseMsg> http1Exchange(H2Stream& s, const HttpRequestMsg& req);
Task<HttpResponseMsg> http1Exchange(tcp::socket& s, const HttpRequestMsg& req);

// Istio's request metric labels (reporter waypoint | source | destination).
struct RequestLabels : IstioLabels {
  RequestLabels() {
    request_protocol = "http";
    response_code = "0";
    security_policy = "mutual_tls";
  }
};
void describeRequestMetrics(MetricsRegistry& r);
// One request in istio_requests_total, its duration and its body sizes (istio_request_bytes,
// istio_response_bytes).
void recordRequest(MetricsRegistry& r, const RequestLabels& l, double duration_ms, std::size_t request_bytes,
                   std::size_t response_bytes);


// What a one-pod proxy (a waypoint replica or a sidecar) is configured with.
struct PodProxyConfig {
  std::string pod;  // "ns/<waypoint>-<i>" or "ns/<workload>-<i>"
  asio::ip::address listen_address = asio::ip::make_address("127.0.0.1");
  std::uint16_t inbound_port = 0;  // HBONE (and, for a sidecar, Istio mTLS); Istio: 15008
  ProxyIdentity identity;          // certificates, by service account, and the root
  // The certificate to present (the pod's service account; a waypoint's is named after it);
  // may be left out when `identity` holds one.
  std::optional<ServiceAccount> account;
  Clock clock = systemNow;
  PoolOptions pool;
  std::uint16_t metrics_port = 0, readiness_port = 0, admin_port = 0;
  std::shared_ptr<spdlog::logger> log;
};

// Forwards requests to endpoints over HBONE (to the destination's ztunnel or sidecar) or in
// plaintext (to a pod outside the mesh), reusing idle HTTP/1.1 upstream streams, applying
// the route's timeout and retries.
class UpstreamForwarder {
 public:
  UpstreamForwarder(Executor ex, HbonePool& pool, std::shared_ptr<spdlog::logger> log)
      : ex_(std::move(ex)), pool_(pool), log_(std::move(log)) {}
  struct Attempt {
    models::PodId endpoint = 0;
  };
  // Picks the endpoint for attempt `n` (0 = first try).
  using EndpointPicker = std::function<std::optional<models::PodId>(int attempt)>;
  // `source`: the identity HBONE is opened with (the waypoint's own, or the sidecar's pod's).
  Task<HttpResponseMsg> forward(std::shared_ptr<const MeshView> view, const WorkloadIdentity& source,
                                const HttpRequestMsg& req, const models::RouteDecision& route,
                                const EndpointPicker& pick, models::PodId* chosen);
  // One request to a local application in plaintext (a sidecar's inbound side), reusing
  // idle connections.
  Task<HttpResponseMsg> forwardLocal(const tcp::endpoint& app, const HttpRequestMsg& req);
  [[nodiscard]] std::size_t idleStreams() const;

 private:
  struct Upstream {
    std::shared_ptr<H2Stream> stream;      // HBONE
    std::shared_ptr<tcp::socket> socket;   // plaintext
  };
  // Where one attempt goes: HBONE to `hbone` (authority `app`, peer `peer`), or plaintext to `app`.
  struct Target {
    tcp::endpoint app;
    std::optional<tcp::endpoint> hbone;
    WorkloadIdentity peer;
    std::string name;  // for messages
  };
  Task<HttpResponseMsg> once(const Target& target, const WorkloadIdentity& source, const HttpRequestMsg& req,
                             std::chrono::steady_clock::time_point deadline);
  Executor ex_;
  HbonePool& pool_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, std::vector<Upstream>> idle_;  // by endpoint address
};

// What the waypoint and the sidecar share: one pod, one identity, an inbound TLS listener,
// the admin endpoints, an HBONE pool with an upstream forwarder, and the snapshot lifecycle.
class PodProxy {
 public:
  PodProxy(const PodProxy&) = delete;
  PodProxy& operator=(const PodProxy&) = delete;
  virtual ~PodProxy();

  // New certificates (rotation): new handshakes use them, established connections go on.
  Result<bool> setIdentity(ProxyIdentity identity);
  virtual void stop();
  [[nodiscard]] bool ready() const { return not_ready_.empty() && !stopped_; }
  [[nodiscard]] std::uint64_t snapshotVersion() const { return view_ ? view_->snapshot.version : 0; }
  [[nodiscard]] tcp::endpoint inboundAddress() const { return listener_->address(); }
  [[nodiscard]] tcp::endpoint metricsAddress() const { return admin_.metrics(); }
  [[nodiscard]] tcp::endpoint readinessAddress() const { return admin_.readiness(); }
  [[nodiscard]] tcp::endpoint adminAddress() const { return admin_.admin(); }
  [[nodiscard]] const MetricsRegistry& metrics() const { return metrics_; }
  [[nodiscard]] PoolStats poolStats() const { return pool_.stats(); }
  [[nodiscard]] virtual std::string configDump() const = 0;

 protected:
  // `kind` names the proxy in messages; `server_alpn` is what its inbound listener accepts.
  PodProxy(Executor ex, PodProxyConfig config, std::string kind, std::vector<std::string> server_alpn);
  // Sets the identity, then binds and starts the inbound listener and the admin endpoints.
  Result<bool> start(TlsAcceptHandlers handlers);
  // The common part of apply(): version check and the pod's id; an Error for a pod that is
  // not of `owner` kind in the scenario.
  Result<bool> adopt(std::shared_ptr<const MeshView>& view, models::Pod::Owner owner);

  Executor ex_;
  PodProxyConfig config_;
  std::string kind_;
  std::vector<std::string> server_alpn_;
  MetricsRegistry metrics_;
  HbonePool pool_;
  std::unique_ptr<UpstreamForwarder> forwarder_;
  std::shared_ptr<TlsContext> server_ctx_;
  std::shared_ptr<TlsListener> listener_;
  AdminEndpoints admin_;
  std::shared_ptr<const MeshView> view_;
  std::optional<models::PodId> self_;
  std::string not_ready_ = "no control-plane snapshot yet";
  std::uint64_t requests_ = 0;
  bool stopped_ = false;
};

}  // namespace meshtwin::dataplane
