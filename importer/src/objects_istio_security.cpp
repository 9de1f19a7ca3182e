// Istio security: AuthorizationPolicy and PeerAuthentication into draft.policies, in the
// fields mesh.policies reads (selector and targetRefs kept as written: the ambient L7 trap
// hangs on that difference); RequestAuthentication as the jwt feature.
#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

const std::vector<std::string> kSourceFields = {"principals", "notPrincipals", "requestPrincipals",
                                                "notRequestPrincipals", "namespaces", "notNamespaces",
                                                "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"};
const std::vector<std::string> kOperationFields = {"ports", "notPorts", "hosts", "notHosts",
                                                   "methods", "notMethods", "paths", "notPaths"};
constexpr const char* kFromAnnotation = "meshtwin.io/imported-from";

bool holdsWorkloads(const Mapper& m, const std::string& ns) {
  return ns == m.options.root_namespace || std::any_of(m.draft.workloads.begin(), m.draft.workloads.end(),
                                                       [&](const DraftWorkload& w) { return w.ns == ns; });
}

nlohmann::json fields(const nlohmann::json& in, const std::vector<std::string>& allowed, const std::string& where,
                      std::vector<std::string>& stripped) {
  nlohmann::json out = nlohmann::json::object();
  if (!in.is_object()) return out;
  for (const auto& [k, v] : in.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      addNote(stripped, where + k);
      continue;
    }
    out[k] = strings(in, {k});
  }
  return out;
}

// One entry of rules[], in the loader's fields: from[].source, to[].operation, when[].
nlohmann::json rule(const nlohmann::json& in, std::vector<std::string>& stripped) {
  nlohmann::json out = nlohmann::json::object();
  if (!in.is_object()) return out;
  for (const auto& [k, v] : in.items()) {
    if (k != "from" && k != "to" && k != "when") addNote(stripped, "rules." + k);
  }
  static const nlohmann::json none = nlohmann::json::object();
  for (const auto& f : items(in, {"from"})) {
    const auto* src = get(f, {"source"});
    out["from"].push_back({{"source", fields(src ? *src : none, kSourceFields, "rules.from.source.", stripped)}});
  }
  for (const auto& t : items(in, {"to"})) {
    const auto* op = get(t, {"operation"});
    out["to"].push_back({{"operation", fields(op ? *op : none, kOperationFields, "rules.to.operation.", stripped)}});
  }
  for (const auto& w : items(in, {"when"})) {
    nlohmann::json c = {{"key", str(w, {"key"})}};
    if (has(w, {"values"})) c["values"] = strings(w, {"values"});
    if (has(w, {"notValues"})) c["notValues"] = strings(w, {"notValues"});
    out["when"].push_back(std::move(c));
  }
  return out;
}

// Fields only a proxy that parses HTTP can match on.
bool hasL7(const nlohmann::json& spec) {
  for (const auto& r : items(spec, {"rules"})) {
    for (const auto& f : items(r, {"from"})) {
      if (has(f, {"source", "requestPrincipals"}) || has(f, {"source", "notRequestPrincipals"})) return true;
    }
    for (const auto& t : items(r, {"to"})) {
      for (const auto* k : {"hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"}) {
        if (has(t, {"operation", k})) return true;
      }
    }
    for (const auto& w : items(r, {"when"})) {
      if (str(w, {"key"}).rfind("request.", 0) == 0) return true;
    }
  }
  return false;
}

nlohmann::json shell(const Object& o) {
  return {{"apiVersion", o.api_version},
          {"kind", o.kind},
          {"metadata",
           {{"name", o.name}, {"namespace", o.ns}, {"annotations", {{kFromAnnotation, o.ref() + " at " + toString(o.origin)}}}}}};
}

// targetRefs to what the Draft holds (Services, waypoints, ServiceEntries); what is dropped is named.
nlohmann::json targetRefs(Mapper& m, const Object& o, std::vector<std::string>& dropped) {
  auto refs = items(o.body, {"spec", "targetRefs"});
  if (const auto* one = get(o.body, {"spec", "targetRef"}); one && one->is_object()) refs.push_back(*one);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : refs) {
    const auto kind = str(r, {"kind"});
    const auto name = str(r, {"name"});
    const bool keep = (kind == "Service" && m.draft.findService(o.ns, name)) ||
                      (kind == "Gateway" && m.findWaypoint(o.ns, name)) || kind == "ServiceEntry";
    if (!keep) {
      dropped.push_back(kind + " " + name);
      continue;
    }
    nlohmann::json ref = {{"kind", kind}, {"name", name}};
    if (!str(r, {"group"}).empty()) ref["group"] = str(r, {"group"});
    out.push_back(std::move(ref));
  }
  return out;
}

// The trap: an L7 policy by selector on ambient workloads is ztunnel's, which cannot read
// HTTP; a targetRefs policy is a waypoint's, which sidecars do not consult.
void trap(Mapper& m, const Object& o, const Targets& t) {
  std::vector<std::string> hit;
  for (const auto* w : t.workloads) {
    const auto mode = m.modeOf(*w);
    if (t.by_target_refs ? mode == models::MeshMode::Sidecar : mode == models::MeshMode::Ambient) hit.push_back(w->key());
  }
  if (hit.empty()) return;
  std::sort(hit.begin(), hit.end());
  hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
  if (t.by_target_refs) {
    m.report.assume(o.ref(), "L7 rules attached by targetRefs are enforced by a waypoint only; the sidecars of " +
                                 listText(hit) + " do not enforce this policy");
  } else {
    m.report.assume(o.ref(), "L7 rules by selector on ambient workload(s) " + listText(hit) +
                                 ": ztunnel enforces only L4 (ALLOW rules with HTTP fields never match, DENY rules "
                                 "match more broadly); attach the policy to a waypoint with targetRefs");
  }
}

std::optional<Outcome> authzSpec(Mapper& m, const Object& o, nlohmann::json& spec, std::vector<std::string>& stripped) {
  const auto* in = get(o.body, {"spec"});
  if (!in || !in->is_object()) return std::nullopt;
  const bool by_refs = has(*in, {"targetRefs"}) || has(*in, {"targetRef"});
  if (by_refs && get(*in, {"selector"})) return skipped("selector and targetRefs are both set (Istio rejects it)");
  if (get(*in, {"selector"})) spec["selector"] = {{"matchLabels", labels(*in, {"selector", "matchLabels"})}};
  if (by_refs) {
    std::vector<std::string> dropped;
    spec["targetRefs"] = targetRefs(m, o, dropped);
    if (spec["targetRefs"].empty()) return skipped("its targetRefs name nothing modelled (" + listText(dropped) + ")");
    if (!dropped.empty()) m.report.assume(o.ref(), "targetRefs to what is not modelled left out: " + listText(dropped));
  }
  const auto action = str(*in, {"action"});
  if (!action.empty() && action != "ALLOW" && action != "DENY" && action != "AUDIT" && action != "CUSTOM") {
    m.error(o, "action \"" + action + "\" is not an Istio action", "use ALLOW, DENY, AUDIT or CUSTOM");
    return skipped("unknown action " + action);
  }
  if (!action.empty()) spec["action"] = action;
  if (action == "CUSTOM" && get(*in, {"provider"})) spec["provider"] = *get(*in, {"provider"});
  if (get(*in, {"rules"}) && !get(*in, {"rules"})->is_null()) spec["rules"] = nlohmann::json::array();
  for (const auto& r : items(*in, {"rules"})) spec["rules"].push_back(rule(r, stripped));
  for (const auto& [k, v] : in->items()) {
    if (k != "selector" && k != "targetRef" && k != "targetRefs" && k != "action" && k != "provider" && k != "rules") {
      addNote(stripped, k);
    }
  }
  return std::nullopt;
}

std::optional<std::string> mtlsMode(Mapper& m, const Object& o, const nlohmann::json& mtls) {
  const auto mode = str(mtls, {"mode"});
  if (mode.empty() || mode == "UNSET" || mode == "PERMISSIVE" || mode == "STRICT" || mode == "DISABLE") return mode;
  m.error(o, "mtls.mode \"" + mode + "\" is not an Istio mTLS mode", "use UNSET, PERMISSIVE, STRICT or DISABLE");
  return std::nullopt;
}

}  // namespace

Outcome mapAuthorizationPolicy(Mapper& m, const Object& o) {
  if (!holdsWorkloads(m, o.ns)) return skipped("namespace " + o.ns + " has no modelled workloads");
  auto policy = shell(o);
  nlohmann::json spec = nlohmann::json::object();
  std::vector<std::string> stripped;
  if (auto out = authzSpec(m, o, spec, stripped)) return *out;
  const Targets t = targetsOf(m, o);
  const auto* in = get(o.body, {"spec"});
  if (in && hasL7(*in)) {
    m.markL7(t.workloads, "l7Authz", o.ref() + " (" + t.how + ")");
    trap(m, o, t);
  }
  if (!stripped.empty()) m.report.assume(o.ref(), "fields the model does not read are left out: " + listText(stripped, 8));
  policy["spec"] = std::move(spec);
  m.draft.policies.push_back(std::move(policy));
  return mapped();
}

Outcome mapPeerAuthentication(Mapper& m, const Object& o) {
  if (!holdsWorkloads(m, o.ns)) return skipped("namespace " + o.ns + " has no modelled workloads");
  auto policy = shell(o);
  nlohmann::json spec = nlohmann::json::object();
  const auto* in = get(o.body, {"spec"});
  if (in && get(*in, {"selector"})) spec["selector"] = {{"matchLabels", labels(*in, {"selector", "matchLabels"})}};
  if (const auto* mtls = in ? get(*in, {"mtls"}) : nullptr) {
    const auto mode = mtlsMode(m, o, *mtls);
    if (!mode) return skipped("unknown mtls.mode");
    if (!mode->empty()) spec["mtls"] = {{"mode", *mode}};
  }
  if (const auto* ports = in ? get(*in, {"portLevelMtls"}) : nullptr; ports && ports->is_object()) {
    for (const auto& [port, mtls] : ports->items()) {
      const auto number = integer(nlohmann::json(port), {});
      if (!number || *number < 1 || *number > 65535) {
        m.error(o, "portLevelMtls key \"" + port + "\" is not a port number", "ports are 1..65535");
        return skipped("portLevelMtls key is not a port");
      }
      const auto mode = mtlsMode(m, o, mtls);
      if (!mode) return skipped("unknown mtls.mode in portLevelMtls");
      spec["portLevelMtls"][port] = {{"mode", mode->empty() ? "UNSET" : *mode}};
    }
  }
  policy["spec"] = std::move(spec);
  m.draft.policies.push_back(std::move(policy));
  return mapped();
}

Outcome mapRequestAuthentication(Mapper& m, const Object& o) {
  const Targets t = targetsOf(m, o);
  if (t.workloads.empty()) return skipped("selects no modelled workload");
  m.markL7(t.workloads, "jwt", o.ref() + " (" + t.how + ")");
  return mapped();
}

}  // namespace meshtwin::importer::detail
