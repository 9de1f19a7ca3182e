// desiredPhases: per phase of a plan, every object meshtwin renders, in its full desired
// shape (what meshtwin owns of it). The labels follow Istio's: istio.io/dataplane-mode and
// istio-injection on namespaces, sidecar.istio.io/inject and istio.io/dataplane-mode on pods,
// istio.io/use-waypoint on namespaces, services and pods.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "meshtwin/deploy/render.hpp"
#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario_writer.hpp"
#include "render_internal.hpp"

namespace meshtwin::deploy::detail {
namespace {

using models::MeshMode;
using models::Scenario;
using models::WaypointBinding;
using nlohmann::json;

// What models::MeshState keeps only in resolved form: namespace modes and active bindings.
struct Labels {
  std::map<std::string, MeshMode> ns_modes;
  std::vector<bool> binding_active;
  std::map<models::WorkloadId, std::string> restarted;  // the wave that last restarted it
};

void applyWave(const Scenario& s, const models::Wave& w, Labels& l) {
  for (const auto& c : w.changes) {
    if (const auto* m = std::get_if<models::ModeChange>(&c); m && m->whole_namespace) l.ns_modes[m->ns] = m->to;
    if (const auto* b = std::get_if<models::BindWaypoint>(&c)) {
      const auto& nb = s.bindings[b->binding];
      for (std::size_t i = 0; i < s.bindings.size(); ++i) {
        if (s.bindings[i].scope == nb.scope && s.bindings[i].target == nb.target) l.binding_active[i] = false;
      }
      l.binding_active[b->binding] = true;
    }
  }
}

MeshMode nsMode(const Scenario& s, const Labels& l, const std::string& ns) {
  const auto it = l.ns_modes.find(ns);
  return it == l.ns_modes.end() ? s.default_mode : it->second;
}

std::string lower(std::string k) {
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return k;
}

void put(DesiredSet& set, int order, const std::string& kind, const std::string& ns, const std::string& name,
         json body, bool owned) {
  const auto file = ns.empty() ? fmt::format("{}-{}.yaml", lower(kind), name)
                               : fmt::format("{}-{}-{}.yaml", lower(kind), ns, name);
  set[fmt::format("{:02}/{}/{}/{}", order, kind, ns, name)] = DesiredObject{std::move(body), file, owned};
}

json head(const char* api_version, const char* kind, const std::string& ns, const std::string& name) {
  json meta{{"name", name}};
  if (!ns.empty()) meta["namespace"] = ns;
  return json{{"apiVersion", api_version}, {"kind", kind}, {"metadata", meta}};
}

// istio.io/use-waypoint (and -namespace when the waypoint lives elsewhere) for a binding.
void bindingLabels(const Scenario& s, const WaypointBinding& b, const std::string& own_ns, json& labels) {
  if (!b.waypoint) {
    labels["istio.io/use-waypoint"] = "none";
    return;
  }
  const auto& wp = s.waypoints[*b.waypoint];
  labels["istio.io/use-waypoint"] = wp.name;
  if (wp.ns != own_ns) labels["istio.io/use-waypoint-namespace"] = wp.ns;
}

const WaypointBinding* activeBinding(const Scenario& s, const Labels& l, WaypointBinding::Scope scope,
                                     const std::string& target) {
  const WaypointBinding* found = nullptr;
  for (std::size_t i = 0; i < s.bindings.size(); ++i) {
    if (l.binding_active[i] && s.bindings[i].scope == scope && s.bindings[i].target == target) found = &s.bindings[i];
  }
  return found;
}

void namespaces(const Scenario& s, const Labels& l, DesiredSet& set) {
  std::vector<std::string> all = s.namespaces;
  for (const auto& wp : s.waypoints) all.push_back(wp.ns);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (const auto& ns : all) {
    auto labels = json::object();
    const auto mode = nsMode(s, l, ns);
    if (mode == MeshMode::Ambient) labels["istio.io/dataplane-mode"] = "ambient";
    if (mode == MeshMode::Sidecar) labels["istio-injection"] = "enabled";
    if (const auto* b = activeBinding(s, l, WaypointBinding::Scope::Namespace, ns)) bindingLabels(s, *b, ns, labels);
    auto body = head("v1", "Namespace", "", ns);
    body["metadata"]["labels"] = labels;
    put(set, 0, "Namespace", "", ns, std::move(body), false);
  }
}

// Resources of the istio-proxy container; zero values (no request, no limit) are left out.
json resourcesJson(const models::Resources& r) {
  json req = json::object(), lim = json::object();
  if (r.cpu_request_millicores) req["cpu"] = models::exactCpu(r.cpu_request_millicores);
  if (r.memory_request_bytes) req["memory"] = models::exactMemory(r.memory_request_bytes);
  if (r.cpu_limit_millicores) lim["cpu"] = models::exactCpu(r.cpu_limit_millicores);
  if (r.memory_limit_bytes) lim["memory"] = models::exactMemory(r.memory_limit_bytes);
  json out = json::object();
  if (!req.empty()) out["requests"] = req;
  if (!lim.empty()) out["limits"] = lim;
  return out;
}

// A waypoint: the Gateway, the ConfigMap its infrastructure.parametersRef names (Istio's
// `deployment` overlay: replicas when there is no HPA, resources, zones), and the HPA.
void waypoint(const Scenario& s, const models::Waypoint& wp, DesiredSet& set) {
  const auto params = wp.name + "-params";
  json pod_spec{{"containers", json::array({json{{"name", "istio-proxy"}, {"resources", resourcesJson(wp.resources)}}})}};
  if (!wp.zones.empty()) {
    json zones = json::array();
    for (auto z : wp.zones) zones.push_back(s.zones[z].name);
    pod_spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] =
        json::array({json{{"matchExpressions", json::array({json{{"key", "topology.kubernetes.io/zone"},
                                                                {"operator", "In"}, {"values", zones}}})}}});
  }
  json overlay{{"spec", {{"template", {{"spec", pod_spec}}}}}};
  if (!wp.hpa) overlay["spec"]["replicas"] = wp.replicas;
  auto cm = head("v1", "ConfigMap", wp.ns, params);
  cm["data"] = {{"deployment", objectYaml(overlay)}};
  put(set, 1, "ConfigMap", wp.ns, params, std::move(cm), true);

  auto gw = head("gateway.networking.k8s.io/v1", "Gateway", wp.ns, wp.name);
  gw["metadata"]["labels"] = {{"istio.io/waypoint-for", models::toString(wp.traffic)}};
  gw["spec"] = {{"gatewayClassName", "istio-waypoint"},
                {"listeners", json::array({json{{"name", "mesh"}, {"port", 15008}, {"protocol", "HBONE"}}})},
                {"infrastructure", {{"parametersRef", {{"group", ""}, {"kind", "ConfigMap"}, {"name", params}}}}}};
  put(set, 2, "Gateway", wp.ns, wp.name, std::move(gw), true);

  if (!wp.hpa) return;
  // Istio names the waypoint's Deployment after its Gateway.
  auto hpa = head("autoscaling/v2", "HorizontalPodAutoscaler", wp.ns, wp.name);
  hpa["spec"] = {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", wp.name}}},
                 {"minReplicas", wp.hpa->min_replicas},
                 {"maxReplicas", wp.hpa->max_replicas},
                 {"metrics", json::array({json{{"type", "Resource"},
                                               {"resource", {{"name", "cpu"},
                                                             {"target", {{"type", "Utilization"},
                                                                         {"averageUtilization",
                                                                          wp.hpa->target_cpu_percent}}}}}}})}};
  put(set, 3, "HorizontalPodAutoscaler", wp.ns, wp.name, std::move(hpa), true);
}

void services(const Scenario& s, const Labels& l, DesiredSet& set) {
  for (const auto& sv : s.services) {
    auto labels = json::object();
    if (const auto* b = activeBinding(s, l, WaypointBinding::Scope::Service, sv.key())) bindingLabels(s, *b, sv.ns, labels);
    auto body = head("v1", "Service", sv.ns, sv.name);
    body["metadata"]["labels"] = labels;
    put(set, 4, "Service", sv.ns, sv.name, std::move(body), false);
  }
}

// A Deployment's pod template: labels where the workload's mode differs from its
// namespace's, a workload binding, and the restart annotation of the last wave that moved
// it into or out of sidecars (a new pod template is what makes pods restart).
void deployments(const Scenario& s, const models::MeshState& st, const Labels& l, DesiredSet& set) {
  for (models::WorkloadId w = 0; w < s.workloads.size(); ++w) {
    const auto& wl = s.workloads[w];
    const auto mode = st.workload_mode[w];
    const auto ns_mode = nsMode(s, l, wl.ns);
    auto labels = json::object();
    if (mode != MeshMode::Sidecar && ns_mode == MeshMode::Sidecar) labels["sidecar.istio.io/inject"] = "false";
    if (mode == MeshMode::Sidecar && ns_mode != MeshMode::Sidecar) labels["sidecar.istio.io/inject"] = "true";
    if (mode == MeshMode::Ambient && ns_mode != MeshMode::Ambient) labels["istio.io/dataplane-mode"] = "ambient";
    if (mode != MeshMode::Ambient && ns_mode == MeshMode::Ambient) labels["istio.io/dataplane-mode"] = "none";
    if (const auto* b = activeBinding(s, l, WaypointBinding::Scope::Workload, wl.key())) bindingLabels(s, *b, wl.ns, labels);
    auto tmpl_meta = json::object();  // an empty map would claim the whole labels field
    if (!labels.empty()) tmpl_meta["labels"] = labels;
    if (auto it = l.restarted.find(w); it != l.restarted.end())
      tmpl_meta["annotations"] = {{"kubectl.kubernetes.io/restartedAt", it->second}};
    auto body = head("apps/v1", "Deployment", wl.ns, wl.name);
    // The selector is what the model knows (app=<name> unless the labels say otherwise), the
    // same as the cluster's: server-side apply then co-owns it and changes nothing, and the
    // object validates against the Deployment schema, which requires it.
    const auto app = wl.labels.count("app") ? wl.labels.at("app") : wl.name;
    if (!tmpl_meta.empty())
      body["spec"] = {{"selector", {{"matchLabels", {{"app", app}}}}}, {"template", {{"metadata", tmpl_meta}}}};
    put(set, 5, "Deployment", wl.ns, wl.name, std::move(body), false);
  }
}

void policies(const models::MeshState& st, DesiredSet& set) {
  for (const auto& pa : st.peer_authns) put(set, 6, "PeerAuthentication", pa.ns, pa.name, peerAuthnJson(pa), true);
  for (const auto& p : st.policies) put(set, 7, "AuthorizationPolicy", p.ns, p.name, authzPolicyJson(p), true);
}

}  // namespace

std::vector<DesiredSet> desiredPhases(const Scenario& s) {
  const auto phases = models::allPhases(s);
  Labels l{s.namespace_modes, s.binding_initial, {}};
  std::vector<DesiredSet> out;
  for (std::size_t p = 0; p < phases.size(); ++p) {
    if (p > 0) {
      const auto& wave = s.plan.waves[p - 1];
      applyWave(s, wave, l);
      // Restart where the mode crosses sidecars: the injector acts only when pods start.
      for (models::WorkloadId w = 0; w < s.workloads.size(); ++w) {
        const bool before = phases[p - 1].workload_mode[w] == MeshMode::Sidecar;
        const bool after = phases[p].workload_mode[w] == MeshMode::Sidecar;
        if (before != after) l.restarted[w] = s.plan.name + "/" + wave.name;
      }
    }
    DesiredSet set;
    namespaces(s, l, set);
    for (std::size_t i = 0; i < s.waypoints.size(); ++i) {
      if (phases[p].waypoint_present[i]) waypoint(s, s.waypoints[i], set);
    }
    services(s, l, set);
    deployments(s, phases[p], l, set);
    policies(phases[p], set);
    // Last, so Deployments this wave changes are admitted before it switches to Enforce.
    if (auto kp = labelPolicyJson(s, p)) put(set, 8, "ClusterPolicy", "", kLabelPolicyName, std::move(*kp), true);
    out.push_back(std::move(set));
  }
  return out;
}

}  // namespace meshtwin::deploy::detail
