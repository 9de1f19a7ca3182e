// hopPath and enforcementPoints: Istio's sidecar, ambient and mixed data paths as data.
#include "meshtwin/models/routing.hpp"

#include <algorithm>

namespace meshtwin::models {

const char* toString(HopKind k) {
  switch (k) {
    case HopKind::App: return "app";
    case HopKind::Sidecar: return "sidecar";
    case HopKind::Ztunnel: return "ztunnel";
    case HopKind::Waypoint: return "waypoint";
    case HopKind::Link: return "link";
  }
  return "?";
}

const char* toString(Tunnel t) {
  switch (t) {
    case Tunnel::Plaintext: return "plaintext";
    case Tunnel::IstioMtls: return "istio-mtls";
    case Tunnel::Hbone: return "hbone";
  }
  return "?";
}

const char* toString(Enforcer e) {
  switch (e) {
    case Enforcer::None: return "none";
    case Enforcer::DestinationSidecar: return "destination-sidecar";
    case Enforcer::DestinationZtunnel: return "destination-ztunnel";
    case Enforcer::Waypoint: return "waypoint";
  }
  return "?";
}

const char* toString(EnforcerKind k) {
  switch (k) {
    case EnforcerKind::Sidecar: return "sidecar";
    case EnforcerKind::Ztunnel: return "ztunnel";
    case EnforcerKind::Waypoint: return "waypoint";
    case EnforcerKind::NotEnforced: return "not-enforced";
  }
  return "?";
}

std::size_t HopPath::linkCount() const {
  return static_cast<std::size_t>(std::count_if(hops.begin(), hops.end(), [](const Hop& h) { return h.kind == HopKind::Link; }));
}

std::string HopPath::describe(const Scenario& s) const {
  std::string out;
  for (const auto& h : hops) {
    if (!out.empty()) out += " -> ";
    out += toString(h.kind);
    if (h.kind == HopKind::Link) {
      out += std::string("[") + toString(h.locality) + "," + toString(h.tunnel) + "]";
    } else if (h.kind == HopKind::Ztunnel) {
      out += "(" + s.nodes[h.node].name + ")";
    } else if (h.pod) {
      out += "(" + s.pods[*h.pod].name + ")";
    }
  }
  if (!error.empty()) out += " ! " + error;
  return out;
}

namespace {

// A second, independent pick from the same flow hash (splitmix64 finaliser).
std::uint64_t remix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Picks from `all`, preferring those in `zone` when given and any exist.
std::optional<PodId> pick(const Scenario& s, const std::vector<PodId>& all, std::optional<ZoneId> zone, std::uint64_t h) {
  if (all.empty()) return std::nullopt;
  if (zone) {
    std::vector<PodId> local;
    for (auto p : all) {
      if (s.zoneOfPod(p) == *zone) local.push_back(p);
    }
    if (!local.empty()) return local[h % local.size()];
  }
  return all[h % all.size()];
}

std::vector<PodId> endpointsOf(const Scenario& s, ServiceId dst) {
  std::vector<PodId> out;
  for (auto w : s.services[dst].backends) out.insert(out.end(), s.workload_pods[w].begin(), s.workload_pods[w].end());
  return out;
}

std::vector<PodId> readyOnly(const MeshState& m, std::vector<PodId> pods) {
  pods.erase(std::remove_if(pods.begin(), pods.end(), [&](PodId p) { return !m.ready(p); }), pods.end());
  return pods;
}

Hop proxy(HopKind k, std::optional<PodId> pod, NodeId node, Direction d) {
  Hop h;
  h.kind = k;
  h.pod = pod;
  h.node = node;
  h.direction = d;
  return h;
}

Hop link(const Scenario& s, std::optional<NodeId> from, NodeId to, std::optional<ZoneId> from_zone, Tunnel t) {
  Hop h;
  h.kind = HopKind::Link;
  h.from_node = from;
  h.node = to;
  h.tunnel = t;
  if (from) h.locality = s.locality(*from, to);
  else h.locality = (from_zone && *from_zone == s.nodes[to].zone) ? Locality::SameZone : Locality::CrossZone;
  return h;
}

// The client side of a request, as far as the first link.
struct ClientSide {
  std::optional<PodId> pod;
  std::optional<NodeId> node;
  ZoneId zone = 0;
  MeshMode mode = MeshMode::None;
};

HopPath route(const Scenario& s, const MeshState& m, const ClientSide& c, ServiceId dst, std::uint64_t h) {
  HopPath out;
  if (c.pod) {
    out.hops.push_back(proxy(HopKind::App, c.pod, *c.node, Direction::Through));
    if (c.mode == MeshMode::Sidecar) out.hops.push_back(proxy(HopKind::Sidecar, c.pod, *c.node, Direction::Outbound));
    if (c.mode == MeshMode::Ambient) out.hops.push_back(proxy(HopKind::Ztunnel, std::nullopt, *c.node, Direction::Outbound));
  }
  if (m.service_binding_missing[dst]) {
    out.error = "service " + s.services[dst].key() + " is bound to waypoint " +
                s.waypoints[*m.service_binding_missing[dst]].key() + ", which is not deployed in this phase";
    if (c.mode == MeshMode::Ambient) return out;  // ztunnel cannot reach the waypoint: the request fails
    out.error.clear();  // non-ambient clients do not use waypoints at all
  }
  const auto endpoints = readyOnly(m, endpointsOf(s, dst));
  if (endpoints.empty()) {
    out.error = "service " + s.services[dst].key() + " has no endpoints";
    return out;
  }
  const auto wp = m.service_waypoint[dst];
  std::optional<NodeId> at = c.node;  // where the request currently is
  std::optional<ZoneId> at_zone = c.zone;

  if (wp && c.mode == MeshMode::Ambient) {
    const auto wp_pod = pick(s, readyOnly(m, s.waypoint_pods[*wp]), c.zone, h);
    if (!wp_pod) {
      out.error = "waypoint " + s.waypoints[*wp].key() + " has no running replica";
      return out;
    }
    const auto wp_node = s.pods[*wp_pod].node;
    out.hops.push_back(link(s, at, wp_node, at_zone, Tunnel::Hbone));
    out.hops.push_back(proxy(HopKind::Waypoint, wp_pod, wp_node, Direction::Through));
    out.waypoint = wp;
    out.l7_enforcer = Enforcer::Waypoint;
    at = wp_node;
    at_zone = s.nodes[wp_node].zone;
    out.destination_pod = pick(s, endpoints, at_zone, remix(h));
  } else {
    if (wp) {
      out.waypoint_bypassed = true;
      out.bypass_reason = c.mode == MeshMode::Sidecar ? "sidecar clients send HBONE straight to the pod and bypass waypoints"
                                                      : "clients outside the mesh bypass waypoints";
    }
    out.destination_pod = pick(s, endpoints, std::nullopt, h);
  }

  const PodId dpod = *out.destination_pod;
  const NodeId dnode = s.pods[dpod].node;
  const MeshMode dmode = m.modeOf(s, dpod);
  // The tunnel on the last link depends on both ends.
  Tunnel last = Tunnel::Plaintext;
  const bool from_mesh = out.waypoint || c.mode != MeshMode::None;
  if (from_mesh && dmode != MeshMode::None) {
    const bool from_sidecar = !out.waypoint && c.mode == MeshMode::Sidecar;
    last = (from_sidecar && dmode == MeshMode::Sidecar) ? Tunnel::IstioMtls : Tunnel::Hbone;
  }
  out.hops.push_back(link(s, at, dnode, at_zone, last));
  if (dmode == MeshMode::Sidecar) {
    out.hops.push_back(proxy(HopKind::Sidecar, dpod, dnode, Direction::Inbound));
    out.l4_enforcer = Enforcer::DestinationSidecar;
    if (!out.waypoint) out.l7_enforcer = Enforcer::DestinationSidecar;
  } else if (dmode == MeshMode::Ambient) {
    out.hops.push_back(proxy(HopKind::Ztunnel, std::nullopt, dnode, Direction::Inbound));
    out.l4_enforcer = Enforcer::DestinationZtunnel;
  }
  out.hops.push_back(proxy(HopKind::App, dpod, dnode, Direction::Through));
  return out;
}

}  // namespace

bool httpMatches(const HttpRouteMatch& m, const std::string& method, const std::string& path,
                 const std::map<std::string, std::string>& headers) {
  if (!m.method.empty() && m.method != method) return false;
  const std::string p = path.substr(0, path.find('?'));
  if (m.path_type == HttpRouteMatch::PathType::Exact && p != m.path) return false;
  if (m.path_type == HttpRouteMatch::PathType::Prefix) {
    // Gateway API PathPrefix matches whole segments: /api matches /api and /api/x, not /apix.
    const bool seg = p.rfind(m.path, 0) == 0 &&
                     (p.size() == m.path.size() || m.path.back() == '/' || p[m.path.size()] == '/');
    if (!seg) return false;
  }
  return std::all_of(m.headers.begin(), m.headers.end(), [&](const HttpHeaderMatch& h) {
    auto it = headers.find(h.name);
    return it != headers.end() && it->second == h.value;
  });
}

RouteDecision routeHttp(const Scenario& s, ServiceId svc, const std::string& method, const std::string& path,
                        const std::map<std::string, std::string>& headers, std::uint64_t hash) {
  RouteDecision d;
  d.backend = svc;
  for (std::size_t r = 0; r < s.http_routes.size(); ++r) {
    const auto& route = s.http_routes[r];
    if (route.parent != svc) continue;
    for (std::size_t i = 0; i < route.rules.size(); ++i) {
      const auto& rule = route.rules[i];
      const bool hit = rule.matches.empty() || std::any_of(rule.matches.begin(), rule.matches.end(), [&](const auto& m) {
                         return httpMatches(m, method, path, headers);
                       });
      if (!hit) continue;
      d.route = r;
      d.rule = i;
      d.timeout_ns = rule.timeout_ns;
      d.retry_attempts = rule.retry_attempts;
      d.retry_codes = rule.retry_codes;
      d.retry_backoff_ns = rule.retry_backoff_ns;
      long total = 0;
      for (const auto& b : rule.backends) total += b.weight;
      if (total > 0) {
        long pickw = static_cast<long>(remix(hash) % static_cast<std::uint64_t>(total));
        for (const auto& b : rule.backends) {
          if (pickw < b.weight) {
            d.backend = b.service;
            break;
          }
          pickw -= b.weight;
        }
      }
      return d;
    }
  }
  return d;
}

std::optional<PodId> pickEndpoint(const Scenario& s, ServiceId svc, std::optional<ZoneId> zone, std::uint64_t hash) {
  return pick(s, endpointsOf(s, svc), zone, hash);
}

std::optional<PodId> pickEndpoint(const Scenario& s, const MeshState& m, ServiceId svc, std::optional<ZoneId> zone,
                                  std::uint64_t hash) {
  return pick(s, readyOnly(m, endpointsOf(s, svc)), zone, hash);
}

HopPath hopPath(const Scenario& s, const MeshState& m, PodId src, ServiceId dst, std::uint64_t flow_hash) {
  const NodeId node = s.pods[src].node;
  return route(s, m, {src, node, s.nodes[node].zone, m.modeOf(s, src)}, dst, flow_hash);
}

HopPath ingressPath(const Scenario& s, const MeshState& m, ZoneId zone, ServiceId dst, std::uint64_t flow_hash) {
  return route(s, m, {std::nullopt, std::nullopt, zone, MeshMode::None}, dst, flow_hash);
}

std::string principalOf(const Workload& w) { return "cluster.local/ns/" + w.ns + "/sa/" + w.service_account; }
std::string principalOf(const Waypoint& w) { return "cluster.local/ns/" + w.ns + "/sa/" + w.name; }

namespace {

bool labelsMatch(const Workload& w, const std::map<std::string, std::string>& match) {
  return std::all_of(match.begin(), match.end(), [&](const auto& kv) {
    auto it = w.labels.find(kv.first);
    return it != w.labels.end() && it->second == kv.second;
  });
}

// The mTLS mode for a workload: the most specific PeerAuthentication wins (workload
// selector, then namespace, then mesh-wide in istio-system).
MtlsMode effectiveMtls(const MeshState& m, const Workload& w) {
  MtlsMode mesh = MtlsMode::Unset, ns = MtlsMode::Unset, workload = MtlsMode::Unset;
  for (const auto& pa : m.peer_authns) {
    const bool selects = pa.selector && !pa.selector->empty();
    if (pa.ns == "istio-system" && !selects) mesh = pa.mode;
    else if (pa.ns == w.ns && !selects) ns = pa.mode;
    else if (pa.ns == w.ns && labelsMatch(w, *pa.selector)) workload = pa.mode;
  }
  for (auto mode : {workload, ns, mesh}) {
    if (mode != MtlsMode::Unset) return mode;
  }
  return MtlsMode::Unset;
}

}  // namespace

std::vector<const AuthorizationPolicy*> waypointPolicies(const Scenario& s, const MeshState& m, ServiceId svc_id,
                                                        WaypointId wp_id) {
  const auto& svc = s.services[svc_id];
  const auto& wp = s.waypoints[wp_id];
  std::vector<const AuthorizationPolicy*> out;
  for (const auto& p : m.policies) {
    for (const auto& ref : p.target_refs) {
      if ((ref.kind == "Service" && p.ns == svc.ns && ref.name == svc.name) ||
          (ref.kind == "Gateway" && p.ns == wp.ns && ref.name == wp.name)) {
        out.push_back(&p);
        break;
      }
    }
  }
  return out;
}

std::vector<AuthorizationPolicy> destinationPolicies(const Scenario& s, const MeshState& m, WorkloadId w,
                                                     MeshMode mode) {
  std::vector<AuthorizationPolicy> out;
  if (mode == MeshMode::None) return out;
  const auto& dw = s.workloads[w];
  for (const auto& p : m.policies) {
    if (p.usesTargetRefs()) continue;
    if (!(p.ns == dw.ns || p.ns == "istio-system") || !labelsMatch(dw, p.selector.value_or(std::map<std::string, std::string>{})))
      continue;
    if (mode == MeshMode::Sidecar) {
      out.push_back(p);
    } else if (auto conv = toZtunnelPolicy(p); conv.effective) {
      out.push_back(std::move(*conv.effective));
    }
  }
  if (effectiveMtls(m, dw) == MtlsMode::Strict) {
    PeerAuthentication pa;
    pa.ns = dw.ns;
    pa.name = "strict";
    pa.mode = MtlsMode::Strict;
    out.push_back(strictAsDenyPolicy(pa));
  }
  return out;
}

PathAuthz authorizePath(const Scenario& s, const MeshState& m, const HopPath& path, std::optional<PodId> src,
                        ServiceId dst, const std::string& method, const std::string& http_path) {
  PathAuthz out;
  if (!path.destination_pod || (m.policies.empty() && m.peer_authns.empty())) return out;
  const PodId dpod = *path.destination_pod;
  const auto& svc = s.services[dst];
  // Who the client is.
  std::optional<std::string> client;
  std::string client_ns;
  if (!src) {
    client = kIngressGatewayPrincipal;
    client_ns = "istio-system";
  } else if (m.modeOf(s, *src) != MeshMode::None) {
    const auto& w = s.workloads[s.pods[*src].owner_id];
    client = principalOf(w);
    client_ns = w.ns;
  }
  RequestAttrs attrs;
  attrs.source_principal = client;
  attrs.source_namespace = client_ns;
  attrs.destination_port = svc.ports.empty() ? 0 : svc.ports.front().target_port;
  attrs.method = method;
  attrs.path = http_path;
  auto hopIndex = [&](HopKind k, Direction d) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < path.hops.size(); ++i) {
      if (path.hops[i].kind == k && (k == HopKind::Waypoint || path.hops[i].direction == d)) return i;
    }
    return std::nullopt;
  };
  auto deny = [&](std::optional<std::size_t> hop, const AuthzDecision& d) {
    out.allowed = false;
    out.hop = hop;
    out.policy = d.policy;
    out.reason = d.reason;
    return out;
  };
  // 1. The waypoint: targetRefs policies on the service or on the waypoint itself.
  if (path.waypoint) {
    const auto& wp = s.waypoints[*path.waypoint];
    const auto at_waypoint = waypointPolicies(s, m, dst, *path.waypoint);
    const auto d = authorize(at_waypoint, attrs);
    if (!d.allowed) return deny(hopIndex(HopKind::Waypoint, Direction::Through), d);
    // Past the waypoint the destination sees the waypoint's identity.
    attrs.source_principal = principalOf(wp);
    attrs.source_namespace = wp.ns;
  }
  // 2. The destination: selector policies and STRICT mTLS.
  const MeshMode dmode = m.modeOf(s, dpod);
  if (dmode == MeshMode::None) return out;
  const auto owned = destinationPolicies(s, m, s.pods[dpod].owner_id, dmode);
  std::vector<const AuthorizationPolicy*> at_dest;
  for (const auto& p : owned) at_dest.push_back(&p);
  if (dmode == MeshMode::Ambient) {  // ztunnel sees no HTTP
    attrs.method.reset();
    attrs.path.reset();
  }
  const auto d = authorize(at_dest, attrs);
  if (!d.allowed)
    return deny(dmode == MeshMode::Sidecar ? hopIndex(HopKind::Sidecar, Direction::Inbound)
                                           : hopIndex(HopKind::Ztunnel, Direction::Inbound),
                d);
  return out;
}

std::vector<WorkloadId> selectedWorkloads(const Scenario& s, const std::string& ns,
                                          const std::map<std::string, std::string>& match_labels) {
  std::vector<WorkloadId> out;
  const bool mesh_wide = ns == "istio-system";
  for (WorkloadId w = 0; w < s.workloads.size(); ++w) {
    const auto& wl = s.workloads[w];
    if (!mesh_wide && wl.ns != ns) continue;
    const bool match = std::all_of(match_labels.begin(), match_labels.end(), [&](const auto& kv) {
      auto it = wl.labels.find(kv.first);
      return it != wl.labels.end() && it->second == kv.second;
    });
    if (match) out.push_back(w);
  }
  return out;
}

std::vector<Enforcement> enforcementPoints(const AuthorizationPolicy& p, const Scenario& s, const MeshState& m) {
  std::vector<Enforcement> out;
  if (p.usesTargetRefs()) {
    for (const auto& ref : p.target_refs) {
      Enforcement e;
      if (ref.kind == "Service") {
        e.service = s.findService(p.ns, ref.name);
        if (e.service && m.service_waypoint[*e.service]) {
          e.kind = EnforcerKind::Waypoint;
          e.waypoint = m.service_waypoint[*e.service];
          e.effective = p;
        } else {
          e.note = "no waypoint serves Service " + p.ns + "/" + ref.name + " in this phase: the policy is not enforced";
        }
      } else if (ref.kind == "Gateway") {
        const auto wp = s.findWaypoint(p.ns, ref.name);
        if (wp && m.waypoint_present[*wp]) {
          e.kind = EnforcerKind::Waypoint;
          e.waypoint = wp;
          e.effective = p;
        } else {
          e.note = "waypoint " + p.ns + "/" + ref.name + " is not deployed in this phase: the policy is not enforced";
        }
      } else {
        e.note = "targetRefs kind " + ref.kind + " is not modelled";
      }
      out.push_back(std::move(e));
    }
    return out;
  }
  const auto labels = p.selector.value_or(std::map<std::string, std::string>{});
  for (const auto w : selectedWorkloads(s, p.ns, labels)) {
    Enforcement e;
    e.workload = w;
    switch (m.workload_mode[w]) {
      case MeshMode::Sidecar:
        e.kind = EnforcerKind::Sidecar;
        e.effective = p;
        break;
      case MeshMode::Ambient: {
        e.kind = EnforcerKind::Ztunnel;
        auto conv = toZtunnelPolicy(p);
        e.effective = std::move(conv.effective);
        e.note = conv.message;
        if (!e.effective) e.kind = EnforcerKind::NotEnforced;
        break;
      }
      case MeshMode::None:
        e.note = "workload " + s.workloads[w].key() + " is not in the mesh";
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace meshtwin::models
