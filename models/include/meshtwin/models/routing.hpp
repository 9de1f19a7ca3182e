// Where a request goes: the ordered hops from a client to a server under a mesh state, and
// which proxy enforces a policy. Pure functions, shared by the simulator and the proxies so
// the two cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/mesh_state.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

enum class HopKind { App, Sidecar, Ztunnel, Waypoint, Link };
const char* toString(HopKind k);

enum class Tunnel {
  Plaintext,  // no mesh encryption
  IstioMtls,  // sidecar-to-sidecar mTLS (Istio's legacy, non-HBONE protocol)
  Hbone,      // HTTP/2 CONNECT over mTLS to port 15008
};
const char* toString(Tunnel t);

enum class Direction { Outbound, Inbound, Through };

struct Hop {
  HopKind kind = HopKind::App;
  std::optional<PodId> pod;  // App, Sidecar, Waypoint: the pod it runs in
  NodeId node = 0;           // the node the hop runs on (Link: the receiving node)
  Direction direction = Direction::Through;
  // Link only:
  std::optional<NodeId> from_node;  // nullopt: from outside the cluster
  Locality locality = Locality::SameNode;
  Tunnel tunnel = Tunnel::Plaintext;
};

// Which proxy enforces policy for the destination on this path.
enum class Enforcer { None, DestinationSidecar, DestinationZtunnel, Waypoint };
const char* toString(Enforcer e);

struct HopPath {
  std::vector<Hop> hops;
  std::optional<PodId> destination_pod;  // nullopt when the request cannot be delivered
  std::optional<WaypointId> waypoint;    // the waypoint the request passes, if any
  bool waypoint_bypassed = false;        // the service has a waypoint but this client skips it
  std::string bypass_reason;
  Enforcer l7_enforcer = Enforcer::None;  // who applies L7 (targetRefs or sidecar) policy
  Enforcer l4_enforcer = Enforcer::None;  // who applies selector policy
  std::string error;                      // non-empty: why the request fails
  [[nodiscard]] std::size_t linkCount() const;
  [[nodiscard]] std::string describe(const Scenario& s) const;  // "app(frontend-0) -> sidecar(...) -> ..."
};

// The hops of one request from pod `src` to service `dst`. `flow_hash` picks among equally
// preferred endpoints (and waypoint replicas) deterministically. Endpoint choice: clients
// without a waypoint pick among all endpoints (Istio's default, no locality preference);
// with a waypoint, the client's ztunnel prefers a waypoint replica in its own zone
// (PreferClose on the waypoint Service) and the waypoint prefers endpoints in its zone.
HopPath hopPath(const Scenario& s, const MeshState& m, PodId src, ServiceId dst, std::uint64_t flow_hash);
// The same for a client outside the cluster (an entry point) entering in `zone`: it is not
// in the mesh and sends plaintext.
HopPath ingressPath(const Scenario& s, const MeshState& m, ZoneId zone, ServiceId dst, std::uint64_t flow_hash);

// What an L7 proxy does with one HTTP request for `svc`: the first rule (of the Service's
// routes, in file order) whose matches accept it, and the backend Service picked by weight
// with `hash`. No route or no matching rule: the Service itself, no timeout, no retries.
struct RouteDecision {
  std::optional<std::size_t> route;  // index in Scenario::http_routes
  std::optional<std::size_t> rule;
  ServiceId backend = 0;
  std::optional<std::int64_t> timeout_ns;
  int retry_attempts = 0;
  std::vector<int> retry_codes;
  std::int64_t retry_backoff_ns = 0;
};
bool httpMatches(const HttpRouteMatch& m, const std::string& method, const std::string& path,
                 const std::map<std::string, std::string>& headers);
RouteDecision routeHttp(const Scenario& s, ServiceId svc, const std::string& method, const std::string& path,
                        const std::map<std::string, std::string>& headers, std::uint64_t hash);
// An endpoint of `svc`, preferring pods in `zone` when given and any exist (a waypoint's
// locality preference); `hash` picks among equals.
std::optional<PodId> pickEndpoint(const Scenario& s, ServiceId svc, std::optional<ZoneId> zone, std::uint64_t hash);
// The same among the endpoints that are ready in `m` (MeshState::pod_unready).
std::optional<PodId> pickEndpoint(const Scenario& s, const MeshState& m, ServiceId svc, std::optional<ZoneId> zone,
                                  std::uint64_t hash);

enum class EnforcerKind { Sidecar, Ztunnel, Waypoint, NotEnforced };
const char* toString(EnforcerKind k);

// Where one policy is enforced for one of its targets, and what that enforcer applies.
struct Enforcement {
  EnforcerKind kind = EnforcerKind::NotEnforced;
  std::optional<WorkloadId> workload;  // selector policies: the selected workload
  std::optional<ServiceId> service;    // targetRefs Service
  std::optional<WaypointId> waypoint;  // the enforcing waypoint
  std::optional<AuthorizationPolicy> effective;  // the rules as that enforcer applies them
  std::string note;  // e.g. the ztunnel conversion message, or why it is not enforced
};

// Workloads a selector (policy namespace + matchLabels) applies to. The root namespace
// istio-system makes a policy mesh-wide.
std::vector<WorkloadId> selectedWorkloads(const Scenario& s, const std::string& ns,
                                          const std::map<std::string, std::string>& match_labels);
std::vector<Enforcement> enforcementPoints(const AuthorizationPolicy& p, const Scenario& s, const MeshState& m);

// The SPIFFE principal (without "spiffe://") of a workload's or waypoint's identity.
std::string principalOf(const Workload& w);
std::string principalOf(const Waypoint& w);
// Entry points arrive through the ingress gateway and carry its identity.
inline constexpr const char* kIngressGatewayPrincipal = "cluster.local/ns/istio-system/sa/istio-ingressgateway";

// The policies a waypoint applies to a request for service `svc`: targetRefs policies on the
// Service or on the waypoint (its Gateway).
std::vector<const AuthorizationPolicy*> waypointPolicies(const Scenario& s, const MeshState& m, ServiceId svc,
                                                        WaypointId wp);
// The policies the destination's proxy applies to a pod of workload `w` running in `mode`:
// selector policies that select it (as written for a sidecar; their L4 conversion for
// ztunnel) and, under STRICT PeerAuthentication, a DENY for peers without identity.
std::vector<AuthorizationPolicy> destinationPolicies(const Scenario& s, const MeshState& m, WorkloadId w, MeshMode mode);

// What the policies in force do to one request along its path, enforced where Istio
// enforces them: targetRefs policies at the waypoint (full L7, seeing the client's
// identity); selector policies and STRICT PeerAuthentication at the destination's sidecar
// (full L7) or ztunnel (their L4 conversion, seeing the waypoint's identity when one is in
// the path). `src` is nullopt for an entry request.
struct PathAuthz {
  bool allowed = true;
  std::optional<std::size_t> hop;  // index in the path of the proxy that denies
  std::string policy;              // ns/name of the deciding policy
  std::string reason;
};
PathAuthz authorizePath(const Scenario& s, const MeshState& m, const HopPath& path, std::optional<PodId> src,
                        ServiceId dst, const std::string& method, const std::string& http_path);

}  // namespace meshtwin::models
