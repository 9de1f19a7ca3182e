// Generating a realistic kubectl dump: namespaces with owner labels and injection, nodes over
// zones, per Deployment a ReplicaSet, its Pods (istio-proxy injected, status, owner refs), a
// Service, an HPA, and per namespace a PDB, a VirtualService and an L7 AuthorizationPolicy.
#include "dump_generator.hpp"

#include <fmt/format.h>

#include <cmath>

namespace meshtwin::bench {

namespace {

using nlohmann::json;

json meta(const std::string& name, const std::string& ns, json labels = json::object()) {
  json m{{"name", name}, {"uid", fmt::format("{:08x}-{}", std::hash<std::string>{}(ns + "/" + name) & 0xffffffffU, name.size())},
         {"resourceVersion", "12345"}, {"creationTimestamp", "2026-11-01T10:00:00Z"}, {"labels", std::move(labels)}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

json container(const std::string& name, const std::string& cpu, const std::string& mem, int port) {
  return {{"name", name},
          {"image", fmt::format("registry.example.com/{}:1.4.2", name)},
          {"ports", json::array({{{"containerPort", port}, {"protocol", "TCP"}, {"name", "http"}}})},
          {"env", json::array({{{"name", "PORT"}, {"value", std::to_string(port)}},
                               {{"name", "LOG_LEVEL"}, {"value", "info"}}})},
          {"resources", {{"requests", {{"cpu", cpu}, {"memory", mem}}}, {"limits", {{"memory", "512Mi"}}}}},
          {"readinessProbe", {{"httpGet", {{"path", "/healthz"}, {"port", port}}}, {"periodSeconds", 5}}}};
}

json podTemplate(const std::string& app, const std::string& team) {
  return {{"metadata", {{"labels", {{"app", app}, {"team", team}, {"version", "v1"}}},
                        {"annotations", {{"sidecar.istio.io/proxyCPU", "100m"}}}}},
          {"spec", {{"serviceAccountName", app}, {"containers", json::array({container(app, "200m", "256Mi", 8080)})}}}};
}

void addDeployment(json& items, const std::string& ns, const std::string& app, const std::string& team,
                   const DumpShape& shape, int nodes, int& pod_seq) {
  const std::string rs = app + "-5d8f7c9b4";
  auto d = json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", meta(app, ns, {{"app", app}})}};
  d["spec"] = {{"replicas", shape.replicas}, {"selector", {{"matchLabels", {{"app", app}}}}}, {"template", podTemplate(app, team)}};
  d["status"] = {{"replicas", shape.replicas}, {"readyReplicas", shape.replicas}};
  items.push_back(d);
  auto r = json{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"metadata", meta(rs, ns, {{"app", app}})}};
  r["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", app}, {"controller", true}}});
  r["spec"] = {{"replicas", shape.replicas}, {"template", podTemplate(app, team)}};
  items.push_back(r);
  for (int i = 0; i < shape.replicas; ++i, ++pod_seq) {
    auto p = json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta(fmt::format("{}-{:05x}", rs, i), ns, {{"app", app}, {"team", team}})}};
    p["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", rs}, {"controller", true}}});
    auto spec = podTemplate(app, team)["spec"];
    spec["containers"].push_back(container("istio-proxy", "100m", "128Mi", 15090));
    spec["nodeName"] = fmt::format("node-{}", pod_seq % nodes);
    p["spec"] = spec;
    p["status"] = {{"phase", "Running"}, {"podIP", fmt::format("10.{}.{}.{}", pod_seq / 65536 % 256, pod_seq / 256 % 256, pod_seq % 256)},
                   {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}};
    items.push_back(p);
  }
  auto s = json{{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", meta(app, ns, {{"app", app}})}};
  s["spec"] = {{"selector", {{"app", app}}}, {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}})}};
  items.push_back(s);
  auto h = json{{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}, {"metadata", meta(app, ns)}};
  h["spec"] = {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", app}}},
               {"minReplicas", shape.replicas}, {"maxReplicas", shape.replicas * 3},
               {"metrics", json::array({{{"type", "Resource"}, {"resource", {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 70}}}}}}})}};
  items.push_back(h);
}

void addNamespacePolicies(json& items, const std::string& ns, const std::string& first_app) {
  auto pdb = json{{"apiVersion", "policy/v1"}, {"kind", "PodDisruptionBudget"}, {"metadata", meta(first_app, ns)}};
  pdb["spec"] = {{"minAvailable", "50%"}, {"selector", {{"matchLabels", {{"app", first_app}}}}}};
  items.push_back(pdb);
  auto vs = json{{"apiVersion", "networking.istio.io/v1"}, {"kind", "VirtualService"}, {"metadata", meta(first_app, ns)}};
  vs["spec"] = {{"hosts", json::array({first_app})},
                {"http", json::array({{{"retries", {{"attempts", 3}, {"perTryTimeout", "2s"}}},
                                       {"route", json::array({{{"destination", {{"host", first_app}}}}})}}})}};
  items.push_back(vs);
  auto ap = json{{"apiVersion", "security.istio.io/v1"}, {"kind", "AuthorizationPolicy"}, {"metadata", meta(first_app + "-api", ns)}};
  ap["spec"] = {{"selector", {{"matchLabels", {{"app", first_app}}}}}, {"action", "ALLOW"},
                {"rules", json::array({{{"to", json::array({{{"operation", {{"methods", json::array({"GET", "POST"})}}}}})}}})}};
  items.push_back(ap);
}

}  // namespace

nlohmann::json generateDump(const DumpShape& shape) {
  json items = json::array();
  const int pods = shape.namespaces * shape.deployments_per_namespace * shape.replicas;
  // 200m app + 100m sidecar per pod, nodes filled to 60%.
  const int nodes = std::max(shape.zones, static_cast<int>(std::ceil(pods * 0.3 / (shape.node_vcpu * 0.6))));
  for (int n = 0; n < nodes; ++n) {
    const auto zone = fmt::format("eu-west-1{}", static_cast<char>('a' + n % shape.zones));
    auto node = json{{"apiVersion", "v1"}, {"kind", "Node"},
                     {"metadata", meta(fmt::format("node-{}", n), "", {{"topology.kubernetes.io/zone", zone},
                                                                       {"node.kubernetes.io/instance-type", "m6i.4xlarge"}})}};
    node["status"] = {{"allocatable", {{"cpu", fmt::format("{}m", shape.node_vcpu * 1000 - 80)}, {"memory", "63801196Ki"}, {"pods", "234"}}}};
    items.push_back(node);
  }
  int pod_seq = 0;
  for (int i = 0; i < shape.namespaces; ++i) {
    const auto ns = fmt::format("team-{:02}", i);
    const auto team = fmt::format("team-{:02}", i);
    auto n = json{{"apiVersion", "v1"}, {"kind", "Namespace"},
                  {"metadata", meta(ns, "", {{"istio-injection", "enabled"}, {"team", team}, {"cost-center", fmt::format("cc-{}", 1000 + i)}})}};
    items.push_back(n);
    for (int d = 0; d < shape.deployments_per_namespace; ++d) {
      addDeployment(items, ns, fmt::format("svc-{:02}", d), team, shape, nodes, pod_seq);
    }
    addNamespacePolicies(items, ns, "svc-00");
  }
  auto pa = json{{"apiVersion", "security.istio.io/v1"}, {"kind", "PeerAuthentication"}, {"metadata", meta("default", "istio-system")}};
  pa["spec"] = {{"mtls", {{"mode", "STRICT"}}}};
  items.push_back(pa);
  return {{"apiVersion", "v1"}, {"kind", "List"}, {"metadata", {{"resourceVersion", ""}}}, {"items", items}};
}

}  // namespace meshtwin::bench
