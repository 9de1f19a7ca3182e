// The L7 proxy of ambient mode: terminates HBONE addressed to a service VIP, parses HTTP/1.1
// or h2 inside the tunnel, applies the service's targetRefs AuthorizationPolicies, routes by
// HTTPRoute (matches, weighted backends, timeout, retries), picks an endpoint in its own zone
// when there is one, and forwards over HBONE to the destination's ztunnel.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "meshtwin/dataplane/admin.hpp"
#include "meshtwin/dataplane/l7.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"

namespace meshtwin::dataplane {

using WaypointConfig = PodProxyConfig;

class Waypoint {
 public:
  static Result<std::unique_ptr<Waypoint>> create(Executor ex, WaypointConfig config);
  Waypoint(const Waypoint&) = delete;
  Waypoint& operator=(const Waypoint&) = delete;
  ~Waypoint();

  Result<bool> apply(std::shared_ptr<const MeshView> view);
  // New certificates (rotation): new handshakes use them, established connections go on.
  Result<bool> setIdentity(ProxyIdentity identity);
  void stop();
  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::uint64_t snapshotVersion() const;
  [[nodiscard]] tcp::endpoint hboneAddress() const;
  [[nodiscard]] tcp::endpoint metricsAddress() const;
  [[nodiscard]] tcp::endpoint readinessAddress() const;
  [[nodiscard]] tcp::endpoint adminAddress() const;
  [[nodiscard]] const MetricsRegistry& metrics() const { return metrics_; }
  [[nodiscard]] PoolStats poolStats() const { return pool_.stats(); }
  [[nodiscard]] std::string configDump() const;

 private:
  struct Impl;
  Waypoint(Executor ex, WaypointConfig config);
  Task<void> serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote);
  Task<HttpResponseMsg> handle(std::shared_ptr<const MeshView> view, models::ServiceId svc,
                               const WorkloadIdentity& peer, HttpRequestMsg req);

  Executor ex_;
  WaypointConfig config_;
  MetricsRegistry metrics_;
  HbonePool pool_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshtwin::dataplane
