// Controllers as workloads: Deployments, StatefulSets, DaemonSets and ReplicaSets, with their
// replicas; Istio's own components and gateway Deployments are recognised and left out.
#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

std::string imageTag(const Object& o) {
  for (const auto& c : items(o.body, {"spec", "template", "spec", "containers"})) {
    const auto image = str(c, {"image"});
    const auto colon = image.rfind(':');
    if (colon != std::string::npos && image.find('/', colon) == std::string::npos) return image.substr(colon + 1);
  }
  return {};
}

// ztunnel, istiod and istio-cni: what they say about the mesh goes to the report.
std::optional<std::string> istioComponent(Mapper& m, const Object& o) {
  const auto app = str(o.body, {"spec", "template", "metadata", "labels", "app"});
  const auto is = [&](const char* name) { return o.name == name || app == name; };
  const auto tag = imageTag(o);
  const auto version = tag.empty() ? std::string() : " (image tag " + tag + ")";
  if (o.kind == "DaemonSet" && is("ztunnel")) {
    m.report.assume("cluster", "ambient data plane present: ztunnel DaemonSet in " + o.ns + version);
    return "Istio's ztunnel (the model has its own)";
  }
  if (o.kind == "DaemonSet" && (is("istio-cni-node") || is("istio-cni"))) {
    m.report.assume("cluster", "istio-cni present: " + o.name + " DaemonSet in " + o.ns);
    return "Istio's CNI agent";
  }
  if (o.kind == "Deployment" && (app == "istiod" || o.name == "istiod" || o.name.rfind("istiod-", 0) == 0)) {
    m.report.assume("cluster", "Istio control plane present: " + o.name + " Deployment in " + o.ns + version);
    return "Istio's control plane";
  }
  return std::nullopt;
}

// Ingress and egress gateway Deployments (Istio's classic ones, or those of a Gateway API
// Gateway that is not a waypoint) carry traffic into the mesh; entry points stand for them.
std::optional<std::string> ingressGateway(Mapper& m, const Object& o) {
  const auto l = labels(o.body, {"spec", "template", "metadata", "labels"});
  const auto get_label = [&](const char* k) { return l.count(k) ? l.at(k) : std::string(); };
  std::string what;
  if (get_label("istio") == "ingressgateway" || get_label("istio") == "egressgateway") {
    what = "Istio " + get_label("istio").substr(0, get_label("istio").size() - 7) + " gateway";
  } else if (get_label("gateway.istio.io/managed") == "istio.io-gateway-controller") {
    what = "ingress gateway of Gateway " + o.ns + "/" + get_label("gateway.networking.k8s.io/gateway-name");
  } else if (const auto gw = m.gateways.find(o.ns + "/" + get_label("gateway.networking.k8s.io/gateway-name"));
             gw != m.gateways.end() && !gw->second.waypoint) {
    what = "ingress gateway of Gateway " + gw->first;
  } else {
    return std::nullopt;
  }
  m.gateway_pods.push_back({o.ns, l, what});
  return what + ": not modelled (entry points stand for it)";
}

// spec.replicas, else what status reports, else Kubernetes' default of 1.
void replicas(Mapper& m, const Object& o, DraftWorkload& w, bool& from_spec) {
  from_spec = false;
  if (o.kind == "DaemonSet") {
    if (const auto d = integer(o.body, {"status", "desiredNumberScheduled"})) {
      w.replicas = static_cast<int>(std::clamp<std::int64_t>(*d, 0, 100000));
    } else if (!m.nodes.empty()) {
      w.replicas = static_cast<int>(m.nodes.size());
      m.report.assume("workload " + w.key(), "DaemonSet: one pod per node, " + std::to_string(m.nodes.size()) +
                                                 " replicas (the Nodes in the input)");
    } else {
      m.report.assume("workload " + w.key(), "DaemonSet: one pod per node, but no Node objects: replicas unknown");
    }
    return;
  }
  if (const auto r = integer(o.body, {"spec", "replicas"}); r && *r >= 0) {
    w.replicas = static_cast<int>(std::min<std::int64_t>(*r, 100000));
    from_spec = true;
  } else if (const auto s = integer(o.body, {"status", "replicas"}); s && *s >= 0) {
    w.replicas = static_cast<int>(std::min<std::int64_t>(*s, 100000));
  } else {
    w.replicas = 1;
    addNote(w.notes, "no spec.replicas: Kubernetes' default of 1");
  }
}

// A ReplicaSet whose Deployment is in the input is that Deployment's; one whose Deployment
// is missing stands for it.
std::optional<Outcome> ownedReplicaSet(Mapper& m, const Object& o, std::string& name) {
  const auto owner = controllerOwner(o);
  if (!owner) return std::nullopt;
  const auto ref = owner->kind + " " + o.ns + "/" + owner->name;
  if (m.objects.count(ref)) return skipped("owned by " + ref);
  if (integer(o.body, {"spec", "replicas"}).value_or(1) == 0) {
    return skipped("scaled to 0 (an old revision of " + ref + ")");
  }
  name = owner->name;
  m.report.assume(o.ref(), ref + " is not in the input: the ReplicaSet stands for it");
  return std::nullopt;
}

}  // namespace

Outcome mapWorkload(Mapper& m, const Object& o) {
  if (auto component = istioComponent(m, o)) return skipped(m.isSystem(o.ns) ? "system namespace" : *component);
  if (m.isSystem(o.ns)) return skipped("system namespace");
  std::string name = o.name;
  if (o.kind == "ReplicaSet") {
    if (auto out = ownedReplicaSet(m, o, name)) return *out;
  }
  if (o.kind == "Deployment") {
    std::string gateway;
    if (isWaypointDeployment(m, o, gateway)) return mapWaypointDeployment(m, o, gateway);
  }
  if (auto why = ingressGateway(m, o)) return skipped(*why);
  const auto* tmpl = get(o.body, {"spec", "template"});
  if (!tmpl || !tmpl->is_object()) return skipped("no spec.template: no pods to model");
  const auto f = readPod(m, o, *tmpl);
  auto& w = addWorkload(m, o, name, f);
  bool from_spec = false;
  replicas(m, o, w, from_spec);
  m.scale_targets[o.ref()] = {false, w.key(), from_spec};
  if (o.kind == "ReplicaSet" && name != o.name) m.workload_of["Deployment " + o.ns + "/" + name] = w.key();
  return mapped();
}

}  // namespace meshtwin::importer::detail
