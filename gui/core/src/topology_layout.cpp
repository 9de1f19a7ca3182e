// The topology layout: a grid per node, nodes stacked in zone columns, and node-to-node
// traffic from hopPath (the same routing the simulator uses) weighted by the offered load.
#include "meshtwin/gui/topology_layout.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "meshtwin/models/routing.hpp"
#include "meshtwin/models/traffic.hpp"

namespace meshtwin::gui {
namespace {

constexpr double kPodPx = 16, kPodGapPx = 6, kPodsPerRow = 8, kNodeHeaderPx = 24, kMarginPx = 10;
constexpr double kNodeWidthPx = kMarginPx * 2 + kPodsPerRow * (kPodPx + kPodGapPx) - kPodGapPx;
constexpr double kZoneGapPx = 90, kNodeGapPx = 18, kZoneHeaderPx = 30;
// Samples of endpoint choice per call: hopPath picks endpoints by a flow hash.
constexpr std::uint64_t kFlowSamples = 4;

}  // namespace

QColor modeColor(models::MeshMode m) {
  switch (m) {
    case models::MeshMode::None: return {0x9e, 0x9e, 0x9e};
    case models::MeshMode::Sidecar: return {0xef, 0x6c, 0x00};
    case models::MeshMode::Ambient: return {0x15, 0x65, 0xc0};
  }
  return {};
}

std::set<std::string> TopologyLayout::selectedBy(const std::string& key) const {
  std::set<std::string> out;
  for (const auto& it : items) {
    if (it.key == key || std::find(it.groups.begin(), it.groups.end(), key) != it.groups.end()) out.insert(it.key);
  }
  return out;
}

const TopologyItem* TopologyLayout::find(const std::string& key) const {
  for (const auto& it : items) {
    if (it.key == key) return &it;
  }
  return nullptr;
}

TopologyLayout layoutTopology(const models::Scenario& s, const models::MeshState& m) {
  TopologyLayout out;
  // Pods per node, in PodId order; waypoint pods only when the waypoint exists in this phase.
  std::vector<std::vector<models::PodId>> node_pods(s.nodes.size());
  for (models::PodId p = 0; p < s.pods.size(); ++p) {
    const auto& pod = s.pods[p];
    if (pod.owner == models::Pod::Owner::Waypoint && !m.waypoint_present[pod.owner_id]) continue;
    node_pods[pod.node].push_back(p);
  }
  std::vector<std::vector<models::NodeId>> zone_nodes(s.zones.size());
  for (models::NodeId n = 0; n < s.nodes.size(); ++n) zone_nodes[s.nodes[n].zone].push_back(n);

  std::vector<QRectF> node_rect(s.nodes.size());
  double bottom = 0;
  for (models::ZoneId z = 0; z < s.zones.size(); ++z) {
    const double x = static_cast<double>(z) * (kNodeWidthPx + 2 * kMarginPx + kZoneGapPx);
    double y = kZoneHeaderPx;
    for (auto n : zone_nodes[z]) {
      const auto rows = std::ceil(static_cast<double>(std::max<std::size_t>(node_pods[n].size(), 1)) / kPodsPerRow);
      const double h = kNodeHeaderPx + rows * (kPodPx + kPodGapPx) + kPodPx + 2 * kMarginPx;
      node_rect[n] = QRectF(x + kMarginPx, y, kNodeWidthPx, h);
      y += h + kNodeGapPx;
    }
    bottom = std::max(bottom, y);
  }
  const std::string zone_prefix = "zone:";
  for (models::ZoneId z = 0; z < s.zones.size(); ++z) {
    TopologyItem zi;
    zi.kind = TopologyItem::Kind::Zone;
    zi.key = zone_prefix + s.zones[z].name;
    zi.label = s.zones[z].name;
    zi.tooltip = "zone " + s.zones[z].name + ": " + std::to_string(zone_nodes[z].size()) + " node(s)";
    zi.rect = QRectF(static_cast<double>(z) * (kNodeWidthPx + 2 * kMarginPx + kZoneGapPx), 0,
                     kNodeWidthPx + 2 * kMarginPx, bottom);
    zi.fill = QColor(0xf3, 0xf6, 0xfa);
    out.items.push_back(std::move(zi));
  }
  for (models::NodeId n = 0; n < s.nodes.size(); ++n) {
    const auto& node = s.nodes[n];
    const auto zone_key = zone_prefix + s.zones[node.zone].name;
    const auto node_key = "node:" + node.name;
    TopologyItem ni;
    ni.kind = TopologyItem::Kind::Node;
    ni.key = node_key;
    ni.groups = {zone_key};
    ni.label = node.name;
    ni.tooltip = "node " + node.name + " (" + s.pools[node.pool].instance_type + "), " +
                 std::to_string(node_pods[n].size()) + " pod(s)";
    ni.rect = node_rect[n];
    ni.fill = Qt::white;
    out.items.push_back(std::move(ni));
    bool ambient_here = false;
    for (std::size_t i = 0; i < node_pods[n].size(); ++i) {
      const auto p = node_pods[n][i];
      const auto& pod = s.pods[p];
      const double col = static_cast<double>(i % static_cast<std::size_t>(kPodsPerRow));
      const double row = static_cast<double>(i / static_cast<std::size_t>(kPodsPerRow));
      TopologyItem pi;
      pi.key = "pod:" + pod.name;
      pi.rect = QRectF(node_rect[n].left() + kMarginPx + col * (kPodPx + kPodGapPx),
                       node_rect[n].top() + kNodeHeaderPx + row * (kPodPx + kPodGapPx), kPodPx, kPodPx);
      pi.label = pod.name;
      pi.groups = {node_key, zone_key};
      if (pod.owner == models::Pod::Owner::Workload) {
        const auto& w = s.workloads[pod.owner_id];
        const auto mode = m.modeOf(s, p);
        ambient_here = ambient_here || mode == models::MeshMode::Ambient;
        pi.kind = TopologyItem::Kind::Pod;
        pi.fill = modeColor(mode);
        pi.groups.push_back("workload:" + w.key());
        pi.groups.push_back("namespace:" + w.ns);
        for (auto sv : s.servicesOf(pod.owner_id)) pi.groups.push_back("service:" + s.services[sv].key());
        pi.tooltip = "pod " + pod.name + " of workload " + w.key() + ": " + models::toString(mode);
      } else {
        const auto& wp = s.waypoints[pod.owner_id];
        pi.kind = TopologyItem::Kind::WaypointPod;
        pi.fill = kWaypointColor;
        pi.groups.push_back("waypoint:" + wp.key());
        pi.groups.push_back("namespace:" + wp.ns);
        pi.tooltip = "waypoint pod " + pod.name + " of " + wp.key();
      }
      out.items.push_back(std::move(pi));
    }
    TopologyItem zt;
    zt.kind = TopologyItem::Kind::Ztunnel;
    zt.key = "ztunnel:" + node.name;
    zt.groups = {node_key, zone_key};
    zt.label = "ztunnel";
    zt.rect = QRectF(node_rect[n].left() + kMarginPx, node_rect[n].bottom() - kMarginPx - kPodPx,
                     kNodeWidthPx - 2 * kMarginPx, kPodPx);
    zt.fill = modeColor(models::MeshMode::Ambient).lighter(ambient_here ? 130 : 180);
    zt.active = ambient_here;
    zt.tooltip = "ztunnel on " + node.name + (ambient_here ? ": carries this node's ambient pods" : ": no ambient pod here yet");
    out.items.push_back(std::move(zt));
  }

  // Traffic: each call of each client pod, its links as hopPath routes them.
  const auto rps = models::offeredRps(s);
  std::map<std::pair<models::NodeId, models::NodeId>, double> pair_rps;
  auto addLinks = [&](const models::HopPath& path, double rate) {
    for (const auto& h : path.hops) {
      if (h.kind != models::HopKind::Link || !h.from_node || *h.from_node == h.node) continue;
      pair_rps[{*h.from_node, h.node}] += rate;
    }
  };
  for (models::WorkloadId w = 0; w < s.workloads.size(); ++w) {
    const auto& pods = s.workload_pods[w];
    if (pods.empty() || rps[w] <= 0) continue;
    const double per_pod = rps[w] / static_cast<double>(pods.size());
    for (auto p : pods) {
      for (const auto& step : s.workloads[w].script) {
        for (const auto& c : step.calls) {
          for (std::uint64_t f = 0; f < kFlowSamples; ++f)
            addLinks(models::hopPath(s, m, p, c.service, p * 7919 + f), per_pod * c.probability / kFlowSamples);
        }
      }
    }
  }
  double max_rps = 0;
  for (const auto& [k, r] : pair_rps) max_rps = std::max(max_rps, r);
  for (const auto& [k, r] : pair_rps) {
    TopologyEdge e;
    e.from_node = k.first;
    e.to_node = k.second;
    e.from = node_rect[k.first].center();
    e.to = node_rect[k.second].center();
    e.rps = r;
    e.cross_zone = s.nodes[k.first].zone != s.nodes[k.second].zone;
    e.width_px = 1 + 7 * std::sqrt(r / max_rps);
    out.edges.push_back(e);
  }
  out.bounds = QRectF(0, 0, static_cast<double>(s.zones.size()) * (kNodeWidthPx + 2 * kMarginPx + kZoneGapPx) - kZoneGapPx,
                      bottom);
  return out;
}

std::string describeObject(const models::Scenario& s, const models::MeshState& m, const std::string& key) {
  const auto colon = key.find(':');
  if (colon == std::string::npos) return {};
  const auto kind = key.substr(0, colon);
  const auto name = key.substr(colon + 1);
  const auto slash = name.find('/');
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  auto workloadFacts = [&](models::WorkloadId w) {
    const auto& wl = s.workloads[w];
    line("workload " + wl.key() + ": " + std::to_string(wl.replicas) + " replica(s), " +
         models::toString(m.workload_mode[w]) + " in " + m.phase_name);
    line("requests " + std::to_string(wl.resources.cpu_request_millicores) + "m CPU, " +
         std::to_string(wl.resources.memory_request_bytes / (1024 * 1024)) + " MiB");
    std::string services;
    for (auto sv : s.servicesOf(w)) services += (services.empty() ? "" : ", ") + s.services[sv].key();
    line("services: " + (services.empty() ? std::string("none") : services));
    std::string l7;
    for (auto f : wl.l7) l7 += (l7.empty() ? "" : ", ") + std::string(models::toString(f));
    if (!l7.empty()) line("L7 features: " + l7);
    if (m.workload_waypoint[w]) line("pod traffic via waypoint " + s.waypoints[*m.workload_waypoint[w]].key());
  };
  if (kind == "zone") {
    line("zone " + name);
    for (const auto& n : s.nodes) {
      if (s.zones[n.zone].name == name) line("node " + n.name);
    }
  } else if (kind == "node" || kind == "ztunnel") {
    for (models::NodeId n = 0; n < s.nodes.size(); ++n) {
      if (s.nodes[n].name != name) continue;
      const auto& pool = s.pools[s.nodes[n].pool];
      line((kind == "ztunnel" ? "ztunnel of node " : "node ") + name + " in " + s.zones[s.nodes[n].zone].name);
      line("pool " + pool.name + " (" + pool.instance_type + "): " + std::to_string(pool.cpu_millicores) + "m CPU, " +
           std::to_string(pool.memory_bytes / (1024 * 1024 * 1024)) + " GiB");
      int pods = 0, ambient = 0;
      for (models::PodId p = 0; p < s.pods.size(); ++p) {
        if (s.pods[p].node != n || s.pods[p].owner != models::Pod::Owner::Workload) continue;
        ++pods;
        ambient += m.modeOf(s, p) == models::MeshMode::Ambient ? 1 : 0;
      }
      line(std::to_string(pods) + " workload pod(s), " + std::to_string(ambient) + " ambient in " + m.phase_name);
    }
  } else if (kind == "pod") {
    for (models::PodId p = 0; p < s.pods.size(); ++p) {
      const auto& pod = s.pods[p];
      if (pod.name != name) continue;
      line("pod " + pod.name + " on " + s.nodes[pod.node].name + " (" + s.zones[s.zoneOfPod(p)].name + ")");
      if (pod.owner == models::Pod::Owner::Workload) workloadFacts(pod.owner_id);
      else line("replica of waypoint " + s.waypoints[pod.owner_id].key());
    }
  } else if (kind == "workload" && slash != std::string::npos) {
    if (auto w = s.findWorkload(name.substr(0, slash), name.substr(slash + 1))) workloadFacts(*w);
  } else if (kind == "waypoint" && slash != std::string::npos) {
    if (auto id = s.findWaypoint(name.substr(0, slash), name.substr(slash + 1))) {
      const auto& wp = s.waypoints[*id];
      line("waypoint " + wp.key() + " for " + models::toString(wp.traffic) + " traffic, " + std::to_string(wp.replicas) +
           " replica(s)" + (m.waypoint_present[*id] ? "" : " (not deployed in " + m.phase_name + ")"));
      if (wp.hpa)
        line("HPA " + std::to_string(wp.hpa->min_replicas) + "-" + std::to_string(wp.hpa->max_replicas) + " at " +
             std::to_string(wp.hpa->target_cpu_percent) + "% CPU");
      std::string zones;
      for (auto z : wp.zones) zones += (zones.empty() ? "" : ", ") + s.zones[z].name;
      line("zones: " + (zones.empty() ? std::string("all") : zones));
    }
  } else if (kind == "namespace" || kind == "service") {
    line(kind + " " + name);
    for (models::WorkloadId w = 0; w < s.workloads.size(); ++w) {
      bool in = kind == "namespace" ? s.workloads[w].ns == name : false;
      if (kind == "service") {
        for (auto sv : s.servicesOf(w)) in = in || s.services[sv].key() == name;
      }
      if (in) line("  " + s.workloads[w].key() + ": " + models::toString(m.workload_mode[w]));
    }
  }
  return out;
}

}  // namespace meshtwin::gui
