// Look-ups the mapping shares: which workloads a selector, a Service, a waypoint or an Istio
// resource's targetRefs reach, host names to Services, L7 marks and entry point candidates.
#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

void Mapper::error(const Object& o, std::string message, std::string hint) {
  errors.push_back({o.origin, o.ref() + ": " + message, std::move(hint)});
}

bool Mapper::isSystem(const std::string& ns) const {
  return ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease" || ns == "istio-system" ||
         ns == options.root_namespace;
}

models::MeshMode Mapper::modeOf(const DraftWorkload& w) const {
  if (w.mode) return *w.mode;
  const auto it = namespaces.find(w.ns);
  if (it != namespaces.end() && it->second.mode) return *it->second.mode;
  return draft.default_mode;
}

const DraftWaypoint* Mapper::findWaypoint(const std::string& ns, const std::string& name) const {
  for (const auto& wp : draft.waypoints) {
    if (wp.ns == ns && wp.name == name) return &wp;
  }
  return nullptr;
}

DraftWaypoint* Mapper::waypoint(const std::string& ns, const std::string& name) {
  for (auto& wp : draft.waypoints) {
    if (wp.ns == ns && wp.name == name) return &wp;
  }
  return nullptr;
}

std::vector<DraftWorkload*> Mapper::select(const std::string& ns, const Labels& selector) {
  std::vector<DraftWorkload*> out;
  for (auto& w : draft.workloads) {
    if ((ns == options.root_namespace || w.ns == ns) && selects(w.labels, selector)) out.push_back(&w);
  }
  return out;
}

std::vector<DraftWorkload*> Mapper::serviceWorkloads(const std::string& ns, const std::string& service) {
  std::vector<DraftWorkload*> out;
  const auto* sv = draft.findService(ns, service);
  if (!sv) return out;
  for (const auto& name : sv->workloads) {
    if (auto* w = draft.findWorkload(ns, name)) out.push_back(w);
  }
  return out;
}

std::vector<DraftWorkload*> Mapper::waypointWorkloads(const std::string& ns, const std::string& waypoint_name) {
  std::vector<DraftWorkload*> out;
  for (const auto& [name, facts] : namespaces) {
    const auto wns = facts.waypoint_ns.empty() ? name : facts.waypoint_ns;
    if (facts.use_waypoint != waypoint_name || wns != ns) continue;
    for (auto& w : draft.workloads) {
      if (w.ns == name) out.push_back(&w);
    }
  }
  for (const auto& b : draft.bindings) {
    const auto slash = b.target.find('/');
    if (b.scope != "service" || slash == std::string::npos) continue;
    const auto sns = b.target.substr(0, slash);
    if (b.waypoint != waypoint_name && b.waypoint != ns + "/" + waypoint_name) continue;
    if (b.waypoint == waypoint_name && sns != ns) continue;
    for (auto* w : serviceWorkloads(sns, b.target.substr(slash + 1))) out.push_back(w);
  }
  return out;
}

void Mapper::markL7(const std::vector<DraftWorkload*>& ws, const std::string& feature, const std::string& why) {
  for (auto* w : ws) {
    w->l7.insert(feature);
    addNote(w->notes, feature + " from " + why);
  }
}

std::optional<std::pair<std::string, std::string>> Mapper::resolveHost(const std::string& host,
                                                                       const std::string& ns) const {
  std::string h = host;
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || h.find('*') != std::string::npos) return std::nullopt;
  std::vector<std::string> parts;
  for (std::size_t pos = 0;;) {
    const auto dot = h.find('.', pos);
    parts.push_back(h.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  if (parts.size() == 1) return std::make_pair(ns, parts[0]);
  if (parts.size() == 2) return std::make_pair(parts[1], parts[0]);
  if (parts[2] == "svc") return std::make_pair(parts[1], parts[0]);
  return std::nullopt;
}

bool Mapper::addEntryPoint(const std::string& ns, const std::string& service, const std::string& path,
                           const std::string& why) {
  if (!draft.findService(ns, service)) return false;
  const auto target = service + "." + ns;
  bool name_taken = false;
  for (auto& ep : draft.entry_points) {
    if (ep.service == target) {
      addNote(ep.notes, why);
      return true;
    }
    name_taken = name_taken || ep.name == service;
  }
  DraftEntryPoint ep;
  ep.name = name_taken ? service + "-" + ns : service;
  ep.service = target;
  ep.path = path.empty() ? "/" : path;
  ep.notes.push_back(why);
  draft.entry_points.push_back(std::move(ep));
  return true;
}

namespace {

void byTargetRefs(Mapper& m, const Object& o, const nlohmann::json& refs, Targets& t) {
  std::vector<std::string> names;
  for (const auto& ref : refs) {
    const auto kind = str(ref, {"kind"});
    const auto name = str(ref, {"name"});
    names.push_back(kind + " " + name);
    std::vector<DraftWorkload*> ws;
    if (kind == "Service") ws = m.serviceWorkloads(o.ns, name);
    else if (kind == "Gateway" && m.findWaypoint(o.ns, name)) ws = m.waypointWorkloads(o.ns, name);
    t.workloads.insert(t.workloads.end(), ws.begin(), ws.end());
  }
  t.how = "targetRefs " + listText(names);
  t.by_target_refs = true;
}

}  // namespace

Targets targetsOf(Mapper& m, const Object& o) {
  Targets t;
  auto refs = items(o.body, {"spec", "targetRefs"});
  if (const auto* one = get(o.body, {"spec", "targetRef"}); one && one->is_object()) refs.push_back(*one);
  if (!refs.empty()) {
    byTargetRefs(m, o, refs, t);
    return t;
  }
  const bool envoy_filter = o.kind == "EnvoyFilter";
  const auto* sel = envoy_filter ? get(o.body, {"spec", "workloadSelector"}) : get(o.body, {"spec", "selector"});
  const auto selector = envoy_filter ? labels(o.body, {"spec", "workloadSelector", "labels"})
                                     : labels(o.body, {"spec", "selector", "matchLabels"});
  t.workloads = m.select(o.ns, selector);
  const bool root = o.ns == m.options.root_namespace;
  if (sel && !selector.empty()) t.how = "selector " + labelText(selector) + (root ? " (every namespace)" : "");
  else t.how = root ? "mesh-wide (root namespace)" : "namespace-wide";
  return t;
}

}  // namespace meshtwin::importer::detail
