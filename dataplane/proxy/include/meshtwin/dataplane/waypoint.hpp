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

class Waypoint final : public PodProxy {
 public:
  static Result<std::unique_ptr<Waypoint>> create(Executor ex, WaypointConfig config);
  Result<bool> apply(std::shared_ptr<const MeshView> view);
  [[nodiscard]] tcp::endpoint hboneAddress() const { return inboundAddress(); }
  [[nodiscard]] std::string configDump() const override;

 private:
  Waypoint(Executor ex, WaypointConfig config) : PodProxy(std::move(ex), std::move(config), "waypoint", {kAlpnH2}) {}
  Task<void> serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote);
  Task<HttpResponseMsg> handle(std::shared_ptr<const MeshView> view, models::ServiceId svc,
                               const WorkloadIdentity& peer, HttpRequestMsg req);
};

}  // namespace meshtwin::dataplane
