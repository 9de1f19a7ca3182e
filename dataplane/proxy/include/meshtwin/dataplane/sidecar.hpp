// The per-pod L7 proxy of sidecar mode (the migration's baseline). Outbound: the app's HTTP
// requests for a service are routed (HTTPRoute) to an endpoint chosen as models::hopPath
// chooses for a sidecar client (no waypoint, no locality preference) and sent over HBONE
// to the endpoint's sidecar or ztunnel, or in plaintext to a pod outside the mesh. Inbound:
// HBONE (ALPN h2) or Istio mTLS (ALPN istio) with the pod's certificate, selector policies
// enforced with every HTTP attribute, then the local app. The app's connections arrive on one
// listener per service (plain listener mode) or redirected to one port (redirect mode).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "meshtwin/dataplane/admin.hpp"
#include "meshtwin/dataplane/l7.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"

namespace meshtwin::dataplane {

struct SidecarConfig : PodProxyConfig {
  // Redirect mode (Istio: 15001): the pod's connections redirected here by an iptables REDIRECT
  // rule or eBPF; the original destination (getsockopt(SO_ORIGINAL_DST)) names the service by
  // its VIP. Absent: plain listener mode only.
  std::optional<std::uint16_t> redirect_port;
};

class Sidecar final : public PodProxy {
 public:
  static Result<std::unique_ptr<Sidecar>> create(Executor ex, SidecarConfig config);
  ~Sidecar() override;
  Result<bool> apply(std::shared_ptr<const MeshView> view);
  void stop() override;
  // Plain listener mode: the address that stands for "this pod connects to service `svc`".
  [[nodiscard]] std::optional<tcp::endpoint> outboundAddress(const std::string& svc) const;
  // Redirect mode's listener, when configured.
  [[nodiscard]] std::optional<tcp::endpoint> redirectAddress() const;
  [[nodiscard]] std::string configDump() const override;

 private:
  Sidecar(Executor ex, SidecarConfig config)
      : PodProxy(std::move(ex), std::move(static_cast<PodProxyConfig&>(config)), "sidecar", {kAlpnH2, kAlpnIstio}),
        redirect_port_(config.redirect_port) {}
  // The app's HTTP on an outbound connection for `svc`, from either listener mode.
  void serveOutbound(std::shared_ptr<tcp::socket> socket, std::shared_ptr<const MeshView> view, models::ServiceId svc);
  // A connection accepted in redirect mode: its original destination names the service.
  void redirected(std::shared_ptr<tcp::socket> socket);
  Task<HttpResponseMsg> outbound(std::shared_ptr<const MeshView> view, models::ServiceId svc, HttpRequestMsg req);
  Task<HttpResponseMsg> inbound(std::shared_ptr<const MeshView> view, WorkloadIdentity peer, tcp::endpoint remote,
                                HttpRequestMsg req);
  Task<void> serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote);

  std::map<std::string, std::shared_ptr<tcp::acceptor>> outbound_;  // by service key
  std::optional<std::uint16_t> redirect_port_;
  std::shared_ptr<tcp::acceptor> redirect_;
};

}  // namespace meshtwin::dataplane
