// `meshtwin-proxy`: runs one proxy of the embedded data plane as a process. Every proxy kind
// (ztunnel, waypoint, sidecar: the entries of proxyKinds()) shares the lifecycle:
// identity from a directory, a control-plane snapshot file watched for changes and on
// SIGHUP, a ports file rewritten after each apply, a clean stop on SIGTERM/SIGINT.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/dataplane/sidecar.hpp"
#include "meshtwin/dataplane/waypoint.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"

namespace CLI {
class App;
}

namespace meshtwin::dataplane::apps {

// The options every proxy kind takes.
struct ProxyOptions {
  std::string node;           // the scenario's node (ztunnel) or pod (waypoint, sidecar) it serves
  std::string snapshot_file;  // written by `meshtwin snapshot`
  std::string identity_dir;   // written by `meshtwin ca issue`
  std::string listen = "127.0.0.1";
  std::uint16_t metrics_port = 15020, readiness_port = 15021, admin_port = 15000;
  std::uint16_t hbone_port = 15008;  // waypoint and sidecar: the inbound (HBONE / mTLS) listener
  int redirect_port = -1;            // ztunnel, sidecar: redirect mode's listener (Istio: 15001); -1 = off
  bool pod_addresses = false;       // ztunnel: inbound listeners at the snapshot's pod_hbone addresses
  std::string ports_file;  // JSON with the bound addresses, rewritten after each apply
  std::string log_level = "info";
  int threads = 1;
  int poll_ms = 250;  // how often the snapshot file's identity (inode, size, mtime) is checked
};

// A running proxy as the program drives it.
class RunningProxy {
 public:
  virtual ~RunningProxy() = default;
  virtual Result<bool> apply(std::shared_ptr<const MeshView> view) = 0;
  virtual Result<bool> setIdentity(ProxyIdentity identity) = 0;
  [[nodiscard]] virtual std::uint64_t snapshotVersion() const = 0;
  [[nodiscard]] virtual bool ready() const = 0;
  // Bound addresses for the ports file: "metrics", "readiness", "admin" and kind-specific ones.
  [[nodiscard]] virtual nlohmann::json ports() const = 0;
  virtual void stop() = 0;
};

struct ProxyKind {
  std::string name;  // the subcommand
  std::string description;
  // Options of this kind only, stored in the shared options; may be empty.
  std::function<void(CLI::App&, ProxyOptions&)> add_options;
  std::function<Result<std::unique_ptr<RunningProxy>>(Executor, const ProxyOptions&, ProxyIdentity,
                                                      std::shared_ptr<spdlog::logger>)>
      create;
};

// The kinds `meshtwin-proxy` offers as subcommands.
std::vector<ProxyKind> proxyKinds();

// ztunnel's ports: {"metrics", "readiness", "admin", "inbound": {pod: addr},
// "outbound": {"pod|svc": addr}} for the pods of its node in `view`.
nlohmann::json ztunnelPorts(const Ztunnel& z, const MeshView* view);

int runProxyProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace meshtwin::dataplane::apps
