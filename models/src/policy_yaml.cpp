// Istio AuthorizationPolicy / PeerAuthentication from YAML, in Istio's field names.
#include "policy_yaml.hpp"

namespace meshtwin::models::detail {
namespace {

void readList(YamlReader& r, const YAML::Node& m, const char* key, const std::string& obj,
              std::vector<std::string>& out) {
  if (auto v = r.strings(m, key, obj)) out = std::move(*v);
}

std::optional<std::map<std::string, std::string>> parseSelector(YamlReader& r, const YAML::Node& spec,
                                                                const std::string& obj) {
  const YAML::Node sel = spec["selector"];
  if (!sel.IsDefined()) return std::nullopt;
  std::map<std::string, std::string> labels;
  if (sel.IsNull()) return labels;
  if (!r.isMap(sel, obj, "selector")) return labels;
  r.checkKeys(sel, obj, {"matchLabels"});
  if (auto ml = r.stringMap(sel, "matchLabels", obj)) labels = std::move(*ml);
  return labels;
}

std::optional<AuthzRule> parseRule(YamlReader& r, const YAML::Node& n, const std::string& obj) {
  AuthzRule rule;
  if (n.IsNull()) return rule;  // `- {}` matches everything
  if (!r.isMap(n, obj, "rules[]")) return std::nullopt;
  r.checkKeys(n, obj, {"from", "to", "when"});
  if (const auto from = n["from"]; from.IsDefined() && r.isSeq(from, obj, "from")) {
    for (const auto& f : from) {
      if (!r.isMap(f, obj, "from[]")) continue;
      r.checkKeys(f, obj, {"source"});
      const auto s = f["source"];
      if (!s.IsDefined() || !r.isMap(s, obj, "source")) continue;
      r.checkKeys(s, obj, {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
                           "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks",
                           "notRemoteIpBlocks"});
      AuthzSource src;
      readList(r, s, "principals", obj, src.principals);
      readList(r, s, "notPrincipals", obj, src.not_principals);
      readList(r, s, "requestPrincipals", obj, src.request_principals);
      readList(r, s, "notRequestPrincipals", obj, src.not_request_principals);
      readList(r, s, "namespaces", obj, src.namespaces);
      readList(r, s, "notNamespaces", obj, src.not_namespaces);
      readList(r, s, "ipBlocks", obj, src.ip_blocks);
      readList(r, s, "notIpBlocks", obj, src.not_ip_blocks);
      readList(r, s, "remoteIpBlocks", obj, src.ip_blocks);
      readList(r, s, "notRemoteIpBlocks", obj, src.not_ip_blocks);
      rule.from.push_back(std::move(src));
    }
  }
  if (const auto to = n["to"]; to.IsDefined() && r.isSeq(to, obj, "to")) {
    for (const auto& t : to) {
      if (!r.isMap(t, obj, "to[]")) continue;
      r.checkKeys(t, obj, {"operation"});
      const auto o = t["operation"];
      if (!o.IsDefined() || !r.isMap(o, obj, "operation")) continue;
      r.checkKeys(o, obj, {"ports", "notPorts", "hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"});
      AuthzOperation op;
      readList(r, o, "ports", obj, op.ports);
      readList(r, o, "notPorts", obj, op.not_ports);
      readList(r, o, "hosts", obj, op.hosts);
      readList(r, o, "notHosts", obj, op.not_hosts);
      readList(r, o, "methods", obj, op.methods);
      readList(r, o, "notMethods", obj, op.not_methods);
      readList(r, o, "paths", obj, op.paths);
      readList(r, o, "notPaths", obj, op.not_paths);
      rule.to.push_back(std::move(op));
    }
  }
  if (const auto when = n["when"]; when.IsDefined() && r.isSeq(when, obj, "when")) {
    for (const auto& w : when) {
      if (!r.isMap(w, obj, "when[]")) continue;
      r.checkKeys(w, obj, {"key", "values", "notValues"});
      AuthzCondition c;
      if (auto k = r.str(w, "key", obj, true)) c.key = *k;
      readList(r, w, "values", obj, c.values);
      readList(r, w, "notValues", obj, c.not_values);
      rule.when.push_back(std::move(c));
    }
  }
  return rule;
}

std::optional<MtlsMode> parseMtls(YamlReader& r, const YAML::Node& m, const std::string& obj) {
  if (!r.isMap(m, obj, "mtls")) return std::nullopt;
  r.checkKeys(m, obj, {"mode"});
  const auto mode = r.str(m, "mode", obj);
  if (!mode || *mode == "UNSET") return MtlsMode::Unset;
  if (*mode == "PERMISSIVE") return MtlsMode::Permissive;
  if (*mode == "STRICT") return MtlsMode::Strict;
  if (*mode == "DISABLE") return MtlsMode::Disable;
  r.error(m["mode"], obj, "mtls.mode \"" + *mode + "\" is not an Istio mTLS mode",
          suggestionHint(*mode, {"UNSET", "PERMISSIVE", "STRICT", "DISABLE"}, "modes"));
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<TargetRef>> parseTargetRefs(YamlReader& r, const YAML::Node& list, const std::string& obj) {
  if (!r.isSeq(list, obj, "targetRefs")) return std::nullopt;
  std::vector<TargetRef> out;
  for (const auto& t : list) {
    if (!r.isMap(t, obj, "targetRefs[]")) continue;
    r.checkKeys(t, obj, {"group", "kind", "name", "namespace"});
    TargetRef ref;
    ref.group = r.str(t, "group", obj).value_or("");
    ref.kind = r.str(t, "kind", obj, true).value_or("");
    ref.name = r.str(t, "name", obj, true).value_or("");
    if (!ref.kind.empty() && ref.kind != "Service" && ref.kind != "Gateway" && ref.kind != "ServiceEntry") {
      r.error(t["kind"], obj, "targetRefs kind \"" + ref.kind + "\" is not supported",
              "use Service, Gateway (a waypoint) or ServiceEntry");
      continue;
    }
    out.push_back(std::move(ref));
  }
  return out;
}

std::optional<IstioResource> parseIstioResource(YamlReader& r, const YAML::Node& n) {
  if (!r.isMap(n, "policy", "policies[]")) return std::nullopt;
  const auto kind = r.str(n, "kind", "policy", true);
  const YAML::Node md = n["metadata"];
  std::string name, ns = "default";
  if (!md.IsDefined()) {
    r.error(n, "policy", "missing required field \"metadata\"", "give metadata.name and metadata.namespace");
  } else if (r.isMap(md, "policy", "metadata")) {
    r.checkKeys(md, "policy", {"name", "namespace", "labels", "annotations"});
    name = r.str(md, "name", "policy", true).value_or("");
    ns = r.str(md, "namespace", "policy").value_or("default");
  }
  if (!kind) return std::nullopt;
  const std::string obj = *kind + " " + ns + "/" + name;
  r.checkKeys(n, obj, {"apiVersion", "kind", "metadata", "spec"});
  if (auto api = r.str(n, "apiVersion", obj); api && api->rfind("security.istio.io/", 0) != 0) {
    r.error(n["apiVersion"], obj, "apiVersion \"" + *api + "\" is not an Istio security API",
            "use security.istio.io/v1");
  }
  YAML::Node spec = n["spec"];
  const bool has_spec = spec.IsDefined() && !spec.IsNull();
  if (has_spec && !r.isMap(spec, obj, "spec")) return std::nullopt;

  if (*kind == "AuthorizationPolicy") {
    AuthorizationPolicy p;
    p.ns = ns;
    p.name = name;
    p.loc = r.loc(n);
    if (!has_spec) {
      // An AuthorizationPolicy with an empty spec is ALLOW with no rules: it denies everything.
      p.selector = std::map<std::string, std::string>{};
      return p;
    }
    r.checkKeys(spec, obj, {"selector", "targetRef", "targetRefs", "action", "rules", "provider"});
    p.selector = parseSelector(r, spec, obj);
    if (const auto tr = spec["targetRefs"]; tr.IsDefined()) {
      if (auto refs = parseTargetRefs(r, tr, obj)) p.target_refs = std::move(*refs);
    }
    if (const auto tr = spec["targetRef"]; tr.IsDefined()) {
      if (spec["targetRefs"].IsDefined()) {
        r.error(tr, obj, "targetRef and targetRefs are both set", "use targetRefs only (targetRef is its deprecated form)");
        return std::nullopt;
      }
      YAML::Node one(YAML::NodeType::Sequence);
      one.push_back(tr);
      if (auto refs = parseTargetRefs(r, one, obj)) p.target_refs = std::move(*refs);
    }
    if (p.selector && !p.target_refs.empty()) {
      r.error(spec["targetRefs"].IsDefined() ? spec["targetRefs"] : spec["targetRef"], obj,
              "selector and targetRefs are both set", "Istio accepts one of them; keep targetRefs to attach to a waypoint");
    }
    const auto action = r.str(spec, "action", obj).value_or("ALLOW");
    if (action == "ALLOW") p.action = AuthzAction::Allow;
    else if (action == "DENY") p.action = AuthzAction::Deny;
    else if (action == "AUDIT") p.action = AuthzAction::Audit;
    else if (action == "CUSTOM") p.action = AuthzAction::Custom;
    else r.error(spec["action"], obj, "action \"" + action + "\" is not an Istio action",
                 suggestionHint(action, {"ALLOW", "DENY", "AUDIT", "CUSTOM"}, "actions"));
    if (const auto rules = spec["rules"]; rules.IsDefined() && !rules.IsNull()) {
      p.rules.emplace();
      if (r.isSeq(rules, obj, "rules")) {
        for (const auto& rn : rules) {
          if (auto rule = parseRule(r, rn, obj)) p.rules->push_back(std::move(*rule));
        }
      }
    }
    if (!p.selector && p.target_refs.empty()) p.selector = std::map<std::string, std::string>{};
    return p;
  }
  if (*kind == "PeerAuthentication") {
    PeerAuthentication pa;
    pa.ns = ns;
    pa.name = name;
    pa.loc = r.loc(n);
    if (!has_spec) return pa;
    r.checkKeys(spec, obj, {"selector", "mtls", "portLevelMtls"});
    pa.selector = parseSelector(r, spec, obj);
    if (const auto m = spec["mtls"]; m.IsDefined()) {
      if (auto mode = parseMtls(r, m, obj)) pa.mode = *mode;
    }
    if (const auto pl = spec["portLevelMtls"]; pl.IsDefined() && r.isMap(pl, obj, "portLevelMtls")) {
      for (auto it = pl.begin(); it != pl.end(); ++it) {
        const auto port_text = r.scalar(it->first, obj, "portLevelMtls");
        int port = 0;
        if (!port_text || std::sscanf(port_text->c_str(), "%d", &port) != 1 || port <= 0 || port > 65535) {
          r.error(it->first, obj, "portLevelMtls key must be a port number 1..65535");
          continue;
        }
        if (auto mode = parseMtls(r, it->second, obj)) pa.port_modes[port] = *mode;
      }
    }
    return pa;
  }
  r.error(n["kind"], obj, "kind \"" + *kind + "\" is not supported in mesh.policies",
          suggestionHint(*kind, {"AuthorizationPolicy", "PeerAuthentication"}, "kinds"));
  return std::nullopt;
}

}  // namespace meshtwin::models::detail
