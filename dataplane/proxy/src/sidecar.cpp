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

namespace {

// Hands each connection `acceptor` accepts to `on_accept` until the acceptor is closed.
Task<void> acceptEach(std::shared_ptr<tcp::acceptor> acceptor,
                      std::function<void(std::shared_ptr<tcp::socket>)> on_accept) {
  for (;;) {
    ErrorCode ec;
    auto sock = std::make_shared<tcp::socket>(co_await acceptor->async_accept(asio::redirect_error(kUseTask, ec)));
    if (!acceptor->is_open()) co_return;
    if (!ec) on_accept(std::move(sock));
  }
}

}  // namespace

Result<std::unique_ptr<Sidecar>> Sidecar::create(Executor ex, SidecarConfig config) {
  std::unique_ptr<Sidecar> sc(new Sidecar(std::move(ex), std::move(config)));
  auto* self = sc.get();
  TlsAcceptHandlers h;
  h.on_stream = [self](std::shared_ptr<H2Stream> s, const WorkloadIdentity& peer, const tcp::endpoint& remote) {
    asio::co_spawn(self->ex_, self->serveTunnel(std::move(s), peer, remote), asio::detached);
  };
  h.on_raw = [self](std::shared_ptr<TlsStream> tls, const WorkloadIdentity& peer, const tcp::endpoint& remote) -> Task<void> {
    auto view = self->view_;
    if (!view) co_return;
    HttpHandler handler = [self, view, peer, remote](HttpRequestMsg req) {
      return self->inbound(view, peer, remote, std::move(req));
    };
    co_await serveHttp(tls, std::move(handler));
  };
  if (auto r = sc->start(std::move(h)); !r) return r.error();
  if (const auto port = sc->redirect_port_) {
    auto acc = bindAcceptor(sc->ex_, {sc->config_.listen_address, *port}, "sidecar redirect listener for " + sc->config_.pod);
    if (!acc) return acc.error();
    sc->redirect_ = std::make_shared<tcp::acceptor>(std::move(acc.value()));
    const std::function<void(std::shared_ptr<tcp::socket>)> on_accept = [self](std::shared_ptr<tcp::socket> s) {
      self->redirected(std::move(s));
    };
    asio::co_spawn(sc->ex_, acceptEach(sc->redirect_, on_accept), asio::detached);
  }
  return sc;
}

Sidecar::~Sidecar() { Sidecar::stop(); }

Result<bool> Sidecar::apply(std::shared_ptr<const MeshView> view) {
  auto adopted = adopt(view, models::Pod::Owner::Workload);
  if (!adopted || !adopted.value()) return adopted;
  not_ready_ = view->modeOf(*self_) == models::MeshMode::Sidecar
                   ? std::string()
                   : "pod " + config_.pod + " is not in sidecar mode in this phase";
  // Plain listener mode: one outbound listener per service.
  const auto& s = view->scenario;
  for (const auto& svc : s.services) {
    if (outbound_.count(svc.key())) continue;
    auto acc = bindAcceptor(ex_, {config_.listen_address, 0}, "sidecar outbound for " + config_.pod + " -> " + svc.key());
    if (!acc) return acc.error();
    auto shared = std::make_shared<tcp::acceptor>(std::move(acc.value()));
    outbound_[svc.key()] = shared;
    const std::function<void(std::shared_ptr<tcp::socket>)> on_accept = [this, key = svc.key()](
                                                                             std::shared_ptr<tcp::socket> sock) {
      auto v = view_;
      const auto slash = key.find('/');
      if (const auto id = v->scenario.findService(key.substr(0, slash), key.substr(slash + 1)))
        serveOutbound(std::move(sock), std::move(v), *id);
    };
    asio::co_spawn(ex_, acceptEach(shared, on_accept), asio::detached);
  }
  config_.log->info("snapshot version {} applied: phase {} ({})", view->snapshot.version, view->state.phase,
                    view->state.phase_name);
  view_ = std::move(view);
  return true;
}

void Sidecar::stop() {
  for (auto& [k, a] : outbound_) {
    ErrorCode ignored;
    a->close(ignored);
  }
  if (redirect_) {
    ErrorCode ignored;
    redirect_->close(ignored);
  }
  PodProxy::stop();
}

void Sidecar::serveOutbound(std::shared_ptr<tcp::socket> socket, std::shared_ptr<const MeshView> view, ServiceId svc) {
  ErrorCode ec;
  socket->set_option(tcp::no_delay(true), ec);
  // Routing is per request, on the snapshot applied last (as Envoy applies new routes and
  // endpoints to requests on existing connections): a drained endpoint stops being picked.
  HttpHandler handler = [this, view, svc](HttpRequestMsg req) {
    auto current = view_ ? view_ : view;
    return outbound(std::move(current), svc, std::move(req));
  };
  asio::co_spawn(ex_, serveHttp(std::move(socket), std::move(handler)), asio::detached);
}

void Sidecar::redirected(std::shared_ptr<tcp::socket> socket) {
  auto view = view_;  // the connection keeps the snapshot it started with
  ErrorCode ec;
  const auto remote = socket->remote_endpoint(ec);
  auto orig = originalDestination(*socket);
  std::optional<ServiceId> svc;
  std::string why;
  if (!orig) {
    why = orig.error().text();
  } else if (!view) {
    why = "no control-plane snapshot yet";
  } else if (const auto it = view->service_by_vip.find(orig.value()); it != view->service_by_vip.end()) {
    svc = it->second;
  } else {
    why = "the original destination is not a service VIP of the snapshot";
  }
  if (!svc) {
    config_.log->warn("sidecar {}: redirected connection from {}{} closed: {}", config_.pod, toString(remote),
                      orig ? " to " + toString(orig.value()) : std::string(), why);
    socket->close(ec);
    return;
  }
  serveOutbound(std::move(socket), std::move(view), *svc);
}

Task<HttpResponseMsg> Sidecar::outbound(std::shared_ptr<const MeshView> view, ServiceId svc, HttpRequestMsg req) {
  const auto start = std::chrono::steady_clock::now();
  const auto& s = view->scenario;
  const PodId self = *self_;
  RequestLabels labels;
  labels.reporter = "source";
  labels.source_principal = view->identityOf(self).uri();
  labels.source_namespace = view->podNamespace(self);
  labels.source_workload = s.workloads[s.pods[self].owner_id].name;
  labels.destination_service = serviceFqdn(s.services[svc]);
  labels.destination_service_namespace = s.services[svc].ns;
  labels.destination_service_name = s.services[svc].name;
  const std::uint64_t hash = std::hash<std::string>{}(req.target) ^ (++requests_ * 0x9e3779b97f4a7c15ULL);
  const auto route = models::routeHttp(s, svc, req.method, req.target, req.headers, hash);
  PodId chosen = 0;
  // A sidecar client picks among all endpoints, as models::hopPath does (no waypoint, no
  // locality preference).
  const WorkloadIdentity source = view->identityOf(self);
  const UpstreamForwarder::EndpointPicker pick = [&](int attempt) {
    return models::pickEndpoint(s, view->state, route.backend, std::nullopt, hash + static_cast<std::uint64_t>(attempt) * 7919U);
  };
  auto res = co_await forwarder_->forward(view, source, req, route, pick, &chosen);
  if (res.flags != "UH") {
    labels.destination_workload = s.workloads[s.pods[chosen].owner_id].name;
    labels.destination_namespace = view->podNamespace(chosen);
    labels.destination_principal = view->identityOf(chosen).uri();
    labels.security_policy = view->modeOf(chosen) == models::MeshMode::None ? "unknown" : "mutual_tls";
  }
  labels.response_code = std::to_string(res.status);
  labels.response_flags = res.flags;
  recordRequest(metrics_, labels,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
                req.body.size(), res.body.size());
  co_return res;
}

Task<void> Sidecar::serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote) {
  auto view = view_;
  const auto method = findHeader(stream->request(), ":method");
  const auto authority = parseEndpoint(findHeader(stream->request(), ":authority").value_or(""));
  if (method != "CONNECT" || !view || !authority || !view->pod_app[*self_] ||
      *authority != *view->pod_app[*self_]) {
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
  const PodId self = *self_;
  const auto workload = s.pods[self].owner_id;
  RequestLabels labels;
  labels.reporter = "destination";
  labels.source_principal = peer.uri();
  labels.source_namespace = peer.service_account.ns;
  labels.source_workload = view->workloadNameOf(peer);
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
    res = co_await forwarder_->forwardLocal(*view->pod_app[self], req);
  }
  labels.response_code = std::to_string(res.status);
  labels.response_flags = res.flags;
  recordRequest(metrics_, labels,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
                req.body.size(), res.body.size());
  co_return res;
}

std::optional<tcp::endpoint> Sidecar::outboundAddress(const std::string& svc) const {
  auto it = outbound_.find(svc);
  if (it == outbound_.end()) return std::nullopt;
  ErrorCode ec;
  auto ep = it->second->local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

std::optional<tcp::endpoint> Sidecar::redirectAddress() const {
  if (!redirect_) return std::nullopt;
  ErrorCode ec;
  auto ep = redirect_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

std::string Sidecar::configDump() const {
  nlohmann::json j;
  j["pod"] = config_.pod;
  j["inbound"] = toString(listener_->address());
  if (const auto r = redirectAddress()) j["redirect"] = toString(*r);
  j["ready"] = not_ready_.empty();
  if (!not_ready_.empty()) j["not_ready"] = not_ready_;
  if (const auto& v = view_; v && self_) {
    j["snapshot"] = {{"version", v->snapshot.version}, {"phase", v->state.phase}};
    nlohmann::json policies = nlohmann::json::array();
    for (const auto& p :
         models::destinationPolicies(v->scenario, v->state, v->scenario.pods[*self_].owner_id, models::MeshMode::Sidecar))
      policies.push_back(p.key());
    j["inbound_policies"] = policies;
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [svc, acc] : outbound_) {
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
