// Reading the live API for an import: discovery for the CRD groups, a paginated list per
// resource, each item an Object with its origin in the cluster.
#include "meshtwin/importer/cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace meshtwin::importer {

namespace {

using kube::ResourceType;

// Per API group the server serves (discovery, /apis): its versions, preferred first.
using ServedGroups = std::map<std::string, std::vector<std::string>>;

kube::Result<ServedGroups> servedGroups(const kube::Client& client) {
  auto g = client.rawGet("/apis");
  if (!g) return g.error();
  ServedGroups out;
  const auto groups = g->find("groups");
  if (groups == g->end() || !groups->is_array()) return out;
  for (const auto& group : *groups) {
    auto& versions = out[group.value("name", "")];
    if (const auto p = group.find("preferredVersion"); p != group.end() && p->is_object()) {
      versions.push_back(p->value("version", ""));
    }
    if (const auto vs = group.find("versions"); vs != group.end() && vs->is_array()) {
      for (const auto& v : *vs) versions.push_back(v.value("version", ""));
    }
  }
  return out;
}

// Of the versions meshtwin maps (newest first), the server's preferred one, else the first it
// serves; "" when the group is not served.
std::string servedVersion(const ServedGroups& served, const std::string& group) {
  static const std::vector<std::string> known{"v1", "v1beta1", "v1alpha3", "v1alpha1"};
  const auto it = served.find(group);
  if (it == served.end() || it->second.empty()) return "";
  const auto& versions = it->second;
  if (std::find(known.begin(), known.end(), versions.front()) != known.end()) return versions.front();
  for (const auto& k : known) {
    if (std::find(versions.begin(), versions.end(), k) != versions.end()) return k;
  }
  return "";
}

Object toObject(nlohmann::json item, const std::string& source) {
  Object o;
  o.api_version = item.value("apiVersion", "");
  o.kind = item.value("kind", "");
  const auto& meta = item["metadata"];
  o.ns = meta.value("namespace", "");
  o.name = meta.value("name", "");
  o.origin = {source, 0, 0};
  o.body = std::move(item);
  return o;
}

std::string sourceOf(const kube::Client& client) {
  const auto& a = client.access();
  return a.context.empty() ? a.server : fmt::format("cluster {} ({})", a.context, a.server);
}

// Cluster-scoped reads with a namespace given: that Namespace itself, and Nodes when allowed.
kube::Result<std::vector<nlohmann::json>> clusterScoped(const kube::Client& client, const ImportedResource& r,
                                                        const std::string& ns, ClusterRead& out) {
  if (r.type.kind == "Namespace") {
    auto one = client.get(r.type, "", ns);
    if (!one) return one.error();
    return std::vector<nlohmann::json>{*one};
  }
  auto all = client.list(r.type, "");
  if (!all) {
    if (all.error().status != 403) return all.error();
    out.notes.push_back(fmt::format("{} cannot be listed with these credentials (403): node pools are assumed",
                                    r.type.resource));
    return std::vector<nlohmann::json>{};
  }
  return all->items;
}

}  // namespace

const std::vector<ImportedResource>& importedResources() {
  static const std::vector<ImportedResource> all{
      {{"", "v1", "namespaces", "Namespace", false}, false},
      {{"", "v1", "nodes", "Node", false}, false},
      {{"", "v1", "pods", "Pod", true}, false},
      {{"", "v1", "services", "Service", true}, false},
      {{"apps", "v1", "deployments", "Deployment", true}, false},
      {{"apps", "v1", "statefulsets", "StatefulSet", true}, false},
      {{"apps", "v1", "daemonsets", "DaemonSet", true}, false},
      {{"apps", "v1", "replicasets", "ReplicaSet", true}, false},
      {{"autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true}, false},
      {{"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true}, false},
      {{"networking.k8s.io", "v1", "ingresses", "Ingress", true}, true},
      {{"security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", true}, true},
      {{"security.istio.io", "v1", "peerauthentications", "PeerAuthentication", true}, true},
      {{"security.istio.io", "v1", "requestauthentications", "RequestAuthentication", true}, true},
      {{"networking.istio.io", "v1", "virtualservices", "VirtualService", true}, true},
      {{"networking.istio.io", "v1", "destinationrules", "DestinationRule", true}, true},
      {{"networking.istio.io", "v1", "serviceentries", "ServiceEntry", true}, true},
      {{"networking.istio.io", "v1", "sidecars", "Sidecar", true}, true},
      {{"networking.istio.io", "v1", "gateways", "Gateway", true}, true},
      {{"networking.istio.io", "v1alpha3", "envoyfilters", "EnvoyFilter", true}, true},
      {{"extensions.istio.io", "v1alpha1", "wasmplugins", "WasmPlugin", true}, true},
      {{"telemetry.istio.io", "v1", "telemetries", "Telemetry", true}, true},
      {{"gateway.networking.k8s.io", "v1", "gateways", "Gateway", true}, true},
      {{"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true}, true},
      {{"gateway.networking.k8s.io", "v1", "grpcroutes", "GRPCRoute", true}, true},
  };
  return all;
}

kube::Result<ClusterRead> readCluster(const kube::Client& client, const std::string& ns,
                                      const std::function<void(const std::string&)>& progress) {
  ClusterRead out;
  const auto source = sourceOf(client);
  const auto served = servedGroups(client);
  if (!served) return served.error();
  std::set<std::string> unserved;
  for (auto r : importedResources()) {
    if (r.optional && !r.type.group.empty()) {
      const auto version = servedVersion(*served, r.type.group);
      if (version.empty()) {
        if (unserved.insert(r.type.group).second) {
          out.notes.push_back(r.type.group + " is not served (its CRDs are not installed): not read");
        }
        continue;
      }
      // EnvoyFilter and WasmPlugin exist in one version only; the others follow the group.
      if (r.type.version != "v1alpha3" && r.type.version != "v1alpha1") r.type.version = version;
    }
    std::vector<nlohmann::json> items;
    if (!r.type.namespaced && !ns.empty()) {
      auto got = clusterScoped(client, r, ns, out);
      if (!got) return got.error();
      items = std::move(*got);
    } else {
      auto list = client.list(r.type, r.type.namespaced ? ns : "");
      if (!list) {
        if (r.optional && list.error().status == 404) continue;  // a CRD of a served group not installed
        return list.error();
      }
      items = std::move(list->items);
    }
    if (progress) progress(fmt::format("{}: {}", r.type.apiVersion() + " " + r.type.resource, items.size()));
    for (auto& item : items) out.objects.push_back(toObject(std::move(item), source));
  }
  std::stable_sort(out.objects.begin(), out.objects.end(), [](const Object& a, const Object& b) {
    return std::tie(a.kind, a.ns, a.name) < std::tie(b.kind, b.ns, b.name);
  });
  return out;
}

std::string importClusterRole() {
  std::map<std::string, std::vector<std::string>> by_group;
  for (const auto& r : importedResources()) by_group[r.type.group].push_back(r.type.resource);
  std::string y =
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: meshtwin-import\nrules:\n";
  for (auto& [group, resources] : by_group) {
    std::sort(resources.begin(), resources.end());
    resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
    y += fmt::format("  - apiGroups: [\"{}\"]\n    resources: [{}]\n    verbs: [get, list]\n", group,
                     fmt::format("{}", fmt::join(resources, ", ")));
  }
  return y;
}

}  // namespace meshtwin::importer
