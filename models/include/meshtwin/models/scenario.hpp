// The scenario model: a cluster, its workloads and traffic, the mesh as it is, and the
// migration plan. A Scenario that loads is fully resolved: every reference is an index,
// every pod sits on a node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/policy.hpp"
#include "meshtwin/models/profile.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::models {

using ZoneId = std::size_t;
using PoolId = std::size_t;
using NodeId = std::size_t;
using WorkloadId = std::size_t;
using ServiceId = std::size_t;
using WaypointId = std::size_t;
using PodId = std::size_t;

enum class MeshMode { None, Sidecar, Ambient };
const char* toString(MeshMode m);
std::optional<MeshMode> meshModeFrom(std::string_view s);

struct Zone {
  std::string name;
  SourceLoc loc;
};

struct NodePool {
  std::string name;
  std::string instance_type;
  std::int64_t cpu_millicores = 0;  // allocatable vCPU per node
  std::int64_t memory_bytes = 0;    // allocatable memory per node
  double price_usd_per_hour = 0;    // on-demand price of one node
  int count_per_zone = 0;
  std::vector<ZoneId> zones;  // zones the pool spans (default: all)
  SourceLoc loc;
};

struct Node {
  std::string name;  // <pool>-<zone>-<i>
  PoolId pool = 0;
  ZoneId zone = 0;
};

enum class Locality { SameNode, SameZone, CrossZone };
const char* toString(Locality l);

struct Network {
  std::int64_t rtt_same_node_ns = 20'000;
  std::int64_t rtt_same_zone_ns = 150'000;
  std::int64_t rtt_cross_zone_ns = 600'000;
  double bandwidth_bps = 10e9;
  double cross_zone_usd_per_gib_egress = 0.01;   // billed to the sending side
  double cross_zone_usd_per_gib_ingress = 0.01;  // billed to the receiving side
  [[nodiscard]] std::int64_t rttNs(Locality l) const;
};

struct Resources {
  std::int64_t cpu_request_millicores = 0;
  std::int64_t cpu_limit_millicores = 0;  // 0 = no limit
  std::int64_t memory_request_bytes = 0;
  std::int64_t memory_limit_bytes = 0;  // 0 = no limit
};

struct ServiceTime {
  enum class Kind { Constant, Exponential, LogNormal };
  Kind kind = Kind::Exponential;
  std::int64_t mean_ns = 1'000'000;
  std::int64_t p99_ns = 0;  // LogNormal only: sets the spread
};
const char* toString(ServiceTime::Kind k);

struct Call {
  std::string service_name;  // as written ("cart" or "cart.shop")
  ServiceId service = 0;     // resolved
  std::int64_t request_bytes = 0;  // 0 = the caller's requestSize
  double probability = 1.0;        // 0..1
  std::string method = "GET";      // HTTP attributes policies can match on
  std::string path = "/";
  SourceLoc loc;
};

// One step of an isotope-style script: a sleep, a call, or calls made concurrently.
struct ScriptStep {
  enum class Kind { Sleep, Call, Concurrent };
  Kind kind = Kind::Call;
  std::int64_t sleep_ns = 0;
  std::vector<Call> calls;  // one for Call, several for Concurrent
  SourceLoc loc;
};

enum class L7Feature { Retries, HeaderRouting, TrafficSplit, L7Authz, Jwt, Tracing, Wasm, EnvoyFilter };
const char* toString(L7Feature f);
std::optional<L7Feature> l7FeatureFrom(std::string_view s);
const std::vector<std::string>& l7FeatureNames();

struct Workload {
  std::string ns;
  std::string name;
  std::string service_account;
  int replicas = 1;
  std::map<std::string, std::string> labels;  // includes app=<name> unless given
  Resources resources;
  int concurrency = 64;  // requests one replica serves at once
  ServiceTime service_time;
  std::int64_t request_bytes = 1024;
  std::int64_t response_bytes = 1024;
  std::vector<ScriptStep> script;
  std::set<L7Feature> l7;
  std::vector<ZoneId> zones;  // zones the replicas may use (default: all)
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
  // Does any step of the script call `service`?
  [[nodiscard]] bool calls(std::size_t service) const;
};

enum class Protocol { Http, Grpc, Tcp };
const char* toString(Protocol p);

struct ServicePort {
  std::string name;
  int port = 8080;
  int target_port = 8080;
  Protocol protocol = Protocol::Http;
};

struct Service {
  std::string ns;
  std::string name;
  std::vector<WorkloadId> backends;
  std::vector<ServicePort> ports;
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

// One segment of load over time; segments play one after another.
struct LoadSegment {
  enum class Kind { Constant, Steps, Burst };
  Kind kind = Kind::Constant;
  std::int64_t duration_ns = 0;
  double rps = 0;                      // Constant
  std::vector<double> step_rps;        // Steps: each held for duration / steps
  double base_rps = 0, peak_rps = 0;   // Burst
  std::int64_t period_ns = 0;          // Burst: a burst every period
  std::int64_t burst_ns = 0;           // Burst: how long each burst lasts
  SourceLoc loc;
  // Offered load at `t_ns` from the start of the segment.
  [[nodiscard]] double rpsAt(std::int64_t t_ns) const;
  [[nodiscard]] double peakRps() const;
  [[nodiscard]] double meanRps() const;
};
const char* toString(LoadSegment::Kind k);

struct EntryPoint {
  std::string name;
  ServiceId service = 0;
  std::string path = "/";
  enum class Arrival { Poisson, Uniform };
  Arrival arrival = Arrival::Poisson;
  int connections = 0;  // 0 = a new connection per request is never forced; the client pools
  std::vector<ZoneId> client_zones;  // where clients enter (default: all zones, evenly)
  std::vector<LoadSegment> load;
  SourceLoc loc;
  [[nodiscard]] std::int64_t durationNs() const;
};

struct Hpa {
  int min_replicas = 1;
  int max_replicas = 1;
  int target_cpu_percent = 80;  // of the pod's CPU request
};

enum class WaypointFor { Service, Workload, All, None };
const char* toString(WaypointFor f);

struct Waypoint {
  std::string ns;
  std::string name;
  WaypointFor traffic = WaypointFor::Service;  // istio.io/waypoint-for
  int replicas = 1;
  std::vector<ZoneId> zones;  // zones its replicas spread over (default: all)
  std::optional<Hpa> hpa;
  Resources resources;
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

// istio.io/use-waypoint on a namespace, a service or a workload's pods.
struct WaypointBinding {
  enum class Scope { Namespace, Service, Workload };
  Scope scope = Scope::Namespace;
  std::string target;                   // namespace name, or ns/name
  std::optional<WaypointId> waypoint;   // nullopt = "none" (opt out)
  SourceLoc loc;
};
const char* toString(WaypointBinding::Scope s);

struct RolloutSettings {
  IntOrPercent max_surge{true, 25, 0};
  IntOrPercent max_unavailable{true, 25, 0};
};

struct Gate {
  enum class Kind { Latency, ErrorRate };
  Kind kind = Kind::Latency;
  std::string path;          // as written: an entry point name, or "ns/workload -> service" for an edge
  std::optional<std::size_t> entry_point;  // resolved entry point, or
  std::optional<WorkloadId> edge_from;     // resolved edge: caller workload
  std::optional<ServiceId> edge_to;        //                and called service
  double percentile = 99.0;  // Latency: 50, 90, 99, 99.9
  std::int64_t threshold_ns = 0;
  double max_error_rate = 0;  // ErrorRate: fraction
  SourceLoc loc;
};

// A change a wave makes. Targets are resolved indexes.
struct ModeChange {
  bool whole_namespace = true;
  std::string ns;
  std::optional<WorkloadId> workload;
  MeshMode to = MeshMode::Ambient;
  SourceLoc loc;
};
struct AddWaypoint {
  WaypointId waypoint = 0;
  SourceLoc loc;
};
struct BindWaypoint {
  std::size_t binding = 0;  // index into Scenario::bindings
  SourceLoc loc;
};
struct AddPolicy {
  std::size_t policy = 0;  // index into Scenario::authz_policies
  SourceLoc loc;
};
struct RemovePolicy {
  std::size_t policy = 0;
  SourceLoc loc;
};
struct MovePolicy {  // replace a policy's selector with targetRefs (to a waypoint)
  std::size_t policy = 0;
  std::vector<TargetRef> target_refs;
  SourceLoc loc;
};
struct SetPeerAuthentication {
  std::size_t peer_authn = 0;  // index into Scenario::peer_authns
  SourceLoc loc;
};
using Change = std::variant<ModeChange, AddWaypoint, BindWaypoint, AddPolicy, RemovePolicy, MovePolicy,
                            SetPeerAuthentication>;

struct Wave {
  std::string name;
  std::vector<Change> changes;
  RolloutSettings rollout;
  std::vector<Gate> gates;
  SourceLoc loc;
};

struct Plan {
  std::string name;
  std::vector<Wave> waves;
};

// A fault injected into phases of the simulation.
// Gateway API HTTPRoute (gateway.networking.k8s.io/v1) attached to a Service (GAMMA): what
// a waypoint (or a sidecar) does with a request for that Service. Matches, weighted
// backendRefs, timeouts.request, and retry (HTTPRoute's experimental retry field).
struct HttpHeaderMatch {
  std::string name;  // lower case
  std::string value;  // exact
};
struct HttpRouteMatch {
  enum class PathType { Any, Exact, Prefix };
  PathType path_type = PathType::Any;
  std::string path;
  std::vector<HttpHeaderMatch> headers;
  std::string method;  // "" = any
};
struct HttpBackendRef {
  ServiceId service = 0;
  int weight = 1;
};
struct HttpRouteRule {
  std::vector<HttpRouteMatch> matches;   // empty: matches every request
  std::vector<HttpBackendRef> backends;  // empty: the parent Service
  std::optional<std::int64_t> timeout_ns;  // timeouts.request
  int retry_attempts = 0;
  std::vector<int> retry_codes;          // statuses that are retried (connect failures always are)
  std::int64_t retry_backoff_ns = 25'000'000;
};
struct HttpRoute {
  std::string ns;
  std::string name;
  ServiceId parent = 0;
  std::vector<HttpRouteRule> rules;
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

struct Fault {
  enum class Kind { NodeLoss, ZoneLoss, WaypointCrash, ClockSkew };
  Kind kind = Kind::NodeLoss;
  std::optional<NodeId> node;             // NodeLoss, ClockSkew
  std::optional<ZoneId> zone;             // ZoneLoss
  std::optional<WaypointId> waypoint;     // WaypointCrash
  std::int64_t at_ns = 0;                 // from the start of the phase (its warm-up included)
  std::int64_t duration_ns = 0;           // 0: until the end (ClockSkew); losses are permanent
  std::int64_t skew_ns = 0;               // ClockSkew: how far the node's clock is behind
  std::vector<std::string> phases;        // phase names ("baseline", wave names); empty = all
  SourceLoc loc;
  [[nodiscard]] bool appliesTo(const std::string& phase) const;
};
const char* toString(Fault::Kind k);

struct Pod {
  std::string name;  // <workload>-<i> or <waypoint>-<i>
  enum class Owner { Workload, Waypoint };
  Owner owner = Owner::Workload;
  std::size_t owner_id = 0;  // WorkloadId or WaypointId
  NodeId node = 0;
};

// A service level objective (sloth's model): the share of good events of a path over a
// period. Availability counts a request as bad when it fails (5xx or reset); latency, when it
// is slower than the threshold. Paths are written as gates are: an entry point's name, or an
// edge "ns/workload -> service".
struct Slo {
  enum class Kind { Availability, Latency };
  std::string name;  // sloth's slo name: [a-z0-9-], unique in the scenario
  Kind kind = Kind::Availability;
  std::string path;
  std::optional<std::size_t> entry_point;  // resolved entry point, or
  std::optional<WorkloadId> edge_from;     // resolved edge: caller workload
  std::optional<ServiceId> edge_to;        //                and called service
  double objective = 99.9;                 // percent of good events
  std::int64_t threshold_ns = 0;           // Latency only
  int period_days = 30;                    // sloth's time window: 28 or 30
  std::string description;
  SourceLoc loc;
};
const char* toString(Slo::Kind k);

// The label contract cost allocation relies on: labels every workload must carry, enforced
// by a Kyverno ClusterPolicy the renderer emits (Audit while the plan rolls out, then the
// action asked for after the last wave).
struct LabelPolicy {
  enum class Action { Audit, Enforce };
  std::vector<std::string> required;  // e.g. team, cost-center, environment
  Action during = Action::Audit;      // from the first wave until the last
  Action after = Action::Enforce;     // once the last wave is applied
  SourceLoc loc;
};
const char* toString(LabelPolicy::Action a);

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  std::string profile_name;
  Profile profile;

  std::vector<Zone> zones;
  std::vector<NodePool> pools;
  std::vector<Node> nodes;
  Network network;
  std::vector<std::string> namespaces;  // sorted, every namespace that holds a workload
  std::vector<Workload> workloads;
  std::vector<Service> services;
  std::vector<EntryPoint> entry_points;

  // The mesh before the plan.
  MeshMode default_mode = MeshMode::None;
  // What a sidecar is configured with: every endpoint of the mesh (Istio's default), or,
  // like a Sidecar resource with egress hosts "./*" plus what it calls, its own namespace's
  // services and the services its workload calls.
  enum class SidecarScope { Mesh, Namespace };
  SidecarScope sidecar_scope = SidecarScope::Mesh;
  std::map<std::string, MeshMode> namespace_modes;
  std::map<WorkloadId, MeshMode> workload_modes;
  std::vector<Waypoint> waypoints;        // every waypoint, initial and added by waves
  std::vector<bool> waypoint_initial;     // per waypoint: exists before the plan
  std::vector<WaypointBinding> bindings;  // every binding, initial and added by waves
  std::vector<bool> binding_initial;
  std::vector<AuthorizationPolicy> authz_policies;  // every policy, initial and added by waves
  std::vector<bool> authz_initial;
  std::vector<PeerAuthentication> peer_authns;
  std::vector<HttpRoute> http_routes;  // mesh.routes; the plan does not change them
  std::vector<bool> peer_authn_initial;

  Plan plan;
  std::vector<Fault> faults;
  std::vector<Slo> slos;                    // top-level `slos:`
  std::optional<LabelPolicy> label_policy;  // top-level `labelPolicy:`

  // Placement of the baseline: workload pods then waypoint pods.
  std::vector<Pod> pods;
  std::vector<std::vector<PodId>> workload_pods;  // per workload
  std::vector<std::vector<PodId>> waypoint_pods;  // per waypoint

  // Look-ups; nullopt when unknown.
  [[nodiscard]] std::optional<ServiceId> findService(const std::string& ns, const std::string& name) const;
  [[nodiscard]] std::optional<WorkloadId> findWorkload(const std::string& ns, const std::string& name) const;
  [[nodiscard]] std::optional<WaypointId> findWaypoint(const std::string& ns, const std::string& name) const;
  [[nodiscard]] std::optional<ZoneId> findZone(const std::string& name) const;
  [[nodiscard]] bool hasNamespace(const std::string& ns) const;
  [[nodiscard]] ZoneId zoneOfPod(PodId p) const { return nodes[pods[p].node].zone; }
  [[nodiscard]] Locality locality(NodeId a, NodeId b) const;
  [[nodiscard]] std::size_t podCount() const { return pods.size(); }
  // Services whose backends include this workload.
  [[nodiscard]] std::vector<ServiceId> servicesOf(WorkloadId w) const;
};

}  // namespace meshtwin::models
