// KubeTarget::preflight, after `istioctl x precheck`: every API the plan uses is served, the
// ambient data plane is installed and ready (ztunnel, istio-cni), the istio-waypoint class
// exists, and SelfSubjectAccessReviews say the caller may do every verb the rollout needs.
#include <fmt/format.h>

#include <set>

#include "meshtwin/deploy/kube_target.hpp"
#include "meshtwin/kube/status.hpp"

namespace meshtwin::deploy {
namespace {

using nlohmann::json;

std::string installHint(const std::string& api_version) {
  if (api_version.rfind("gateway.networking.k8s.io/", 0) == 0) {
    return "install the Gateway API standard CRDs (kubectl apply -f standard-install.yaml of a gateway-api release)";
  }
  if (api_version.rfind("kyverno.io/", 0) == 0) return "install Kyverno (helm install kyverno kyverno/kyverno -n kyverno --create-namespace), or drop labelPolicy from the scenario";
  if (api_version.find("istio.io/") != std::string::npos) return "install Istio with the ambient profile (istioctl install --set profile=ambient)";
  return "the cluster's Kubernetes version does not serve it";
}

struct Access {
  std::string verb, group, resource, ns;
  auto operator<=>(const Access&) const = default;
};

}  // namespace

std::optional<Failure> KubeTarget::preflight(const std::vector<RenderedWave>& waves, std::vector<Problem>& problems) {
  std::set<std::string> missing;  // "apiVersion kind" not served, reported once
  std::set<Access> access;
  bool gateways = false;
  auto need = [&](const std::string& api_version, const std::string& kind, const std::string& ns,
                  std::initializer_list<const char*> verbs) -> std::optional<Failure> {
    auto type = resolve(api_version, kind);
    if (!type) {
      if (type.error().status != 404) return fromKube(type.error(), api_version + " " + kind);
      if (missing.insert(api_version + " " + kind).second) {
        problems.push_back({fmt::format("{} {} is not served by the cluster", api_version, kind), installHint(api_version)});
      }
      return std::nullopt;
    }
    for (const char* v : verbs) access.insert({v, type->group, type->resource, type->namespaced ? ns : ""});
    return std::nullopt;
  };
  for (const auto& w : waves) {
    for (const auto& o : w.objects) {
      const auto kind = o.body.value("kind", "");
      gateways = gateways || kind == "Gateway";
      const auto ns = o.body["metadata"].value("namespace", "");
      const bool waited = kind == "Deployment" || kind == "Gateway";
      if (auto f = waited ? need(o.body.value("apiVersion", ""), kind, ns, {"patch", "get", "watch"})
                          : need(o.body.value("apiVersion", ""), kind, ns, {"patch", "get"})) {
        return f;
      }
    }
    for (const auto& l : w.label_removals) {
      if (auto f = need(l.api_version, l.kind, l.ns, {"patch"})) return f;
    }
    for (const auto& d : w.deletions) {
      if (auto f = need(d.api_version, d.kind, d.ns, {"delete"})) return f;
    }
  }
  if (!options_.journal_namespace.empty()) {
    access.insert({"patch", "", "configmaps", options_.journal_namespace});
    access.insert({"get", "", "configmaps", options_.journal_namespace});
  }
  // The ambient data plane.
  const kube::ResourceType daemonsets{"apps", "v1", "daemonsets", "DaemonSet", true};
  for (const char* ds : {"ztunnel", "istio-cni-node"}) {
    auto d = client_.get(daemonsets, options_.istio_namespace, ds);
    if (!d) {
      if (!kube::isNotFound(d.error())) return fromKube(d.error(), fmt::format("DaemonSet {}/{}", options_.istio_namespace, ds));
      problems.push_back({fmt::format("DaemonSet {}/{} is not installed: ambient mode needs it", options_.istio_namespace, ds),
                          "istioctl install --set profile=ambient"});
      continue;
    }
    const auto& st = d->value("status", json::object());
    const long want = st.value("desiredNumberScheduled", 0L), ready = st.value("numberReady", 0L);
    if (want == 0 || ready < want) {
      problems.push_back({fmt::format("DaemonSet {}/{}: {} of {} pods ready", options_.istio_namespace, ds, ready, want),
                          fmt::format("kubectl -n {} rollout status daemonset/{}", options_.istio_namespace, ds)});
    }
  }
  if (gateways) {
    const kube::ResourceType classes{"gateway.networking.k8s.io", "v1", "gatewayclasses", "GatewayClass", false};
    auto c = client_.get(classes, "", "istio-waypoint");
    if (!c && kube::isNotFound(c.error())) {
      problems.push_back({"GatewayClass istio-waypoint does not exist: waypoints cannot be programmed",
                          "install Istio with the ambient profile (it creates the class)"});
    } else if (!c && c.error().status != 404) {
      return fromKube(c.error(), "GatewayClass istio-waypoint");
    }
  }
  // May the caller do all of it? One SelfSubjectAccessReview per verb, resource and namespace.
  const kube::ResourceType reviews{"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false};
  for (const auto& a : access) {
    json attrs{{"verb", a.verb}, {"group", a.group}, {"resource", a.resource}};
    if (!a.ns.empty()) attrs["namespace"] = a.ns;
    const json review{{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectAccessReview"},
                      {"spec", {{"resourceAttributes", attrs}}}};
    auto r = client_.create(reviews, "", review);
    if (!r) return fromKube(r.error(), "SelfSubjectAccessReview");
    if (r->value("status", json::object()).value("allowed", false)) continue;
    const kube::RequestInfo info{a.verb, "", client_.access().server, a.group, a.resource, a.ns, ""};
    const auto where = a.ns.empty() ? std::string("at the cluster scope") : "in namespace " + a.ns;
    problems.push_back({fmt::format("may not {} {}{} {}", a.verb, a.resource, a.group.empty() ? "" : "." + a.group, where),
                        kube::rbacHint(info)});
  }
  return std::nullopt;
}

}  // namespace meshtwin::deploy
