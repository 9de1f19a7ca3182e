// A small mesh on 127.0.0.1 for the data-plane integration tests: a scenario, a CA issuing
// each node its pods' identities, one ztunnel per node, echo apps as pods, and snapshots
// pushed to the proxies. The proxies run on one io_context in a background thread; tests
// talk to them with blocking sockets. Clocks are fixed instants, never the wall clock.
#pragma once

#include <future>
#include <sstream>
#include <thread>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "meshtwin/dataplane/l7.hpp"
#include "meshtwin/dataplane/sidecar.hpp"
#include "meshtwin/dataplane/waypoint.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::test {

using namespace meshtwin::dataplane;
using namespace std::chrono_literals;

// 2026-11-22T14:50:00Z
inline const UnixTime kT0 = UnixTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 22}} + 14h + 50min;

// Two zones with one node each; `client` and `server` in namespace demo; policies appended.
inline std::string demoScenario(const std::string& mode = "ambient", const std::string& extra_mesh = "") {
  return "apiVersion: meshtwin/v1\nkind: Scenario\nmetadata: {name: dp-demo}\n"
         "cluster:\n  zones: [a, b]\n  nodePools:\n"
         "    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}\n"
         "workloads:\n"
         "  - {name: client, namespace: demo, replicas: 1, script: [{call: server}]}\n"
         "  - {name: server, namespace: demo, replicas: 1}\n"
         "  - {name: other, namespace: demo, replicas: 1}\n"
         "entryPoints:\n  - {name: web, service: client.demo, load: [{constant: {rps: 1, duration: 1s}}]}\n"
         "mesh:\n  defaultMode: " + mode + "\n" + extra_mesh;
}

// Echo server: writes back what it reads until EOF.
class EchoApp {
 public:
  explicit EchoApp(Executor ex) : acceptor_(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ex, loop(), asio::detached);
  }
  tcp::endpoint address() const { return acceptor_.local_endpoint(); }
  int accepted = 0;

 private:
  Task<void> loop() {
    for (;;) {
      ErrorCode ec;
      auto s = co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec));
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(acceptor_.get_executor(), echo(std::move(s)), asio::detached);
    }
  }
  static Task<void> echo(tcp::socket s) {
    std::array<char, 4096> buf{};
    for (;;) {
      ErrorCode ec;
      const auto n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(kUseTask, ec));
      if (ec) {
        s.shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
      co_await asio::async_write(s, asio::buffer(buf.data(), n), asio::redirect_error(kUseTask, ec));
      if (ec) co_return;
    }
  }
  tcp::acceptor acceptor_;
};

// HTTP app: answers "<pod> <METHOD> <target>" with x-served-by; /status/N answers N;
// a query "sleep=MS" answers after MS milliseconds (an io_context timer).
class HttpApp {
 public:
  HttpApp(Executor ex, std::string pod) : acceptor_(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), pod_(std::move(pod)) {
    asio::co_spawn(ex, loop(), asio::detached);
  }
  tcp::endpoint address() const { return acceptor_.local_endpoint(); }
  int requests = 0;

 private:
  Task<void> loop() {
    for (;;) {
      ErrorCode ec;
      auto s = std::make_shared<tcp::socket>(co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec)));
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serveHttp(s, [this](HttpRequestMsg r) { return handle(std::move(r)); }),
                     asio::detached);
    }
  }
  Task<HttpResponseMsg> handle(HttpRequestMsg r) {
    ++requests;
    HttpResponseMsg res;
    res.headers.emplace_back("x-served-by", pod_);
    if (r.target.rfind("/status/", 0) == 0) res.status = std::stoi(r.target.substr(8));
    if (const auto q = r.target.find("sleep="); q != std::string::npos) {
      asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(std::stoi(r.target.substr(q + 6))));
      co_await t.async_wait(kUseTask);
    }
    res.body = pod_ + " " + r.method + " " + r.target;
    co_return res;
  }
  tcp::acceptor acceptor_;
  std::string pod_;
};

struct HarnessOptions {
  std::string scenario = demoScenario();
  std::map<std::string, std::chrono::seconds> node_clock_skew;  // node -> offset from kT0
  std::map<std::string, std::chrono::seconds> issue_offset;     // "ns/sa" -> issue time offset
  PoolOptions pool;
  bool http_apps = false;  // HttpApp instead of EchoApp
  bool redirect = false;   // ztunnels also listen in redirect mode (SO_ORIGINAL_DST)
};

class MeshHarness {
 public:
  using Options = HarnessOptions;

  // Runs `fn` on the proxies' thread and waits for it.
  template <class Fn>
  auto onIo(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto f = task.get_future();
    asio::post(io_, [&task] { task(); });
    return f.get();
  }

  MeshHarness() : MeshHarness(HarnessOptions{}) {}
  explicit MeshHarness(Options o) : options_(std::move(o)), work_(asio::make_work_guard(io_)) {
    auto loaded = models::loadScenarioText(options_.scenario, "dp-demo.yaml");
    if (!loaded.scenario) throw std::runtime_error("scenario does not load");
    scenario_ = *loaded.scenario;
    auto ca = CertificateAuthority::create({}, kT0 - 24h);
    if (!ca) throw std::runtime_error(ca.error().text());
    ca_ = std::make_unique<CertificateAuthority>(std::move(ca).value());
    ca_->setNodeWorkloads(scenario_);
    snapshot_.scenario_file = "dp-demo.yaml";
    snapshot_.scenario_yaml = options_.scenario;
    thread_ = std::thread([this] { io_.run(); });
    onIo([this] {
      for (const auto& node : scenario_.nodes) {
        ZtunnelConfig cfg;
        cfg.node = node.name;
        cfg.identity = identityFor(node.name);
        const auto skew = options_.node_clock_skew.count(node.name) ? options_.node_clock_skew.at(node.name) : 0s;
        cfg.clock = [skew] { return kT0 + skew; };
        cfg.pool = options_.pool;
        if (options_.redirect) cfg.redirect_port = 0;
        cfg.log = std::make_shared<spdlog::logger>(node.name, std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
        auto z = Ztunnel::create(io_.get_executor(), std::move(cfg));
        if (!z) throw std::runtime_error(z.error().text());
        ztunnels_[node.name] = std::move(z).value();
      }
      for (models::PodId p = 0; p < scenario_.pods.size(); ++p) {
        if (scenario_.pods[p].owner == models::Pod::Owner::Waypoint) {
          const auto& wp = scenario_.waypoints[scenario_.pods[p].owner_id];
          WaypointConfig cfg;
          cfg.pod = wp.ns + "/" + scenario_.pods[p].name;
          auto cert = ca_->issueUnbound({wp.ns, wp.name}, kT0);
          if (!cert) throw std::runtime_error(cert.error().text());
          cfg.identity.root = ca_->root();
          cfg.identity.certificates.emplace(ServiceAccount{wp.ns, wp.name}, std::move(cert).value());
          cfg.clock = [] { return kT0; };
          cfg.pool = options_.pool;
          cfg.log = std::make_shared<spdlog::logger>(cfg.pod, std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
          auto w = Waypoint::create(io_.get_executor(), std::move(cfg));
          if (!w) throw std::runtime_error(w.error().text());
          waypoints_[podKey(p)] = std::move(w).value();
        }
        if (scenario_.pods[p].owner == models::Pod::Owner::Workload &&
            models::meshStateAt(scenario_, 0).modeOf(scenario_, p) == models::MeshMode::Sidecar) {
          const auto& w = scenario_.workloads[scenario_.pods[p].owner_id];
          SidecarConfig cfg;
          cfg.pod = podKey(p);
          const auto node = scenario_.nodes[scenario_.pods[p].node].name;
          auto cert = ca_->issue(node, {w.ns, w.service_account}, kT0);
          if (!cert) throw std::runtime_error(cert.error().text());
          cfg.identity.root = ca_->root();
          cfg.identity.certificates.emplace(ServiceAccount{w.ns, w.service_account}, std::move(cert).value());
          cfg.clock = [] { return kT0; };
          cfg.pool = options_.pool;
          cfg.log = std::make_shared<spdlog::logger>(cfg.pod, std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
          auto sc = Sidecar::create(io_.get_executor(), std::move(cfg));
          if (!sc) throw std::runtime_error(sc.error().text());
          sidecars_[podKey(p)] = std::move(sc).value();
        }
        if (options_.http_apps) http_apps_.push_back(std::make_unique<HttpApp>(io_.get_executor(), podKey(p)));
        else apps_.push_back(std::make_unique<EchoApp>(io_.get_executor()));
      }
    });
    push();  // learn the inbound listeners
    push();  // publish their addresses
  }
  ~MeshHarness() {
    onIo([this] {
      for (auto& [n, z] : ztunnels_) z->stop();
      for (auto& [n, w] : waypoints_) w->stop();
      for (auto& [n, sc] : sidecars_) sc->stop();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  ProxyIdentity identityFor(const std::string& node) {
    ProxyIdentity id{ca_->root(), {}};
    for (const auto& [n, accounts] : serviceAccountsByNode(scenario_)) {
      if (n != node) continue;
      for (const auto& sa : accounts) {
        const auto off = options_.issue_offset.count(sa.text()) ? options_.issue_offset.at(sa.text()) : 0s;
        auto c = ca_->issue(node, sa, kT0 + off);
        if (!c) throw std::runtime_error(c.error().text());
        id.certificates.emplace(sa, std::move(c).value());
      }
    }
    return id;
  }

  // Publishes a new snapshot version with every known address; `edit` may change it.
  void push(const std::function<void(ControlPlaneSnapshot&)>& edit = {}) {
    onIo([&] {
      snapshot_.version++;
      for (models::PodId p = 0; p < scenario_.pods.size(); ++p) {
        const auto key = podKey(p);
        if (scenario_.pods[p].owner == models::Pod::Owner::Waypoint) {
          snapshot_.pod_hbone[key] = toString(waypoints_.at(key)->hboneAddress());
          continue;
        }
        snapshot_.pod_app[key] = toString(options_.http_apps ? http_apps_[p]->address() : apps_[p]->address());
        if (sidecars_.count(key)) snapshot_.pod_hbone[key] = toString(sidecars_.at(key)->inboundAddress());
      }
      for (auto& [n, z] : ztunnels_) {
        for (const auto& [pod, ep] : z->inboundAddresses()) snapshot_.pod_hbone[pod] = toString(ep);
      }
      for (std::size_t i = 0; i < scenario_.services.size(); ++i)
        snapshot_.service_vip[scenario_.services[i].key()] = "10.96.0." + std::to_string(10 + i) + ":80";
      if (edit) edit(snapshot_);
      auto view = buildMeshView(snapshot_);
      if (!view) throw std::runtime_error(view.error().text());
      for (auto& [n, z] : ztunnels_) {
        if (auto r = z->apply(view.value()); !r) throw std::runtime_error(r.error().text());
      }
      for (auto& [n, w] : waypoints_) {
        if (auto r = w->apply(view.value()); !r) throw std::runtime_error(r.error().text());
      }
      for (auto& [n, sc] : sidecars_) {
        if (auto r = sc->apply(view.value()); !r) throw std::runtime_error(r.error().text());
      }
    });
  }

  std::string podKey(models::PodId p) const {
    const auto& pod = scenario_.pods[p];
    const auto& ns = pod.owner == models::Pod::Owner::Workload ? scenario_.workloads[pod.owner_id].ns
                                                               : scenario_.waypoints[pod.owner_id].ns;
    return ns + "/" + pod.name;
  }
  Waypoint& waypoint(const std::string& key) { return *waypoints_.at(key); }
  Sidecar& sidecarOf(const std::string& workload) { return *sidecars_.at(podKey(pod(workload))); }
  // The sidecar's outbound listener standing for "workload calls svc".
  tcp::endpoint sidecarOut(const std::string& workload, const std::string& svc) {
    return onIo([&] { return *sidecarOf(workload).outboundAddress(svc); });
  }
  std::uint64_t sidecarCounter(const std::string& workload, const std::string& name, const Labels& subset) {
    return onIo([&] { return sidecarOf(workload).metrics().counterValue(name, subset); });
  }
  std::uint64_t waypointCounter(const std::string& key, const std::string& name, const Labels& subset) {
    return onIo([&] { return waypoints_.at(key)->metrics().counterValue(name, subset); });
  }
  int appRequests(models::PodId p) { return onIo([&] { return http_apps_.at(p)->requests; }); }
  const models::Scenario& scenario() const { return scenario_; }
  models::PodId pod(const std::string& workload, std::size_t i = 0) const {
    return scenario_.workload_pods[*scenario_.findWorkload("demo", workload)].at(i);
  }
  std::string nodeOf(const std::string& workload) const { return scenario_.nodes[scenario_.pods[pod(workload)].node].name; }
  Ztunnel& ztunnelOf(const std::string& workload) { return *ztunnels_.at(nodeOf(workload)); }
  tcp::endpoint outbound(const std::string& from, const std::string& svc) {
    return onIo([&] { return *ztunnelOf(from).outboundAddress(podKey(pod(from)), svc); });
  }
  tcp::endpoint hboneOf(const std::string& workload) {
    return onIo([&] { return ztunnelOf(workload).inboundAddresses().at(podKey(pod(workload))); });
  }
  std::uint64_t counter(const std::string& workload, const std::string& name, const Labels& subset) {
    return onIo([&] { return ztunnelOf(workload).metrics().counterValue(name, subset); });
  }
  std::string log() { return onIo([this] { return log_.str(); }); }
  const CertificateAuthority& ca() const { return *ca_; }
  asio::io_context& io() { return io_; }
  ControlPlaneSnapshot snapshot() { return onIo([this] { return snapshot_; }); }

 private:
  Options options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  models::Scenario scenario_;
  std::unique_ptr<CertificateAuthority> ca_;
  ControlPlaneSnapshot snapshot_;
  std::map<std::string, std::unique_ptr<Ztunnel>> ztunnels_;
  std::map<std::string, std::unique_ptr<Waypoint>> waypoints_;
  std::map<std::string, std::unique_ptr<Sidecar>> sidecars_;
  std::vector<std::unique_ptr<EchoApp>> apps_;
  std::vector<std::unique_ptr<HttpApp>> http_apps_;
  std::ostringstream log_;  // written on the io thread through spdlog's mutex sink
};

// Blocking client: connects, sends `payload`, half-closes, reads until EOF.
struct Exchange {
  std::string reply;
  std::string error;  // empty when the connection ended cleanly
};
inline Exchange exchange(const tcp::endpoint& at, const std::string& payload) {
  asio::io_context io;
  tcp::socket s(io);
  Exchange out;
  ErrorCode ec;
  s.connect(at, ec);
  if (!ec) asio::write(s, asio::buffer(payload), ec);
  if (!ec) s.shutdown(tcp::socket::shutdown_send, ec);
  while (!ec) {
    std::array<char, 4096> buf{};
    const auto n = s.read_some(asio::buffer(buf), ec);
    out.reply.append(buf.data(), n);
  }
  if (ec && ec != asio::error::eof) out.error = ec.message();
  return out;
}

}  // namespace meshtwin::test
