// The cluster: Namespaces (data-plane mode, waypoint binding, owner labels) and Nodes
// (zones, and node pools grouped by instance type and allocatable size).
#include <algorithm>

#include "objects_internal.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::importer::detail {

namespace {

using models::MeshMode;

// Istio's rules: the ambient label wins over injection; istio.io/rev also injects.
std::optional<MeshMode> namespaceMode(const Labels& l, const Object& o, Mapper& m) {
  const auto get_label = [&](const char* k) {
    const auto it = l.find(k);
    return it == l.end() ? std::string() : it->second;
  };
  const auto dataplane = get_label("istio.io/dataplane-mode");
  const auto injection = get_label("istio-injection");
  const bool injects = injection == "enabled" || (!get_label("istio.io/rev").empty() && injection != "disabled");
  if (dataplane == "ambient") {
    if (injects) m.report.assume(o.ref(), "both sidecar injection and istio.io/dataplane-mode=ambient: ambient wins");
    return MeshMode::Ambient;
  }
  if (injects) return MeshMode::Sidecar;
  if (injection == "disabled" || dataplane == "none") return MeshMode::None;
  return std::nullopt;
}

std::string poolName(std::string s) {
  for (auto& ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    else if (!ok) ch = '-';
  }
  return s.empty() ? "nodes" : s;
}

std::string firstLabel(const Labels& l, std::initializer_list<const char*> keys) {
  for (const auto* k : keys) {
    if (const auto it = l.find(k); it != l.end() && !it->second.empty()) return it->second;
  }
  return {};
}

std::optional<std::int64_t> allocatable(Mapper& m, const Object& o, const char* what,
                                        models::Parsed<std::int64_t> (*parse)(std::string_view)) {
  auto text = str(o.body, {"status", "allocatable", what});
  if (text.empty()) text = str(o.body, {"status", "capacity", what});
  if (text.empty()) return std::nullopt;
  const auto r = parse(text);
  if (!r.ok()) {
    m.error(o, std::string("status.allocatable.") + what + ": " + r.error(), "a Kubernetes quantity, e.g. 3920m or 15Gi");
    return std::nullopt;
  }
  return r.value();
}

struct PoolGroup {
  NodeFacts shape;
  std::vector<std::string> names;
  std::map<std::string, int> per_zone;  // "" = no zone label
};

void buildPool(Mapper& m, const PoolGroup& g, std::set<std::string>& used) {
  DraftPool p;
  p.name = poolName(g.shape.pool.empty() ? g.shape.instance_type : g.shape.pool);
  for (int i = 2; used.count(p.name); ++i) p.name = poolName(g.shape.pool.empty() ? g.shape.instance_type : g.shape.pool) + "-" + std::to_string(i);
  used.insert(p.name);
  p.instance_type = g.shape.instance_type;
  p.cpu_millicores = g.shape.cpu_m;
  p.memory_bytes = g.shape.memory;
  std::vector<std::string> counts;
  for (const auto& [zone, n] : g.per_zone) {
    p.count_per_zone = std::max(p.count_per_zone, n);
    if (!zone.empty()) p.zones.push_back(zone);
    counts.push_back((zone.empty() ? "no zone" : zone) + ": " + std::to_string(n));
  }
  if (g.per_zone.size() > 1 &&
      std::any_of(g.per_zone.begin(), g.per_zone.end(), [&](const auto& z) { return z.second != p.count_per_zone; })) {
    m.report.assume("nodePool " + p.name, "nodes per zone differ (" + listText(counts, 8) + "): " +
                                              std::to_string(p.count_per_zone) +
                                              " per zone used, the most in any zone (a pool has one count per zone)");
  }
  if (p.zones.size() == m.draft.zones.size()) p.zones.clear();  // every zone
  p.notes.push_back("from Node " + listText(g.names));
  m.draft.pools.push_back(std::move(p));
}

}  // namespace

Outcome mapNamespace(Mapper& m, const Object& o) {
  if (m.isSystem(o.name)) return skipped("system namespace");
  auto& facts = m.namespaces[o.name];
  facts.labels = labels(o.body, {"metadata", "labels"});
  facts.mode = namespaceMode(facts.labels, o, m);
  if (const auto it = facts.labels.find("istio.io/use-waypoint"); it != facts.labels.end()) facts.use_waypoint = it->second;
  if (const auto it = facts.labels.find("istio.io/use-waypoint-namespace"); it != facts.labels.end()) {
    facts.waypoint_ns = it->second;
  }
  return mapped();
}

Outcome mapNode(Mapper& m, const Object& o) {
  const auto l = labels(o.body, {"metadata", "labels"});
  if (l.count("node-role.kubernetes.io/control-plane") || l.count("node-role.kubernetes.io/master")) {
    return skipped("control-plane node: workloads are not placed there");
  }
  NodeFacts n;
  n.name = o.name;
  n.zone = firstLabel(l, {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"});
  n.instance_type = firstLabel(l, {"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"});
  n.pool = firstLabel(l, {"eks.amazonaws.com/nodegroup", "cloud.google.com/gke-nodepool", "agentpool",
                          "karpenter.sh/nodepool", "kubernetes.azure.com/agentpool"});
  const auto cpu = allocatable(m, o, "cpu", models::parseCpuMillicores);
  const auto mem = allocatable(m, o, "memory", models::parseMemoryBytes);
  if (!cpu || !mem || *cpu <= 0 || *mem <= 0) return skipped("no status.allocatable cpu and memory");
  n.cpu_m = *cpu;
  n.memory = *mem;
  m.nodes.push_back(std::move(n));
  return mapped();
}

void finishNodes(Mapper& m) {
  std::set<std::string> zones;
  std::map<std::tuple<std::string, std::string, std::int64_t, std::int64_t>, PoolGroup> groups;
  for (const auto& n : m.nodes) {
    if (!n.zone.empty()) zones.insert(n.zone);
    auto& g = groups[{n.pool, n.instance_type, n.cpu_m, n.memory}];
    g.shape = n;
    g.names.push_back(n.name);
    ++g.per_zone[n.zone];
  }
  m.draft.zones.assign(zones.begin(), zones.end());
  std::set<std::string> used;
  for (auto& [key, g] : groups) {
    if (g.shape.instance_type.empty()) {
      m.report.assume("Node " + g.names.front(), "no instance-type label: the pool has no instance type to price by");
    }
    if (!zones.empty() && g.per_zone.count("")) {
      m.report.assume("Node " + g.names.front(), "some nodes have no zone label (topology.kubernetes.io/zone): "
                                                 "counted with the pool, in no zone");
    }
    buildPool(m, g, used);
  }
}

// Modes and bindings for the namespaces that hold workloads, and the owner labels their
// workloads lack.
void finishNamespaces(Mapper& m) {
  std::vector<std::string> owner = defaultOwnerLabels();
  owner.insert(owner.end(), m.options.owner_labels.begin(), m.options.owner_labels.end());
  for (const auto& entry : m.namespaces) {
    const std::string& ns = entry.first;  // not a structured binding: lambdas capture it
    const NamespaceFacts& facts = entry.second;
    const bool has_workloads = std::any_of(m.draft.workloads.begin(), m.draft.workloads.end(),
                                           [&](const DraftWorkload& w) { return w.ns == ns; });
    if (!has_workloads) continue;
    if (facts.mode) m.draft.namespace_modes[ns] = *facts.mode;
    if (!facts.use_waypoint.empty()) {
      const auto wns = facts.waypoint_ns.empty() ? ns : facts.waypoint_ns;
      if (facts.use_waypoint == "none" || m.findWaypoint(wns, facts.use_waypoint)) {
        const auto wp = facts.use_waypoint == "none" || wns == ns ? facts.use_waypoint : wns + "/" + facts.use_waypoint;
        m.draft.bindings.push_back({"namespace", ns, wp});
      } else {
        m.report.assume("Namespace " + ns, "istio.io/use-waypoint names waypoint " + wns + "/" + facts.use_waypoint +
                                               ", which is not in the input: binding left out");
      }
    }
    for (auto& w : m.draft.workloads) {
      if (w.ns != ns) continue;
      std::vector<std::string> copied;
      for (const auto& key : owner) {
        const auto it = facts.labels.find(key);
        if (it == facts.labels.end() || w.labels.count(key)) continue;
        w.labels[key] = it->second;
        copied.push_back(key);
      }
      if (!copied.empty()) addNote(w.notes, "labels " + listText(copied, 10) + " from Namespace " + ns + " (kept for the cost report)");
    }
  }
}

}  // namespace meshtwin::importer::detail
