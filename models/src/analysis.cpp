// Plan analysis: known pitfalls of sidecar -> ambient migrations, checked per phase.
#include "meshtwin/models/analysis.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "meshtwin/models/routing.hpp"

namespace meshtwin::models {

const char* toString(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: return "critical";
  }
  return "?";
}

std::optional<Severity> severityFrom(std::string_view s) {
  for (auto v : {Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical}) {
    if (s == toString(v)) return v;
  }
  return std::nullopt;
}

namespace {

std::string joinZones(const Scenario& s, const std::set<ZoneId>& zs) {
  std::string out;
  for (auto z : zs) out += (out.empty() ? "" : ", ") + s.zones[z].name;
  return out;
}

std::string featureList(const std::set<L7Feature>& fs) {
  std::string out;
  for (auto f : fs) out += (out.empty() ? "" : ", ") + std::string(toString(f));
  return out;
}

class Analyzer {
 public:
  Analyzer(const Scenario& s, const MeshState& m) : s_(s), m_(m) {}

  std::vector<Finding> run() {
    l7PoliciesAtZtunnel();
    policiesSeeWaypointIdentity();
    l7NeedsWithoutWaypoint();
    bypassedWaypoints();
    waypointChecks();
    dangling();
    peerAuthDisable();
    costLabels();
    for (auto& f : out_) f.phases = {m_.phase_name};
    return std::move(out_);
  }

 private:
  void add(Severity sev, std::string code, std::string object, std::string msg, std::string hint, SourceLoc loc) {
    out_.push_back({sev, std::move(code), std::move(object), std::move(msg), std::move(hint), std::move(loc), {}});
  }

  // Selector policies with HTTP attributes on ambient workloads: ztunnel cannot see HTTP.
  void l7PoliciesAtZtunnel() {
    for (const auto& p : m_.policies) {
      if (p.usesTargetRefs()) continue;
      const bool http = policyHasHttpAttributes(p);
      const bool unsupported = p.action == AuthzAction::Audit || p.action == AuthzAction::Custom;
      if (!http && !unsupported) continue;
      std::vector<std::string> hit;
      for (const auto& e : enforcementPoints(p, s_, m_)) {
        if (e.workload && m_.workload_mode[*e.workload] == MeshMode::Ambient) hit.push_back(s_.workloads[*e.workload].name);
      }
      if (hit.empty()) continue;
      std::string who = hit.size() <= 3 ? "" : std::to_string(hit.size()) + " workloads incl. ";
      for (std::size_t i = 0; i < std::min<std::size_t>(hit.size(), 3); ++i) who += (i ? ", " : "") + hit[i];
      std::string msg;
      if (unsupported) {
        msg = std::string("ztunnel does not support the ") + toString(p.action) + " action; the policy is ignored for " + who;
      } else if (p.action == AuthzAction::Allow) {
        msg = "selector policy with HTTP rules lands on ztunnel for " + who +
              ": its HTTP rules never match, so requests they should allow are denied";
      } else {
        msg = "selector DENY policy with HTTP rules lands on ztunnel for " + who +
              ": its HTTP parts are dropped, so it denies every request matching the rest";
      }
      add(Severity::High, "l7-policy-at-ztunnel", "AuthorizationPolicy " + p.key(), msg,
          "bind a waypoint and move the policy to targetRefs (movePolicy) in the wave that enrols the namespace, "
          "or delete it right after enrolment",
          p.loc);
    }
  }

  // A selector ALLOW policy that names its callers (principals or namespaces) on an ambient
  // workload behind a waypoint: its ztunnel now sees the waypoint's identity, not the
  // callers', so the policy denies their traffic (istio/istio#47137).
  void policiesSeeWaypointIdentity() {
    for (const auto& p : m_.policies) {
      if (p.usesTargetRefs() || p.action != AuthzAction::Allow || !p.rules) continue;
      const bool names_callers = std::any_of(p.rules->begin(), p.rules->end(), [](const AuthzRule& r) {
        return std::any_of(r.from.begin(), r.from.end(),
                           [](const AuthzSource& src) { return !src.principals.empty() || !src.namespaces.empty(); });
      });
      if (!names_callers) continue;
      for (const auto& e : enforcementPoints(p, s_, m_)) {
        if (e.kind != EnforcerKind::Ztunnel || !e.workload || !e.effective) continue;
        for (auto sv : s_.servicesOf(*e.workload)) {
          const auto wp = m_.service_waypoint[sv];
          if (!wp) continue;
          RequestAttrs from_waypoint;
          from_waypoint.source_principal = principalOf(s_.waypoints[*wp]);
          from_waypoint.source_namespace = s_.waypoints[*wp].ns;
          bool allowed = false;
          for (const auto& port : s_.services[sv].ports) {
            from_waypoint.destination_port = port.target_port;
            allowed = allowed || policyMatches(*e.effective, from_waypoint);
          }
          if (allowed) continue;
          add(Severity::High, "policy-sees-waypoint-identity", "AuthorizationPolicy " + p.key(),
              "workload " + s_.workloads[*e.workload].key() + " is behind waypoint " + s_.waypoints[*wp].key() +
                  ": its ztunnel sees the waypoint's identity (" + principalOf(s_.waypoints[*wp]) +
                  "), which this policy does not allow, so every call through the waypoint is denied",
              "allow the waypoint's principal in this policy, or move the caller rules to the waypoint (movePolicy to "
              "targetRefs), in the wave that binds the waypoint",
              p.loc);
          break;
        }
      }
    }
  }

  bool hasWaypointFor(WorkloadId w) const {
    if (m_.workload_waypoint[w]) return true;
    for (auto sv : s_.servicesOf(w)) {
      if (m_.service_waypoint[sv]) return true;
    }
    return false;
  }

  void l7NeedsWithoutWaypoint() {
    for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
      const auto& wl = s_.workloads[w];
      if (m_.workload_mode[w] != MeshMode::Ambient || wl.l7.empty()) continue;
      std::set<L7Feature> needs = wl.l7;
      if (needs.erase(L7Feature::EnvoyFilter)) {
        add(Severity::Medium, "envoyfilter-unsupported", "workload " + wl.key(),
            "needs EnvoyFilter, which waypoints do not support; it is silently ignored in ambient mode",
            "keep this workload in sidecar mode, or replace the EnvoyFilter with a WasmPlugin or HTTPRoute", wl.loc);
      }
      if (!needs.empty() && !hasWaypointFor(w)) {
        add(Severity::High, "l7-without-waypoint", "workload " + wl.key(),
            "needs " + featureList(needs) + " but no waypoint serves it: ztunnel is L4 only, so these features are lost",
            "add a waypoint (addWaypoint) and bind it (useWaypoint) to the namespace or service in this wave", wl.loc);
      }
    }
  }

  // Services whose waypoint carries L7 policy or L7 features.
  void bypassedWaypoints() {
    std::map<ServiceId, std::string> l7_policy;  // service -> policy key
    for (const auto& p : m_.policies) {
      if (!p.usesTargetRefs()) continue;
      for (const auto& e : enforcementPoints(p, s_, m_)) {
        if (e.kind != EnforcerKind::Waypoint) continue;
        if (e.service) l7_policy.emplace(*e.service, p.key());
        else if (e.waypoint) {
          for (ServiceId sv = 0; sv < s_.services.size(); ++sv) {
            if (m_.service_waypoint[sv] == e.waypoint) l7_policy.emplace(sv, p.key());
          }
        }
      }
    }
    for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
      if (m_.workload_mode[w] != MeshMode::Sidecar) continue;
      std::set<ServiceId> seen;
      for (const auto& step : s_.workloads[w].script) {
        for (const auto& c : step.calls) {
          const auto sv = c.service;
          if (!m_.service_waypoint[sv] || !seen.insert(sv).second) continue;
          const auto& svc = s_.services[sv];
          const auto wp = s_.waypoints[*m_.service_waypoint[sv]].key();
          if (auto it = l7_policy.find(sv); it != l7_policy.end()) {
            add(Severity::High, "sidecar-bypasses-waypoint", "workload " + s_.workloads[w].key(),
                "sidecar client calls " + svc.key() + " directly, bypassing waypoint " + wp +
                    ": AuthorizationPolicy " + it->second + " is not enforced for these calls",
                "move this client to ambient in the same wave as its server, or keep an equivalent selector "
                "policy on the server's sidecar until it moves",
                c.loc);
          } else {
            std::set<L7Feature> feats;
            for (auto b : svc.backends) feats.insert(s_.workloads[b].l7.begin(), s_.workloads[b].l7.end());
            if (feats.empty()) continue;
            add(Severity::Medium, "sidecar-bypasses-waypoint", "workload " + s_.workloads[w].key(),
                "sidecar client calls " + svc.key() + " directly, bypassing waypoint " + wp + ": its L7 features (" +
                    featureList(feats) + ") do not apply to these calls",
                "move this client to ambient in the same wave as its server", c.loc);
          }
        }
      }
    }
  }

  void waypointChecks() {
    for (WaypointId wp = 0; wp < s_.waypoints.size(); ++wp) {
      if (!m_.waypoint_present[wp]) continue;
      const auto& w = s_.waypoints[wp];
      std::vector<ServiceId> served;
      for (ServiceId sv = 0; sv < s_.services.size(); ++sv) {
        if (m_.service_waypoint[sv] == wp) served.push_back(sv);
      }
      if (!w.hpa) {
        add(Severity::Medium, "waypoint-without-autoscaling", "waypoint " + w.key(),
            "runs a fixed " + std::to_string(w.replicas) + " replica(s): a burst can saturate it before anyone scales it",
            "give it an hpa (minReplicas, maxReplicas, targetCpu); Istio renders the HPA only from an overlay", w.loc);
      }
      if (served.empty()) continue;
      // Ambient clients of the served services: they reach the waypoint from their zones.
      std::set<ZoneId> client_zones, wp_zones;
      for (WorkloadId c = 0; c < s_.workloads.size(); ++c) {
        if (m_.workload_mode[c] != MeshMode::Ambient) continue;
        const auto& wl = s_.workloads[c];
        if (std::none_of(served.begin(), served.end(), [&](ServiceId sv) { return wl.calls(sv); })) continue;
        for (auto p : s_.workload_pods[c]) client_zones.insert(s_.zoneOfPod(p));
      }
      for (auto p : s_.waypoint_pods[wp]) wp_zones.insert(s_.zoneOfPod(p));
      std::set<ZoneId> uncovered;
      std::set_difference(client_zones.begin(), client_zones.end(), wp_zones.begin(), wp_zones.end(),
                          std::inserter(uncovered, uncovered.begin()));
      if (!uncovered.empty()) {
        add(Severity::Medium, "waypoint-fewer-zones", "waypoint " + w.key(),
            "replicas run in " + std::to_string(wp_zones.size()) + " zone(s) (" + joinZones(s_, wp_zones) +
                ") but clients run in " + std::to_string(client_zones.size()) + " (" + joinZones(s_, client_zones) +
                "): requests from " + joinZones(s_, uncovered) + " cross zones to reach it and are billed both ways",
            "spread the waypoint over the clients' zones (zones:, replicas >= " + std::to_string(client_zones.size()) + ")",
            w.loc);
      }
    }
  }

  void dangling() {
    for (ServiceId sv = 0; sv < s_.services.size(); ++sv) {
      if (!m_.service_binding_missing[sv]) continue;
      const auto& wp = s_.waypoints[*m_.service_binding_missing[sv]];
      const auto callers = ambientCallers(sv);
      add(callers.empty() ? Severity::Medium : Severity::Critical, "waypoint-not-deployed", "service " + s_.services[sv].key(),
          "is bound to waypoint " + wp.key() + ", which is not deployed in this phase: " +
              (callers.empty() ? std::string("ambient clients will fail once there are any")
                               : "calls from " + callers + " fail"),
          "add the waypoint (addWaypoint) in this wave or an earlier one", s_.services[sv].loc);
    }
    for (const auto& p : m_.policies) {
      if (!p.usesTargetRefs()) continue;
      for (const auto& e : enforcementPoints(p, s_, m_)) {
        if (e.kind != EnforcerKind::NotEnforced) continue;
        add(p.action == AuthzAction::Deny || p.action == AuthzAction::Allow ? Severity::High : Severity::Medium,
            "policy-not-enforced", "AuthorizationPolicy " + p.key(), e.note,
            "deploy and bind the waypoint before (or in the same wave as) moving the policy to targetRefs", p.loc);
      }
    }
  }

  // Ambient workloads whose scripts call `sv`, as "a, b, c" (at most three named).
  std::string ambientCallers(ServiceId sv) const {
    std::vector<std::string> names;
    for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
      if (m_.workload_mode[w] == MeshMode::Ambient && s_.workloads[w].calls(sv)) names.push_back(s_.workloads[w].key());
    }
    std::string out;
    for (std::size_t i = 0; i < std::min<std::size_t>(names.size(), 3); ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > 3) out += " and " + std::to_string(names.size() - 3) + " more";
    return out;
  }

  void peerAuthDisable() {
    for (const auto& pa : m_.peer_authns) {
      bool disable = pa.mode == MtlsMode::Disable;
      for (const auto& [port, mode] : pa.port_modes) disable = disable || mode == MtlsMode::Disable;
      if (!disable) continue;
      std::size_t ambient = 0;
      for (auto w : selectedWorkloads(s_, pa.ns, pa.selector.value_or(std::map<std::string, std::string>{}))) {
        if (m_.workload_mode[w] == MeshMode::Ambient) ++ambient;
      }
      if (ambient == 0) continue;
      add(Severity::High, "peerauthentication-disable-ignored", "PeerAuthentication " + pa.key(),
          "mTLS DISABLE is ignored in ambient mode for " + std::to_string(ambient) +
              " workload(s): ztunnel still encrypts, and peers that expect plaintext break",
          "to run without mTLS, keep the namespace out of ambient (mode none)", pa.loc);
    }
  }

  // The labels cost allocation needs: the scenario's labelPolicy, or OpenCost's usual three.
  // Once the policy enforces (from the phase after the last wave, or throughout when it says
  // Enforce during the migration), Kyverno rejects the workload's new pods: a restart, a
  // rescheduled or an autoscaled pod fails, so the finding is no longer only about cost.
  void costLabels() {
    static const std::vector<std::string> fallback = {"team", "cost-center", "environment"};
    const auto& lp = s_.label_policy;
    const auto& required = lp ? lp->required : fallback;
    const bool last = m_.phase == s_.plan.waves.size();
    const bool enforced = lp && m_.phase > 0 &&
                          (last ? lp->after : lp->during) == LabelPolicy::Action::Enforce;
    for (const auto& wl : s_.workloads) {
      std::string missing;
      for (const auto& l : required) {
        if (!wl.labels.count(l)) missing += (missing.empty() ? "" : ", ") + l;
      }
      if (missing.empty()) continue;
      if (enforced) {
        add(Severity::Medium, "missing-required-labels", "workload " + wl.key(),
            "lacks label(s) " + missing + " the labelPolicy enforces: Kyverno rejects its new pods (restarts, "
            "rescheduling, autoscaling)",
            "add them under labels: before the policy enforces, or keep labelPolicy on Audit", wl.loc);
        continue;
      }
      add(Severity::Low, "missing-cost-labels", "workload " + wl.key(),
          "lacks label(s) " + missing + ": its cost (and its share of mesh cost) cannot be allocated",
          "add them under labels: (OpenCost aggregates by label; unlabelled pods land in __unallocated__)", wl.loc);
    }
  }

  const Scenario& s_;
  const MeshState& m_;
  std::vector<Finding> out_;
};

}  // namespace

std::vector<Finding> analyzePhase(const Scenario& s, const MeshState& m) { return Analyzer(s, m).run(); }

std::vector<Finding> analyze(const Scenario& s) {
  std::vector<Finding> merged;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
  for (const auto& m : allPhases(s)) {
    for (auto& f : analyzePhase(s, m)) {
      const auto key = std::make_tuple(f.code, f.object, f.message);
      if (auto it = index.find(key); it != index.end()) {
        merged[it->second].phases.push_back(m.phase_name);
        continue;
      }
      index[key] = merged.size();
      merged.push_back(std::move(f));
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.code < b.code;
  });
  return merged;
}

}  // namespace meshtwin::models
