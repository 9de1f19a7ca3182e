// Services: the workloads their selector picks, their ports and protocols (appProtocol,
// Istio's port-name convention, well-known ports), waypoint bindings; LoadBalancer, NodePort
// and Ingress backends as entry point candidates.
#include <fmt/format.h>

#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

using models::Protocol;

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return s;
}

// An Istio protocol name (appProtocol value, or a port name's prefix) as the model's protocol.
std::optional<Protocol> istioProtocol(const std::string& p) {
  if (p == "http" || p == "http2" || p == "grpc-web" || p == "kubernetes.io/h2c" || p == "h2c") return Protocol::Http;
  if (p == "grpc") return Protocol::Grpc;
  if (p == "tcp" || p == "tls" || p == "https" || p == "mongo" || p == "mysql" || p == "redis" ||
      p == "kubernetes.io/ws" || p == "kubernetes.io/wss") {
    return Protocol::Tcp;
  }
  return std::nullopt;
}

std::optional<std::string> wellKnownTcp(std::int64_t port) {
  static const std::map<std::int64_t, const char*> ports = {
      {3306, "MySQL"}, {5432, "PostgreSQL"}, {6379, "Redis"}, {27017, "MongoDB"},   {9092, "Kafka"},
      {11211, "memcached"}, {5672, "AMQP"}, {9042, "Cassandra"}, {2181, "ZooKeeper"}, {443, "HTTPS"}};
  const auto it = ports.find(port);
  if (it == ports.end()) return std::nullopt;
  return std::string(it->second);
}

Protocol portProtocol(Mapper& m, const Object& o, const nlohmann::json& p, std::int64_t port) {
  const auto app = lower(str(p, {"appProtocol"}));
  if (auto proto = istioProtocol(app)) return *proto;
  const auto name = lower(str(p, {"name"}));
  if (auto proto = istioProtocol(name.substr(0, name.find('-')))) return *proto;
  const auto what = fmt::format("port {} of {}", port, o.key());
  if (const auto known = wellKnownTcp(port)) {
    m.report.assume(o.ref(), what + ": no appProtocol or name prefix; tcp assumed (" + *known + "'s port)");
    return Protocol::Tcp;
  }
  m.report.assume(o.ref(), what + ": no appProtocol or name prefix; http assumed (Istio sniffs the protocol)");
  return Protocol::Http;
}

// targetPort: a number, a container port's name, or (absent) the port itself.
int targetPort(Mapper& m, const Object& o, const nlohmann::json& p, int port, const std::vector<std::string>& ws) {
  if (const auto n = integer(p, {"targetPort"}); n && *n > 0 && *n < 65536) return static_cast<int>(*n);
  const auto name = str(p, {"targetPort"});
  if (name.empty()) return port;
  for (const auto& w : ws) {
    const auto& named = m.container_ports[o.ns + "/" + w];
    if (const auto it = named.find(name); it != named.end()) return it->second;
  }
  m.report.assume(o.ref(), fmt::format("targetPort \"{}\" names no container port of its workloads: {} assumed", name, port));
  return port;
}

std::vector<models::ServicePort> ports(Mapper& m, const Object& o, const std::vector<std::string>& ws,
                                       std::vector<std::string>& notes) {
  std::vector<models::ServicePort> out;
  for (const auto& p : items(o.body, {"spec", "ports"})) {
    const auto port = integer(p, {"port"});
    if (!port || *port < 1 || *port > 65535) continue;
    const auto l4 = str(p, {"protocol"});
    if (!l4.empty() && l4 != "TCP") {
      notes.push_back(fmt::format("{} port {} not modelled", l4, *port));
      continue;
    }
    models::ServicePort sp;
    sp.name = str(p, {"name"});
    sp.port = static_cast<int>(*port);
    sp.target_port = targetPort(m, o, p, sp.port, ws);
    sp.protocol = portProtocol(m, o, p, *port);
    out.push_back(sp);
  }
  return out;
}

// A Service in front of a waypoint or an ingress gateway is that gateway's, not a workload's.
std::optional<std::string> gatewayService(const Mapper& m, const Object& o, const Labels& selector) {
  const auto l = labels(o.body, {"metadata", "labels"});
  if (l.count("gateway.istio.io/managed") || selector.count("gateway.networking.k8s.io/gateway-name")) {
    return "the Service of a Gateway's pods (waypoint or ingress), not a workload's";
  }
  for (const auto& g : m.gateway_pods) {
    if (g.ns == o.ns && !selector.empty() && selects(g.labels, selector)) return "fronts the " + g.what + ", not a workload";
  }
  return std::nullopt;
}

void serviceBinding(Mapper& m, const Object& o) {
  const auto wp = str(o.body, {"metadata", "labels", "istio.io/use-waypoint"});
  if (wp.empty()) return;
  auto wns = str(o.body, {"metadata", "labels", "istio.io/use-waypoint-namespace"});
  if (wns.empty()) wns = o.ns;
  if (wp != "none" && !m.findWaypoint(wns, wp)) {
    m.report.assume(o.ref(), "istio.io/use-waypoint names waypoint " + wns + "/" + wp + ", which is not in the input: "
                                                                                          "binding left out");
    return;
  }
  m.draft.bindings.push_back({"service", o.key(), wp == "none" || wns == o.ns ? wp : wns + "/" + wp});
}

}  // namespace

Outcome mapService(Mapper& m, const Object& o) {
  if (m.isSystem(o.ns)) return skipped("system namespace");
  if (str(o.body, {"spec", "type"}) == "ExternalName") return skipped("type ExternalName: external service, not modelled");
  const auto selector = labels(o.body, {"spec", "selector"});
  if (selector.empty()) return skipped("no selector: endpoints not modelled");
  if (auto why = gatewayService(m, o, selector)) return skipped(*why);
  DraftService sv;
  sv.ns = o.ns;
  sv.name = o.name;
  for (const auto* w : m.select(o.ns, selector)) {
    if (w->ns == o.ns) sv.workloads.push_back(w->name);
  }
  if (sv.workloads.empty()) {
    m.report.assume(o.ref(), "selector " + labelText(selector) + " matches no workload in " + o.ns +
                                 ": the Service is left out, calls to it cannot be modelled");
    return skipped("selector " + labelText(selector) + " matches no workload");
  }
  std::sort(sv.workloads.begin(), sv.workloads.end());
  sv.notes.push_back("from " + o.ref());
  sv.ports = ports(m, o, sv.workloads, sv.notes);
  if (sv.ports.empty() && !items(o.body, {"spec", "ports"}).empty()) return skipped("no TCP port (UDP and SCTP are not modelled)");
  m.draft.services.push_back(std::move(sv));
  serviceBinding(m, o);
  const auto type = str(o.body, {"spec", "type"});
  if (type == "LoadBalancer" || type == "NodePort") m.addEntryPoint(o.ns, o.name, "/", "Service " + o.key() + " of type " + type);
  return mapped();
}

// networking.k8s.io/v1 (backend.service.name) and v1beta1 (backend.serviceName).
Outcome mapIngress(Mapper& m, const Object& o) {
  int added = 0;
  const auto add = [&](const nlohmann::json& backend, const std::string& path) {
    auto name = str(backend, {"service", "name"});
    if (name.empty()) name = str(backend, {"serviceName"});
    if (!name.empty() && m.addEntryPoint(o.ns, name, path, "a backend of " + o.ref())) ++added;
  };
  if (const auto* d = get(o.body, {"spec", "defaultBackend"})) add(*d, "/");
  if (const auto* d = get(o.body, {"spec", "backend"})) add(*d, "/");
  for (const auto& rule : items(o.body, {"spec", "rules"})) {
    for (const auto& p : items(rule, {"http", "paths"})) {
      if (const auto* b = get(p, {"backend"})) add(*b, str(p, {"path"}));
    }
  }
  if (added == 0) return skipped("no backend is a modelled Service");
  return mapped();
}

}  // namespace meshtwin::importer::detail
