// A mesh VirtualService's http routes as the Gateway API HTTPRoute that does the same
// (uri / header / method matches, weighted destinations, timeout, retries), for mesh.routes.
// Subsets have no HTTPRoute form: the backend is the whole Service, and the report says so.
#include <algorithm>
#include <sstream>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

struct Translation {
  std::vector<std::string> notes;  // what is left out or approximated
  std::string why_not;             // set: no faithful HTTPRoute
};

std::optional<nlohmann::json> match(const nlohmann::json& in, Translation& t) {
  nlohmann::json out = nlohmann::json::object();
  if (!in.is_object()) {
    t.why_not = "a match is not a map";
    return std::nullopt;
  }
  for (const auto& [k, v] : in.items()) {
    if (k != "uri" && k != "headers" && k != "method" && k != "name") {
      t.why_not = "a match on " + k + " has no HTTPRoute form here";
      return std::nullopt;
    }
  }
  if (has(in, {"uri", "regex"}) || has(in, {"method", "regex"}) || has(in, {"method", "prefix"})) {
    t.why_not = "a regex or prefix match on uri or method has no HTTPRoute form here";
    return std::nullopt;
  }
  if (!str(in, {"uri", "exact"}).empty()) out["path"] = {{"type", "Exact"}, {"value", str(in, {"uri", "exact"})}};
  if (!str(in, {"uri", "prefix"}).empty()) out["path"] = {{"type", "PathPrefix"}, {"value", str(in, {"uri", "prefix"})}};
  if (const auto* hs = get(in, {"headers"}); hs && hs->is_object()) {
    for (const auto& [name, cond] : hs->items()) {
      if (str(cond, {"exact"}).empty() && !get(cond, {"exact"})) {
        t.why_not = "header " + name + " is matched by prefix or regex";
        return std::nullopt;
      }
      out["headers"].push_back({{"name", name}, {"value", str(cond, {"exact"})}});
    }
  }
  if (!str(in, {"method", "exact"}).empty()) out["method"] = str(in, {"method", "exact"});
  return out;
}

bool destinations(Mapper& m, const Object& o, const nlohmann::json& h, const std::string& ns, nlohmann::json& rule,
                  Translation& t) {
  const auto& route = items(h, {"route"});
  for (const auto& d : route) {
    const auto r = m.resolveHost(str(d, {"destination", "host"}), o.ns);
    if (!r || !m.draft.findService(r->first, r->second)) {
      t.why_not = "destination " + str(d, {"destination", "host"}) + " is no modelled Service";
      return false;
    }
    nlohmann::json ref = {{"name", r->second}};
    if (r->first != ns) ref["namespace"] = r->first;
    if (const auto port = integer(d, {"destination", "port", "number"}); port && *port > 0 && *port < 65536) ref["port"] = *port;
    if (const auto w = integer(d, {"weight"}); w && *w >= 0 && *w <= 1'000'000) ref["weight"] = *w;
    if (const auto subset = str(d, {"destination", "subset"}); !subset.empty()) {
      addNote(t.notes, "subset " + subset + " cannot be expressed: Service " + r->second + " (all its pods) is used for it");
    }
    rule["backendRefs"].push_back(std::move(ref));
  }
  return true;
}

// retryOn as the statuses retried; connection failures are always retried by the model.
nlohmann::json retryCodes(const std::string& retry_on, Translation& t) {
  nlohmann::json codes = nlohmann::json::array();
  std::stringstream in(retry_on);
  for (std::string tok; std::getline(in, tok, ',');) {
    if (tok == "5xx") codes.insert(codes.end(), {500, 502, 503, 504});
    else if (tok == "gateway-error") codes.insert(codes.end(), {502, 503, 504});
    else if (tok == "retriable-4xx") codes.push_back(409);
    else if (const auto n = integer(nlohmann::json(tok), {}); n && *n >= 400 && *n <= 599) codes.push_back(*n);
    else if (tok != "connect-failure" && tok != "refused-stream" && tok != "reset" && tok != "unavailable" &&
             tok != "cancelled" && tok != "retriable-status-codes" && !tok.empty()) {
      addNote(t.notes, "retryOn " + tok);
    }
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

void retries(const nlohmann::json& h, nlohmann::json& rule, Translation& t) {
  const auto* r = get(h, {"retries"});
  if (!r || !r->is_object()) return;
  const auto attempts = integer(*r, {"attempts"});
  if (!attempts) return;
  nlohmann::json out = {{"attempts", std::clamp<std::int64_t>(*attempts, 0, 100)}};
  const auto on = str(*r, {"retryOn"});
  out["codes"] = on.empty() ? nlohmann::json::array({503}) : retryCodes(on, t);
  if (on.empty()) addNote(t.notes, "no retryOn: Istio's default (503 and connection failures) used");
  if (has(*r, {"perTryTimeout"})) addNote(t.notes, "retries.perTryTimeout");
  rule["retry"] = std::move(out);
}

std::optional<nlohmann::json> rule(Mapper& m, const Object& o, const nlohmann::json& h, const std::string& ns,
                                   Translation& t) {
  for (const auto* k : {"redirect", "directResponse", "delegate"}) {
    if (has(h, {k})) {
      t.why_not = std::string("a route with ") + k + " has no HTTPRoute form here";
      return std::nullopt;
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& mt : items(h, {"match"})) {
    auto mo = match(mt, t);
    if (!mo) return std::nullopt;
    out["matches"].push_back(std::move(*mo));
  }
  if (!destinations(m, o, h, ns, out, t)) return std::nullopt;
  if (const auto timeout = routeDuration(str(h, {"timeout"}))) out["timeouts"] = {{"request", *timeout}};
  retries(h, out, t);
  for (const auto* k : {"fault", "mirror", "mirrorPercentage", "rewrite", "headers", "corsPolicy"}) {
    if (has(h, {k})) addNote(t.notes, k);
  }
  return out;
}

}  // namespace

void routeFromVirtualService(Mapper& m, const Object& o, const std::string& ns, const std::string& name,
                             const std::string& service) {
  Translation t;
  auto route = routeShell(ns, name, service);
  for (const auto& h : items(o.body, {"spec", "http"})) {
    auto r = rule(m, o, h, ns, t);
    if (!r) {
      m.report.assume(o.ref(), t.why_not + ": no HTTPRoute for Service " + ns + "/" + service +
                                   " in mesh.routes (its L7 features are kept)");
      return;
    }
    route["spec"]["rules"].push_back(std::move(*r));
  }
  if (route["spec"]["rules"].empty()) return;
  const auto kept = addRoute(m, std::move(route));
  std::string text = "as HTTPRoute " + ns + "/" + kept + " in mesh.routes";
  if (!t.notes.empty()) text += "; left out or approximated: " + listText(t.notes, 8);
  m.report.assume(o.ref(), text);
}

}  // namespace meshtwin::importer::detail
