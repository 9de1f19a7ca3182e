// The object mapping's parts, shared by its files: JSON field access, the state one mapping
// run keeps across kinds, and one handler per kind (grouped by mechanism into files).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshtwin/importer/objects.hpp"

namespace meshtwin::importer::detail {

using Labels = std::map<std::string, std::string>;
using Path = std::initializer_list<std::string_view>;

// ---- JSON access that tolerates missing fields and odd types (objects_json.cpp).
const nlohmann::json* get(const nlohmann::json& j, Path path);
// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
std::optional<std::string> scalar(const nlohmann::json* v);
std::string str(const nlohmann::json& j, Path path);  // "" when absent or not a scalar
std::optional<std::int64_t> integer(const nlohmann::json& j, Path path);
Labels labels(const nlohmann::json& j, Path path);
std::vector<std::string> strings(const nlohmann::json& j, Path path);
const nlohmann::json& items(const nlohmann::json& j, Path path);  // an array, or an empty one
bool has(const nlohmann::json& j, Path path);                       // present and not null / empty
// Every selector label is on the pod with the same value (an empty selector selects all).
bool selects(const Labels& pod, const Labels& selector);
std::string labelText(const Labels& l);  // "app=cart,version=v1"
std::string listText(const std::vector<std::string>& v, std::size_t max = 5);  // "a, b, c and 2 more"

// ---- What a handler did with an object: mapped, or skipped with a reason.
struct Outcome {
  bool mapped = true;
  std::string reason;
};
inline Outcome mapped() { return {}; }
inline Outcome skipped(std::string reason) { return {false, std::move(reason)}; }

// ---- What one mapping run knows across kinds.
struct NamespaceFacts {
  Labels labels;
  std::optional<models::MeshMode> mode;
  std::string use_waypoint;  // istio.io/use-waypoint
  std::string waypoint_ns;   // istio.io/use-waypoint-namespace
};
struct NodeFacts {
  std::string name, zone, instance_type, pool;
  std::int64_t cpu_m = 0, memory = 0;
};
struct GatewayFacts {
  std::string class_name;
  bool waypoint = false;
};
// What an HPA's scaleTargetRef ("Deployment ns/name") became.
struct ScaleTarget {
  bool waypoint = false;
  std::string key;  // the workload's or waypoint's "ns/name"
  bool replicas_from_spec = true;
};
// Pods that are not workloads (waypoint and ingress gateway Deployments), for the Services
// that select them.
struct GatewayPods {
  std::string ns;
  Labels labels;
  std::string what;  // "waypoint shop/shop-waypoint"
};

class Mapper {
 public:
  Mapper(const models::Profile& p, const MapOptions& o, Draft& d, ImportReport& r)
      : profile(p), options(o), draft(d), report(r) {}

  const models::Profile& profile;
  const MapOptions& options;
  Draft& draft;
  ImportReport& report;
  std::vector<ReadError> errors;

  std::map<std::string, const Object*> objects;  // every object taken, by ref "Kind ns/name"
  std::map<std::string, NamespaceFacts> namespaces;
  std::vector<NodeFacts> nodes;
  std::map<std::string, GatewayFacts> gateways;  // Gateway API Gateways, "ns/name"
  std::set<std::string> istio_gateways;          // networking.istio.io Gateways, "ns/name"
  std::map<std::string, ScaleTarget> scale_targets;
  std::map<std::string, std::string> workload_of;  // "Deployment ns/name" -> workload "ns/name"
  std::map<std::string, std::map<std::string, int>> container_ports;  // workload "ns/name" -> port name -> number
  std::vector<GatewayPods> gateway_pods;
  std::set<std::string> sidecar_scoped;  // namespaces whose Sidecar limits egress to "./*"

  void error(const Object& o, std::string message, std::string hint = {});
  [[nodiscard]] bool isSystem(const std::string& ns) const;
  [[nodiscard]] models::MeshMode modeOf(const DraftWorkload& w) const;
  [[nodiscard]] const DraftWaypoint* findWaypoint(const std::string& ns, const std::string& name) const;
  DraftWaypoint* waypoint(const std::string& ns, const std::string& name);
  // Workloads whose pod labels hold the selector, in ns (every namespace for the root one).
  std::vector<DraftWorkload*> select(const std::string& ns, const Labels& selector);
  std::vector<DraftWorkload*> serviceWorkloads(const std::string& ns, const std::string& service);
  // Workloads of the Services and namespaces bound to a waypoint.
  std::vector<DraftWorkload*> waypointWorkloads(const std::string& ns, const std::string& waypoint);
  void markL7(const std::vector<DraftWorkload*>& ws, const std::string& feature, const std::string& why);
  // "cart", "cart.shop", "cart.shop.svc.cluster.local" seen from ns -> (namespace, name).
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> resolveHost(const std::string& host,
                                                                               const std::string& ns) const;
  // An entry point candidate for a modelled Service; false when the Service is not in the Draft.
  bool addEntryPoint(const std::string& ns, const std::string& service, const std::string& path,
                     const std::string& why);
};

void addNote(std::vector<std::string>& notes, std::string note);  // once each

// Workloads an Istio resource applies to: its selector (`selector.matchLabels`, or
// EnvoyFilter's `workloadSelector.labels`), its targetRefs, or the whole namespace (the
// whole mesh in the root namespace). `how` says which, for notes.
struct Targets {
  std::vector<DraftWorkload*> workloads;
  std::string how;
  bool by_target_refs = false;
};
Targets targetsOf(Mapper& m, const Object& o);

// ---- Handlers, one per kind, in files by mechanism.
using Handler = Outcome (*)(Mapper&, const Object&);
// objects_cluster.cpp
Outcome mapNamespace(Mapper& m, const Object& o);
Outcome mapNode(Mapper& m, const Object& o);
void finishNodes(Mapper& m);
void finishNamespaces(Mapper& m);
// objects_workloads.cpp, objects_pods.cpp
Outcome mapWorkload(Mapper& m, const Object& o);
Outcome mapPod(Mapper& m, const Object& o);
// What a pod template (or a Pod) says: labels, service account, the app containers'
// resources summed, and what it says about the mesh.
struct PodFacts {
  Labels labels, annotations;
  std::string service_account;
  std::optional<std::int64_t> cpu_request_m, cpu_limit_m, memory_request_bytes, memory_limit_bytes;
  bool proxy = false;  // an istio-proxy container (an injected pod)
  std::map<std::string, int> ports;  // container port name -> number
  std::vector<std::string> notes;
};
PodFacts readPod(Mapper& m, const Object& o, const nlohmann::json& pod);
// The mode a workload states itself (proxy container, inject label or annotation, dataplane label).
std::optional<models::MeshMode> podMode(const Mapper& m, const std::string& ns, const PodFacts& f,
                                        std::vector<std::string>& notes);
// A Draft workload from a pod template; a name taken by another kind gets the kind appended.
DraftWorkload& addWorkload(Mapper& m, const Object& o, const std::string& name, const PodFacts& f);
struct OwnerRef {
  std::string kind, name;
};
std::optional<OwnerRef> controllerOwner(const Object& o);  // the controller ownerReference, else the first
// objects_autoscaling.cpp
Outcome mapHpa(Mapper& m, const Object& o);
Outcome mapPdb(Mapper& m, const Object& o);
// objects_services.cpp
Outcome mapService(Mapper& m, const Object& o);
Outcome mapIngress(Mapper& m, const Object& o);
// objects_gateway.cpp
Outcome mapGateway(Mapper& m, const Object& o);
Outcome mapIstioGateway(Mapper& m, const Object& o);
bool isWaypointDeployment(const Mapper& m, const Object& o, std::string& gateway);
Outcome mapWaypointDeployment(Mapper& m, const Object& o, const std::string& gateway);
// objects_gateway_routes.cpp
Outcome mapHttpRoute(Mapper& m, const Object& o);
Outcome mapGrpcRoute(Mapper& m, const Object& o);
// objects_route_json.cpp: an HTTPRoute as mesh.routes takes it (parent: a Service in the
// route's namespace). Fields the model does not read are left out and named in `stripped`;
// nullopt with `why_not` when a rule cannot be kept faithfully.
std::optional<nlohmann::json> meshRoute(Mapper& m, const Object& o, const std::string& name, const std::string& parent,
                                        std::vector<std::string>& stripped, std::string& why_not);
nlohmann::json routeShell(const std::string& ns, const std::string& name, const std::string& parent);
// Into draft.routes under a name not yet taken there (a suffix when it is); returns the name.
std::string addRoute(Mapper& m, nlohmann::json route);
// A duration the loader reads ("10s", "250ms"), or nullopt.
std::optional<std::string> routeDuration(const std::string& text);
// objects_istio_security.cpp
Outcome mapAuthorizationPolicy(Mapper& m, const Object& o);
Outcome mapPeerAuthentication(Mapper& m, const Object& o);
Outcome mapRequestAuthentication(Mapper& m, const Object& o);
// objects_istio_traffic.cpp
Outcome mapVirtualService(Mapper& m, const Object& o);
Outcome mapDestinationRule(Mapper& m, const Object& o);
Outcome mapServiceEntry(Mapper& m, const Object& o);
Outcome mapSidecar(Mapper& m, const Object& o);
void finishSidecarScope(Mapper& m);
// objects_virtual_service_route.cpp: the HTTPRoute that does what a mesh VirtualService
// does for one host Service (in that Service's namespace), where one can; else an assumption.
void routeFromVirtualService(Mapper& m, const Object& o, const std::string& ns, const std::string& name,
                             const std::string& service);
// objects_istio_extensions.cpp
Outcome mapEnvoyFilter(Mapper& m, const Object& o);
Outcome mapWasmPlugin(Mapper& m, const Object& o);
Outcome mapTelemetry(Mapper& m, const Object& o);

// objects_kinds.cpp: the kinds mapped, in the order they are taken.
struct KindInfo {
  const char* kind;
  const char* group;  // "" for the core group
  std::vector<const char*> versions;
  bool namespaced;
  Handler handler;
};
const std::vector<KindInfo>& kindTable();
// The entry of a kind and group, or nullptr; `index` is its place in the order.
const KindInfo* findKind(const std::string& kind, const std::string& group, std::size_t* index = nullptr);
bool isKnownKind(const std::string& kind);
std::string groupOf(const std::string& api_version);
std::string versionsText(const std::string& kind);  // "apps/v1" or "security.istio.io/v1, .../v1beta1"
std::string notModelledReason(const std::string& kind);

}  // namespace meshtwin::importer::detail
