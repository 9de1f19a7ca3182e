// The kinds the mapping reads, with the API versions it knows and the order it takes them in
// (what a kind needs comes first), and why the kinds it does not read are left out.
#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr const char* kApps = "apps";
constexpr const char* kIstioSecurity = "security.istio.io";
constexpr const char* kIstioNetworking = "networking.istio.io";
constexpr const char* kGatewayApi = "gateway.networking.k8s.io";

}  // namespace

const std::vector<KindInfo>& kindTable() {
  static const std::vector<KindInfo> t = {
      {"Namespace", "", {"v1"}, false, mapNamespace},
      {"Node", "", {"v1"}, false, mapNode},
      {"Gateway", kGatewayApi, {"v1", "v1beta1"}, true, mapGateway},
      {"Gateway", kIstioNetworking, {"v1", "v1beta1", "v1alpha3"}, true, mapIstioGateway},
      {"Deployment", kApps, {"v1"}, true, mapWorkload},
      {"StatefulSet", kApps, {"v1"}, true, mapWorkload},
      {"DaemonSet", kApps, {"v1"}, true, mapWorkload},
      {"ReplicaSet", kApps, {"v1"}, true, mapWorkload},
      {"Pod", "", {"v1"}, true, mapPod},
      {"HorizontalPodAutoscaler", "autoscaling", {"v2", "v1", "v2beta2", "v2beta1"}, true, mapHpa},
      {"PodDisruptionBudget", "policy", {"v1", "v1beta1"}, true, mapPdb},
      {"Service", "", {"v1"}, true, mapService},
      {"Ingress", "networking.k8s.io", {"v1", "v1beta1"}, true, mapIngress},
      {"HTTPRoute", kGatewayApi, {"v1", "v1beta1"}, true, mapHttpRoute},
      {"GRPCRoute", kGatewayApi, {"v1", "v1alpha2"}, true, mapGrpcRoute},
      {"PeerAuthentication", kIstioSecurity, {"v1", "v1beta1"}, true, mapPeerAuthentication},
      {"AuthorizationPolicy", kIstioSecurity, {"v1", "v1beta1"}, true, mapAuthorizationPolicy},
      {"RequestAuthentication", kIstioSecurity, {"v1", "v1beta1"}, true, mapRequestAuthentication},
      {"VirtualService", kIstioNetworking, {"v1", "v1beta1", "v1alpha3"}, true, mapVirtualService},
      {"DestinationRule", kIstioNetworking, {"v1", "v1beta1", "v1alpha3"}, true, mapDestinationRule},
      {"ServiceEntry", kIstioNetworking, {"v1", "v1beta1", "v1alpha3"}, true, mapServiceEntry},
      {"Sidecar", kIstioNetworking, {"v1", "v1beta1", "v1alpha3"}, true, mapSidecar},
      {"EnvoyFilter", kIstioNetworking, {"v1alpha3"}, true, mapEnvoyFilter},
      {"WasmPlugin", "extensions.istio.io", {"v1alpha1"}, true, mapWasmPlugin},
      {"Telemetry", "telemetry.istio.io", {"v1", "v1alpha1"}, true, mapTelemetry},
  };
  return t;
}

std::string groupOf(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

const KindInfo* findKind(const std::string& kind, const std::string& group, std::size_t* index) {
  const auto& t = kindTable();
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (kind == t[i].kind && group == t[i].group) {
      if (index) *index = i;
      return &t[i];
    }
  }
  return nullptr;
}

bool isKnownKind(const std::string& kind) {
  for (const auto& k : kindTable()) {
    if (kind == k.kind) return true;
  }
  return false;
}

std::string versionsText(const std::string& kind) {
  std::string out;
  for (const auto& k : kindTable()) {
    if (kind != k.kind) continue;
    for (const auto* v : k.versions) {
      out += (out.empty() ? "" : ", ") + (std::string(k.group).empty() ? std::string(v) : std::string(k.group) + "/" + v);
    }
  }
  return out;
}

std::string notModelledReason(const std::string& kind) {
  static const std::map<std::string, std::string> reasons = {
      {"Job", "not modelled (batch work, not a service)"},
      {"CronJob", "not modelled (batch work, not a service)"},
      {"Endpoints", "not modelled (Services select workloads by their labels)"},
      {"EndpointSlice", "not modelled (Services select workloads by their labels)"},
      {"ConfigMap", "not modelled (configuration, not traffic)"},
      {"Secret", "not modelled (configuration, not traffic)"},
      {"ServiceAccount", "not modelled (workloads keep their serviceAccountName)"},
      {"GatewayClass", "not modelled (Gateways name their class)"},
      {"ReferenceGrant", "not modelled (cross-namespace references are taken as allowed)"},
      {"TCPRoute", "not modelled (L4 routing is the Service's)"},
      {"TLSRoute", "not modelled (L4 routing is the Service's)"},
      {"WorkloadEntry", "not modelled (VM workloads are outside the model)"},
      {"WorkloadGroup", "not modelled (VM workloads are outside the model)"},
      {"Scenario", "a meshtwin/v1 scenario, not a Kubernetes object (re-import reads it)"},
  };
  const auto it = reasons.find(kind);
  return it != reasons.end() ? it->second : "not modelled";
}

}  // namespace meshtwin::importer::detail
