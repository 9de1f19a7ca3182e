// Scenario loader: the `cluster:` section (zones, node pools, network) and the nodes it implies.
#include "scenario_loader.hpp"

namespace meshtwin::models::detail {

void ScenarioLoader::readCluster(const YAML::Node& c) {
  const std::string obj = "cluster";
  if (!r_.isMap(c, obj, "cluster")) return;
  r_.checkKeys(c, obj, {"zones", "nodePools", "network"});
  readZones(c, obj);
  const auto pools = c["nodePools"];
  if (!pools.IsDefined()) {
    r_.error(c, obj, "missing required field \"nodePools\"", "describe the nodes, e.g. a pool of m6i.xlarge");
  } else if (r_.isSeq(pools, obj, "nodePools")) {
    for (const auto& p : pools) readPool(p);
  }
  if (const auto n = c["network"]; n.IsDefined()) readNetwork(n);
  addNodes();
}

void ScenarioLoader::readZones(const YAML::Node& c, const std::string& obj) {
  const auto zones = c["zones"];
  if (!zones.IsDefined()) {
    r_.error(c, obj, "missing required field \"zones\"", "list zone names, e.g. zones: [eu-west-1a, eu-west-1b]");
    return;
  }
  if (!r_.isSeq(zones, obj, "zones")) return;
  for (const auto& z : zones) {
    auto name = r_.scalar(z, obj, "zones[]");
    if (!name) continue;
    if (s_.findZone(*name)) {
      r_.error(z, "zone " + *name, "zone is listed twice");
      continue;
    }
    s_.zones.push_back({*name, r_.loc(z)});
  }
  if (s_.zones.empty()) r_.error(zones, obj, "no zones are listed", "a cluster needs at least one zone");
}

// Nodes: pool by pool, zone by zone, so names and order are stable.
void ScenarioLoader::addNodes() {
  for (PoolId p = 0; p < s_.pools.size(); ++p) {
    for (const auto z : s_.pools[p].zones) {
      for (int i = 0; i < s_.pools[p].count_per_zone; ++i) {
        s_.nodes.push_back({s_.pools[p].name + "-" + s_.zones[z].name + "-" + std::to_string(i), p, z});
      }
    }
  }
}

void ScenarioLoader::readPool(const YAML::Node& p) {
  if (!r_.isMap(p, "nodePool", "nodePools[]")) return;
  NodePool pool;
  pool.loc = r_.loc(p);
  const std::string anonymous = "nodePool #" + std::to_string(s_.pools.size() + 1);
  pool.name = r_.str(p, "name", anonymous, true).value_or("");
  const std::string obj = pool.name.empty() ? anonymous : "nodePool " + pool.name;
  r_.checkKeys(p, obj, {"name", "instanceType", "vcpu", "memory", "priceUsdPerHour", "countPerZone", "zones"});
  pool.instance_type = r_.str(p, "instanceType", obj).value_or("");
  if (auto v = r_.quantity(p, "vcpu", obj, parseCpuMillicores, true)) {
    pool.cpu_millicores = *v;
    if (*v == 0) r_.error(p["vcpu"], obj, "vcpu must be above zero");
  }
  if (auto v = r_.quantity(p, "memory", obj, parseMemoryBytes, true)) {
    pool.memory_bytes = *v;
    if (*v == 0) r_.error(p["memory"], obj, "memory must be above zero");
  }
  if (auto v = r_.number(p, "priceUsdPerHour", obj, 0, 1e4, true)) pool.price_usd_per_hour = *v;
  if (auto v = r_.integer(p, "countPerZone", obj, 0, 100000, true)) pool.count_per_zone = static_cast<int>(*v);
  pool.zones = zoneList(p, obj);
  for (const auto& other : s_.pools) {
    if (other.name == pool.name) r_.error(p, obj, "node pool name is used twice");
  }
  s_.pools.push_back(std::move(pool));
}

void ScenarioLoader::readNetwork(const YAML::Node& n) {
  const std::string obj = "network";
  if (!r_.isMap(n, obj, "network")) return;
  r_.checkKeys(n, obj, {"rtt", "bandwidth", "crossZoneUsdPerGiB"});
  auto& net = s_.network;
  if (const auto rtt = n["rtt"]; rtt.IsDefined() && r_.isMap(rtt, obj, "rtt")) {
    r_.checkKeys(rtt, obj, {"sameNode", "sameZone", "crossZone"});
    if (auto v = r_.quantity(rtt, "sameNode", obj, parseDurationNs)) net.rtt_same_node_ns = *v;
    if (auto v = r_.quantity(rtt, "sameZone", obj, parseDurationNs)) net.rtt_same_zone_ns = *v;
    if (auto v = r_.quantity(rtt, "crossZone", obj, parseDurationNs)) net.rtt_cross_zone_ns = *v;
  }
  if (auto v = r_.quantity(n, "bandwidth", obj, parseBandwidthBps)) net.bandwidth_bps = *v;
  if (const auto p = n["crossZoneUsdPerGiB"]; p.IsDefined() && r_.isMap(p, obj, "crossZoneUsdPerGiB")) {
    r_.checkKeys(p, obj, {"egress", "ingress"});
    if (auto v = r_.number(p, "egress", obj, 0, 100)) net.cross_zone_usd_per_gib_egress = *v;
    if (auto v = r_.number(p, "ingress", obj, 0, 100)) net.cross_zone_usd_per_gib_ingress = *v;
  }
}

}  // namespace meshtwin::models::detail
