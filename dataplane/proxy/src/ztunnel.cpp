// ztunnel: outbound capture -> hopPath -> HBONE (or passthrough), inbound HBONE -> L4 authz
// -> local pod, Istio TCP metrics, readiness and config dump.
#include "meshtwin/dataplane/ztunnel.hpp"

#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "meshtwin/models/policy.hpp"
#include "meshtwin/models/routing.hpp"

namespace meshtwin::dataplane {

using models::PodId;
using models::ServiceId;

TcpConnectionMetrics::TcpConnectionMetrics(MetricsRegistry& r, const ConnectionLabels& l) {
  const Labels labels = l.labels();
  opened_ = &r.counter("istio_tcp_connections_opened_total", labels);
  closed_ = &r.counter("istio_tcp_connections_closed_total", labels);
  sent_ = &r.counter("istio_tcp_sent_bytes_total", labels);
  received_ = &r.counter("istio_tcp_received_bytes_total", labels);
}

void TcpConnectionMetrics::describe(MetricsRegistry& r) {
  r.describe("istio_tcp_connections_opened_total", "The total number of TCP connections opened");
  r.describe("istio_tcp_connections_closed_total", "The total number of TCP connections closed");
  r.describe("istio_tcp_sent_bytes_total", "The size of total bytes sent during response in case of a TCP connection");
  r.describe("istio_tcp_received_bytes_total",
             "The size of total bytes received during request in case of a TCP connection");
}

namespace {

// Fills the source side from a pod of the view.
void setSource(ConnectionLabels& l, const MeshView& v, PodId p) {
  l.source_workload = v.ownerName(p);
  l.source_namespace = v.podNamespace(p);
  l.source_principal = v.identityOf(p).uri();
}

void setDestination(ConnectionLabels& l, const MeshView& v, PodId p) {
  l.destination_workload = v.ownerName(p);
  l.destination_namespace = v.podNamespace(p);
  l.destination_principal = v.identityOf(p).uri();
}

// The source side from a verified identity: the workload that runs as it, if one does.
void setSourceFromIdentity(ConnectionLabels& l, const MeshView& v, const WorkloadIdentity& id) {
  l.source_principal = id.uri();
  l.source_namespace = id.service_account.ns;
  l.source_workload = v.workloadNameOf(id);
}

std::string baggageFor(const MeshView& v, PodId p) {
  const auto& zone = v.scenario.zones[v.scenario.zoneOfPod(p)].name;
  const std::string& name = v.ownerName(p);
  return "k8s.cluster.name=Kubernetes,k8s.namespace.name=" + v.podNamespace(p) + ",k8s.deployment.name=" + name +
         ",service.name=" + name + ",service.version=latest,cloud.availability_zone=" + zone;
}

}  // namespace

Result<IssuedCertificate> pickCertificate(const ProxyIdentity& identity, const std::optional<ServiceAccount>& account,
                                          const std::string& who) {
  if (account) {
    auto it = identity.certificates.find(*account);
    if (it != identity.certificates.end()) return it->second;
    return Error{"pick certificate", who, "no certificate for service account " + account->text(),
                 "issue it with `meshtwin ca issue SCENARIO --node <the pod's node>`"};
  }
  if (identity.certificates.size() == 1) return identity.certificates.begin()->second;
  return Error{"pick certificate", who,
               std::to_string(identity.certificates.size()) + " certificates and no service account to choose by",
               "name the service account the proxy runs as"};
}

namespace {

// The long-lived part of a connection, in a coroutine of its own: the setup's frame (path,
// labels, target) is freed once the tunnel is up, so an idle connection holds only this.
Task<void> carryTunnel(tcp::socket socket, std::shared_ptr<H2Stream> stream, TcpConnectionMetrics m) {
  m.opened();
  // Bytes from the socket into the tunnel are sent, the others received (both directions).
  const ByteCallback count = [&m](bool sent, std::size_t n) { m.bytes(sent, n); };
  co_await splice(socket, *stream, count);
  m.closed();
}

Task<void> carryPlain(tcp::socket client, tcp::socket upstream, TcpConnectionMetrics m) {
  m.opened();
  const ByteCallback count = [&m](bool sent, std::size_t n) { m.bytes(sent, n); };
  co_await splice(client, upstream, count);
  m.closed();
}

}  // namespace

struct Ztunnel::Impl {
  std::shared_ptr<const MeshView> view;
  std::map<std::string, std::shared_ptr<TlsListener>> inbound;                       // by pod key
  std::map<std::pair<std::string, std::string>, std::shared_ptr<tcp::acceptor>> outbound;  // (pod, svc)
  std::map<ServiceAccount, std::shared_ptr<TlsContext>> server_ctx;
  AdminEndpoints admin;
  std::shared_ptr<tcp::acceptor> redirect;
  std::uint64_t flows = 0;
  std::vector<std::string> not_ready;  // why, when not ready
  bool stopped = false;
};

Ztunnel::Ztunnel(Executor ex, ZtunnelConfig config)
    : ex_(ex), config_(std::move(config)), pool_(ex, config_.pool), impl_(std::make_unique<Impl>()) {
  if (!config_.log) config_.log = spdlog::default_logger();
  TcpConnectionMetrics::describe(metrics_);
}

Ztunnel::~Ztunnel() { stop(); }

Result<std::unique_ptr<Ztunnel>> Ztunnel::create(Executor ex, ZtunnelConfig config) {
  std::unique_ptr<Ztunnel> z(new Ztunnel(ex, std::move(config)));
  if (auto r = z->setIdentity(z->config_.identity); !r) return r.error();
  auto* self = z.get();
  const auto addr = z->config_.listen_address;
  AdminHooks hooks;
  hooks.metrics = [self] { return self->metrics_.render(); };
  hooks.not_ready = [self]() -> std::optional<std::string> {
    if (self->ready()) return std::nullopt;
    std::string why;
    for (const auto& w : self->impl_->not_ready) why += w + "; ";
    if (!self->impl_->view) why += "no control-plane snapshot yet";
    return why;
  };
  hooks.config_dump = [self] { return self->configDump(); };
  auto admin = AdminEndpoints::bind(
      ex, addr, {z->config_.metrics_port, z->config_.readiness_port, z->config_.admin_port}, "ztunnel", std::move(hooks));
  if (!admin) return admin.error();
  z->impl_->admin = std::move(admin).value();
  if (const auto port = z->config_.redirect_port) {
    auto acc = bindAcceptor(ex, {addr, *port}, "ztunnel redirect listener");
    if (!acc) return acc.error();
    auto shared = std::make_shared<tcp::acceptor>(std::move(acc.value()));
    z->impl_->redirect = shared;
    asio::co_spawn(
        ex,
        [self, shared]() -> Task<void> {
          for (;;) {
            ErrorCode ec;
            tcp::socket sock = co_await shared->async_accept(asio::redirect_error(kUseTask, ec));
            if (!shared->is_open()) co_return;
            if (!ec) asio::co_spawn(self->ex_, self->redirected(std::move(sock)), asio::detached);
          }
        },
        asio::detached);
  }
  return z;
}

Result<bool> Ztunnel::setIdentity(ProxyIdentity identity) {
  config_.identity = std::move(identity);
  impl_->server_ctx.clear();
  for (const auto& [sa, cert] : config_.identity.certificates) {
    TlsCredentials creds{cert, config_.identity.root};
    auto server = makeTlsContext(TlsRole::Server, creds, {kAlpnH2}, config_.clock);
    if (!server) return server.error();
    auto client = makeTlsContext(TlsRole::Client, creds, {kAlpnH2}, config_.clock);
    if (!client) return client.error();
    impl_->server_ctx[sa] = server.value();
    pool_.setClientContext(cert.identity, client.value());
  }
  for (auto& [pod, l] : impl_->inbound) {
    if (!impl_->view) break;
    auto it = impl_->view->pod_by_key.find(pod);
    if (it == impl_->view->pod_by_key.end()) continue;
    auto ctx = impl_->server_ctx.find(impl_->view->serviceAccountOf(it->second));
    if (ctx != impl_->server_ctx.end()) l->setContext(ctx->second);
  }
  return true;
}

Result<bool> Ztunnel::apply(std::shared_ptr<const MeshView> view) {
  if (impl_->stopped) return Error{"apply snapshot", "ztunnel " + config_.node, "stopped", {}};
  if (impl_->view && view->snapshot.version <= impl_->view->snapshot.version) {
    config_.log->info("snapshot version {} ignored: running version {}", view->snapshot.version,
                      impl_->view->snapshot.version);
    return false;
  }
  auto node = view->node_by_name.find(config_.node);
  if (node == view->node_by_name.end()) {
    return Error{"apply snapshot", "ztunnel " + config_.node, "the scenario has no node named " + config_.node,
                 "start the ztunnel with --node set to one of the scenario's nodes"};
  }
  const auto& s = view->scenario;
  std::map<std::string, PodId> captured;  // this node's ambient workload pods
  for (PodId p : view->podsOn(node->second)) {
    if (s.pods[p].owner == models::Pod::Owner::Workload && view->modeOf(p) == models::MeshMode::Ambient)
      captured[view->podKey(p)] = p;
  }
  impl_->not_ready.clear();
  // Inbound: one HBONE listener per captured pod, serving that pod's certificate.
  for (auto it = impl_->inbound.begin(); it != impl_->inbound.end();) {
    if (!captured.count(it->first)) {
      it->second->stop();
      config_.log->info("pod {} left ambient mode: inbound listener {} closed", it->first, toString(it->second->address()));
      it = impl_->inbound.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, p] : captured) {
    if (impl_->inbound.count(key)) continue;
    const auto sa = view->serviceAccountOf(p);
    auto ctx = impl_->server_ctx.find(sa);
    if (ctx == impl_->server_ctx.end()) {
      impl_->not_ready.push_back("no certificate for " + sa.text() + " (pod " + key + ")");
      config_.log->error("pod {}: no certificate for service account {}; hint: the CA issues a node only the "
                         "identities of its pods",
                         key, sa.text());
      continue;
    }
    const std::string pod_key = key;
    TlsAcceptHandlers h;
    h.on_stream = [this, pod_key](std::shared_ptr<H2Stream> st, const WorkloadIdentity& peer, const tcp::endpoint& remote) {
      inbound(std::move(st), peer, remote, pod_key);
    };
    h.on_failure = [this, pod_key](const tcp::endpoint& remote, const std::string& flag, const std::string& why) {
      config_.log->warn("inbound HBONE from {} to pod {} refused ({}): {}", toString(remote), pod_key, flag, why);
      ConnectionLabels l;
      l.reporter = "destination";
      l.response_flags = flag;
      if (auto v = impl_->view; v) {
        if (auto it = v->pod_by_key.find(pod_key); it != v->pod_by_key.end()) setDestination(l, *v, it->second);
      }
      TcpConnectionMetrics m(metrics_, l);
      m.opened();
      m.closed();
    };
    tcp::endpoint at{config_.listen_address, 0};
    if (config_.inbound_at_pod_address && view->pod_hbone[p]) at = *view->pod_hbone[p];
    auto l = TlsListener::bind(ex_, at, ctx->second, std::move(h), config_.pool.h2);
    if (!l) return l.error();
    l.value()->start();
    impl_->inbound[key] = l.value();
  }
  // Outbound (plain listener mode): one listener per (captured pod, service).
  std::map<std::pair<std::string, std::string>, bool> wanted;
  for (const auto& [key, p] : captured) {
    for (const auto& svc : s.services) wanted[{key, svc.key()}] = true;
  }
  for (auto it = impl_->outbound.begin(); it != impl_->outbound.end();) {
    if (!wanted.count(it->first)) {
      ErrorCode ignored;
      it->second->close(ignored);
      it = impl_->outbound.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [k, unused] : wanted) {
    if (impl_->outbound.count(k)) continue;
    auto a = bindAcceptor(ex_, {config_.listen_address, 0}, "ztunnel outbound for " + k.first + " -> " + k.second);
    if (!a) return a.error();
    auto acc = std::make_shared<tcp::acceptor>(std::move(a.value()));
    impl_->outbound[k] = acc;
    asio::co_spawn(
        ex_,
        [this, acc, pod = k.first, svc = k.second]() -> Task<void> {
          for (;;) {
            ErrorCode ec;
            tcp::socket sock = co_await acc->async_accept(asio::redirect_error(kUseTask, ec));
            if (!acc->is_open()) co_return;
            if (!ec) asio::co_spawn(ex_, outbound(std::move(sock), pod, svc), asio::detached);
          }
        },
        asio::detached);
  }
  config_.log->info("snapshot version {} applied: phase {} ({}), {} captured pods", view->snapshot.version,
                    view->state.phase, view->state.phase_name, captured.size());
  impl_->view = std::move(view);
  return true;
}

void Ztunnel::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  for (auto& [k, l] : impl_->inbound) l->stop();
  for (auto& [k, a] : impl_->outbound) {
    ErrorCode ignored;
    a->close(ignored);
  }
  impl_->admin.stop();
  if (impl_->redirect) {
    ErrorCode ignored;
    impl_->redirect->close(ignored);
  }
  pool_.closeAll();
}

Task<void> Ztunnel::outbound(tcp::socket client, std::string pod, std::string svc) {
  auto view = impl_->view;  // this connection keeps the snapshot it started with
  ErrorCode ec;
  const auto remote = client.remote_endpoint(ec);
  client.set_option(tcp::no_delay(true), ec);
  const auto src_it = view->pod_by_key.find(pod);
  const auto slash = svc.find('/');
  const auto svc_id = view->scenario.findService(svc.substr(0, slash), svc.substr(slash + 1));
  if (src_it == view->pod_by_key.end() || !svc_id) co_return;
  const PodId src = src_it->second;
  const auto& service = view->scenario.services[*svc_id];
  const std::uint64_t flow = std::hash<std::string>{}(toString(remote)) ^ (++impl_->flows * 0x9e3779b97f4a7c15ULL);
  const auto path = models::hopPath(view->scenario, view->state, src, *svc_id, flow);

  ConnectionLabels labels;
  labels.reporter = "source";
  setSource(labels, *view, src);
  labels.destination_service = serviceFqdn(service);
  labels.destination_service_namespace = service.ns;
  labels.destination_service_name = service.name;
  auto fail = [&](const std::string& flag, const std::string& why) {
    labels.response_flags = flag;
    TcpConnectionMetrics m(metrics_, labels);
    m.opened();
    m.closed();
    config_.log->warn("outbound {} -> {} from {} failed ({}): {}", pod, svc, toString(remote), flag, why);
    ErrorCode ignored;
    client.close(ignored);
  };
  if (!path.error.empty() || !path.destination_pod) {
    fail(flags::kConnect, path.error.empty() ? std::string("no destination") : path.error);
    co_return;
  }
  const PodId dst = *path.destination_pod;
  setDestination(labels, *view, dst);
  // The hop after the first link decides what this ztunnel opens.
  std::size_t i = 0;
  while (i < path.hops.size() && path.hops[i].kind != models::HopKind::Link) ++i;
  if (i + 1 >= path.hops.size()) {
    fail(flags::kConnect, "no next hop in " + path.describe(view->scenario));
    co_return;
  }
  const auto& link = path.hops[i];
  const auto& next = path.hops[i + 1];
  if (link.tunnel != models::Tunnel::Hbone) {
    // Passthrough to a destination outside the mesh: plaintext, as ztunnel does.
    if (!view->pod_app[dst]) {
      fail(flags::kConnect, "pod " + view->podKey(dst) + " has no address in the snapshot");
      co_return;
    }
    tcp::socket upstream(ex_);
    co_await upstream.async_connect(*view->pod_app[dst], asio::redirect_error(kUseTask, ec));
    if (ec) {
      fail(flags::kConnect, "connect " + toString(*view->pod_app[dst]) + ": " + ec.message());
      co_return;
    }
    TcpConnectionMetrics m(metrics_, labels);
    asio::co_spawn(ex_, carryPlain(std::move(client), std::move(upstream), m), asio::detached);
    co_return;
  }
  HboneTarget target;
  const bool via_waypoint = next.kind == models::HopKind::Waypoint;
  const PodId hop_pod = via_waypoint ? *next.pod : dst;
  if (!view->pod_hbone[hop_pod] || (!via_waypoint && !view->pod_app[dst]) ||
      (via_waypoint && !view->service_vip[*svc_id])) {
    fail(flags::kConnect, "no address in the snapshot for " + view->podKey(hop_pod) +
                              (via_waypoint ? " or service " + svc + "'s VIP" : std::string()));
    co_return;
  }
  target.address = *view->pod_hbone[hop_pod];
  target.authority = via_waypoint ? toString(*view->service_vip[*svc_id]) : toString(*view->pod_app[dst]);
  target.expected_peer = view->identityOf(hop_pod);
  HboneRequestInfo info;
  info.forwarded_for = remote.address().to_string();
  info.host = serviceFqdn(service);
  info.baggage = baggageFor(*view, src);
  auto stream = co_await pool_.connect(view->identityOf(src), target, info);
  if (!stream) {
    fail(stream.error().code.empty() ? flags::kConnect : stream.error().code, stream.error().text());
    co_return;
  }
  labels.security_policy = "mutual_tls";
  TcpConnectionMetrics m(metrics_, labels);
  asio::co_spawn(ex_, carryTunnel(std::move(client), stream.value(), m), asio::detached);
}

Task<void> Ztunnel::redirected(tcp::socket client) {
  auto view = impl_->view;
  ErrorCode ec;
  const auto remote = client.remote_endpoint(ec);
  auto orig = originalDestination(client);
  if (!orig || !view) {
    config_.log->warn("redirected connection from {}: {}", toString(remote),
                      orig ? std::string("no control-plane snapshot yet") : orig.error().text());
    client.close(ec);
    co_return;
  }
  // The source pod: a captured pod of this node with the connection's source address.
  std::optional<PodId> src;
  if (const auto node = view->node_by_name.find(config_.node); node != view->node_by_name.end()) {
    for (PodId p : view->podsOn(node->second)) {
      if (view->pod_app[p] && view->pod_app[p]->address() == remote.address() &&
          view->modeOf(p) == models::MeshMode::Ambient && impl_->inbound.count(view->podKey(p))) {
        src = p;
        break;
      }
    }
  }
  const auto svc = view->service_by_vip.find(orig.value());
  if (!src || svc == view->service_by_vip.end()) {
    config_.log->warn("redirected connection from {} to {}: {}", toString(remote), toString(orig.value()),
                      !src ? "no captured pod of node " + config_.node + " has that source address"
                           : std::string("the original destination is not a service VIP of the snapshot"));
    client.close(ec);
    co_return;
  }
  co_await outbound(std::move(client), view->podKey(*src), view->scenario.services[svc->second].key());
}

void Ztunnel::inbound(std::shared_ptr<H2Stream> stream, const WorkloadIdentity& peer, const tcp::endpoint& remote,
                      const std::string& pod) {
  asio::co_spawn(ex_, serveInbound(std::move(stream), peer, remote, pod), asio::detached);
}

Task<void> Ztunnel::serveInbound(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote,
                                 std::string pod) {
  auto view = impl_->view;
  ConnectionLabels labels;
  labels.reporter = "destination";
  labels.security_policy = "mutual_tls";
  setSourceFromIdentity(labels, *view, peer);
  const auto pod_it = view->pod_by_key.find(pod);
  if (pod_it == view->pod_by_key.end()) {
    stream->respond(503, {}, true);
    co_return;
  }
  const PodId dst = pod_it->second;
  setDestination(labels, *view, dst);
  auto refuse = [&](int status, const std::string& flag, const std::string& why) {
    labels.response_flags = flag;
    TcpConnectionMetrics m(metrics_, labels);
    m.opened();
    m.closed();
    config_.log->warn("inbound HBONE {} from {} ({}) to pod {} refused with {} ({}): {}",
                      std::string(findHeader(stream->request(), ":authority").value_or("")), toString(remote),
                      peer.uri(), pod, status, flag, why);
    stream->respond(status, {}, true);
  };
  const auto method = findHeader(stream->request(), ":method");
  if (method != "CONNECT") {
    refuse(400, flags::kConnect, "method " + std::string(method.value_or("(none)")) + " is not CONNECT");
    co_return;
  }
  const auto authority = parseEndpoint(findHeader(stream->request(), ":authority").value_or(""));
  if (!authority || !view->pod_app[dst] || *authority != *view->pod_app[dst]) {
    refuse(400, flags::kConnect,
           "authority '" + std::string(findHeader(stream->request(), ":authority").value_or("")) +
               "' is not this pod's address");
    co_return;
  }
  // L4 authorization with the destination's selector policies (their L4 conversion).
  const auto& s = view->scenario;
  const auto workload = s.pods[dst].owner_id;
  for (const auto& svc_id : s.servicesOf(workload)) labels.destination_service = serviceFqdn(s.services[svc_id]);
  const auto policies = models::destinationPolicies(s, view->state, workload, models::MeshMode::Ambient);
  std::vector<const models::AuthorizationPolicy*> ptrs;
  for (const auto& p : policies) ptrs.push_back(&p);
  models::RequestAttrs attrs;
  attrs.source_principal = peer.trust_domain + "/ns/" + peer.service_account.ns + "/sa/" + peer.service_account.name;
  attrs.source_namespace = peer.service_account.ns;
  attrs.source_ip = remote.address().to_string();
  attrs.destination_port = authority->port();
  const auto decision = models::authorize(ptrs, attrs);
  if (!decision.allowed) {
    refuse(401, flags::kDeny, "policy " + decision.policy + ": " + decision.reason);
    co_return;
  }
  tcp::socket upstream(ex_);
  ErrorCode ec;
  co_await upstream.async_connect(*authority, asio::redirect_error(kUseTask, ec));
  if (ec) {
    refuse(503, flags::kConnect, "connect to the pod at " + toString(*authority) + ": " + ec.message());
    co_return;
  }
  upstream.set_option(tcp::no_delay(true), ec);
  stream->respond(200);
  TcpConnectionMetrics m(metrics_, labels);
  asio::co_spawn(ex_, carryTunnel(std::move(upstream), stream, m), asio::detached);
}

std::map<std::string, tcp::endpoint> Ztunnel::inboundAddresses() const {
  std::map<std::string, tcp::endpoint> out;
  for (const auto& [k, l] : impl_->inbound) out[k] = l->address();
  return out;
}

std::optional<tcp::endpoint> Ztunnel::outboundAddress(const std::string& pod, const std::string& svc) const {
  auto it = impl_->outbound.find({pod, svc});
  if (it == impl_->outbound.end()) return std::nullopt;
  ErrorCode ec;
  auto ep = it->second->local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

std::optional<tcp::endpoint> Ztunnel::redirectAddress() const {
  if (!impl_->redirect) return std::nullopt;
  ErrorCode ec;
  auto ep = impl_->redirect->local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

tcp::endpoint Ztunnel::metricsAddress() const { return impl_->admin.metrics(); }
tcp::endpoint Ztunnel::readinessAddress() const { return impl_->admin.readiness(); }
tcp::endpoint Ztunnel::adminAddress() const { return impl_->admin.admin(); }
bool Ztunnel::ready() const { return impl_->view && impl_->not_ready.empty() && !impl_->stopped; }
std::uint64_t Ztunnel::snapshotVersion() const { return impl_->view ? impl_->view->snapshot.version : 0; }

std::string Ztunnel::configDump() const {
  nlohmann::json j;
  j["node"] = config_.node;
  j["ready"] = ready();
  j["not_ready"] = impl_->not_ready;
  if (const auto& v = impl_->view) {
    j["snapshot"] = {{"version", v->snapshot.version},
                     {"scenario", v->snapshot.scenario_file},
                     {"phase", v->state.phase},
                     {"phase_name", v->state.phase_name}};
    const auto& s = v->scenario;
    auto& workloads = j["workloads"] = nlohmann::json::array();
    for (const auto& [key, l] : impl_->inbound) {
      const PodId p = v->pod_by_key.at(key);
      const auto w = s.pods[p].owner_id;
      nlohmann::json policies = nlohmann::json::array();
      for (const auto& pol : models::destinationPolicies(s, v->state, w, models::MeshMode::Ambient))
        policies.push_back({{"name", pol.key()}, {"action", models::toString(pol.action)}});
      workloads.push_back({{"pod", key},
                           {"identity", v->identityOf(p).uri()},
                           {"hbone", toString(l->address())},
                           {"app", v->pod_app[p] ? toString(*v->pod_app[p]) : std::string()},
                           {"l4_policies", policies}});
    }
    auto& services = j["services"] = nlohmann::json::array();
    for (ServiceId id = 0; id < s.services.size(); ++id) {
      nlohmann::json svc{{"name", s.services[id].key()},
                         {"vip", v->service_vip[id] ? toString(*v->service_vip[id]) : std::string()}};
      if (auto wp = v->state.service_waypoint[id]) svc["waypoint"] = s.waypoints[*wp].key();
      services.push_back(svc);
    }
  }
  auto& certs = j["certificates"] = nlohmann::json::array();
  for (const auto& [sa, c] : config_.identity.certificates) {
    certs.push_back({{"identity", c.identity.uri()},
                     {"not_before", formatUtc(c.certificate.notBefore())},
                     {"not_after", formatUtc(c.certificate.notAfter())},
                     {"serial", c.certificate.serialHex()}});
  }
  const auto ps = pool_.stats();
  j["pool"] = {{"connections", ps.connections},
               {"streams", ps.streams},
               {"handshakes", ps.handshakes},
               {"released_idle", ps.released_idle}};
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::dataplane
