// sidecar: outbound HTTP -> route -> endpoint -> HBONE/plaintext; inbound HBONE or Istio
// mTLS -> full L7 selector policies -> local app; reporter=source/destination metrics.
#include "meshtwin/dataplane/sidecar.hpp"

#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "meshtwin/models/policy.hpp"

namespace meshtwin::dataplane {

using models::PodId;
using models::ServiceId;

struct Sidecar::Impl {
  std::shared_ptr<const MeshView> view;
  std::optional<PodId> self;
  std::shared_ptr<TlsListener> inbound;
  std::shared_ptr<TlsContext> server_ctx;
  std::map<std::string, std::shared_ptr<tcp::acceptor>> outbound;  // by service key
  AdminEndpoints admin;
  std::unique_ptr<UpstreamForwarder> forwarder;
  std::string not_ready = "no control-plane snapshot yet";
  std::uint64_t requests = 0;
  bool stopped = false;
};

Sidecar::Sidecar(Executor ex, SidecarConfig config)
    : ex_(ex), config_(std::move(config)), pool_(ex, config_.pool), impl_(std::make_unique<Impl>()) {
  if (!config_.log) config_.log = spdlog::default_logger();
  describeRequestMetrics(metrics_);
  impl_->forwarder = std::make_unique<UpstreamForwarder>(ex_, pool_, config_.log);
}

Sidecar::~Sidecar() { stop(); }

Result<std::unique_ptr<Sidecar>> Sidecar::create(Executor ex, SidecarConfig config) {
  std::unique_ptr<Sidecar> sc(new Sidecar(ex, std::move(config)));
  auto& cfg = sc->config_;
  if (auto r = sc->setIdentity(cfg.identity); !r) return r.error();
  auto* self = sc.get();
  TlsAcceptHandlers h;
  h.on_stream = [self](std::shared_ptr<H2Stream> s, const WorkloadIdentity& peer, const tcp::endpoint& remote) {
    asio::co_spawn(self->ex_, self->serveTunnel(std::move(s), peer, remote), asio::detached);
  };
  h.on_raw = [self](std::shared_ptr<TlsStream> tls, const WorkloadIdentity& peer, const tcp::endpoint& remote) -> Task<void> {
    auto view = self->impl_->view;
    if (!view) co_return;
    HttpHandler handler = [self, view, peer, remote](HttpRequestMsg req) {
      return self->inbound(view, peer, remote, std::move(req));
    };
    co_await serveHttp(tls, std::move(handler));
  };
  h.on_failure = [self](const tcp::endpoint& remote, const std::string& flag, const std::string& why) {
    self->config_.log->warn("inbound mTLS from {} to sidecar {} refused ({}): {}", toString(remote), self->config_.pod,
                            flag, why);
  };
  auto l = TlsListener::bind(ex, {cfg.listen_address, cfg.inbound_port}, sc->impl_->server_ctx, std::move(h), cfg.pool.h2);
  if (!l) return l.error();
  sc->impl_->inbound = l.value();
  l.value()->start();
  AdminHooks hooks;
  hooks.metrics = [self] { return self->metrics_.render(); };
  hooks.not_ready = [self]() -> std::optional<std::string> {
    if (self->impl_->not_ready.empty()) return std::nullopt;
    return self->impl_->not_ready;
  };
  hooks.config_dump = [self] { return self->configDump(); };
  auto admin = AdminEndpoints::bind(ex, cfg.listen_address, {cfg.metrics_port, cfg.readiness_port, cfg.admin_port},
                                    "sidecar", std::move(hooks));
  if (!admin) return admin.error();
  sc->impl_->admin = std::move(admin).value();
  return sc;
}

Result<bool> Sidecar::setIdentity(ProxyIdentity identity) {
  auto cert = pickCertificate(identity, config_.account, "sidecar " + config_.pod);
  if (!cert) return cert.error();
  TlsCredentials creds{cert.value(), identity.root};
  auto server = makeTlsContext(TlsRole::Server, creds, {kAlpnH2, kAlpnIstio}, config_.clock);
  if (!server) return server.error();
  auto client = makeTlsContext(TlsRole::Client, creds, {kAlpnH2}, config_.clock);
  if (!client) return client.error();
  impl_->server_ctx = server.value();
  pool_.setClientContext(cert->identity, client.value());
  if (impl_->inbound) impl_->inbound->setContext(server.value());
  config_.identity = std::move(identity);
  return true;
}

bool Sidecar::ready() const { return impl_->not_ready.empty() && !impl_->stopped; }
std::uint64_t Sidecar::snapshotVersion() const { return impl_->view ? impl_->view->snapshot.version : 0; }

Result<bool> Sidecar::apply(std::shared_ptr<const MeshView> view) {
  if (impl_->view && view->snapshot.version <= impl_->view->snapshot.version) return false;
  auto it = view->pod_by_key.find(config_.pod);
  if (it == view->pod_by_key.end() || view->scenario.pods[it->second].owner != models::Pod::Owner::Workload) {
    return Error{"apply snapshot", "sidecar " + config_.pod, "the scenario has no workload pod of that name",
                 "pods are named ns/<workload>-<i>"};
  }
  impl_->self = it->second;
  impl_->not_ready = view->modeOf(it->second) == models::MeshMode::Sidecar
                         ? std::string()
                         : "pod " + config_.pod + " is not in sidecar mode in this phase";
  // Plain listener mode: one outbound listener per service.
  const auto& s = view->scenario;
  for (const auto& svc : s.services) {
    if (impl_->outbound.count(svc.key())) continue;
    auto acc = bindAcceptor(ex_, {config_.listen_address, 0}, "sidecar outbound for " + config_.pod + " -> " + svc.key());
    if (!acc) return acc.error();
    auto shared = std::make_shared<tcp::acceptor>(std::move(acc.value()));
    impl_->outbound[svc.key()] = shared;
    asio::co_spawn(
        ex_,
        [this, shared, key = svc.key()]() -> Task<void> {
          for (;;) {
            ErrorCode ec;
            auto sock = std::make_shared<tcp::socket>(co_await shared->async_accept(asio::redirect_error(kUseTask, ec)));
            if (!shared->is_open()) co_return;
            if (ec) continue;
            sock->set_option(tcp::no_delay(true), ec);
            auto v = impl_->view;
            const auto slash = key.find('/');
            const auto id = v->scenario.findService(key.substr(0, slash), key.substr(slash + 1));
            if (!id) continue;
            HttpHandler handler = [this, v, id = *id](HttpRequestMsg req) { return outbound(v, id, std::move(req)); };
            asio::co_spawn(ex_, serveHttp(sock, std::move(handler)), asio::detached);
          }
        },
        asio::detached);
  }
  config_.log->info("snapshot version {} applied: phase {} ({})", view->snapshot.version, view->state.phase,
                    view->state.phase_name);
  impl_->view = std::move(view);
  return true;
}

void Sidecar::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->inbound) impl_->inbound->stop();
  for (auto& [k, a] : impl_->outbound) {
    ErrorCode ignored;
    a->close(ignored);
  }
  impl_->admin.stop();
  pool_.closeAll();
}

Task<HttpResponseMsg> Sidecar::outbound(std::shared_ptr<const MeshView> view, ServiceId svc, HttpRequestMsg req) {
  const auto start = std::chrono::steady_clock::now();
  const auto& s = view->scenario;
  const PodId self = *impl_->self;
  RequestLabels labels;
  labels.reporter = "source";
  labels.source_principal = view->identityOf(self).uri();
  labels.source_namespace = view->podNamespace(self);
  labels.source_workload = s.workloads[s.pods[self].owner_id].name;
  labels.destination_service = serviceFqdn(s.services[svc]);
  labels.destination_service_namespace = s.services[svc].ns;
  labels.destination_service_name = s.services[svc].name;
  const std::uint64_t hash = std::hash<std::string>{}(req.target) ^ (++impl_->requests * 0x9e3779b97f4a7c15ULL);
  const auto route = models::routeHttp(s, svc, req.method, req.target, req.headers, hash);
  PodId chosen = 0;
  // A sidecar client picks among all endpoints, as models::hopPath does (no waypoint, no
  // locality preference).
  const WorkloadIdentity source = view->identityOf(self);
  const UpstreamForwarder::EndpointPicker pick = [&](int attempt) {
    return models::pickEndpoint(s, route.backend, std::nullopt, hash + static_cast<std::uint64_t>(attempt) * 7919U);
  };
  auto res = co_await impl_->forwarder->forward(view, source, req, route, pick, &chosen);
  if (res.flags != "UH") {
    labels.destination_workload = s.workloads[s.pods[chosen].owner_id].name;
    labels.destination_namespace = view->podNamespace(chosen);
    labels.destination_principal = view->identityOf(chosen).uri();
    labels.security_policy = view->modeOf(chosen) == models::MeshMode::None ? "unknown" : "mutual_tls";
  }
  labels.response_code = std::to_string(res.status);
  labels.response_flags = res.flags;
  recordRequest(metrics_, labels,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  co_return res;
}

Task<void> Sidecar::serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote) {
  auto view = impl_->view;
  const auto method = findHeader(stream->request(), ":method");
  const auto authority = parseEndpoint(findHeader(stream->request(), ":authority").value_or(""));
  if (method != "CONNECT" || !view || !authority || !view->pod_app[*impl_->self] ||
      *authority != *view->pod_app[*impl_->self]) {
    config_.log->warn("sidecar {}: HBONE {} {} from {} refused with 400: not a CONNECT to this pod", config_.pod,
                      std::string(method.value_or("")),
                      std::string(findHeader(stream->request(), ":authority").value_or("")), toString(remote));
    stream->respond(400, {}, true);
    co_return;
  }
  stream->respond(200);
  HttpHandler handler = [this, view, peer, remote](HttpRequestMsg req) { return inbound(view, peer, remote, std::move(req)); };
  co_await serveHttp(stream, std::move(handler));
}

Task<HttpResponseMsg> Sidecar::inbound(std::shared_ptr<const MeshView> view, WorkloadIdentity peer,
                                       tcp::endpoint remote, HttpRequestMsg req) {
  const auto start = std::chrono::steady_clock::now();
  const auto& s = view->scenario;
  const PodId self = *impl_->self;
  const auto workload = s.pods[self].owner_id;
  RequestLabels labels;
  labels.reporter = "destination";
  labels.source_principal = peer.uri();
  labels.source_namespace = peer.service_account.ns;
  labels.source_workload = workloadNameOf(*view, peer);
  labels.destination_workload = s.workloads[workload].name;
  labels.destination_namespace = view->podNamespace(self);
  labels.destination_principal = view->identityOf(self).uri();
  for (auto id : s.servicesOf(workload)) {
    labels.destination_service = serviceFqdn(s.services[id]);
    labels.destination_service_namespace = s.services[id].ns;
    labels.destination_service_name = s.services[id].name;
  }
  // Selector policies with every HTTP attribute: a sidecar sees the request.
  const auto policies = models::destinationPolicies(s, view->state, workload, models::MeshMode::Sidecar);
  std::vector<const models::AuthorizationPolicy*> ptrs;
  for (const auto& p : policies) ptrs.push_back(&p);
  models::RequestAttrs attrs;
  attrs.source_principal = peer.trust_domain + "/ns/" + peer.service_account.ns + "/sa/" + peer.service_account.name;
  attrs.source_namespace = peer.service_account.ns;
  attrs.source_ip = remote.address().to_string();
  attrs.method = req.method;
  attrs.path = req.target.substr(0, req.target.find('?'));
  attrs.host = req.authority;
  attrs.headers = req.headers;
  attrs.destination_port = view->pod_app[self]->port();
  const auto decision = models::authorize(ptrs, attrs);
  HttpResponseMsg res;
  if (!decision.allowed) {
    config_.log->warn("sidecar {}: {} {} from {} denied{}: {}", config_.pod, req.method, req.target, peer.uri(),
                      decision.policy.empty() ? std::string() : " by " + decision.policy, decision.reason);
    res = HttpResponseMsg{403, {{"content-type", "text/plain"}}, "RBAC: access denied", "-"};
  } else {
    res = co_await impl_->forwarder->forwardLocal(*view->pod_app[self], req);
  }
  labels.response_code = std::to_string(res.status);
  labels.response_flags = res.flags;
  recordRequest(metrics_, labels,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  co_return res;
}

tcp::endpoint Sidecar::inboundAddress() const { return impl_->inbound->address(); }
std::optional<tcp::endpoint> Sidecar::outboundAddress(const std::string& svc) const {
  auto it = impl_->outbound.find(svc);
  if (it == impl_->outbound.end()) return std::nullopt;
  ErrorCode ec;
  auto ep = it->second->local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}
tcp::endpoint Sidecar::metricsAddress() const { return impl_->admin.metrics(); }
tcp::endpoint Sidecar::readinessAddress() const { return impl_->admin.readiness(); }
tcp::endpoint Sidecar::adminAddress() const { return impl_->admin.admin(); }

std::string Sidecar::configDump() const {
  nlohmann::json j;
  j["pod"] = config_.pod;
  j["inbound"] = toString(impl_->inbound->address());
  j["ready"] = impl_->not_ready.empty();
  if (!impl_->not_ready.empty()) j["not_ready"] = impl_->not_ready;
  if (const auto& v = impl_->view; v && impl_->self) {
    j["snapshot"] = {{"version", v->snapshot.version}, {"phase", v->state.phase}};
    nlohmann::json policies = nlohmann::json::array();
    for (const auto& p :
         models::destinationPolicies(v->scenario, v->state, v->scenario.pods[*impl_->self].owner_id, models::MeshMode::Sidecar))
      policies.push_back(p.key());
    j["inbound_policies"] = policies;
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [svc, acc] : impl_->outbound) {
      ErrorCode ec;
      out[svc] = toString(acc->local_endpoint(ec));
    }
    j["outbound"] = out;
  }
  const auto ps = pool_.stats();
  j["pool"] = {{"connections", ps.connections}, {"streams", ps.streams}, {"handshakes", ps.handshakes}};
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::dataplane
