// The testbed's network: a namespace per node linked to a fabric namespace (veth pairs,
// addresses, routes), and the fabric's iptables counters of the bytes each zone pair carried.
#include "context.hpp"

#include <sstream>

#include <fmt/format.h>

#include "meshtwin/dataplane/identity_files.hpp"

namespace meshtwin::testbed {

namespace detail {

namespace {

constexpr const char* kZoneChain = "MESHTWIN-ZONES";

}  // namespace

Result<bool> buildNetwork(const TestbedOptions& o, const Context& c) {
  const auto& l = c.layout;
  std::vector<std::string> root{"netns add " + l.fabric_netns};
  for (const auto& n : l.nodes) {
    root.push_back("netns add " + n.netns);
    root.push_back("link add " + n.veth_node + " type veth peer name " + n.veth_fabric);
    root.push_back("link set " + n.veth_node + " netns " + n.netns);
    root.push_back("link set " + n.veth_fabric + " netns " + l.fabric_netns);
  }
  if (auto r = ipBatch(root); !r) return r;
  std::vector<std::string> fabric{"link set lo up", "address add " + l.ingress_ip + "/32 dev lo"};
  for (const auto& n : l.nodes) {
    fabric.push_back("address add " + n.gateway_ip + "/24 dev " + n.veth_fabric);
    fabric.push_back("link set " + n.veth_fabric + " up");
  }
  if (auto r = ipBatch(fabric, l.fabric_netns); !r) return r;
  if (auto r = runCommand({"ip", "netns", "exec", l.fabric_netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"}); !r) {
    return r.error();
  }
  for (models::NodeId n = 0; n < l.nodes.size(); ++n) {
    const auto& nl = l.nodes[n];
    std::vector<std::string> lines{"link set lo up", "link set " + nl.veth_node + " name eth0",
                                   "address add " + nl.node_ip + "/24 dev eth0"};
    for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
      if (c.scenario.pods[p].node == n) lines.push_back("address add " + l.pod_ip[p] + "/32 dev eth0");
    }
    lines.push_back("link set eth0 up");
    lines.push_back("route add default via " + nl.gateway_ip);
    if (auto r = ipBatch(lines, nl.netns); !r) return r;
  }
  // Bytes per zone pair: a counting rule per ordered pair in the fabric's FORWARD path.
  std::string rules = "*filter\n:" + std::string(kZoneChain) + " - [0:0]\n-A FORWARD -j " + kZoneChain + "\n";
  for (std::size_t a = 0; a < l.zone_subnet.size(); ++a) {
    for (std::size_t b = 0; b < l.zone_subnet.size(); ++b) {
      rules += fmt::format("-A {} -s {} -d {} -m comment --comment \"{}>{}\"\n", kZoneChain, l.zone_subnet[a],
                           l.zone_subnet[b], a, b);
    }
  }
  rules += "COMMIT\n";
  const auto rules_file = l.state_dir + "/fabric.rules";
  if (auto w = dataplane::writeFileAtomically(rules_file, rules); !w) return w;
  if (auto r = runCommand({"ip", "netns", "exec", l.fabric_netns, "iptables-restore", "--noflush", rules_file}); !r) {
    return r.error();
  }
  say(o, fmt::format("network: fabric + {} node namespaces, {} zone subnets, {} pod addresses", l.nodes.size(),
                     l.zone_subnet.size(), l.pod_ip.size()));
  return true;
}

Result<std::vector<ZoneCounter>> readZoneCounters(const Context& c) {
  auto out = runCommand({"ip", "netns", "exec", c.layout.fabric_netns, "iptables", "-t", "filter", "-L", kZoneChain,
                         "-v", "-x", "-n", "-Z"});
  if (!out) return out.error();
  std::vector<ZoneCounter> counters;
  std::istringstream in(out.value());
  std::string line;
  while (std::getline(in, line)) {
    // "  pkts bytes target prot opt in out source destination /* a>b */"
    const auto open = line.find("/* ");
    if (open == std::string::npos) continue;
    std::istringstream ls(line);
    std::uint64_t packets = 0, bytes = 0;
    if (!(ls >> packets >> bytes)) continue;
    const auto pair = line.substr(open + 3, line.find(" */") - open - 3);
    const auto gt = pair.find('>');
    const auto a = std::stoul(pair.substr(0, gt)), b = std::stoul(pair.substr(gt + 1));
    if (a >= c.scenario.zones.size() || b >= c.scenario.zones.size()) continue;
    counters.push_back({c.scenario.zones[a].name, c.scenario.zones[b].name, bytes, packets});
  }
  return counters;
}

}  // namespace detail

Result<std::vector<ZoneCounter>> readZoneCounters(const TestbedOptions& o) {
  auto ctx = detail::openTestbed(o);
  if (!ctx) return ctx.error();
  return detail::readZoneCounters(ctx.value());
}

}  // namespace meshtwin::testbed
