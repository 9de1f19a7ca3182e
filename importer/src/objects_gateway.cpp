// Gateway API Gateways (class istio-waypoint: a waypoint; any other class: an ingress whose
// routes give entry points), Istio's own Gateway, and the Deployment that runs a waypoint.
#include <fmt/format.h>

#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr const char* kWaypointClass = "istio-waypoint";
constexpr const char* kGatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
constexpr const char* kManagedLabel = "gateway.istio.io/managed";
constexpr const char* kMeshController = "istio.io-mesh-controller";

std::string waypointFor(Mapper& m, const Object& o, const std::string& value) {
  if (value.empty()) return "service";  // Istio's default
  if (value == "service" || value == "workload" || value == "all" || value == "none") return value;
  m.report.assume(o.ref(), "istio.io/waypoint-for \"" + value + "\" is not service, workload, all or none: service assumed");
  return "service";
}

// The waypoint's resources from its Deployment, as a note: the Draft's waypoint carries none.
void resourcesNote(const Object& o, DraftWaypoint& wp) {
  for (const auto& c : items(o.body, {"spec", "template", "spec", "containers"})) {
    const auto cpu = str(c, {"resources", "requests", "cpu"});
    const auto mem = str(c, {"resources", "requests", "memory"});
    if (cpu.empty() && mem.empty()) continue;
    addNote(wp.notes, fmt::format("its {} container requests cpu {} memory {} (the profile's waypoint cost is used)",
                                  str(c, {"name"}), cpu.empty() ? "-" : cpu, mem.empty() ? "-" : mem));
  }
}

}  // namespace

Outcome mapGateway(Mapper& m, const Object& o) {
  const auto cls = str(o.body, {"spec", "gatewayClassName"});
  const bool waypoint = cls == kWaypointClass;
  m.gateways[o.key()] = {cls, waypoint};
  if (!waypoint) return skipped("ingress Gateway (class " + cls + "): not modelled, its HTTPRoutes' backends become entry points");
  DraftWaypoint wp;
  wp.ns = o.ns;
  wp.name = o.name;
  wp.traffic = waypointFor(m, o, str(o.body, {"metadata", "labels", "istio.io/waypoint-for"}));
  wp.replicas = 1;
  wp.notes.push_back("from " + o.ref());
  m.draft.waypoints.push_back(std::move(wp));
  return mapped();
}

Outcome mapIstioGateway(Mapper& m, const Object& o) {
  m.istio_gateways.insert(o.key());
  return skipped("Istio ingress Gateway: not modelled, the VirtualServices bound to it give entry points");
}

// A Deployment that runs a waypoint: Istio's mesh-controller label, or the gateway-name
// label (or the name) of a Gateway of class istio-waypoint.
bool isWaypointDeployment(const Mapper& m, const Object& o, std::string& gateway) {
  const auto md = labels(o.body, {"metadata", "labels"});
  auto l = labels(o.body, {"spec", "template", "metadata", "labels"});
  l.insert(md.begin(), md.end());
  const auto named = l.count(kGatewayNameLabel) ? l.at(kGatewayNameLabel) : std::string();
  if (!named.empty()) {
    const auto gw = m.gateways.find(o.ns + "/" + named);
    if (gw != m.gateways.end() && gw->second.waypoint) {
      gateway = named;
      return true;
    }
  }
  if (l.count(kManagedLabel) && l.at(kManagedLabel) == kMeshController) {
    gateway = named.empty() ? o.name : named;
    return true;
  }
  const auto gw = m.gateways.find(o.key());
  if (gw != m.gateways.end() && gw->second.waypoint) {
    gateway = o.name;
    return true;
  }
  return false;
}

Outcome mapWaypointDeployment(Mapper& m, const Object& o, const std::string& gateway) {
  auto* wp = m.waypoint(o.ns, gateway);
  if (!wp) {
    DraftWaypoint made;
    made.ns = o.ns;
    made.name = gateway;
    made.traffic = waypointFor(m, o, str(o.body, {"spec", "template", "metadata", "labels", "istio.io/waypoint-for"}));
    made.notes.push_back("from " + o.ref());
    m.report.assume("waypoint " + made.key(), "Gateway " + made.key() + " is not in the input: the waypoint is read "
                                              "from " + o.ref() + ", for " + made.traffic + " traffic");
    m.draft.waypoints.push_back(std::move(made));
    wp = &m.draft.waypoints.back();
  }
  auto replicas = integer(o.body, {"spec", "replicas"});
  if (!replicas) replicas = integer(o.body, {"status", "replicas"});
  wp->replicas = static_cast<int>(std::clamp<std::int64_t>(replicas.value_or(1), 1, 10000));
  addNote(wp->notes, "from " + o.ref());
  addNote(wp->notes, fmt::format("{} replica(s) from {}", wp->replicas, o.ref()));
  resourcesNote(o, *wp);
  m.scale_targets[o.ref()] = {true, wp->key(), replicas.has_value()};
  m.gateway_pods.push_back({o.ns, labels(o.body, {"spec", "template", "metadata", "labels"}), "waypoint " + wp->key()});
  return mapped();
}

}  // namespace meshtwin::importer::detail
