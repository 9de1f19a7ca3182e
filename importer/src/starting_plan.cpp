// The starting plan of an import: one wave per namespace, callees first on the call graph,
// each with the waypoint its L7 needs and its L7 policies moved onto that waypoint.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "finish_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

using models::MeshMode;

// `j[key]` when j is an object holding it, else an empty value of the same use.
const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json none;
  if (!j.is_object()) return none;
  const auto it = j.find(key);
  return it == j.end() ? none : *it;
}

bool anyKey(const nlohmann::json& obj, const std::set<std::string>& keys) {
  if (!obj.is_object()) return false;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (keys.count(it.key())) return true;
  }
  return false;
}

bool ruleIsL7(const nlohmann::json& rule) {
  static const std::set<std::string> l7_operation{"methods", "notMethods", "paths", "notPaths", "hosts", "notHosts"};
  static const std::set<std::string> l7_source{"requestPrincipals", "notRequestPrincipals"};
  const auto& to = member(rule, "to");
  if (to.is_array()) {
    for (const auto& t : to) if (anyKey(member(t, "operation"), l7_operation)) return true;
  }
  const auto& from = member(rule, "from");
  if (from.is_array()) {
    for (const auto& f : from) if (anyKey(member(f, "source"), l7_source)) return true;
  }
  const auto& when = member(rule, "when");
  if (when.is_array()) {
    for (const auto& w : when) {
      const auto& key = member(w, "key");
      if (key.is_string() && key.get<std::string>().rfind("request.", 0) == 0) return true;
    }
  }
  return false;
}


// The namespace of a call's service ("cart" is in the caller's namespace, "cart.shop" in shop).
std::string calleeNamespace(const std::string& service, const std::string& caller_ns) {
  const auto dot = service.find('.');
  return dot == std::string::npos ? caller_ns : service.substr(dot + 1);
}

MeshMode modeOf(const Draft& d, const DraftWorkload& w) {
  if (const auto it = d.workload_modes.find(w.key()); it != d.workload_modes.end()) return it->second;
  if (w.mode) return *w.mode;
  if (const auto it = d.namespace_modes.find(w.ns); it != d.namespace_modes.end()) return it->second;
  return d.default_mode;
}

// Namespace -> the namespaces its workloads call.
std::map<std::string, std::set<std::string>> namespaceCalls(const Draft& d) {
  std::map<std::string, std::set<std::string>> calls;
  for (const auto& w : d.workloads) {
    calls[w.ns];
    for (const auto& step : w.script) {
      for (const auto& c : step.calls) {
        const auto ns = calleeNamespace(c.service, w.ns);
        if (ns != w.ns) calls[w.ns].insert(ns);
      }
    }
  }
  return calls;
}

// Callees before callers (Kahn's algorithm, ties by name); a cycle is broken at its first name.
std::vector<std::string> calleesFirst(const std::map<std::string, std::set<std::string>>& calls) {
  std::map<std::string, int> pending;  // callees not yet ordered
  for (const auto& [ns, callees] : calls) {
    int n = 0;
    for (const auto& c : callees) n += calls.count(c) ? 1 : 0;
    pending[ns] = n;
  }
  std::vector<std::string> order;
  std::set<std::string> done;
  while (done.size() < pending.size()) {
    std::string next;
    for (const auto& [ns, n] : pending) {
      if (!done.count(ns) && n == 0) {
        next = ns;
        break;
      }
    }
    if (next.empty()) {  // a cycle: take the first namespace left
      for (const auto& [ns, n] : pending) {
        if (!done.count(ns)) {
          next = ns;
          break;
        }
      }
    }
    done.insert(next);
    order.push_back(next);
    for (auto& [ns, n] : pending) {
      if (!done.count(ns) && calls.at(ns).count(next)) --n;
    }
  }
  return order;
}

bool selectorMatches(const nlohmann::json& match_labels, const std::map<std::string, std::string>& labels) {
  if (!match_labels.is_object()) return true;
  for (auto m = match_labels.begin(); m != match_labels.end(); ++m) {
    const auto it = labels.find(m.key());
    if (it == labels.end() || !m->is_string() || it->second != m->get<std::string>()) return false;
  }
  return true;
}

// L7 AuthorizationPolicies of `ns` that still select workloads: they must move to the waypoint.
std::vector<PolicyMove> policyMoves(const Draft& d, const std::string& ns) {
  std::vector<PolicyMove> moves;
  for (const auto& p : d.policies) {
    const auto& kind = member(p, "kind");
    const auto& meta = member(p, "metadata");
    const auto& pns = member(meta, "namespace");
    if (!kind.is_string() || kind.get<std::string>() != "AuthorizationPolicy" || !pns.is_string() ||
        pns.get<std::string>() != ns) {
      continue;
    }
    const auto& selector = member(member(p, "spec"), "selector");
    if (selector.is_null() || !hasL7Rules(p)) continue;
    const auto& labels = member(selector, "matchLabels");
    const auto& pname = member(meta, "name");
    PolicyMove m{ns + "/" + (pname.is_string() ? pname.get<std::string>() : ""), {}};
    for (const auto& sv : d.services) {
      if (sv.ns != ns) continue;
      const bool covered = std::any_of(sv.workloads.begin(), sv.workloads.end(), [&](const std::string& wn) {
        const auto it = std::find_if(d.workloads.begin(), d.workloads.end(),
                                     [&](const DraftWorkload& w) { return w.ns == ns && w.name == wn; });
        return it != d.workloads.end() && selectorMatches(labels, it->labels);
      });
      if (covered) m.services.push_back(sv.name);
    }
    if (!m.services.empty()) moves.push_back(std::move(m));
  }
  return moves;
}

// The L7 features of `ns` a waypoint serves (EnvoyFilter is not one: ambient ignores it).
std::set<std::string> waypointNeeds(const Draft& d, const std::string& ns) {
  std::set<std::string> needs;
  for (const auto& w : d.workloads) {
    if (w.ns != ns) continue;
    for (const auto& f : w.l7) {
      if (f != "envoyFilter") needs.insert(f);
    }
  }
  return needs;
}

std::string existingWaypoint(const Draft& d, const std::string& ns) {
  for (const auto& wp : d.waypoints) {
    if (wp.ns == ns) return wp.name;
  }
  return "";
}

bool namespaceBound(const Draft& d, const std::string& ns) {
  return std::any_of(d.bindings.begin(), d.bindings.end(),
                     [&](const DraftBinding& b) { return b.scope == "namespace" && b.target == ns; });
}

}  // namespace

std::vector<PlannedWave> startingPlan(const Draft& d, ImportReport& report) {
  std::vector<PlannedWave> waves;
  for (const auto& ns : calleesFirst(namespaceCalls(d))) {
    const bool pending = std::any_of(d.workloads.begin(), d.workloads.end(), [&](const DraftWorkload& w) {
      return w.ns == ns && modeOf(d, w) != MeshMode::Ambient;
    });
    if (!pending) continue;
    PlannedWave w;
    w.ns = ns;
    w.name = fmt::format("wave-{}-{}", waves.size() + 1, ns);
    w.moves = policyMoves(d, ns);
    const auto needs = waypointNeeds(d, ns);
    for (const auto& f : needs) w.reasons.push_back(f);
    for (const auto& m : w.moves) w.reasons.push_back("L7 policy " + m.policy);
    if (!w.reasons.empty() && !namespaceBound(d, ns)) {
      const auto existing = existingWaypoint(d, ns);
      w.add_waypoint = existing.empty() ? "waypoint" : "";
      w.bind_waypoint = existing.empty() ? "waypoint" : existing;
      // Never a single replica (a burst would saturate it before the HPA scales, and a
      // node loss would take the namespace's L7 down): one per zone, at least two.
      w.waypoint_replicas = std::max<int>(2, static_cast<int>(d.zones.size()));
    }
    waves.push_back(std::move(w));
  }
  if (waves.empty() && !d.workloads.empty()) report.assume("plan", "every workload is already ambient: no waves");
  return waves;
}

bool hasL7Rules(const nlohmann::json& policy) {
  const auto& rules = member(member(policy, "spec"), "rules");
  if (!rules.is_array()) return false;
  for (const auto& rule : rules) {
    if (ruleIsL7(rule)) return true;
  }
  return false;
}

}  // namespace meshtwin::importer::detail
