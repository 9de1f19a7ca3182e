// Scenario loader: `mesh.routes`, Gateway API HTTPRoutes whose parentRef is a Service (GAMMA).
#include "scenario_loader.hpp"

#include <algorithm>
#include <cctype>

#include "policy_yaml.hpp"

namespace meshtwin::models::detail {

// A route with any rule the waypoint could not apply faithfully is reported and left out.
void ScenarioLoader::readRoute(const YAML::Node& n) {
  std::string obj = "HTTPRoute";
  HttpRoute route;
  if (!readRouteMetadata(n, obj, route)) return;
  const auto spec = n["spec"];
  if (!spec.IsDefined() || !r_.isMap(spec, obj, "spec")) {
    if (!spec.IsDefined()) r_.error(n, obj, "spec is required", "give spec.parentRefs and spec.rules");
    return;
  }
  r_.checkKeys(spec, obj, {"parentRefs", "hostnames", "rules"});
  if (!readRouteParent(spec, obj, route)) return;
  bool ok = true;
  const auto rules = spec["rules"];
  if (rules.IsDefined() && r_.isSeq(rules, obj, "rules")) {
    for (const auto& rn : rules) {
      if (!r_.isMap(rn, obj, "rules")) {
        ok = false;
        continue;
      }
      route.rules.push_back(readRouteRule(rn, obj, route.ns, ok));
    }
  }
  if (ok) s_.http_routes.push_back(std::move(route));
}

// apiVersion, kind and metadata; obj becomes "HTTPRoute ns/name". False when the route
// cannot be read further (or is a duplicate).
bool ScenarioLoader::readRouteMetadata(const YAML::Node& n, std::string& obj, HttpRoute& route) {
  if (!r_.isMap(n, obj, "routes")) return false;
  r_.checkKeys(n, obj, {"apiVersion", "kind", "metadata", "spec"});
  if (auto api = r_.str(n, "apiVersion", obj); api && api->rfind("gateway.networking.k8s.io/", 0) != 0) {
    r_.error(n["apiVersion"], obj, "apiVersion \"" + *api + "\" is not a Gateway API version",
             "use gateway.networking.k8s.io/v1");
  }
  if (auto kind = r_.str(n, "kind", obj, true); kind && *kind != "HTTPRoute") {
    r_.error(n["kind"], obj, "kind \"" + *kind + "\" is not supported here", "mesh.routes holds HTTPRoute resources");
    return false;
  }
  const auto md = n["metadata"];
  if (!md.IsDefined() || !r_.isMap(md, obj, "metadata")) {
    if (!md.IsDefined()) r_.error(n, obj, "metadata is required", "give metadata: {name: ..., namespace: ...}");
    return false;
  }
  r_.checkKeys(md, obj, {"name", "namespace"});
  route.loc = r_.loc(n);
  route.name = r_.str(md, "name", obj, true).value_or("");
  route.ns = r_.str(md, "namespace", obj).value_or("default");
  obj = "HTTPRoute " + route.key();
  if (route.name.empty()) return false;
  for (const auto& other : s_.http_routes) {
    if (other.key() == route.key()) {
      r_.error(n, obj, "route is defined twice");
      return false;
    }
  }
  return true;
}

// spec.parentRefs: exactly one Service in the route's namespace.
bool ScenarioLoader::readRouteParent(const YAML::Node& spec, const std::string& obj, HttpRoute& route) {
  const auto parents = parseTargetRefs(r_, spec["parentRefs"], obj);
  if (!parents || parents->size() != 1 || (*parents)[0].kind != "Service") {
    if (parents) {
      r_.error(spec["parentRefs"], obj, "needs exactly one parentRef of kind Service",
               "a mesh route attaches to the Service it routes (GAMMA)");
    }
    return false;
  }
  const auto parent = s_.findService(route.ns, (*parents)[0].name);
  if (!parent) {
    r_.error(spec["parentRefs"], obj, "parentRefs names unknown Service \"" + (*parents)[0].name + "\" in " + route.ns,
             suggestionHint((*parents)[0].name, serviceNamesIn(route.ns), "services in " + route.ns));
    return false;
  }
  route.parent = *parent;
  return true;
}

// One entry of spec.rules; clears ok on anything the route cannot be kept with.
HttpRouteRule ScenarioLoader::readRouteRule(const YAML::Node& rn, const std::string& obj, const std::string& route_ns,
                                            bool& ok) {
  r_.checkKeys(rn, obj, {"matches", "backendRefs", "timeouts", "retry"});
  HttpRouteRule rule;
  if (const auto ms = rn["matches"]; ms.IsDefined() && r_.isSeq(ms, obj, "matches")) {
    for (const auto& mn : ms) {
      if (!r_.isMap(mn, obj, "matches")) continue;
      rule.matches.push_back(readRouteMatch(mn, obj, ok));
    }
  }
  if (const auto bs = rn["backendRefs"]; bs.IsDefined() && r_.isSeq(bs, obj, "backendRefs")) {
    readRouteBackends(bs, obj, route_ns, rule, ok);
  }
  if (const auto tn = rn["timeouts"]; tn.IsDefined() && r_.isMap(tn, obj, "timeouts")) {
    r_.checkKeys(tn, obj, {"request", "backendRequest"});
    rule.timeout_ns = r_.quantity<std::int64_t>(tn, "request", obj, parseDurationNs);
  }
  if (const auto rt = rn["retry"]; rt.IsDefined() && r_.isMap(rt, obj, "retry")) readRouteRetry(rt, obj, rule, ok);
  return rule;
}

HttpRouteMatch ScenarioLoader::readRouteMatch(const YAML::Node& mn, const std::string& obj, bool& ok) {
  r_.checkKeys(mn, obj, {"path", "headers", "method"});
  HttpRouteMatch m;
  if (const auto pn = mn["path"]; pn.IsDefined() && r_.isMap(pn, obj, "path")) {
    r_.checkKeys(pn, obj, {"type", "value"});
    const auto type = r_.str(pn, "type", obj).value_or("PathPrefix");
    m.path = r_.str(pn, "value", obj).value_or("/");
    if (type == "PathPrefix") m.path_type = HttpRouteMatch::PathType::Prefix;
    else if (type == "Exact") m.path_type = HttpRouteMatch::PathType::Exact;
    else {
      r_.error(pn["type"], obj, "path type \"" + type + "\" is not supported",
               suggestionHint(type, {"PathPrefix", "Exact"}, "path types"));
      ok = false;
    }
  }
  if (const auto hs = mn["headers"]; hs.IsDefined() && r_.isSeq(hs, obj, "headers")) readHeaderMatches(hs, obj, m, ok);
  m.method = r_.str(mn, "method", obj).value_or("");
  return m;
}

// Exact header matches; names are kept lower-cased, as HTTP header names are case-insensitive.
void ScenarioLoader::readHeaderMatches(const YAML::Node& hs, const std::string& obj, HttpRouteMatch& m, bool& ok) {
  for (const auto& hn : hs) {
    if (!r_.isMap(hn, obj, "headers")) continue;
    r_.checkKeys(hn, obj, {"name", "value", "type"});
    if (auto t = r_.str(hn, "type", obj); t && *t != "Exact") {
      r_.error(hn["type"], obj, "header match type \"" + *t + "\" is not supported", "use Exact");
      ok = false;
    }
    auto name = r_.str(hn, "name", obj, true);
    auto value = r_.str(hn, "value", obj, true);
    if (!name || !value) continue;
    std::transform(name->begin(), name->end(), name->begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    m.headers.push_back({*name, *value});
  }
}

void ScenarioLoader::readRouteBackends(const YAML::Node& bs, const std::string& obj, const std::string& route_ns,
                                       HttpRouteRule& rule, bool& ok) {
  for (const auto& bn : bs) {
    if (!r_.isMap(bn, obj, "backendRefs")) continue;
    r_.checkKeys(bn, obj, {"name", "namespace", "port", "weight", "kind", "group"});
    const auto name = r_.str(bn, "name", obj, true);
    const auto bns = r_.str(bn, "namespace", obj).value_or(route_ns);
    const auto weight = r_.integer(bn, "weight", obj, 0, 1'000'000);
    (void)r_.integer(bn, "port", obj, 1, 65535);
    if (!name) continue;
    const auto svc = s_.findService(bns, *name);
    if (!svc) {
      r_.error(bn["name"], obj, "backendRef names unknown Service \"" + *name + "\" in " + bns,
               suggestionHint(*name, serviceNamesIn(bns), "services in " + bns));
      ok = false;
      continue;
    }
    rule.backends.push_back({*svc, static_cast<int>(weight.value_or(1))});
  }
}

void ScenarioLoader::readRouteRetry(const YAML::Node& rt, const std::string& obj, HttpRouteRule& rule, bool& ok) {
  r_.checkKeys(rt, obj, {"attempts", "codes", "backoff"});
  rule.retry_attempts = static_cast<int>(r_.integer(rt, "attempts", obj, 0, 100).value_or(1));
  if (const auto cs = rt["codes"]; cs.IsDefined() && r_.isSeq(cs, obj, "codes")) {
    for (const auto& c : cs) {
      int code = 0;
      if (!c.IsScalar() || !YAML::convert<int>::decode(c, code) || code < 400 || code > 599) {
        r_.error(c, obj, "retry code must be an HTTP status 400..599", "e.g. codes: [503]");
        ok = false;
        continue;
      }
      rule.retry_codes.push_back(code);
    }
  } else {
    rule.retry_codes = {502, 503, 504};
  }
  if (auto b = r_.quantity<std::int64_t>(rt, "backoff", obj, parseDurationNs)) rule.retry_backoff_ns = *b;
}

}  // namespace meshtwin::models::detail
