// waypoint: HBONE in, HTTP inside, targetRefs authz, HTTPRoute, zone-preferring endpoint
// choice, HBONE out; istio_requests_total and the duration histogram with reporter=waypoint.
#include "meshtwin/dataplane/waypoint.hpp"

#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "meshtwin/models/policy.hpp"

namespace meshtwin::dataplane {

using models::PodId;
using models::ServiceId;

Result<std::unique_ptr<Waypoint>> Waypoint::create(Executor ex, WaypointConfig config) {
  std::unique_ptr<Waypoint> w(new Waypoint(std::move(ex), std::move(config)));
  auto* self = w.get();
  TlsAcceptHandlers h;
  h.on_stream = [self](std::shared_ptr<H2Stream> s, const WorkloadIdentity& peer, const tcp::endpoint& remote) {
    asio::co_spawn(self->ex_, self->serveTunnel(std::move(s), peer, remote), asio::detached);
  };
  if (auto r = w->start(std::move(h)); !r) return r.error();
  return w;
}

Result<bool> Waypoint::apply(std::shared_ptr<const MeshView> view) {
  auto adopted = adopt(view, models::Pod::Owner::Waypoint);
  if (!adopted || !adopted.value()) return adopted;
  const auto wp = view->scenario.pods[*self_].owner_id;
  not_ready_ = view->state.waypoint_present[wp] ? std::string() : "the waypoint is not deployed in this phase";
  config_.log->info("snapshot version {} applied: phase {} ({})", view->snapshot.version, view->state.phase,
                    view->state.phase_name);
  view_ = std::move(view);
  return true;
}

Task<void> Waypoint::serveTunnel(std::shared_ptr<H2Stream> stream, WorkloadIdentity peer, tcp::endpoint remote) {
  auto view = view_;
  const auto method = findHeader(stream->request(), ":method");
  const auto authority = std::string(findHeader(stream->request(), ":authority").value_or(""));
  if (method != "CONNECT") {
    config_.log->warn("waypoint {}: {} from {} is not CONNECT: 400", config_.pod, std::string(method.value_or("")),
                      toString(remote));
    stream->respond(400, {}, true);
    co_return;
  }
  const auto vip = parseEndpoint(authority);
  const auto svc = (vip && view) ? view->service_by_vip.find(*vip) : decltype(view->service_by_vip.end()){};
  if (!view || !vip || svc == view->service_by_vip.end()) {
    config_.log->warn("waypoint {}: CONNECT to {} from {}: not a service VIP this waypoint knows; 400", config_.pod,
                      authority, toString(remote));
    stream->respond(400, {}, true);
    co_return;
  }
  stream->respond(200);
  const ServiceId service = svc->second;
  // A named handler, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
  // Routing and policy are per request, on the snapshot applied last (as Envoy applies new
  // routes and endpoints to requests on existing connections).
  HttpHandler handler = [this, view, service, peer](HttpRequestMsg req) {
    auto current = view_ ? view_ : view;
    return handle(std::move(current), service, peer, std::move(req));
  };
  co_await serveHttp(stream, std::move(handler));
}

Task<HttpResponseMsg> Waypoint::handle(std::shared_ptr<const MeshView> view, ServiceId svc, const WorkloadIdentity& peer,
                                       HttpRequestMsg req) {
  const auto start = std::chrono::steady_clock::now();
  const auto& s = view->scenario;
  const auto& service = s.services[svc];
  const PodId self = *self_;
  const auto wp = s.pods[self].owner_id;
  RequestLabels labels;
  labels.reporter = "waypoint";
  labels.source_principal = peer.uri();
  labels.source_namespace = peer.service_account.ns;
  labels.source_workload = view->workloadNameOf(peer);
  labels.destination_service = serviceFqdn(service);
  labels.destination_service_namespace = service.ns;
  labels.destination_service_name = service.name;
  auto finish = [&](HttpResponseMsg res) {
    labels.response_code = std::to_string(res.status);
    labels.response_flags = res.flags;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    recordRequest(metrics_, labels, ms, req.body.size(), res.body.size());
    return res;
  };
  // 1. Authorization: targetRefs policies on the Service or on this waypoint.
  models::RequestAttrs attrs;
  attrs.source_principal = peer.trust_domain + "/ns/" + peer.service_account.ns + "/sa/" + peer.service_account.name;
  attrs.source_namespace = peer.service_account.ns;
  attrs.method = req.method;
  attrs.path = req.target.substr(0, req.target.find('?'));
  attrs.host = req.authority;
  attrs.headers = req.headers;
  attrs.destination_port = service.ports.empty() ? 0 : service.ports.front().port;
  const auto decision = models::authorize(models::waypointPolicies(s, view->state, svc, wp), attrs);
  if (!decision.allowed) {
    config_.log->warn("waypoint {}: {} {} from {} to {} denied{}: {}", config_.pod, req.method, req.target,
                      peer.uri(), service.key(), decision.policy.empty() ? std::string() : " by " + decision.policy, decision.reason);
    co_return finish(HttpResponseMsg{403, {{"content-type", "text/plain"}}, "RBAC: access denied", "-"});
  }
  // 2. Route, then endpoints of the chosen backend, preferring this waypoint's zone.
  const std::uint64_t hash = std::hash<std::string>{}(req.target) ^ (++requests_ * 0x9e3779b97f4a7c15ULL);
  const auto route = models::routeHttp(s, svc, req.method, req.target, req.headers, hash);
  const auto zone = s.zoneOfPod(self);
  PodId chosen = 0;
  const WorkloadIdentity source = view->identityOf(self);
  const UpstreamForwarder::EndpointPicker pick = [&](int attempt) {
    return models::pickEndpoint(s, view->state, route.backend, zone, hash + static_cast<std::uint64_t>(attempt) * 7919U);
  };
  auto res = co_await forwarder_->forward(view, source, req, route, pick, &chosen);
  if (res.flags != "UH") {
    const auto& pod = s.pods[chosen];
    labels.destination_workload = s.workloads[pod.owner_id].name;
    labels.destination_namespace = view->podNamespace(chosen);
    labels.destination_principal = view->identityOf(chosen).uri();
  }
  co_return finish(std::move(res));
}


std::string Waypoint::configDump() const {
  nlohmann::json j;
  j["pod"] = config_.pod;
  j["hbone"] = toString(listener_->address());
  j["ready"] = not_ready_.empty();
  if (const auto& v = view_; v && self_) {
    const auto& s = v->scenario;
    const auto wp = s.pods[*self_].owner_id;
    j["snapshot"] = {{"version", v->snapshot.version}, {"phase", v->state.phase}};
    auto& services = j["services"] = nlohmann::json::array();
    for (ServiceId id = 0; id < s.services.size(); ++id) {
      if (v->state.service_waypoint[id] != wp) continue;
      nlohmann::json policies = nlohmann::json::array();
      for (const auto* p : models::waypointPolicies(s, v->state, id, wp)) policies.push_back(p->key());
      nlohmann::json routes = nlohmann::json::array();
      for (const auto& r : s.http_routes) {
        if (r.parent == id) routes.push_back(r.key());
      }
      services.push_back({{"name", s.services[id].key()}, {"policies", policies}, {"routes", routes}});
    }
  }
  const auto ps = pool_.stats();
  j["pool"] = {{"connections", ps.connections}, {"streams", ps.streams}, {"handshakes", ps.handshakes}};
  j["idle_upstream_streams"] = forwarder_->idleStreams();
  return j.dump(2) + "\n";
}

}  // namespace meshtwin::dataplane
