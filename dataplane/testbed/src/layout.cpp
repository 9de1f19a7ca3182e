// The testbed's address and name plan.
#include "meshtwin/testbed/layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace meshtwin::testbed {

namespace {

const std::string& podNamespace(const models::Scenario& s, models::PodId p) {
  const auto& pod = s.pods[p];
  return pod.owner == models::Pod::Owner::Workload ? s.workloads[pod.owner_id].ns : s.waypoints[pod.owner_id].ns;
}

// The port a pod listens on: its workload's first service port (the waypoint's HBONE port
// for waypoint pods, which serve nothing else).
std::uint16_t podPort(const models::Scenario& s, models::PodId p) {
  const auto& pod = s.pods[p];
  if (pod.owner == models::Pod::Owner::Waypoint) return kHbonePort;
  for (const auto& svc : s.services) {
    for (auto w : svc.backends) {
      if (w == pod.owner_id && !svc.ports.empty()) return static_cast<std::uint16_t>(svc.ports.front().target_port);
    }
  }
  return kDefaultAppPort;
}

}  // namespace

std::string Layout::podKey(const models::Scenario& s, models::PodId p) const {
  return podNamespace(s, p) + "/" + s.pods[p].name;
}

std::string Layout::nodeCgroup(models::NodeId n) const { return fmt::format("{}/n{}", cgroup_root, n); }
std::string Layout::ztunnelCgroup(models::NodeId n) const { return nodeCgroup(n) + "/ztunnel"; }

std::string Layout::podCgroup(const models::Scenario& s, models::PodId p, const std::string& process) const {
  return fmt::format("{}/{}.{}/{}", nodeCgroup(s.pods[p].node), podNamespace(s, p), s.pods[p].name, process);
}

std::string Layout::ztunnelPrograms(models::NodeId n) const { return fmt::format("{}/ztunnel-n{}", bpf_root, n); }

std::string Layout::sidecarPrograms(const models::Scenario& s, models::PodId p) const {
  return fmt::format("{}/sidecar-{}_{}", bpf_root, podNamespace(s, p), s.pods[p].name);
}

std::string Layout::podLinks(const models::Scenario& s, models::PodId p) const {
  return fmt::format("{}/pods/{}_{}", bpf_root, podNamespace(s, p), s.pods[p].name);
}

std::string Layout::nodeIdentityDir(models::NodeId n) const { return fmt::format("{}/identity/n{}", state_dir, n); }

std::optional<Error> checkTestbedName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 8 && std::islower(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
                  });
  if (ok) return std::nullopt;
  return Error{"name the testbed", name, "not 1-8 of [a-z0-9] starting with a letter",
               "it prefixes network namespaces and interfaces (15 characters at most), e.g. mt"};
}

Result<Layout> makeLayout(const models::Scenario& s, const std::string& name, const std::string& state_dir,
                          const std::string& cgroup_mount) {
  if (auto e = checkTestbedName(name)) return *e;
  const std::string what = "lay out the testbed";
  if (s.zones.size() > 250) return Error{what, s.name, fmt::format("{} zones; the address plan holds 250", s.zones.size())};
  if (s.services.size() > 65000) return Error{what, s.name, "more than 65,000 services"};
  Layout l;
  l.name = name;
  l.fabric_netns = name + "-fabric";
  l.state_dir = state_dir;
  l.cgroup_root = cgroup_mount + "/meshtwin-" + name;
  l.bpf_root = "/sys/fs/bpf/meshtwin-" + name;
  for (models::ZoneId z = 0; z < s.zones.size(); ++z) l.zone_subnet.push_back(fmt::format("10.{}.0.0/16", z + 1));
  std::map<models::ZoneId, int> in_zone;
  for (models::NodeId n = 0; n < s.nodes.size(); ++n) {
    const auto zone = s.nodes[n].zone;
    const int k = in_zone[zone]++;
    if (k >= 250) return Error{what, s.nodes[n].name, "more than 250 nodes in zone " + s.zones[zone].name};
    NodeLayout nl;
    nl.name = s.nodes[n].name;
    nl.zone = zone;
    nl.netns = fmt::format("{}-n{}", name, n);
    nl.veth_fabric = fmt::format("{}-f{}", name, n);
    nl.veth_node = fmt::format("{}-n{}", name, n);
    nl.node_ip = fmt::format("10.{}.{}.1", zone + 1, k + 1);
    nl.gateway_ip = fmt::format("10.{}.{}.254", zone + 1, k + 1);
    nl.subnet = fmt::format("10.{}.{}.0/24", zone + 1, k + 1);
    l.nodes.push_back(std::move(nl));
  }
  std::map<models::NodeId, int> on_node;
  for (models::PodId p = 0; p < s.pods.size(); ++p) {
    const auto node = s.pods[p].node;
    const int j = on_node[node]++;
    if (j >= 240) return Error{what, s.nodes[node].name, "more than 240 pods on one node"};
    const auto& nl = l.nodes[node];
    l.pod_ip.push_back(nl.node_ip.substr(0, nl.node_ip.rfind('.')) + "." + std::to_string(10 + j));
    l.pod_port.push_back(podPort(s, p));
  }
  for (models::ServiceId i = 0; i < s.services.size(); ++i) {
    const auto& svc = s.services[i];
    const int port = svc.ports.empty() ? kDefaultAppPort : svc.ports.front().port;
    l.service_vip.push_back(fmt::format("10.96.{}.{}:{}", (i + 1) / 256, (i + 1) % 256, port));
  }
  return l;
}

int zoneOfAddress(const Layout& l, const std::string& ip4) {
  // 10.<zone+1>.x.y
  if (ip4.rfind("10.", 0) != 0) return -1;
  const auto dot = ip4.find('.', 3);
  if (dot == std::string::npos) return -1;
  const int z = std::stoi(ip4.substr(3, dot - 3)) - 1;
  return z >= 0 && static_cast<std::size_t>(z) < l.zone_subnet.size() ? z : -1;
}

}  // namespace meshtwin::testbed
