// Istio traffic resources: VirtualServices (L7 features on the host's workloads, an HTTPRoute
// where one says the same, entry points for gateway-bound ones), DestinationRules (noted, not
// modelled), ServiceEntries (external, skipped) and Sidecars (egress scope, as an assumption).
#include <algorithm>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

using Host = std::pair<std::string, std::string>;  // namespace, name

std::vector<Host> modelledHosts(Mapper& m, const Object& o, std::vector<std::string>& unknown) {
  std::vector<Host> out;
  for (const auto& h : strings(o.body, {"spec", "hosts"})) {
    const auto r = m.resolveHost(h, o.ns);
    if (r && m.draft.findService(r->first, r->second)) out.push_back(*r);
    else unknown.push_back(h);
  }
  return out;
}

void features(Mapper& m, const Object& o, const Host& host) {
  const auto ws = m.serviceWorkloads(host.first, host.second);
  const auto why = o.ref() + " (host " + host.second + "." + host.first + ")";
  for (const auto& h : items(o.body, {"spec", "http"})) {
    if (integer(h, {"retries", "attempts"}).value_or(0) > 0) m.markL7(ws, "retries", why);
    if (items(h, {"route"}).size() > 1) m.markL7(ws, "trafficSplit", why);
    for (const auto& mt : items(h, {"match"})) {
      if (has(mt, {"headers"}) || has(mt, {"withoutHeaders"}) || has(mt, {"queryParams"})) {
        m.markL7(ws, "headerRouting", why);
      }
    }
    for (const auto* k : {"fault", "mirror", "corsPolicy"}) {
      if (has(h, {k})) {
        for (auto* w : ws) addNote(w->notes, o.ref() + ": " + k + " not modelled");
      }
    }
  }
}

std::string firstUri(const nlohmann::json& h) {
  for (const auto& mt : items(h, {"match"})) {
    for (const auto* k : {"prefix", "exact"}) {
      if (!str(mt, {"uri", k}).empty()) return str(mt, {"uri", k});
    }
  }
  return "/";
}

int gatewayDestinations(Mapper& m, const Object& o, const std::vector<std::string>& gateways) {
  int added = 0;
  const auto why = "a destination of " + o.ref() + " via Gateway " + listText(gateways, 3);
  for (const auto& h : items(o.body, {"spec", "http"})) {
    for (const auto& d : items(h, {"route"})) {
      const auto r = m.resolveHost(str(d, {"destination", "host"}), o.ns);
      if (r && m.addEntryPoint(r->first, r->second, firstUri(h), why)) ++added;
    }
  }
  return added;
}

}  // namespace

Outcome mapVirtualService(Mapper& m, const Object& o) {
  const auto gws = strings(o.body, {"spec", "gateways"});
  const bool mesh = gws.empty() || std::find(gws.begin(), gws.end(), "mesh") != gws.end();
  std::vector<std::string> ingress;
  std::copy_if(gws.begin(), gws.end(), std::back_inserter(ingress), [](const std::string& g) { return g != "mesh"; });
  bool any = !ingress.empty() && gatewayDestinations(m, o, ingress) > 0;
  if (has(o.body, {"spec", "tcp"}) || has(o.body, {"spec", "tls"})) {
    m.report.assume(o.ref(), "tcp and tls routes are not modelled");
  }
  if (mesh) {
    std::vector<std::string> unknown;
    const auto hosts = modelledHosts(m, o, unknown);
    if (!unknown.empty() && !hosts.empty()) m.report.assume(o.ref(), "hosts not modelled: " + listText(unknown));
    for (const auto& h : hosts) {
      features(m, o, h);
      routeFromVirtualService(m, o, h.first, hosts.size() > 1 ? o.name + "-" + h.second : o.name, h.second);
    }
    any = any || !hosts.empty();
  }
  if (any) return mapped();
  return skipped(mesh ? "its hosts are no modelled Service" : "its gateways' destinations are no modelled Service");
}

Outcome mapDestinationRule(Mapper& m, const Object& o) {
  const auto r = m.resolveHost(str(o.body, {"spec", "host"}), o.ns);
  if (!r || !m.draft.findService(r->first, r->second)) return skipped("its host is no modelled Service");
  std::vector<std::string> what;
  std::vector<std::string> subsets;
  for (const auto& s : items(o.body, {"spec", "subsets"})) subsets.push_back(str(s, {"name"}));
  if (!subsets.empty()) what.push_back("subsets " + listText(subsets));
  for (const auto* k : {"loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings"}) {
    if (has(o.body, {"spec", "trafficPolicy", k})) what.push_back(k);
  }
  if (what.empty()) return skipped("nothing the model reads (no subsets or traffic policy)");
  const auto text = listText(what, 8);
  for (auto* w : m.serviceWorkloads(r->first, r->second)) addNote(w->notes, o.ref() + ": " + text + " (not modelled)");
  m.report.assume(o.ref(), text + ": not modelled (noted on Service " + r->first + "/" + r->second + "'s workloads)");
  return mapped();
}

Outcome mapServiceEntry(Mapper&, const Object&) { return skipped("external service, not modelled"); }

Outcome mapSidecar(Mapper& m, const Object& o) {
  std::vector<std::string> hosts;
  for (const auto& e : items(o.body, {"spec", "egress"})) {
    for (const auto& h : strings(e, {"hosts"})) hosts.push_back(h);
  }
  if (hosts.empty()) return skipped("no egress hosts: nothing the model reads");
  const bool selector = has(o.body, {"spec", "workloadSelector"});
  const bool own_namespace = std::find(hosts.begin(), hosts.end(), "./*") != hosts.end();
  if (!selector && own_namespace) m.sidecar_scoped.insert(o.ns);
  m.report.assume(o.ref(), "egress hosts " + listText(hosts) + (selector ? " for selected workloads" : "") +
                               ": sidecars get configuration for these only (see the sidecar scope assumption)");
  return skipped("not modelled in the Draft (its egress scope is reported as an assumption)");
}

// If every namespace with sidecars has a Sidecar limiting egress to "./*" (or the root
// namespace has one for the whole mesh), the scenario's sidecarScope is "namespace".
void finishSidecarScope(Mapper& m) {
  std::set<std::string> sidecar_ns;
  for (const auto& w : m.draft.workloads) {
    if (m.modeOf(w) == models::MeshMode::Sidecar) sidecar_ns.insert(w.ns);
  }
  if (m.sidecar_scoped.empty() || sidecar_ns.empty()) return;
  const bool all = m.sidecar_scoped.count(m.options.root_namespace) ||
                   std::all_of(sidecar_ns.begin(), sidecar_ns.end(), [&](const std::string& ns) {
                     return m.sidecar_scoped.count(ns) > 0;
                   });
  if (all) {
    m.report.assume("scenario", "every namespace with sidecars limits their egress to \"./*\" with a Sidecar: "
                                "mesh.sidecarScope: namespace fits (the Draft has no sidecar scope; set it in the "
                                "scenario)");
  } else {
    m.report.assume("scenario", "Sidecar resources limit egress in some namespaces only (" +
                                    listText({m.sidecar_scoped.begin(), m.sidecar_scoped.end()}) +
                                    "): the scenario's sidecar scope stays mesh-wide");
  }
}

}  // namespace meshtwin::importer::detail
