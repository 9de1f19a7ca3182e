// Where a scenario's pieces live on the testbed: a network namespace per node, a subnet per
// zone joined through a fabric namespace, an address per pod, a VIP per service, a cgroup per
// process and a bpffs folder per redirect target. Pure: computed from the scenario and the
// testbed's name, so every command (up, enroll, apply-wave, down) finds the same names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::testbed {

using dataplane::Error;
using dataplane::Result;

inline constexpr std::uint16_t kHbonePort = 15008;
inline constexpr std::uint16_t kRedirectPort = 15001;  // where eBPF steers a pod's connect()
inline constexpr std::uint16_t kMetricsPort = 15020;
inline constexpr std::uint16_t kReadinessPort = 15021;
inline constexpr std::uint16_t kAdminPort = 15000;
inline constexpr std::uint16_t kDefaultAppPort = 8080;

struct NodeLayout {
  std::string name;  // the scenario's node
  models::ZoneId zone = 0;
  std::string netns;        // "<testbed>-n<i>"
  std::string veth_fabric;  // the fabric's end of the node's link, "<testbed>-f<i>"
  std::string veth_node;    // the node's end before it is moved and renamed eth0, "<testbed>-n<i>"
  std::string node_ip;      // the node's own address (ztunnel), 10.<zone+1>.<k+1>.1
  std::string gateway_ip;   // the fabric's address on the link, 10.<zone+1>.<k+1>.254
  std::string subnet;       // 10.<zone+1>.<k+1>.0/24
};

struct Layout {
  std::string name;  // prefix of every resource the testbed makes
  std::string fabric_netns;
  std::string ingress_ip = "10.255.0.1";  // the load generator's address, in the fabric
  std::vector<std::string> zone_subnet;   // by ZoneId: 10.<zone+1>.0.0/16
  std::vector<NodeLayout> nodes;          // by NodeId
  std::vector<std::string> pod_ip;        // by PodId (waypoint pods included)
  std::vector<std::uint16_t> pod_port;    // by PodId: the port its app (or waypoint) listens on
  std::vector<std::string> service_vip;   // by ServiceId, "ip:port" in 10.96.0.0/16
  std::string cgroup_root;                // "<cgroup2 mount>/meshtwin-<testbed>"
  std::string bpf_root;                   // "/sys/fs/bpf/meshtwin-<testbed>"
  std::string state_dir;                  // state.json, snapshot, identities, logs

  [[nodiscard]] std::string podKey(const models::Scenario& s, models::PodId p) const;
  [[nodiscard]] std::string nodeCgroup(models::NodeId n) const;
  [[nodiscard]] std::string ztunnelCgroup(models::NodeId n) const;
  // A pod's processes: "app" (the workload or the waypoint) and "sidecar".
  [[nodiscard]] std::string podCgroup(const models::Scenario& s, models::PodId p, const std::string& process) const;
  [[nodiscard]] std::string ingressCgroup() const { return cgroup_root + "/ingress"; }
  // bpffs folders (bpffs refuses "." in names, so ns_pod): the programs loaded for one
  // redirect target, and a pod's links.
  [[nodiscard]] std::string ztunnelPrograms(models::NodeId n) const;
  [[nodiscard]] std::string sidecarPrograms(const models::Scenario& s, models::PodId p) const;
  [[nodiscard]] std::string podLinks(const models::Scenario& s, models::PodId p) const;
  [[nodiscard]] std::string proxyLink(const std::string& programs) const { return programs + "/proxy-link"; }
  [[nodiscard]] std::string snapshotFile() const { return state_dir + "/snapshot.json"; }
  [[nodiscard]] std::string stateFile() const { return state_dir + "/state.json"; }
  [[nodiscard]] std::string nodeIdentityDir(models::NodeId n) const;
  [[nodiscard]] std::string ingressIdentityDir() const { return state_dir + "/identity/ingress"; }
  [[nodiscard]] std::string logDir() const { return state_dir + "/logs"; }
};

// A name is 1-8 of [a-z0-9] starting with a letter (it prefixes interface names, which
// Linux limits to 15 characters).
std::optional<Error> checkTestbedName(const std::string& name);

// Refuses scenarios the address plan cannot hold (more than 250 zones, 250 nodes in a zone,
// 240 pods on a node or 65,000 services), naming the limit.
Result<Layout> makeLayout(const models::Scenario& s, const std::string& name, const std::string& state_dir,
                          const std::string& cgroup_mount = "/sys/fs/cgroup/unified");

// The zone an IPv4 address belongs to by the layout's subnets; -1 for none (the ingress).
int zoneOfAddress(const Layout& l, const std::string& ip4);

}  // namespace meshtwin::testbed
