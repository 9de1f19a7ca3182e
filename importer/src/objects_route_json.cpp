// A Gateway API HTTPRoute in the shape meshtwin/v1 mesh.routes takes: one Service parent,
// matches (PathPrefix / Exact paths, exact headers, method), weighted backendRefs to modelled
// Services, timeouts and retry. Anything else is left out and named, or the route is.
#include "meshtwin/models/units.hpp"
#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

void strip(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& where,
           std::vector<std::string>& stripped) {
  for (const auto* k : keys) {
    if (has(j, {k})) addNote(stripped, where + k);
  }
}

std::optional<nlohmann::json> match(const nlohmann::json& in, std::vector<std::string>& stripped, std::string& why_not) {
  nlohmann::json out = nlohmann::json::object();
  if (const auto* p = get(in, {"path"}); p && p->is_object()) {
    const auto type = str(*p, {"type"}).empty() ? "PathPrefix" : str(*p, {"type"});
    if (type != "PathPrefix" && type != "Exact") {
      why_not = "path match type " + type + " cannot be modelled";
      return std::nullopt;
    }
    out["path"] = {{"type", type}, {"value", str(*p, {"value"}).empty() ? "/" : str(*p, {"value"})}};
  }
  for (const auto& h : items(in, {"headers"})) {
    const auto type = str(h, {"type"});
    if (!type.empty() && type != "Exact") {
      why_not = "header match type " + type + " cannot be modelled";
      return std::nullopt;
    }
    if (str(h, {"name"}).empty()) continue;
    out["headers"].push_back({{"name", str(h, {"name"})}, {"value", str(h, {"value"})}});
  }
  if (!str(in, {"method"}).empty()) out["method"] = str(in, {"method"});
  strip(in, {"queryParams"}, "matches.", stripped);
  return out;
}

bool backends(Mapper& m, const Object& o, const nlohmann::json& rule, nlohmann::json& out,
              std::vector<std::string>& stripped, std::string& why_not) {
  for (const auto& b : items(rule, {"backendRefs"})) {
    const auto kind = str(b, {"kind"});
    if (!kind.empty() && kind != "Service") {
      why_not = "backendRef kind " + kind + " cannot be modelled";
      return false;
    }
    const auto name = str(b, {"name"});
    const auto ns = str(b, {"namespace"}).empty() ? o.ns : str(b, {"namespace"});
    if (!m.draft.findService(ns, name)) {
      why_not = "its backend Service " + ns + "/" + name + " is not modelled";
      return false;
    }
    nlohmann::json ref = {{"name", name}};
    if (ns != o.ns) ref["namespace"] = ns;
    if (const auto port = integer(b, {"port"}); port && *port > 0 && *port < 65536) ref["port"] = *port;
    if (const auto w = integer(b, {"weight"}); w && *w >= 0 && *w <= 1'000'000) ref["weight"] = *w;
    strip(b, {"filters"}, "backendRefs.", stripped);
    out["backendRefs"].push_back(std::move(ref));
  }
  return true;
}

void timeouts(const nlohmann::json& rule, nlohmann::json& out, std::vector<std::string>& stripped) {
  for (const auto* key : {"request", "backendRequest"}) {
    const auto text = str(rule, {"timeouts", key});
    if (text.empty()) continue;
    if (auto d = routeDuration(text)) out["timeouts"][key] = *d;
    else addNote(stripped, std::string("timeouts.") + key + " \"" + text + "\"");
  }
}

void retry(const nlohmann::json& rule, nlohmann::json& out, std::vector<std::string>& stripped) {
  const auto* r = get(rule, {"retry"});
  if (!r || !r->is_object()) return;
  nlohmann::json o = nlohmann::json::object();
  if (const auto a = integer(*r, {"attempts"}); a && *a >= 0 && *a <= 100) o["attempts"] = *a;
  for (const auto& c : items(*r, {"codes"})) {
    const auto code = integer(c, {});
    if (code && *code >= 400 && *code <= 599) o["codes"].push_back(*code);
    else addNote(stripped, "retry.codes " + scalar(&c).value_or("?"));
  }
  if (auto b = routeDuration(str(*r, {"backoff"}))) o["backoff"] = *b;
  out["retry"] = std::move(o);
}

}  // namespace

std::optional<std::string> routeDuration(const std::string& text) {
  if (text.empty() || !models::parseDurationNs(text).ok()) return std::nullopt;
  return text;
}

nlohmann::json routeShell(const std::string& ns, const std::string& name, const std::string& parent) {
  return {{"apiVersion", "gateway.networking.k8s.io/v1"},
          {"kind", "HTTPRoute"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"parentRefs", nlohmann::json::array({{{"kind", "Service"}, {"name", parent}}})},
                    {"rules", nlohmann::json::array()}}}};
}

std::optional<nlohmann::json> meshRoute(Mapper& m, const Object& o, const std::string& name, const std::string& parent,
                                        std::vector<std::string>& stripped, std::string& why_not) {
  auto route = routeShell(o.ns, name, parent);
  if (const auto* spec = get(o.body, {"spec"})) strip(*spec, {"hostnames"}, "", stripped);
  for (const auto& rule : items(o.body, {"spec", "rules"})) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& mt : items(rule, {"matches"})) {
      auto mo = match(mt, stripped, why_not);
      if (!mo) return std::nullopt;
      out["matches"].push_back(std::move(*mo));
    }
    if (!backends(m, o, rule, out, stripped, why_not)) return std::nullopt;
    timeouts(rule, out, stripped);
    retry(rule, out, stripped);
    strip(rule, {"filters", "sessionPersistence", "name"}, "rules.", stripped);
    route["spec"]["rules"].push_back(std::move(out));
  }
  return route;
}

std::string addRoute(Mapper& m, nlohmann::json route) {
  const auto ns = route["metadata"]["namespace"].get<std::string>();
  const auto base = route["metadata"]["name"].get<std::string>();
  std::string name = base;
  const auto taken = [&](const std::string& n) {
    for (const auto& r : m.draft.routes) {
      if (r["metadata"]["namespace"] == ns && r["metadata"]["name"] == n) return true;
    }
    return false;
  };
  for (int i = 2; taken(name); ++i) name = base + "-" + std::to_string(i);
  route["metadata"]["name"] = name;
  m.draft.routes.push_back(std::move(route));
  return name;
}

}  // namespace meshtwin::importer::detail
