// The node proxy of ambient mode: captures the node's ambient pods' connections, carries
// them over HBONE to the next hop that models::hopPath names, terminates HBONE for its pods
// (15008) with L4 authorization, and reports Istio's TCP metrics.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "meshtwin/dataplane/admin.hpp"
#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/metrics.hpp"
#include "meshtwin/dataplane/snapshot.hpp"

namespace meshtwin::dataplane {

// Identities a proxy may present, by service account, and the root it trusts.
struct ProxyIdentity {
  Certificate root{nullptr};
  std::map<ServiceAccount, IssuedCertificate> certificates;
};

// The certificate a single-identity proxy (waypoint, sidecar) presents: the one for `account`,
// or the only one. Errors name `who` and say how to issue it.
Result<IssuedCertificate> pickCertificate(const ProxyIdentity& identity, const std::optional<ServiceAccount>& account,
                                          const std::string& who);

struct ZtunnelConfig {
  std::string node;  // the scenario's node this ztunnel serves
  asio::ip::address listen_address = asio::ip::make_address("127.0.0.1");
  ProxyIdentity identity;
  Clock clock = systemNow;
  PoolOptions pool;
  // Redirect mode (Istio: 15001): connections redirected here by eBPF or an iptables REDIRECT
  // rule; the original destination comes from getsockopt(SO_ORIGINAL_DST) and the source pod
  // from the connection's source address. Absent: plain listener mode only.
  std::optional<std::uint16_t> redirect_port;
  // Bind each captured pod's HBONE listener at its pod_hbone address from the snapshot (the
  // pod's own IP and 15008, as Istio's ztunnel does inside the pod's network namespace); false:
  // listen_address with an ephemeral port, reported in ports() (loopback tests).
  bool inbound_at_pod_address = false;
  // Where the admin listeners bind; port 0 takes an ephemeral port (Istio: 15020/15021/15000).
  std::uint16_t metrics_port = 0, readiness_port = 0, admin_port = 0;
  std::shared_ptr<spdlog::logger> log;  // null: spdlog's default logger
};

class Ztunnel {
 public:
  static Result<std::unique_ptr<Ztunnel>> create(Executor ex, ZtunnelConfig config);
  Ztunnel(const Ztunnel&) = delete;
  Ztunnel& operator=(const Ztunnel&) = delete;
  ~Ztunnel();

  // Runs on a new snapshot: opens listeners for pods and services that appear, closes those
  // that go; established connections keep the view they started with.
  Result<bool> apply(std::shared_ptr<const MeshView> view);
  // New certificates (rotation): new handshakes use them, established connections go on.
  Result<bool> setIdentity(ProxyIdentity identity);
  void stop();

  // "ns/pod" -> the pod's HBONE address (in-pod mode: one 15008 per captured pod).
  [[nodiscard]] std::map<std::string, tcp::endpoint> inboundAddresses() const;
  // Plain listener mode: the address that stands for "pod `pod` connects to service `svc`".
  [[nodiscard]] std::optional<tcp::endpoint> outboundAddress(const std::string& pod, const std::string& svc) const;
  // Redirect mode's listener, when configured.
  [[nodiscard]] std::optional<tcp::endpoint> redirectAddress() const;
  [[nodiscard]] tcp::endpoint metricsAddress() const;
  [[nodiscard]] tcp::endpoint readinessAddress() const;
  [[nodiscard]] tcp::endpoint adminAddress() const;
  [[nodiscard]] const MetricsRegistry& metrics() const { return metrics_; }
  [[nodiscard]] PoolStats poolStats() const { return pool_.stats(); }
  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::string configDump() const;  // JSON
  [[nodiscard]] std::uint64_t snapshotVersion() const;

 private:
  struct Impl;
  Ztunnel(Executor ex, ZtunnelConfig config);
  Task<void> outbound(tcp::socket client, std::string pod, std::string svc);
  Task<void> redirected(tcp::socket client);
  void inbound(std::shared_ptr<H2Stream> stream, const WorkloadIdentity& peer, const tcp::endpoint& remote,
               const std::string& pod);
  Task<void> serveInbound(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote,
                          std::string pod);

  Executor ex_;
  ZtunnelConfig config_;
  MetricsRegistry metrics_;
  HbonePool pool_;
  std::unique_ptr<Impl> impl_;
};

using ConnectionLabels = IstioLabels;  // request_protocol tcp

// Opened/closed/sent/received counters of one connection, resolved once.
class TcpConnectionMetrics {
 public:
  TcpConnectionMetrics(MetricsRegistry& r, const ConnectionLabels& l);
  void opened() { opened_->add(); }
  void closed() { closed_->add(); }
  void bytes(bool sent, std::size_t n) { (sent ? sent_ : received_)->add(n); }
  static void describe(MetricsRegistry& r);

 private:
  Counter *opened_, *closed_, *sent_, *received_;
};

}  // namespace meshtwin::dataplane
