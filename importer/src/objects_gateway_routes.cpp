// HTTPRoutes and GRPCRoutes: with a Service parent (GAMMA) they are mesh routes (draft.routes
// and the L7 features they use); with an ingress Gateway parent their backends are entry
// point candidates.
#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

struct Parents {
  std::vector<std::string> services;  // Service parents in the route's namespace
  std::vector<std::string> ingress;   // "ns/name" of ingress Gateways
};

Parents parentsOf(Mapper& m, const Object& o) {
  Parents p;
  for (const auto& ref : items(o.body, {"spec", "parentRefs"})) {
    const auto kind = str(ref, {"kind"}).empty() ? "Gateway" : str(ref, {"kind"});
    const auto ns = str(ref, {"namespace"}).empty() ? o.ns : str(ref, {"namespace"});
    const auto name = str(ref, {"name"});
    if (kind == "Service" && ns != o.ns) {
      m.report.assume(o.ref(), "a consumer route for Service " + ns + "/" + name + " (another namespace): not modelled");
    } else if (kind == "Service") {
      p.services.push_back(name);
    } else if (kind == "Gateway") {
      const auto gw = m.gateways.find(ns + "/" + name);
      if (gw != m.gateways.end() && gw->second.waypoint) {
        m.report.assume(o.ref(), "attached to waypoint Gateway " + gw->first + ": waypoints take routes through "
                                                                             "Service parentRefs; not modelled");
      } else {
        p.ingress.push_back(ns + "/" + name);
      }
    }
  }
  return p;
}

std::string firstPath(const nlohmann::json& rule) {
  for (const auto& mt : items(rule, {"matches"})) {
    const auto v = str(mt, {"path", "value"});
    if (!v.empty()) return v;
  }
  return "/";
}

int ingressBackends(Mapper& m, const Object& o, const std::string& gateway) {
  int added = 0;
  for (const auto& rule : items(o.body, {"spec", "rules"})) {
    for (const auto& b : items(rule, {"backendRefs"})) {
      if (!str(b, {"kind"}).empty() && str(b, {"kind"}) != "Service") continue;
      const auto ns = str(b, {"namespace"}).empty() ? o.ns : str(b, {"namespace"});
      const auto why = "a backend of " + o.ref() + " via Gateway " + gateway;
      if (m.addEntryPoint(ns, str(b, {"name"}), firstPath(rule), why)) ++added;
    }
  }
  return added;
}

// headerRouting, trafficSplit and retries on the parent Service's workloads: how many were
// marked, or -1 when the parent is not modelled.
int markFeatures(Mapper& m, const Object& o, const std::string& parent) {
  auto ws = m.serviceWorkloads(o.ns, parent);
  if (ws.empty()) return -1;
  const auto why = o.ref() + " (parent Service " + parent + ")";
  int marked = 0;
  const auto mark = [&](bool when, const char* feature) {
    if (!when) return;
    m.markL7(ws, feature, why);
    ++marked;
  };
  for (const auto& rule : items(o.body, {"spec", "rules"})) {
    for (const auto& mt : items(rule, {"matches"})) mark(has(mt, {"headers"}) || has(mt, {"queryParams"}), "headerRouting");
    mark(items(rule, {"backendRefs"}).size() > 1, "trafficSplit");
    mark(has(rule, {"retry"}), "retries");
  }
  return marked;
}

bool meshParent(Mapper& m, const Object& o, const std::string& parent, bool several) {
  if (markFeatures(m, o, parent) < 0) {
    m.report.assume(o.ref(), "parent Service " + o.ns + "/" + parent + " is not modelled: its route is left out");
    return false;
  }
  std::vector<std::string> stripped;
  std::string why_not;
  const auto name = several ? o.name + "-" + parent : o.name;
  auto route = meshRoute(m, o, name, parent, stripped, why_not);
  if (!route) {
    m.report.assume(o.ref(), why_not + ": the route is left out of mesh.routes (its L7 features are kept)");
    return true;
  }
  const auto kept = addRoute(m, std::move(*route));
  if (!stripped.empty()) {
    m.report.assume(o.ref(), "fields the model does not read are left out of route " + o.ns + "/" + kept + ": " +
                                 listText(stripped, 8));
  }
  return true;
}

}  // namespace

Outcome mapHttpRoute(Mapper& m, const Object& o) {
  const auto p = parentsOf(m, o);
  bool any = false;
  for (const auto& parent : p.services) any = meshParent(m, o, parent, p.services.size() > 1) || any;
  for (const auto& gw : p.ingress) any = ingressBackends(m, o, gw) > 0 || any;
  if (any) return mapped();
  if (p.services.empty() && p.ingress.empty()) return skipped("no Service or ingress Gateway parent");
  return skipped("its parents and backends are not modelled");
}

Outcome mapGrpcRoute(Mapper& m, const Object& o) {
  const auto p = parentsOf(m, o);
  bool any_parent = false, any = false;
  for (const auto& parent : p.services) {
    const int marked = markFeatures(m, o, parent);
    any_parent = any_parent || marked >= 0;
    if (marked <= 0) continue;
    for (auto* w : m.serviceWorkloads(o.ns, parent)) {
      addNote(w->notes, o.ref() + ": gRPC routing not modelled, only the L7 features it uses");
    }
    any = true;
  }
  if (any) return mapped();
  return skipped(any_parent ? "not modelled (gRPC routing), and it uses no L7 feature the model knows"
                            : "not modelled (gRPC routing), and no modelled parent Service");
}

}  // namespace meshtwin::importer::detail
