// The proxy process: identity and snapshot from files, reload on change and on SIGHUP, a
// ports file for scripts, a clean stop on SIGTERM/SIGINT.
#include "meshtwin/dataplane/apps/proxy_program.hpp"

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <thread>
#include <type_traits>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "meshtwin/dataplane/identity_files.hpp"

namespace meshtwin::dataplane::apps {

namespace {

class ZtunnelProxy final : public RunningProxy {
 public:
  explicit ZtunnelProxy(std::unique_ptr<Ztunnel> z) : z_(std::move(z)) {}
  Result<bool> apply(std::shared_ptr<const MeshView> view) override {
    auto r = z_->apply(view);
    if (r && r.value()) view_ = std::move(view);
    return r;
  }
  Result<bool> setIdentity(ProxyIdentity identity) override { return z_->setIdentity(std::move(identity)); }
  [[nodiscard]] std::uint64_t snapshotVersion() const override { return z_->snapshotVersion(); }
  [[nodiscard]] bool ready() const override { return z_->ready(); }
  [[nodiscard]] nlohmann::json ports() const override { return ztunnelPorts(*z_, view_.get()); }
  void stop() override { z_->stop(); }

 private:
  std::unique_ptr<Ztunnel> z_;
  std::shared_ptr<const MeshView> view_;  // the one applied last, to name the outbound listeners
};

Result<std::unique_ptr<RunningProxy>> createZtunnel(Executor ex, const ProxyOptions& o, ProxyIdentity identity,
                                                    std::shared_ptr<spdlog::logger> log) {
  ZtunnelConfig cfg;
  cfg.node = o.node;
  ErrorCode ec;
  cfg.listen_address = asio::ip::make_address(o.listen, ec);
  if (ec) return Error{"parse --listen", o.listen, ec.message(), "an IP address, e.g. 127.0.0.1"};
  cfg.identity = std::move(identity);
  cfg.metrics_port = o.metrics_port;
  cfg.readiness_port = o.readiness_port;
  cfg.admin_port = o.admin_port;
  if (o.redirect_port >= 0) cfg.redirect_port = static_cast<std::uint16_t>(o.redirect_port);
  cfg.inbound_at_pod_address = o.pod_addresses;
  cfg.log = std::move(log);
  auto z = Ztunnel::create(std::move(ex), std::move(cfg));
  if (!z) return z.error();
  return std::unique_ptr<RunningProxy>(new ZtunnelProxy(std::move(z).value()));
}

// A waypoint or a sidecar: one pod, one identity, one inbound listener.
template <class Proxy>
class PodProxy final : public RunningProxy {
 public:
  explicit PodProxy(std::unique_ptr<Proxy> p) : p_(std::move(p)) {}
  Result<bool> apply(std::shared_ptr<const MeshView> view) override { return p_->apply(std::move(view)); }
  Result<bool> setIdentity(ProxyIdentity identity) override { return p_->setIdentity(std::move(identity)); }
  [[nodiscard]] std::uint64_t snapshotVersion() const override { return p_->snapshotVersion(); }
  [[nodiscard]] bool ready() const override { return p_->ready(); }
  [[nodiscard]] nlohmann::json ports() const override {
    nlohmann::json j{{"metrics", toString(p_->metricsAddress())},
                     {"readiness", toString(p_->readinessAddress())},
                     {"admin", toString(p_->adminAddress())}};
    if constexpr (std::is_same_v<Proxy, Waypoint>) {
      j["hbone"] = toString(p_->hboneAddress());
    } else {
      j["inbound"] = toString(p_->inboundAddress());
      j["outbound"] = nlohmann::json::parse(p_->configDump()).value("outbound", nlohmann::json::object());
      if (const auto r = p_->redirectAddress()) j["redirect"] = toString(*r);
    }
    return j;
  }
  void stop() override { p_->stop(); }

 private:
  std::unique_ptr<Proxy> p_;
};

// The service account the pod `o.node` runs as, from the snapshot it will run on.
Result<ServiceAccount> podAccount(const ProxyOptions& o) {
  auto snap = readSnapshotFile(o.snapshot_file);
  if (!snap) return snap.error();
  auto view = buildMeshView(std::move(snap).value());
  if (!view) return view.error();
  auto it = view.value()->pod_by_key.find(o.node);
  if (it == view.value()->pod_by_key.end()) {
    return Error{"start proxy", o.node, "the snapshot's scenario has no pod of that name",
                 "--node takes a pod for a waypoint or a sidecar: ns/<name>-<i>"};
  }
  return view.value()->serviceAccountOf(it->second);
}

template <class Proxy>
Result<std::unique_ptr<RunningProxy>> createPodProxy(Executor ex, const ProxyOptions& o, ProxyIdentity identity,
                                                     std::shared_ptr<spdlog::logger> log) {
  // A sidecar's configuration adds redirect mode to what every pod proxy takes.
  std::conditional_t<std::is_same_v<Proxy, Sidecar>, SidecarConfig, PodProxyConfig> cfg;
  if constexpr (std::is_same_v<Proxy, Sidecar>) {
    if (o.redirect_port >= 0) cfg.redirect_port = static_cast<std::uint16_t>(o.redirect_port);
  }
  cfg.pod = o.node;
  ErrorCode ec;
  cfg.listen_address = asio::ip::make_address(o.listen, ec);
  if (ec) return Error{"parse --listen", o.listen, ec.message(), "an IP address, e.g. 127.0.0.1"};
  auto account = podAccount(o);
  if (!account) return account.error();
  cfg.account = account.value();
  cfg.identity = std::move(identity);
  cfg.inbound_port = o.hbone_port;
  cfg.metrics_port = o.metrics_port;
  cfg.readiness_port = o.readiness_port;
  cfg.admin_port = o.admin_port;
  cfg.log = std::move(log);
  auto p = Proxy::create(std::move(ex), std::move(cfg));
  if (!p) return p.error();
  return std::unique_ptr<RunningProxy>(new PodProxy<Proxy>(std::move(p).value()));
}

void addHbonePort(CLI::App& sub, ProxyOptions& o) {
  sub.add_option("--hbone-port", o.hbone_port, "Inbound HBONE/mTLS port (0: ephemeral)")->capture_default_str();
}

// `identifies`: what the proxy learns from a redirected connection besides its destination.
void addRedirectPort(CLI::App& sub, ProxyOptions& o, const std::string& identifies) {
  sub.add_option("--redirect-port", o.redirect_port,
                 "Also accept connections redirected here (eBPF or iptables REDIRECT; Istio: 15001):\n"
                 "the original destination from SO_ORIGINAL_DST" + identifies + "\n(-1: off, 0: ephemeral)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
}

// What identifies a version of a file: `meshtwin snapshot` replaces it by rename, so the
// inode changes even when two writes fall in the same mtime tick.
struct FileStamp {
  ino_t inode = 0;
  off_t size = -1;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, st.st_size, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

class ProxyProcess {
 public:
  ProxyProcess(asio::io_context& io, Executor ex, ProxyOptions options, const ProxyKind& kind,
               std::shared_ptr<spdlog::logger> log)
      : io_(io), ex_(ex), options_(std::move(options)), kind_(kind), log_(std::move(log)), timer_(ex),
        signals_(ex, SIGTERM, SIGINT, SIGHUP) {}

  // Errors here end the program: a proxy that cannot start says why instead of idling.
  Result<bool> start() {
    auto identity = readIdentityDir(options_.identity_dir);
    if (!identity) return identity.error();
    auto proxy = kind_.create(ex_, options_, std::move(identity).value(), log_);
    if (!proxy) return proxy.error();
    proxy_ = std::move(proxy).value();
    stamp_ = stampOf(options_.snapshot_file);
    auto snapshot = readSnapshotFile(options_.snapshot_file);
    if (!snapshot) return snapshot.error();
    auto view = buildMeshView(std::move(snapshot).value());
    if (!view) return view.error();
    if (auto r = proxy_->apply(view.value()); !r) return r.error();
    if (auto r = writePorts(); !r) return r.error();
    watch();
    waitSignal();
    return true;
  }

  // After io_context::run returns: the proxy is stopped; its objects go before the context.
  void release() {
    proxy_.reset();
    if (!options_.ports_file.empty()) ::unlink(options_.ports_file.c_str());
  }

 private:
  void reload(const char* why) {
    log_->info("reloading ({}): identity from {}, snapshot from {}", why, options_.identity_dir, options_.snapshot_file);
    // Certificates first, so pods that a new snapshot adds find theirs.
    if (auto identity = readIdentityDir(options_.identity_dir); !identity) {
      log_->error("{}; keeping the current certificates", identity.error().text());
    } else if (auto r = proxy_->setIdentity(std::move(identity).value()); !r) {
      log_->error("{}; keeping the current certificates", r.error().text());
    }
    auto snapshot = readSnapshotFile(options_.snapshot_file);
    if (!snapshot) {
      log_->error("{}; keeping snapshot version {}", snapshot.error().text(), proxy_->snapshotVersion());
    } else if (auto view = buildMeshView(std::move(snapshot).value()); !view) {
      log_->error("{}; keeping snapshot version {}", view.error().text(), proxy_->snapshotVersion());
    } else if (auto r = proxy_->apply(view.value()); !r) {
      log_->error("{}; keeping snapshot version {}", r.error().text(), proxy_->snapshotVersion());
    }
    if (auto r = writePorts(); !r) log_->error("{}", r.error().text());
    // Loading a scenario leaves freed parser memory below the heap top; give it back so the
    // proxy's resident size is what it keeps, not what a reload once needed.
    ::malloc_trim(0);
  }

  void watch() {
    timer_.expires_after(std::chrono::milliseconds(options_.poll_ms));
    timer_.async_wait([this](const ErrorCode& ec) {
      if (ec || stopping_) return;
      const auto now = stampOf(options_.snapshot_file);
      if (!(now == stamp_)) {
        stamp_ = now;
        reload("snapshot file changed");
      }
      watch();
    });
  }

  void waitSignal() {
    signals_.async_wait([this](const ErrorCode& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        stamp_ = stampOf(options_.snapshot_file);
        reload("SIGHUP");
        waitSignal();
        return;
      }
      log_->info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      stopping_ = true;
      proxy_->stop();
      timer_.cancel();
      signals_.cancel();
      // Established connections end with the process: the context stops here.
      io_.stop();
    });
  }

  Result<bool> writePorts() {
    if (options_.ports_file.empty()) return true;
    nlohmann::json j = proxy_->ports();
    j["kind"] = kind_.name;
    j["node"] = options_.node;
    j["pid"] = ::getpid();
    j["snapshot_version"] = proxy_->snapshotVersion();
    j["ready"] = proxy_->ready();
    return writeFileAtomically(options_.ports_file, j.dump(2) + "\n");
  }

  asio::io_context& io_;
  Executor ex_;
  ProxyOptions options_;
  const ProxyKind& kind_;
  std::shared_ptr<spdlog::logger> log_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  std::unique_ptr<RunningProxy> proxy_;
  FileStamp stamp_;
  bool stopping_ = false;
};

}  // namespace

nlohmann::json ztunnelPorts(const Ztunnel& z, const MeshView* view) {
  nlohmann::json j{{"metrics", toString(z.metricsAddress())},
                   {"readiness", toString(z.readinessAddress())},
                   {"admin", toString(z.adminAddress())},
                   {"inbound", nlohmann::json::object()},
                   {"outbound", nlohmann::json::object()}};
  if (auto r = z.redirectAddress()) j["redirect"] = toString(*r);
  for (const auto& [pod, ep] : z.inboundAddresses()) j["inbound"][pod] = toString(ep);
  if (view) {
    for (models::PodId p = 0; p < view->scenario.pods.size(); ++p) {
      for (const auto& svc : view->scenario.services) {
        if (auto ep = z.outboundAddress(view->podKey(p), svc.key())) j["outbound"][view->podKey(p) + "|" + svc.key()] = toString(*ep);
      }
    }
  }
  return j;
}

std::vector<ProxyKind> proxyKinds() {
  return {ProxyKind{"ztunnel",
                    "The node proxy of ambient mode for --node: HBONE (HTTP/2 CONNECT over mTLS) to the next hop\n"
                    "models::hopPath names, one HBONE listener per captured pod, one outbound listener per\n"
                    "(pod, service) in plain listener mode, L4 policy, Istio's TCP metrics.",
                    [](CLI::App& sub, ProxyOptions& o) {
                      addRedirectPort(sub, o, ", the pod from the source address");
                      sub.add_flag("--pod-addresses", o.pod_addresses,
                                   "Bind each captured pod's HBONE listener at its pod_hbone address in the snapshot\n"
                                   "(the pod's IP, port 15008) instead of --listen with an ephemeral port");
                    },
                    createZtunnel},
          ProxyKind{"waypoint",
                    "The L7 proxy of ambient mode, one replica: --node is the waypoint pod (ns/<waypoint>-<i>).\n"
                    "HBONE in on --hbone-port, HTTP/1.1 and h2 inside, targetRefs authorization, HTTPRoute routing,\n"
                    "retries and timeouts, endpoints in its own zone, HBONE out; istio_requests_total.",
                    addHbonePort,
                    [](Executor ex, const ProxyOptions& o, ProxyIdentity id, std::shared_ptr<spdlog::logger> log) {
                      return createPodProxy<Waypoint>(std::move(ex), o, std::move(id), std::move(log));
                    }},
          ProxyKind{"sidecar",
                    "The per-pod L7 proxy of sidecar mode: --node is the pod (ns/<workload>-<i>). Outbound: one\n"
                    "listener per service (plain listener mode) and, with --redirect-port, the pod's redirected\n"
                    "connections (redirect mode); inbound on --hbone-port (HBONE or Istio mTLS) with full-L7\n"
                    "selector policies, then the pod's app.",
                    [](CLI::App& sub, ProxyOptions& o) {
                      addHbonePort(sub, o);
                      addRedirectPort(sub, o, ", the service by its VIP");
                    },
                    [](Executor ex, const ProxyOptions& o, ProxyIdentity id, std::shared_ptr<spdlog::logger> log) {
                      return createPodProxy<Sidecar>(std::move(ex), o, std::move(id), std::move(log));
                    }}};
}

int runProxyProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App cli{"meshtwin-proxy: runs a proxy of meshtwin's embedded data plane.\n"
               "It reads its certificates from --identity (`meshtwin ca issue`) and its configuration from\n"
               "--snapshot (`meshtwin snapshot`), applies a changed snapshot (polled, and on SIGHUP) without\n"
               "dropping established connections, re-reads the certificates on every reload (rotation), writes\n"
               "--ports-file after each apply, and stops on SIGTERM/SIGINT.\n"
               "Exit codes: 0 stopped by a signal, 1 it could not start (the message says why), 2 bad command line.",
               "meshtwin-proxy"};
  cli.require_subcommand(1);
  const auto kinds = proxyKinds();
  ProxyOptions o;
  std::vector<CLI::App*> subs;
  for (const auto& kind : kinds) {
    auto* sub = cli.add_subcommand(kind.name, kind.description);
    sub->add_option("--node", o.node, "The scenario's node this proxy serves, e.g. p-a-0")->required();
    sub->add_option("--snapshot", o.snapshot_file, "Control-plane snapshot file (`meshtwin snapshot`)")->required();
    sub->add_option("--identity", o.identity_dir, "Identity directory (`meshtwin ca issue --out`)")->required();
    sub->add_option("--listen", o.listen, "IP address every listener binds")->capture_default_str();
    sub->add_option("--metrics-port", o.metrics_port, "Prometheus metrics port (0: ephemeral)")->capture_default_str();
    sub->add_option("--readiness-port", o.readiness_port, "Readiness port (0: ephemeral)")->capture_default_str();
    sub->add_option("--admin-port", o.admin_port, "Admin (config dump) port (0: ephemeral)")->capture_default_str();
    sub->add_option("--ports-file", o.ports_file,
                    "Write the bound addresses as JSON to FILE after each apply (atomically): metrics, readiness,\n"
                    "admin, inbound {pod: addr}, outbound {\"pod|svc\": addr}, redirect (with --redirect-port),\n"
                    "snapshot_version, ready");
    sub->add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical or off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    sub->add_option("--threads", o.threads,
                    "Threads running the event loop; the proxy's state is serialised on one strand, so more\n"
                    "than one only overlaps the loop's own work")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    sub->add_option("--poll-ms", o.poll_ms, "How often the snapshot file is checked for a change, ms")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    if (kind.add_options) kind.add_options(*sub, o);
    subs.push_back(sub);
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      for (auto* sub : subs) {
        if (sub->parsed()) {
          out << sub->help();
          return 0;
        }
      }
      out << cli.help();
      return 0;
    }
    err << "meshtwin-proxy: " << e.what() << "\nRun 'meshtwin-proxy --help' for usage.\n";
    return 2;
  }
  const ProxyKind* kind = nullptr;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (subs[i]->parsed()) kind = &kinds[i];
  }
  if (!kind) return 2;

  auto log = std::make_shared<spdlog::logger>(kind->name + " " + o.node, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  log->set_level(spdlog::level::from_str(o.log_level));
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v", spdlog::pattern_time_type::utc);
  log->flush_on(spdlog::level::info);

  asio::io_context io(o.threads);
  // One strand holds all of the proxy's state; with one thread it costs nothing.
  Executor ex = o.threads > 1 ? Executor(asio::make_strand(io)) : Executor(io.get_executor());
  ProxyProcess process(io, ex, o, *kind, log);
  if (auto r = process.start(); !r) {
    err << "meshtwin-proxy " << kind->name << ": " << r.error().text() << "\n";
    process.release();
    return 1;
  }
  log->info("running: snapshot {}, identity {}, {} thread(s)", o.snapshot_file, o.identity_dir, o.threads);
  std::vector<std::thread> extra;
  for (int i = 1; i < o.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  process.release();
  log->info("stopped");
  return 0;
}

}  // namespace meshtwin::dataplane::apps
