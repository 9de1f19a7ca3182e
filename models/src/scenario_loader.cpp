// Scenario loader: reads meshtwin/v1 YAML, reports every problem with file:line:col, and
// returns a fully resolved Scenario (names -> indexes, pods placed on nodes).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "call_graph.hpp"
#include "meshtwin/models/loader.hpp"
#include "placement.hpp"
#include "policy_yaml.hpp"
#include "yaml_reader.hpp"

namespace meshtwin::models {
namespace {

using detail::YamlReader;

constexpr const char* kApiVersion = "meshtwin/v1";

// Defaults that apply to every workload unless it sets its own (top-level `defaults:`).
struct WorkloadDefaults {
  int replicas = 1;
  int concurrency = 64;
  ServiceTime service_time;
  std::int64_t request_bytes = 1024;
  std::int64_t response_bytes = 1024;
  Resources resources{100, 0, 128LL << 20, 0};
  std::map<std::string, std::string> labels;
};

// A service reference as written in a script or an entry point, resolved later.
struct PendingRef {
  std::string text;
  std::string context_ns;
  SourceLoc loc;
};

class Loader {
 public:
  Loader(std::string file, std::string base_dir) : r_(file, diags_), base_dir_(std::move(base_dir)) {
    s_.file = std::move(file);
  }

  LoadResult run(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      diags_.add({s_.file, e.mark.line + 1, e.mark.column + 1}, "scenario", "YAML syntax error: " + e.msg,
                 "check indentation and quoting near this position, and for an unclosed [ or { earlier in the file");
      return finish();
    }
    try {
      readRoot(root);
    } catch (const YAML::Exception& e) {
      // yaml-cpp can still throw on shapes the checks above did not foresee; report it
      // as an input error rather than crash.
      diags_.add({s_.file, e.mark.line + 1, e.mark.column + 1}, "scenario", "malformed document: " + e.msg);
    }
    return finish();
  }

 private:
  LoadResult finish() {
    LoadResult out;
    for (const auto& d : diags_.sorted()) out.diagnostics.add(d.loc, d.object, d.message, d.hint);
    if (diags_.empty()) out.scenario = std::move(s_);
    return out;
  }

  void readRoot(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      r_.error(SourceLoc{s_.file, 0, 0}, "scenario", "the file is empty", "start with `apiVersion: meshtwin/v1`");
      return;
    }
    if (!r_.isMap(root, "scenario", "the document")) return;
    r_.checkKeys(root, "scenario", {"apiVersion", "kind", "metadata", "profile", "seed", "defaults", "cluster",
                                    "workloads", "services", "entryPoints", "mesh", "plan", "faults"});
    const auto api = r_.str(root, "apiVersion", "scenario", true);
    if (api && *api != kApiVersion) {
      r_.error(root["apiVersion"], "scenario", "apiVersion \"" + *api + "\" is not supported",
               std::string("use ") + kApiVersion);
    }
    if (auto kind = r_.str(root, "kind", "scenario"); kind && *kind != "Scenario") {
      r_.error(root["kind"], "scenario", "kind \"" + *kind + "\" is not a scenario", "use kind: Scenario");
    }
    if (const auto md = root["metadata"]; md.IsDefined() && r_.isMap(md, "scenario", "metadata")) {
      r_.checkKeys(md, "scenario", {"name", "description"});
      s_.name = r_.str(md, "name", "scenario").value_or("");
      s_.description = r_.str(md, "description", "scenario").value_or("");
    }
    if (s_.name.empty()) s_.name = std::filesystem::path(s_.file).stem().string();
    if (auto seed = r_.integer(root, "seed", "scenario", 0, INT64_MAX)) s_.seed = static_cast<std::uint64_t>(*seed);

    s_.profile_name = r_.str(root, "profile", "scenario").value_or("istio-1.24-published");
    {
      // Problems with the profile file as a whole are reported at the scenario's `profile:` line.
      Diagnostics pd;
      s_.profile = loadProfile(s_.profile_name, base_dir_, pd);
      for (auto d : pd.items()) {
        if (d.loc.line == 0 && root["profile"].IsDefined()) d.loc = r_.loc(root["profile"]);
        diags_.add(d.loc, d.object, d.message, d.hint);
      }
    }

    if (const auto d = root["defaults"]; d.IsDefined()) readDefaults(d);
    const auto cluster = root["cluster"];
    if (!cluster.IsDefined()) {
      r_.error(root, "scenario", "missing required field \"cluster\"", "describe zones and nodePools under cluster:");
    } else {
      readCluster(cluster);
    }
    const auto workloads = root["workloads"];
    if (!workloads.IsDefined()) {
      r_.error(root, "scenario", "missing required field \"workloads\"", "list the deployments under workloads:");
    } else {
      readWorkloads(workloads);
    }
    if (s_.workloads.empty() && !diags_.empty()) {
      // Everything below refers to workloads; with none loaded it would only add noise.
      return;
    }
    if (const auto sv = root["services"]; sv.IsDefined()) readServices(sv);
    addImplicitServices();
    const auto before_calls = diags_.size();
    resolveCalls();
    const bool calls_resolved = diags_.size() == before_calls;
    if (const auto ep = root["entryPoints"]; ep.IsDefined()) readEntryPoints(ep);
    // Waypoints first (the mesh's, then those the plan adds), so bindings and policies may
    // name a waypoint that only a later wave deploys: analysis then reports the phases in
    // which such a binding dangles.
    const auto mesh = root["mesh"];
    const auto plan = root["plan"];
    if (mesh.IsDefined() && mesh.IsMap()) {
      if (const auto wps = mesh["waypoints"]; wps.IsDefined() && r_.isSeq(wps, "mesh", "waypoints")) {
        for (const auto& n : wps) readWaypoint(n, true);
      }
    }
    if (plan.IsDefined()) preReadPlanWaypoints(plan);
    if (mesh.IsDefined()) readMesh(mesh);
    if (plan.IsDefined()) readPlan(plan);
    if (const auto faults = root["faults"]; faults.IsDefined()) readFaults(faults);
    for (const auto& ns : namespaceSet()) s_.namespaces.push_back(ns);
    // Cycles need every call resolved; other errors elsewhere do not hide them.
    if (calls_resolved) detail::checkCallCycles(s_, diags_);
    if (diags_.empty()) {
      detail::placePods(s_, diags_);
    }
  }

  // ---- defaults -------------------------------------------------------------------------
  void readDefaults(const YAML::Node& d) {
    const std::string obj = "defaults";
    if (!r_.isMap(d, obj, "defaults")) return;
    r_.checkKeys(d, obj, {"replicas", "concurrency", "serviceTime", "requestSize", "responseSize", "resources", "labels"});
    if (auto v = r_.integer(d, "replicas", obj, 0, 100000)) defaults_.replicas = static_cast<int>(*v);
    if (auto v = r_.integer(d, "concurrency", obj, 1, 1000000)) defaults_.concurrency = static_cast<int>(*v);
    if (const auto st = d["serviceTime"]; st.IsDefined()) readServiceTime(st, obj, defaults_.service_time);
    if (auto v = r_.quantity(d, "requestSize", obj, parseBytes)) defaults_.request_bytes = *v;
    if (auto v = r_.quantity(d, "responseSize", obj, parseBytes)) defaults_.response_bytes = *v;
    if (const auto res = d["resources"]; res.IsDefined()) readResources(res, obj, defaults_.resources);
    if (auto v = r_.stringMap(d, "labels", obj)) defaults_.labels = *v;
  }

  // ---- cluster --------------------------------------------------------------------------
  void readCluster(const YAML::Node& c) {
    const std::string obj = "cluster";
    if (!r_.isMap(c, obj, "cluster")) return;
    r_.checkKeys(c, obj, {"zones", "nodePools", "network"});
    const auto zones = c["zones"];
    if (!zones.IsDefined()) {
      r_.error(c, obj, "missing required field \"zones\"", "list zone names, e.g. zones: [eu-west-1a, eu-west-1b]");
    } else if (r_.isSeq(zones, obj, "zones")) {
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
    const auto pools = c["nodePools"];
    if (!pools.IsDefined()) {
      r_.error(c, obj, "missing required field \"nodePools\"", "describe the nodes, e.g. a pool of m6i.xlarge");
    } else if (r_.isSeq(pools, obj, "nodePools")) {
      for (const auto& p : pools) readPool(p);
    }
    if (const auto n = c["network"]; n.IsDefined()) readNetwork(n);
    // Nodes: pool by pool, zone by zone, so names and order are stable.
    for (PoolId p = 0; p < s_.pools.size(); ++p) {
      for (const auto z : s_.pools[p].zones) {
        for (int i = 0; i < s_.pools[p].count_per_zone; ++i) {
          s_.nodes.push_back({s_.pools[p].name + "-" + s_.zones[z].name + "-" + std::to_string(i), p, z});
        }
      }
    }
  }

  void readPool(const YAML::Node& p) {
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

  // A `zones:` list resolved to ids; all zones when absent.
  std::vector<ZoneId> zoneList(const YAML::Node& m, const std::string& obj) {
    std::vector<ZoneId> out;
    const auto names = r_.strings(m, "zones", obj);
    if (!names) {
      for (ZoneId z = 0; z < s_.zones.size(); ++z) out.push_back(z);
      return out;
    }
    if (names->empty()) {
      r_.error(m["zones"], obj, "the zones list is empty", "name at least one zone, or leave zones out to allow all");
      return out;
    }
    std::size_t i = 0;
    for (const auto& n : *names) {
      if (auto z = s_.findZone(n)) {
        out.push_back(*z);
      } else {
        r_.error(m["zones"][i], obj, "unknown zone \"" + n + "\"", suggestionHint(n, zoneNames(), "zones"));
      }
      ++i;
    }
    return out;
  }

  std::vector<std::string> zoneNames() const {
    std::vector<std::string> out;
    for (const auto& z : s_.zones) out.push_back(z.name);
    return out;
  }

  void readNetwork(const YAML::Node& n) {
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

  // ---- workloads ------------------------------------------------------------------------
  void readResources(const YAML::Node& n, const std::string& obj, Resources& out) {
    if (!r_.isMap(n, obj, "resources")) return;
    r_.checkKeys(n, obj, {"requests", "limits"});
    auto side = [&](const char* key, std::int64_t& cpu, std::int64_t& mem) {
      const auto m = n[key];
      if (!m.IsDefined() || !r_.isMap(m, obj, key)) return;
      r_.checkKeys(m, obj, {"cpu", "memory"});
      if (auto v = r_.quantity(m, "cpu", obj, parseCpuMillicores)) cpu = *v;
      if (auto v = r_.quantity(m, "memory", obj, parseMemoryBytes)) mem = *v;
    };
    side("requests", out.cpu_request_millicores, out.memory_request_bytes);
    side("limits", out.cpu_limit_millicores, out.memory_limit_bytes);
    if (out.cpu_limit_millicores && out.cpu_limit_millicores < out.cpu_request_millicores)
      r_.error(n["limits"], obj, "CPU limit is below the CPU request", "Kubernetes rejects such a pod; raise the limit");
    if (out.memory_limit_bytes && out.memory_limit_bytes < out.memory_request_bytes)
      r_.error(n["limits"], obj, "memory limit is below the memory request", "Kubernetes rejects such a pod; raise the limit");
  }

  void readServiceTime(const YAML::Node& n, const std::string& obj, ServiceTime& st) {
    if (!r_.isMap(n, obj, "serviceTime")) return;
    r_.checkKeys(n, obj, {"distribution", "mean", "p99"});
    const auto dist = r_.str(n, "distribution", obj).value_or("exponential");
    if (dist == "constant") st.kind = ServiceTime::Kind::Constant;
    else if (dist == "exponential") st.kind = ServiceTime::Kind::Exponential;
    else if (dist == "lognormal") st.kind = ServiceTime::Kind::LogNormal;
    else r_.error(n["distribution"], obj, "unknown service-time distribution \"" + dist + "\"",
                  suggestionHint(dist, {"constant", "exponential", "lognormal"}, "distributions"));
    if (auto v = r_.quantity(n, "mean", obj, parseDurationNs, true)) st.mean_ns = *v;
    if (auto v = r_.quantity(n, "p99", obj, parseDurationNs)) st.p99_ns = *v;
    if (st.kind == ServiceTime::Kind::LogNormal) {
      if (st.p99_ns == 0) {
        r_.error(n, obj, "a lognormal service time needs p99", "e.g. serviceTime: {distribution: lognormal, mean: 2ms, p99: 10ms}");
      } else if (st.p99_ns <= st.mean_ns) {
        r_.error(n["p99"].IsDefined() ? n["p99"] : n, obj, "p99 must be above the mean for a lognormal service time");
      }
    } else if (n["p99"].IsDefined()) {
      r_.error(n["p99"], obj, "p99 applies only to the lognormal distribution",
               "remove it, or set distribution: lognormal");
    }
  }

  void readWorkloads(const YAML::Node& list) {
    if (!r_.isSeq(list, "scenario", "workloads")) return;
    for (const auto& n : list) readWorkload(n);
  }

  void readWorkload(const YAML::Node& n) {
    if (!r_.isMap(n, "workload", "workloads[]")) return;
    Workload w;
    w.loc = r_.loc(n);
    w.name = r_.str(n, "name", "workload", true).value_or("");
    w.ns = r_.str(n, "namespace", "workload").value_or("default");
    const std::string obj = "workload " + w.ns + "/" + w.name;
    r_.checkKeys(n, obj, {"name", "namespace", "serviceAccount", "replicas", "labels", "resources", "concurrency",
                          "serviceTime", "requestSize", "responseSize", "script", "l7", "zones", "protocol", "port"});
    if (!w.name.empty() && !validDnsLabel(w.name))
      r_.error(n["name"], obj, "name is not a valid Kubernetes name", "use lower-case letters, digits and '-'");
    if (!validDnsLabel(w.ns)) r_.error(n["namespace"], obj, "namespace is not a valid Kubernetes name");
    w.service_account = r_.str(n, "serviceAccount", obj).value_or(w.name);
    w.replicas = static_cast<int>(r_.integer(n, "replicas", obj, 0, 100000).value_or(defaults_.replicas));
    w.labels = defaults_.labels;
    if (auto l = r_.stringMap(n, "labels", obj)) {
      for (auto& [k, v] : *l) w.labels[k] = v;
    }
    w.labels.emplace("app", w.name);
    w.resources = defaults_.resources;
    if (const auto res = n["resources"]; res.IsDefined()) readResources(res, obj, w.resources);
    w.concurrency = static_cast<int>(r_.integer(n, "concurrency", obj, 1, 1000000).value_or(defaults_.concurrency));
    w.service_time = defaults_.service_time;
    if (const auto st = n["serviceTime"]; st.IsDefined()) readServiceTime(st, obj, w.service_time);
    w.request_bytes = r_.quantity(n, "requestSize", obj, parseBytes).value_or(defaults_.request_bytes);
    w.response_bytes = r_.quantity(n, "responseSize", obj, parseBytes).value_or(defaults_.response_bytes);
    if (const auto l7 = r_.strings(n, "l7", obj)) {
      std::size_t i = 0;
      for (const auto& f : *l7) {
        if (auto feat = l7FeatureFrom(f)) w.l7.insert(*feat);
        else r_.error(n["l7"][i], obj, "unknown L7 feature \"" + f + "\"", suggestionHint(f, l7FeatureNames(), "features"));
        ++i;
      }
    }
    w.zones = zoneList(n, obj);
    if (const auto script = n["script"]; script.IsDefined() && !script.IsNull()) readScript(script, obj, w);
    // The implicit Service's port and protocol.
    ImplicitPort ip;
    if (auto p = r_.str(n, "protocol", obj)) {
      if (auto proto = protocolFrom(*p)) ip.protocol = *proto;
      else r_.error(n["protocol"], obj, "unknown protocol \"" + *p + "\"", "use http, grpc or tcp");
    }
    if (auto p = r_.integer(n, "port", obj, 1, 65535)) ip.port = static_cast<int>(*p);
    if (s_.findWorkload(w.ns, w.name)) {
      r_.error(n, obj, "workload is defined twice", "names must be unique within a namespace");
      return;
    }
    implicit_ports_.push_back(ip);
    s_.workloads.push_back(std::move(w));
  }

  void readScript(const YAML::Node& script, const std::string& obj, Workload& w) {
    if (!r_.isSeq(script, obj, "script")) return;
    for (const auto& step : script) {
      if (step.IsSequence()) {
        ScriptStep s;
        s.kind = ScriptStep::Kind::Concurrent;
        s.loc = r_.loc(step);
        for (const auto& inner : step) {
          if (inner.IsSequence()) {
            r_.error(inner, obj, "concurrent calls may not be nested", "flatten the inner list into the outer one");
            continue;
          }
          ScriptStep one;
          if (!readStep(inner, obj, one)) continue;
          if (one.kind != ScriptStep::Kind::Call) {
            r_.error(inner, obj, "a concurrent group may hold only calls", "move the sleep before or after the group");
            continue;
          }
          s.calls.push_back(std::move(one.calls.front()));
        }
        if (s.calls.empty()) r_.error(step, obj, "a concurrent group needs at least one call");
        else w.script.push_back(std::move(s));
        continue;
      }
      ScriptStep s;
      if (readStep(step, obj, s)) w.script.push_back(std::move(s));
    }
  }

  bool readStep(const YAML::Node& n, const std::string& obj, ScriptStep& out) {
    out.loc = r_.loc(n);
    if (!n.IsMap() || n.size() != 1) {
      r_.error(n, obj, "a script step must be one of `sleep: <duration>`, `call: <service>` or a list of calls",
               "e.g. - call: {service: cart, size: 512B, probability: 50}");
      return false;
    }
    const auto key = n.begin()->first.as<std::string>("");
    const YAML::Node v = n.begin()->second;
    if (key == "sleep") {
      out.kind = ScriptStep::Kind::Sleep;
      const auto text = r_.scalar(v, obj, "sleep");
      if (!text) return false;
      const auto d = parseDurationNs(*text);
      if (!d.ok()) {
        r_.error(v, obj, "sleep: " + d.error());
        return false;
      }
      out.sleep_ns = d.value();
      return true;
    }
    if (key == "call") {
      out.kind = ScriptStep::Kind::Call;
      Call c;
      c.loc = r_.loc(v);
      if (v.IsNull() || (v.IsScalar() && v.Scalar().empty())) {
        r_.error(v.IsNull() ? n : v, obj, "call needs a service name", "e.g. - call: cart, or - call: {service: cart, size: 1KiB}");
        return false;
      }
      if (v.IsScalar()) {
        c.service_name = v.Scalar();
      } else if (v.IsMap()) {
        r_.checkKeys(v, obj, {"service", "size", "probability", "method", "path"});
        c.method = r_.str(v, "method", obj).value_or("GET");
        c.path = r_.str(v, "path", obj).value_or("/");
        if (c.path.empty() || c.path.front() != '/')
          r_.error(v["path"], obj, "call path \"" + c.path + "\" must start with /", "e.g. path: /api/checkout");
        c.service_name = r_.str(v, "service", obj, true).value_or("");
        if (v["service"].IsDefined()) c.loc = r_.loc(v["service"]);
        if (auto sz = r_.quantity(v, "size", obj, parseBytes)) c.request_bytes = *sz;
        if (auto p = r_.number(v, "probability", obj, 0, 100)) c.probability = *p / 100.0;
      } else {
        r_.error(v, obj, "call must name a service or be a map {service, size, probability}");
        return false;
      }
      if (c.service_name.empty()) return false;
      out.calls.push_back(std::move(c));
      return true;
    }
    r_.error(n.begin()->first, obj, "unknown script command \"" + key + "\"",
             suggestionHint(key, {"sleep", "call"}, "commands"));
    return false;
  }

  static bool validDnsLabel(const std::string& s) {
    if (s.empty() || s.size() > 63) return false;
    for (char c : s) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return s.front() != '-' && s.back() != '-';
  }

  static std::optional<Protocol> protocolFrom(const std::string& s) {
    if (s == "http") return Protocol::Http;
    if (s == "grpc") return Protocol::Grpc;
    if (s == "tcp") return Protocol::Tcp;
    return std::nullopt;
  }

  // ---- services -------------------------------------------------------------------------
  void readServices(const YAML::Node& list) {
    if (!r_.isSeq(list, "scenario", "services")) return;
    for (const auto& n : list) {
      if (!r_.isMap(n, "service", "services[]")) continue;
      Service sv;
      sv.loc = r_.loc(n);
      sv.name = r_.str(n, "name", "service", true).value_or("");
      sv.ns = r_.str(n, "namespace", "service").value_or("default");
      const std::string obj = "service " + sv.ns + "/" + sv.name;
      r_.checkKeys(n, obj, {"name", "namespace", "workloads", "ports"});
      if (auto ws = r_.strings(n, "workloads", obj)) {
        std::size_t i = 0;
        for (const auto& wn : *ws) {
          auto id = s_.findWorkload(sv.ns, wn);
          if (id) sv.backends.push_back(*id);
          else r_.error(n["workloads"][i], obj, "unknown workload \"" + wn + "\" in namespace " + sv.ns,
                        suggestionHint(wn, workloadNamesIn(sv.ns), "workloads in " + sv.ns));
          ++i;
        }
      } else if (auto id = s_.findWorkload(sv.ns, sv.name)) {
        sv.backends.push_back(*id);
      } else {
        r_.error(n, obj, "no workload backs this service",
                 "list them under workloads:, or name the service after a workload in " + sv.ns);
      }
      if (const auto ports = n["ports"]; ports.IsDefined() && r_.isSeq(ports, obj, "ports")) {
        for (const auto& p : ports) {
          if (!r_.isMap(p, obj, "ports[]")) continue;
          r_.checkKeys(p, obj, {"name", "port", "targetPort", "protocol"});
          ServicePort sp;
          sp.name = r_.str(p, "name", obj).value_or("");
          sp.port = static_cast<int>(r_.integer(p, "port", obj, 1, 65535, true).value_or(8080));
          sp.target_port = static_cast<int>(r_.integer(p, "targetPort", obj, 1, 65535).value_or(sp.port));
          if (auto pr = r_.str(p, "protocol", obj)) {
            if (auto proto = protocolFrom(*pr)) sp.protocol = *proto;
            else r_.error(p["protocol"], obj, "unknown protocol \"" + *pr + "\"", "use http, grpc or tcp");
          }
          sv.ports.push_back(sp);
        }
      }
      if (sv.ports.empty()) sv.ports.push_back({"http", 8080, 8080, Protocol::Http});
      if (s_.findService(sv.ns, sv.name)) {
        r_.error(n, obj, "service is defined twice");
        continue;
      }
      s_.services.push_back(std::move(sv));
    }
  }

  // A workload that no listed service backs gets a Service of its own name (isotope style).
  void addImplicitServices() {
    std::vector<bool> backed(s_.workloads.size(), false);
    for (const auto& sv : s_.services) {
      for (auto b : sv.backends) backed[b] = true;
    }
    for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
      const auto& wl = s_.workloads[w];
      if (backed[w] || s_.findService(wl.ns, wl.name)) continue;
      Service sv;
      sv.ns = wl.ns;
      sv.name = wl.name;
      sv.backends = {w};
      const auto& ip = implicit_ports_[w];
      sv.ports = {{toString(ip.protocol), ip.port, ip.port, ip.protocol}};
      sv.loc = wl.loc;
      s_.services.push_back(std::move(sv));
    }
  }

  std::vector<std::string> workloadNamesIn(const std::string& ns) const {
    std::vector<std::string> out;
    for (const auto& w : s_.workloads) {
      if (w.ns == ns) out.push_back(w.name);
    }
    return out;
  }

  std::vector<std::string> serviceRefs(const std::string& context_ns) const {
    std::vector<std::string> out;
    for (const auto& sv : s_.services) out.push_back(sv.ns == context_ns ? sv.name : sv.name + "." + sv.ns);
    return out;
  }

  // Resolves "name", "name.ns" or "name.ns.svc.cluster.local". A bare name looks in the
  // context namespace first, then anywhere if it is unique.
  std::optional<ServiceId> resolveService(const PendingRef& ref, const std::string& obj) {
    std::string text = ref.text;
    if (const auto colon = text.find(':'); colon != std::string::npos) text.resize(colon);
    const std::string suffix = ".svc.cluster.local";
    if (text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0)
      text.resize(text.size() - suffix.size());
    std::string name = text, ns = ref.context_ns;
    if (const auto dot = text.find('.'); dot != std::string::npos) {
      name = text.substr(0, dot);
      ns = text.substr(dot + 1);
    }
    if (auto id = s_.findService(ns, name)) return id;
    if (text.find('.') == std::string::npos) {
      std::optional<ServiceId> unique;
      int count = 0;
      for (ServiceId i = 0; i < s_.services.size(); ++i) {
        if (s_.services[i].name == name) {
          unique = i;
          ++count;
        }
      }
      if (count == 1) return unique;
      if (count > 1) {
        r_.error(ref.loc, obj, "service \"" + name + "\" exists in several namespaces",
                 "qualify it as " + name + ".<namespace>");
        return std::nullopt;
      }
    }
    r_.error(ref.loc, obj, "unknown service \"" + ref.text + "\"",
             suggestionHint(ref.text, serviceRefs(ref.context_ns), "services"));
    return std::nullopt;
  }

  void resolveCalls() {
    for (auto& w : s_.workloads) {
      for (auto& step : w.script) {
        for (auto& c : step.calls) {
          if (auto id = resolveService({c.service_name, w.ns, c.loc}, "workload " + w.key())) c.service = *id;
          if (c.request_bytes == 0) c.request_bytes = w.request_bytes;
        }
      }
    }
  }

  // ---- entry points ---------------------------------------------------------------------
  void readEntryPoints(const YAML::Node& list) {
    if (!r_.isSeq(list, "scenario", "entryPoints")) return;
    for (const auto& n : list) {
      if (!r_.isMap(n, "entryPoint", "entryPoints[]")) continue;
      EntryPoint ep;
      ep.loc = r_.loc(n);
      ep.name = r_.str(n, "name", "entryPoint", true).value_or("");
      const std::string obj = "entryPoint " + ep.name;
      r_.checkKeys(n, obj, {"name", "service", "path", "arrival", "connections", "zones", "load"});
      for (const auto& other : s_.entry_points) {
        if (other.name == ep.name) r_.error(n, obj, "entry point name is used twice");
      }
      if (auto svc = r_.str(n, "service", obj, true)) {
        if (auto id = resolveService({*svc, "default", r_.loc(n["service"])}, obj)) ep.service = *id;
      }
      ep.path = r_.str(n, "path", obj).value_or("/");
      if (auto a = r_.str(n, "arrival", obj)) {
        if (*a == "poisson") ep.arrival = EntryPoint::Arrival::Poisson;
        else if (*a == "uniform") ep.arrival = EntryPoint::Arrival::Uniform;
        else r_.error(n["arrival"], obj, "unknown arrival process \"" + *a + "\"", "use poisson or uniform");
      }
      ep.connections = static_cast<int>(r_.integer(n, "connections", obj, 0, 1000000).value_or(0));
      ep.client_zones = zoneList(n, obj);
      const auto load = n["load"];
      if (!load.IsDefined()) {
        r_.error(n, obj, "missing required field \"load\"", "e.g. load: [{constant: {rps: 100, duration: 60s}}]");
      } else if (r_.isSeq(load, obj, "load")) {
        if (load.size() == 0) r_.error(load, obj, "load has no segments", "e.g. load: [{constant: {rps: 100, duration: 60s}}]");
        for (const auto& seg : load) {
          if (auto s = readSegment(seg, obj)) ep.load.push_back(*s);
        }
      }
      s_.entry_points.push_back(std::move(ep));
    }
  }

  std::optional<LoadSegment> readSegment(const YAML::Node& n, const std::string& obj) {
    if (!n.IsMap() || n.size() != 1) {
      r_.error(n, obj, "a load segment must be one of constant, steps or burst",
               "e.g. - constant: {rps: 100, duration: 60s}");
      return std::nullopt;
    }
    const auto kind = n.begin()->first.as<std::string>("");
    const YAML::Node v = n.begin()->second;
    LoadSegment s;
    s.loc = r_.loc(n);
    if (!r_.isMap(v, obj, kind.c_str())) return std::nullopt;
    if (kind == "constant") {
      s.kind = LoadSegment::Kind::Constant;
      r_.checkKeys(v, obj, {"rps", "duration"});
      s.rps = r_.number(v, "rps", obj, 0, 1e9, true).value_or(0);
    } else if (kind == "steps") {
      s.kind = LoadSegment::Kind::Steps;
      r_.checkKeys(v, obj, {"rps", "duration"});
      if (auto list = r_.strings(v, "rps", obj)) {
        std::size_t i = 0;
        for (const auto& t : *list) {
          char* end = nullptr;
          const double x = std::strtod(t.c_str(), &end);
          if (t.empty() || *end != '\0' || x < 0)
            r_.error(v["rps"][i], obj, "steps rps \"" + t + "\" is not a rate", "give requests per second, 0 or more");
          else s.step_rps.push_back(x);
          ++i;
        }
      } else {
        r_.error(v, obj, "steps needs rps: a list of rates, one per step", "e.g. steps: {rps: [100, 200, 400], duration: 3m}");
      }
    } else if (kind == "burst") {
      s.kind = LoadSegment::Kind::Burst;
      r_.checkKeys(v, obj, {"baseRps", "peakRps", "period", "burstDuration", "duration"});
      s.base_rps = r_.number(v, "baseRps", obj, 0, 1e9, true).value_or(0);
      s.peak_rps = r_.number(v, "peakRps", obj, 0, 1e9, true).value_or(0);
      if (auto p = r_.quantity(v, "period", obj, parseDurationNs, true)) {
        s.period_ns = *p;
        if (*p == 0) r_.error(v["period"], obj, "period must be above zero");
      }
      s.burst_ns = r_.quantity(v, "burstDuration", obj, parseDurationNs, true).value_or(0);
      if (s.period_ns > 0 && s.burst_ns > s.period_ns)
        r_.error(v["burstDuration"], obj, "burstDuration is longer than the period");
      if (s.peak_rps < s.base_rps) r_.error(v["peakRps"], obj, "peakRps is below baseRps");
    } else {
      r_.error(n.begin()->first, obj, "unknown load shape \"" + kind + "\"",
               suggestionHint(kind, {"constant", "steps", "burst"}, "shapes"));
      return std::nullopt;
    }
    if (auto d = r_.quantity(v, "duration", obj, parseDurationNs, true)) {
      s.duration_ns = *d;
      if (*d == 0) r_.error(v["duration"], obj, "duration must be above zero");
    }
    return s;
  }

  // ---- mesh -----------------------------------------------------------------------------
  void readMesh(const YAML::Node& m) {
    const std::string obj = "mesh";
    if (!r_.isMap(m, obj, "mesh")) return;
    r_.checkKeys(m, obj,
                {"defaultMode", "namespaces", "workloads", "waypoints", "useWaypoint", "policies", "sidecarScope", "routes"});
    if (auto sc = r_.str(m, "sidecarScope", obj)) {
      if (*sc == "mesh") s_.sidecar_scope = Scenario::SidecarScope::Mesh;
      else if (*sc == "namespace") s_.sidecar_scope = Scenario::SidecarScope::Namespace;
      else r_.error(m["sidecarScope"], obj, "unknown sidecarScope \"" + *sc + "\"", "use mesh (every endpoint) or namespace");
    }
    if (auto d = r_.str(m, "defaultMode", obj)) {
      if (auto mode = modeOrError(*d, m["defaultMode"], obj)) s_.default_mode = *mode;
    }
    if (const auto nsm = m["namespaces"]; nsm.IsDefined() && r_.isMap(nsm, obj, "namespaces")) {
      for (auto it = nsm.begin(); it != nsm.end(); ++it) {
        const auto ns = r_.scalar(it->first, obj, "namespaces");
        const auto mode_text = r_.scalar(it->second, obj, "namespaces");
        if (!ns || !mode_text) continue;
        if (!namespaceKnown(*ns, it->first, "mesh.namespaces")) continue;
        if (auto mode = modeOrError(*mode_text, it->second, "namespace " + *ns)) s_.namespace_modes[*ns] = *mode;
      }
    }
    if (const auto wm = m["workloads"]; wm.IsDefined() && r_.isMap(wm, obj, "workloads")) {
      for (auto it = wm.begin(); it != wm.end(); ++it) {
        const auto key = r_.scalar(it->first, obj, "workloads");
        const auto mode_text = r_.scalar(it->second, obj, "workloads");
        if (!key || !mode_text) continue;
        auto w = workloadByKey(*key, it->first, obj);
        if (!w) continue;
        if (auto mode = modeOrError(*mode_text, it->second, "workload " + *key)) s_.workload_modes[*w] = *mode;
      }
    }
    if (const auto b = m["useWaypoint"]; b.IsDefined() && r_.isSeq(b, obj, "useWaypoint")) {
      for (const auto& n : b) readBinding(n, true);
    }
    if (const auto ps = m["policies"]; ps.IsDefined() && r_.isSeq(ps, obj, "policies")) {
      for (const auto& n : ps) readPolicy(n, true);
    }
    if (const auto rs = m["routes"]; rs.IsDefined() && r_.isSeq(rs, obj, "routes")) {
      for (const auto& n : rs) readRoute(n);
    }
  }

  // A Gateway API HTTPRoute whose parentRef is a Service (GAMMA).
  void readRoute(const YAML::Node& n) {
    std::string obj = "HTTPRoute";
    if (!r_.isMap(n, obj, "routes")) return;
    r_.checkKeys(n, obj, {"apiVersion", "kind", "metadata", "spec"});
    if (auto api = r_.str(n, "apiVersion", obj); api && api->rfind("gateway.networking.k8s.io/", 0) != 0) {
      r_.error(n["apiVersion"], obj, "apiVersion \"" + *api + "\" is not a Gateway API version",
               "use gateway.networking.k8s.io/v1");
    }
    if (auto kind = r_.str(n, "kind", obj, true); kind && *kind != "HTTPRoute") {
      r_.error(n["kind"], obj, "kind \"" + *kind + "\" is not supported here", "mesh.routes holds HTTPRoute resources");
      return;
    }
    const auto md = n["metadata"];
    if (!md.IsDefined() || !r_.isMap(md, obj, "metadata")) {
      if (!md.IsDefined()) r_.error(n, obj, "metadata is required", "give metadata: {name: ..., namespace: ...}");
      return;
    }
    r_.checkKeys(md, obj, {"name", "namespace"});
    HttpRoute route;
    route.loc = r_.loc(n);
    route.name = r_.str(md, "name", obj, true).value_or("");
    route.ns = r_.str(md, "namespace", obj).value_or("default");
    obj = "HTTPRoute " + route.key();
    if (route.name.empty()) return;
    for (const auto& other : s_.http_routes) {
      if (other.key() == route.key()) {
        r_.error(n, obj, "route is defined twice");
        return;
      }
    }
    const auto spec = n["spec"];
    if (!spec.IsDefined() || !r_.isMap(spec, obj, "spec")) {
      if (!spec.IsDefined()) r_.error(n, obj, "spec is required", "give spec.parentRefs and spec.rules");
      return;
    }
    r_.checkKeys(spec, obj, {"parentRefs", "hostnames", "rules"});
    bool ok = true;
    const auto parents = detail::parseTargetRefs(r_, spec["parentRefs"], obj);
    if (!parents || parents->size() != 1 || (*parents)[0].kind != "Service") {
      if (parents) {
        r_.error(spec["parentRefs"], obj, "needs exactly one parentRef of kind Service",
                 "a mesh route attaches to the Service it routes (GAMMA)");
      }
      return;
    }
    const auto parent = s_.findService(route.ns, (*parents)[0].name);
    if (!parent) {
      r_.error(spec["parentRefs"], obj, "parentRefs names unknown Service \"" + (*parents)[0].name + "\" in " + route.ns,
               suggestionHint((*parents)[0].name, serviceNamesIn(route.ns), "services in " + route.ns));
      return;
    }
    route.parent = *parent;
    const auto rules = spec["rules"];
    if (rules.IsDefined() && r_.isSeq(rules, obj, "rules")) {
      for (const auto& rn : rules) {
        if (!r_.isMap(rn, obj, "rules")) {
          ok = false;
          continue;
        }
        r_.checkKeys(rn, obj, {"matches", "backendRefs", "timeouts", "retry"});
        HttpRouteRule rule;
        if (const auto ms = rn["matches"]; ms.IsDefined() && r_.isSeq(ms, obj, "matches")) {
          for (const auto& mn : ms) {
            if (!r_.isMap(mn, obj, "matches")) continue;
            r_.checkKeys(mn, obj, {"path", "headers", "method"});
            HttpRouteMatch m;
            if (const auto pn = mn["path"]; pn.IsDefined() && r_.isMap(pn, obj, "path")) {
              r_.checkKeys(pn, obj, {"type", "value"});
              const auto type = r_.str(pn, "type", obj).value_or("PathPrefix");
              m.path = r_.str(pn, "value", obj).value_or("/");
              if (type == "PathPrefix") m.path_type = HttpRouteMatch::PathType::Prefix;
              else if (type == "Exact") m.path_type = HttpRouteMatch::PathType::Exact;
              else {
                r_.error(pn["type"], obj, "path type \"" + type + "\" is not supported",
                         suggestionHint(type, {"PathPrefix", "Exact"}, "path types"));
                ok = false;
              }
            }
            if (const auto hs = mn["headers"]; hs.IsDefined() && r_.isSeq(hs, obj, "headers")) {
              for (const auto& hn : hs) {
                if (!r_.isMap(hn, obj, "headers")) continue;
                r_.checkKeys(hn, obj, {"name", "value", "type"});
                if (auto t = r_.str(hn, "type", obj); t && *t != "Exact") {
                  r_.error(hn["type"], obj, "header match type \"" + *t + "\" is not supported", "use Exact");
                  ok = false;
                }
                auto name = r_.str(hn, "name", obj, true);
                auto value = r_.str(hn, "value", obj, true);
                if (!name || !value) continue;
                std::transform(name->begin(), name->end(), name->begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                m.headers.push_back({*name, *value});
              }
            }
            m.method = r_.str(mn, "method", obj).value_or("");
            rule.matches.push_back(std::move(m));
          }
        }
        if (const auto bs = rn["backendRefs"]; bs.IsDefined() && r_.isSeq(bs, obj, "backendRefs")) {
          for (const auto& bn : bs) {
            if (!r_.isMap(bn, obj, "backendRefs")) continue;
            r_.checkKeys(bn, obj, {"name", "namespace", "port", "weight", "kind", "group"});
            const auto name = r_.str(bn, "name", obj, true);
            const auto bns = r_.str(bn, "namespace", obj).value_or(route.ns);
            const auto weight = r_.integer(bn, "weight", obj, 0, 1'000'000);
            (void)r_.integer(bn, "port", obj, 1, 65535);
            if (!name) continue;
            const auto svc = s_.findService(bns, *name);
            if (!svc) {
              r_.error(bn["name"], obj, "backendRef names unknown Service \"" + *name + "\" in " + bns,
                       suggestionHint(*name, serviceNamesIn(bns), "services in " + bns));
              ok = false;
              continue;
            }
            rule.backends.push_back({*svc, static_cast<int>(weight.value_or(1))});
          }
        }
        if (const auto tn = rn["timeouts"]; tn.IsDefined() && r_.isMap(tn, obj, "timeouts")) {
          r_.checkKeys(tn, obj, {"request", "backendRequest"});
          rule.timeout_ns = r_.quantity<std::int64_t>(tn, "request", obj, parseDurationNs);
        }
        if (const auto rt = rn["retry"]; rt.IsDefined() && r_.isMap(rt, obj, "retry")) {
          r_.checkKeys(rt, obj, {"attempts", "codes", "backoff"});
          rule.retry_attempts = static_cast<int>(r_.integer(rt, "attempts", obj, 0, 100).value_or(1));
          if (const auto cs = rt["codes"]; cs.IsDefined() && r_.isSeq(cs, obj, "codes")) {
            for (const auto& c : cs) {
              int code = 0;
              if (!c.IsScalar() || !YAML::convert<int>::decode(c, code) || code < 400 || code > 599) {
                r_.error(c, obj, "retry code must be an HTTP status 400..599", "e.g. codes: [503]");
                ok = false;
                continue;
              }
              rule.retry_codes.push_back(code);
            }
          } else {
            rule.retry_codes = {502, 503, 504};
          }
          if (auto b = r_.quantity<std::int64_t>(rt, "backoff", obj, parseDurationNs)) rule.retry_backoff_ns = *b;
        }
        route.rules.push_back(std::move(rule));
      }
    }
    if (ok) s_.http_routes.push_back(std::move(route));
  }

  std::optional<MeshMode> modeOrError(const std::string& text, const YAML::Node& at, const std::string& obj) {
    if (auto m = meshModeFrom(text)) return m;
    r_.error(at, obj, "unknown data-plane mode \"" + text + "\"", suggestionHint(text, {"none", "sidecar", "ambient"}, "modes"));
    return std::nullopt;
  }

  bool namespaceKnown(const std::string& ns, const YAML::Node& at, const std::string& where) {
    if (namespaceSet().count(ns)) return true;
    std::vector<std::string> names(namespaceSet().begin(), namespaceSet().end());
    r_.error(at, where, "unknown namespace \"" + ns + "\"", suggestionHint(ns, names, "namespaces"));
    return false;
  }

  const std::set<std::string>& namespaceSet() {
    if (ns_set_.empty()) {
      for (const auto& w : s_.workloads) ns_set_.insert(w.ns);
    }
    return ns_set_;
  }

  std::optional<WorkloadId> workloadByKey(const std::string& key, const YAML::Node& at, const std::string& obj) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) {
      r_.error(at, obj, "workload \"" + key + "\" must be written namespace/name", "e.g. shop/frontend");
      return std::nullopt;
    }
    if (auto id = s_.findWorkload(key.substr(0, slash), key.substr(slash + 1))) return id;
    std::vector<std::string> keys;
    for (const auto& w : s_.workloads) keys.push_back(w.key());
    r_.error(at, obj, "unknown workload \"" + key + "\"", suggestionHint(key, keys, "workloads"));
    return std::nullopt;
  }

  std::optional<WaypointId> readWaypoint(const YAML::Node& n, bool initial) {
    if (!r_.isMap(n, "waypoint", "waypoints[]")) return std::nullopt;
    Waypoint wp;
    wp.loc = r_.loc(n);
    wp.name = r_.str(n, "name", "waypoint", true).value_or("");
    wp.ns = r_.str(n, "namespace", "waypoint").value_or("default");
    const std::string obj = "waypoint " + wp.key();
    r_.checkKeys(n, obj, {"name", "namespace", "for", "replicas", "zones", "hpa", "resources"});
    if (!wp.name.empty() && !validDnsLabel(wp.name)) r_.error(n["name"], obj, "name is not a valid Kubernetes name");
    if (auto f = r_.str(n, "for", obj)) {
      if (*f == "service") wp.traffic = WaypointFor::Service;
      else if (*f == "workload") wp.traffic = WaypointFor::Workload;
      else if (*f == "all") wp.traffic = WaypointFor::All;
      else if (*f == "none") wp.traffic = WaypointFor::None;
      else r_.error(n["for"], obj, "unknown waypoint traffic type \"" + *f + "\"",
                    suggestionHint(*f, {"service", "workload", "all", "none"}, "values (istio.io/waypoint-for)"));
    }
    wp.replicas = static_cast<int>(r_.integer(n, "replicas", obj, 1, 10000).value_or(1));
    wp.zones = zoneList(n, obj);
    if (const auto h = n["hpa"]; h.IsDefined() && r_.isMap(h, obj, "hpa")) {
      r_.checkKeys(h, obj, {"minReplicas", "maxReplicas", "targetCpu"});
      Hpa hpa;
      hpa.min_replicas = static_cast<int>(r_.integer(h, "minReplicas", obj, 1, 10000).value_or(wp.replicas));
      hpa.max_replicas = static_cast<int>(r_.integer(h, "maxReplicas", obj, 1, 10000, true).value_or(hpa.min_replicas));
      if (auto t = r_.quantity(h, "targetCpu", obj, parseFraction)) hpa.target_cpu_percent = static_cast<int>(*t * 100 + 0.5);
      if (hpa.max_replicas < hpa.min_replicas) r_.error(h["maxReplicas"], obj, "maxReplicas is below minReplicas");
      if (wp.replicas < hpa.min_replicas) wp.replicas = hpa.min_replicas;
      wp.hpa = hpa;
    }
    const auto& prof = s_.profile.waypoint.resources;
    wp.resources = {prof.cpu_request_millicores, prof.cpu_limit_millicores, prof.memory_request_bytes,
                    prof.memory_limit_bytes};
    if (const auto res = n["resources"]; res.IsDefined()) readResources(res, obj, wp.resources);
    if (s_.findWaypoint(wp.ns, wp.name)) {
      r_.error(n, obj, "waypoint is defined twice");
      return std::nullopt;
    }
    if (!namespaceSet().count(wp.ns)) {
      // A waypoint may live in a namespace of its own; that is fine but worth knowing it exists.
      extra_namespaces_.insert(wp.ns);
    }
    s_.waypoints.push_back(std::move(wp));
    s_.waypoint_initial.push_back(initial);
    return s_.waypoints.size() - 1;
  }

  std::optional<std::size_t> readBinding(const YAML::Node& n, bool initial) {
    if (!r_.isMap(n, "useWaypoint", "useWaypoint[]")) return std::nullopt;
    r_.checkKeys(n, "useWaypoint", {"namespace", "service", "workload", "waypoint"});
    WaypointBinding b;
    b.loc = r_.loc(n);
    int scopes = 0;
    YAML::Node target_node;
    if (auto ns = r_.str(n, "namespace", "useWaypoint")) {
      b.scope = WaypointBinding::Scope::Namespace;
      b.target = *ns;
      target_node = n["namespace"];
      ++scopes;
    }
    if (auto sv = r_.str(n, "service", "useWaypoint")) {
      b.scope = WaypointBinding::Scope::Service;
      b.target = *sv;
      target_node = n["service"];
      ++scopes;
    }
    if (auto wl = r_.str(n, "workload", "useWaypoint")) {
      b.scope = WaypointBinding::Scope::Workload;
      b.target = *wl;
      target_node = n["workload"];
      ++scopes;
    }
    if (scopes != 1) {
      r_.error(n, "useWaypoint", "a binding needs exactly one of namespace, service or workload",
               "e.g. - {namespace: payments, waypoint: payments-waypoint}");
      return std::nullopt;
    }
    const std::string obj = std::string("useWaypoint ") + toString(b.scope) + " " + b.target;
    std::string target_ns = b.target;
    switch (b.scope) {
      case WaypointBinding::Scope::Namespace:
        if (!namespaceKnown(b.target, target_node, obj)) return std::nullopt;
        break;
      case WaypointBinding::Scope::Service: {
        const auto slash = b.target.find('/');
        if (slash == std::string::npos) {
          r_.error(target_node, obj, "service must be written namespace/name", "e.g. payments/checkout");
          return std::nullopt;
        }
        target_ns = b.target.substr(0, slash);
        if (!s_.findService(target_ns, b.target.substr(slash + 1))) {
          std::vector<std::string> keys;
          for (const auto& sv : s_.services) keys.push_back(sv.key());
          r_.error(target_node, obj, "unknown service \"" + b.target + "\"", suggestionHint(b.target, keys, "services"));
          return std::nullopt;
        }
        break;
      }
      case WaypointBinding::Scope::Workload: {
        const auto w = workloadByKey(b.target, target_node, obj);
        if (!w) return std::nullopt;
        target_ns = s_.workloads[*w].ns;
        break;
      }
    }
    const auto wp_text = r_.str(n, "waypoint", obj, true);
    if (!wp_text) return std::nullopt;
    if (*wp_text != "none") {
      std::string wns = target_ns, wname = *wp_text;
      if (const auto slash = wp_text->find('/'); slash != std::string::npos) {
        wns = wp_text->substr(0, slash);
        wname = wp_text->substr(slash + 1);
      }
      const auto id = s_.findWaypoint(wns, wname);
      if (!id) {
        std::vector<std::string> keys;
        for (const auto& w : s_.waypoints) keys.push_back(w.ns == target_ns ? w.name : w.key());
        r_.error(n["waypoint"], obj, "unknown waypoint \"" + *wp_text + "\"",
                 keys.empty() ? "define it under mesh.waypoints or add it with addWaypoint in a wave"
                              : suggestionHint(*wp_text, keys, "waypoints"));
        return std::nullopt;
      }
      const auto traffic = s_.waypoints[*id].traffic;
      const bool service_scope = b.scope != WaypointBinding::Scope::Workload;
      if (traffic == WaypointFor::None ||
          (service_scope && b.scope == WaypointBinding::Scope::Service && traffic == WaypointFor::Workload) ||
          (b.scope == WaypointBinding::Scope::Workload && traffic == WaypointFor::Service)) {
        r_.error(n["waypoint"], obj, std::string("waypoint ") + s_.waypoints[*id].key() + " is for " +
                                         toString(traffic) + " traffic and cannot take this binding",
                 b.scope == WaypointBinding::Scope::Workload ? "set `for: workload` or `for: all` on the waypoint"
                                                             : "set `for: service` or `for: all` on the waypoint");
        return std::nullopt;
      }
      b.waypoint = id;
    }
    s_.bindings.push_back(std::move(b));
    s_.binding_initial.push_back(initial);
    return s_.bindings.size() - 1;
  }

  std::optional<std::pair<bool, std::size_t>> readPolicy(const YAML::Node& n, bool initial) {
    // Remember the key of a policy that is rejected, so a later movePolicy or removePolicy
    // of it does not add a second, misleading "unknown policy" error.
    std::string key;
    if (n.IsMap() && n["metadata"].IsMap()) {
      const auto md = n["metadata"];
      const auto ns = md["namespace"].IsScalar() ? md["namespace"].Scalar() : std::string("default");
      if (md["name"].IsScalar()) key = ns + "/" + md["name"].Scalar();
    }
    auto res = detail::parseIstioResource(r_, n);
    if (!res) {
      rejected_policies_.insert(key);
      return std::nullopt;
    }
    if (auto* ap = std::get_if<AuthorizationPolicy>(&*res)) {
      if (!checkPolicyNamespace(ap->ns, n, "AuthorizationPolicy " + ap->key())) {
        rejected_policies_.insert(key);
        return std::nullopt;
      }
      for (const auto& other : s_.authz_policies) {
        if (other.key() == ap->key()) {
          r_.error(n, "AuthorizationPolicy " + ap->key(), "policy is defined twice");
          return std::nullopt;
        }
      }
      checkTargetRefs(ap->ns, ap->target_refs, n["spec"], "AuthorizationPolicy " + ap->key());
      s_.authz_policies.push_back(std::move(*ap));
      s_.authz_initial.push_back(initial);
      return std::make_pair(true, s_.authz_policies.size() - 1);
    }
    auto& pa = std::get<PeerAuthentication>(*res);
    if (!checkPolicyNamespace(pa.ns, n, "PeerAuthentication " + pa.key())) return std::nullopt;
    if (initial) {
      for (std::size_t i = 0; i < s_.peer_authns.size(); ++i) {
        if (s_.peer_authn_initial[i] && s_.peer_authns[i].key() == pa.key()) {
          r_.error(n, "PeerAuthentication " + pa.key(), "policy is defined twice");
          return std::nullopt;
        }
      }
    }
    s_.peer_authns.push_back(std::move(pa));
    s_.peer_authn_initial.push_back(initial);
    return std::make_pair(false, s_.peer_authns.size() - 1);
  }

  bool checkPolicyNamespace(const std::string& ns, const YAML::Node& n, const std::string& obj) {
    if (ns == "istio-system" || namespaceSet().count(ns) || extra_namespaces_.count(ns)) return true;
    std::vector<std::string> names(namespaceSet().begin(), namespaceSet().end());
    names.push_back("istio-system");
    r_.error(n["metadata"]["namespace"].IsDefined() ? n["metadata"]["namespace"] : n, obj,
             "unknown namespace \"" + ns + "\"", suggestionHint(ns, names, "namespaces"));
    return false;
  }

  void checkTargetRefs(const std::string& ns, const std::vector<TargetRef>& refs, const YAML::Node& at,
                       const std::string& obj) {
    for (const auto& ref : refs) {
      if (ref.kind == "Service" && !s_.findService(ns, ref.name)) {
        r_.error(at, obj, "targetRefs names unknown Service \"" + ref.name + "\" in " + ns,
                 suggestionHint(ref.name, serviceNamesIn(ns), "services in " + ns));
      } else if (ref.kind == "Gateway" && !s_.findWaypoint(ns, ref.name)) {
        std::vector<std::string> names;
        for (const auto& w : s_.waypoints) {
          if (w.ns == ns) names.push_back(w.name);
        }
        r_.error(at, obj, "targetRefs names unknown Gateway (waypoint) \"" + ref.name + "\" in " + ns,
                 names.empty() ? "no waypoint is defined in " + ns
                               : suggestionHint(ref.name, names, "waypoints in " + ns));
      }
    }
  }

  std::vector<std::string> serviceNamesIn(const std::string& ns) const {
    std::vector<std::string> out;
    for (const auto& sv : s_.services) {
      if (sv.ns == ns) out.push_back(sv.name);
    }
    return out;
  }

  // ---- plan -----------------------------------------------------------------------------
  void readRollout(const YAML::Node& n, const std::string& obj, RolloutSettings& out) {
    if (!r_.isMap(n, obj, "rollout")) return;
    r_.checkKeys(n, obj, {"maxSurge", "maxUnavailable"});
    if (auto v = r_.quantity(n, "maxSurge", obj, parseIntOrPercent)) out.max_surge = *v;
    if (auto v = r_.quantity(n, "maxUnavailable", obj, parseIntOrPercent)) out.max_unavailable = *v;
    const auto zero = [](const IntOrPercent& x) { return x.is_percent ? x.percent == 0 : x.count == 0; };
    if (zero(out.max_surge) && zero(out.max_unavailable))
      r_.error(n, obj, "maxSurge and maxUnavailable are both zero", "a rollout could never progress; allow one of them");
  }

  void readPlan(const YAML::Node& p) {
    const std::string obj = "plan";
    if (!r_.isMap(p, obj, "plan")) return;
    r_.checkKeys(p, obj, {"name", "rollout", "waves"});
    s_.plan.name = r_.str(p, "name", obj).value_or("plan");
    RolloutSettings plan_rollout;
    if (const auto ro = p["rollout"]; ro.IsDefined()) readRollout(ro, obj, plan_rollout);
    const auto waves = p["waves"];
    if (!waves.IsDefined()) {
      r_.error(p, obj, "missing required field \"waves\"", "a plan is an ordered list of waves");
      return;
    }
    if (!r_.isSeq(waves, obj, "waves")) return;
    for (const auto& wn : waves) {
      if (!r_.isMap(wn, "wave", "waves[]")) continue;
      Wave wave;
      wave.loc = r_.loc(wn);
      wave.name = r_.str(wn, "name", "wave #" + std::to_string(s_.plan.waves.size() + 1), true).value_or("");
      const std::string wobj = "wave " + wave.name;
      r_.checkKeys(wn, wobj, {"name", "changes", "rollout", "gates"});
      for (const auto& other : s_.plan.waves) {
        if (other.name == wave.name) r_.error(wn["name"], wobj, "wave name is used twice");
      }
      wave.rollout = plan_rollout;
      if (const auto ro = wn["rollout"]; ro.IsDefined()) readRollout(ro, wobj, wave.rollout);
      if (const auto ch = wn["changes"]; !ch.IsDefined()) {
        r_.error(wn, wobj, "missing required field \"changes\"", "a wave is a list of changes, e.g. changes: [{setMode: {namespace: shop, mode: ambient}}]");
      } else if (r_.isSeq(ch, wobj, "changes")) {
        for (const auto& c : ch) readChange(c, wobj, wave);
      }
      if (wave.changes.empty() && wn["changes"].IsDefined() && wn["changes"].size() == 0)
        r_.error(wn["changes"], wobj, "the wave has no changes");
      if (const auto gates = wn["gates"]; gates.IsDefined() && r_.isSeq(gates, wobj, "gates")) {
        for (const auto& g : gates) readGate(g, wobj, wave);
      }
      s_.plan.waves.push_back(std::move(wave));
    }
  }

  void readChange(const YAML::Node& n, const std::string& obj, Wave& wave) {
    static const std::vector<std::string> kinds = {"setMode", "addWaypoint", "useWaypoint", "addPolicy",
                                                   "removePolicy", "movePolicy"};
    if (!n.IsMap() || n.size() != 1) {
      r_.error(n, obj, "a change must be a single-key map", "one of: setMode, addWaypoint, useWaypoint, addPolicy, removePolicy, movePolicy");
      return;
    }
    const auto kind = n.begin()->first.as<std::string>("");
    const YAML::Node v = n.begin()->second;
    const SourceLoc loc = r_.loc(n);
    if (kind == "setMode") {
      if (!r_.isMap(v, obj, "setMode")) return;
      r_.checkKeys(v, obj, {"namespace", "workload", "mode"});
      ModeChange mc;
      mc.loc = loc;
      const auto ns = r_.str(v, "namespace", obj);
      const auto wl = r_.str(v, "workload", obj);
      if ((ns.has_value()) == (wl.has_value())) {
        r_.error(v, obj, "setMode needs exactly one of namespace or workload", "e.g. setMode: {namespace: shop, mode: ambient}");
        return;
      }
      if (ns) {
        if (!namespaceKnown(*ns, v["namespace"], obj)) return;
        mc.ns = *ns;
      } else {
        mc.whole_namespace = false;
        mc.workload = workloadByKey(*wl, v["workload"], obj);
        if (!mc.workload) return;
        mc.ns = s_.workloads[*mc.workload].ns;
      }
      const auto mode = r_.str(v, "mode", obj, true);
      if (!mode) return;
      const auto m = modeOrError(*mode, v["mode"], obj);
      if (!m) return;
      mc.to = *m;
      wave.changes.emplace_back(mc);
    } else if (kind == "addWaypoint") {
      if (auto it = plan_waypoints_.find(markOf(v)); it != plan_waypoints_.end())
        wave.changes.emplace_back(AddWaypoint{it->second, loc});
    } else if (kind == "useWaypoint") {
      if (auto id = readBinding(v, false)) wave.changes.emplace_back(BindWaypoint{*id, loc});
    } else if (kind == "addPolicy") {
      if (auto id = readPolicy(v, false)) {
        if (id->first) wave.changes.emplace_back(AddPolicy{id->second, loc});
        else wave.changes.emplace_back(SetPeerAuthentication{id->second, loc});
      }
    } else if (kind == "removePolicy") {
      const auto text = r_.scalar(v, obj, "removePolicy");
      if (!text) return;
      if (auto id = policyByKey(*text, v, obj)) wave.changes.emplace_back(RemovePolicy{*id, loc});
    } else if (kind == "movePolicy") {
      if (!r_.isMap(v, obj, "movePolicy")) return;
      r_.checkKeys(v, obj, {"policy", "targetRefs"});
      const auto text = r_.str(v, "policy", obj, true);
      if (!text) return;
      const auto id = policyByKey(*text, v["policy"], obj);
      if (!id) return;
      const auto refs_node = v["targetRefs"];
      if (!refs_node.IsDefined()) {
        r_.error(v, obj, "movePolicy needs targetRefs", "e.g. targetRefs: [{kind: Service, name: checkout}]");
        return;
      }
      auto refs = detail::parseTargetRefs(r_, refs_node, obj);
      if (!refs) return;
      if (refs->empty()) {
        r_.error(refs_node, obj, "movePolicy needs at least one targetRef", "e.g. targetRefs: [{kind: Service, name: checkout}]");
        return;
      }
      checkTargetRefs(s_.authz_policies[*id].ns, *refs, refs_node, obj);
      wave.changes.emplace_back(MovePolicy{*id, std::move(*refs), loc});
    } else {
      r_.error(n.begin()->first, obj, "unknown change \"" + kind + "\"", suggestionHint(kind, kinds, "changes"));
    }
  }

  static std::pair<int, int> markOf(const YAML::Node& n) { return {n.Mark().line, n.Mark().column}; }

  // Reads every `addWaypoint` of the plan ahead of the mesh's bindings; malformed plans are
  // reported later by readPlan.
  void preReadPlanWaypoints(const YAML::Node& plan) {
    if (!plan.IsMap()) return;
    const auto waves = plan["waves"];
    if (!waves.IsDefined() || !waves.IsSequence()) return;
    for (const auto& wn : waves) {
      if (!wn.IsMap()) continue;
      const auto changes = wn["changes"];
      if (!changes.IsDefined() || !changes.IsSequence()) continue;
      for (const auto& c : changes) {
        if (!c.IsMap() || c.size() != 1 || c.begin()->first.as<std::string>("") != "addWaypoint") continue;
        const YAML::Node v = c.begin()->second;
        if (auto id = readWaypoint(v, false)) plan_waypoints_[markOf(v)] = *id;
      }
    }
  }

  // ---- faults ---------------------------------------------------------------------------
  void readFaults(const YAML::Node& list) {
    if (!r_.isSeq(list, "scenario", "faults")) return;
    static const std::vector<std::string> kinds = {"nodeLoss", "zoneLoss", "waypointCrash", "clockSkew"};
    for (const auto& n : list) {
      if (!n.IsMap() || n.size() != 1) {
        r_.error(n, "fault", "a fault must be one of nodeLoss, zoneLoss, waypointCrash or clockSkew",
                 "e.g. - nodeLoss: {node: general-eu-west-1a-0, at: 60s}");
        continue;
      }
      const auto kind = n.begin()->first.as<std::string>("");
      const YAML::Node v = n.begin()->second;
      const std::string obj = "fault " + kind;
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        r_.error(n.begin()->first, "fault", "unknown fault \"" + kind + "\"", suggestionHint(kind, kinds, "faults"));
        continue;
      }
      if (!r_.isMap(v, obj, kind.c_str())) continue;
      Fault f;
      f.loc = r_.loc(n);
      if (kind == "nodeLoss" || kind == "clockSkew") {
        f.kind = kind == "nodeLoss" ? Fault::Kind::NodeLoss : Fault::Kind::ClockSkew;
        if (kind == "nodeLoss") r_.checkKeys(v, obj, {"node", "at", "phases"});
        else r_.checkKeys(v, obj, {"node", "at", "duration", "skew", "phases"});
        if (auto name = r_.str(v, "node", obj, true)) {
          std::vector<std::string> names;
          for (models::NodeId i = 0; i < s_.nodes.size(); ++i) {
            if (s_.nodes[i].name == *name) f.node = i;
            names.push_back(s_.nodes[i].name);
          }
          if (!f.node) r_.error(v["node"], obj, "unknown node \"" + *name + "\"", suggestionHint(*name, names, "nodes") + " (nodes are named <pool>-<zone>-<index>)");
        }
        if (kind == "clockSkew") {
          f.skew_ns = r_.quantity(v, "skew", obj, parseDurationNs, true).value_or(0);
          f.duration_ns = r_.quantity(v, "duration", obj, parseDurationNs).value_or(0);
        }
      } else if (kind == "zoneLoss") {
        f.kind = Fault::Kind::ZoneLoss;
        r_.checkKeys(v, obj, {"zone", "at", "phases"});
        if (auto z = r_.str(v, "zone", obj, true)) {
          f.zone = s_.findZone(*z);
          if (!f.zone) r_.error(v["zone"], obj, "unknown zone \"" + *z + "\"", suggestionHint(*z, zoneNames(), "zones"));
        }
      } else {
        f.kind = Fault::Kind::WaypointCrash;
        r_.checkKeys(v, obj, {"waypoint", "at", "phases"});
        if (auto w = r_.str(v, "waypoint", obj, true)) {
          const auto slash = w->find('/');
          if (slash != std::string::npos) f.waypoint = s_.findWaypoint(w->substr(0, slash), w->substr(slash + 1));
          if (!f.waypoint) {
            std::vector<std::string> keys;
            for (const auto& wp : s_.waypoints) keys.push_back(wp.key());
            r_.error(v["waypoint"], obj, "unknown waypoint \"" + *w + "\"",
                     slash == std::string::npos ? "write it as namespace/name" : suggestionHint(*w, keys, "waypoints"));
          }
        }
      }
      f.at_ns = r_.quantity(v, "at", obj, parseDurationNs, true).value_or(0);
      if (auto phases = r_.strings(v, "phases", obj)) {
        std::size_t i = 0;
        for (const auto& p : *phases) {
          bool known = p == "baseline";
          std::vector<std::string> names{"baseline"};
          for (const auto& w : s_.plan.waves) {
            known = known || w.name == p;
            names.push_back(w.name);
          }
          if (!known) r_.error(v["phases"][i], obj, "unknown phase \"" + p + "\"", suggestionHint(p, names, "phases"));
          ++i;
        }
        f.phases = *phases;
      }
      s_.faults.push_back(std::move(f));
    }
  }

  std::optional<std::size_t> policyByKey(const std::string& key, const YAML::Node& at, const std::string& obj) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < s_.authz_policies.size(); ++i) {
      if (s_.authz_policies[i].key() == key) return i;
      keys.push_back(s_.authz_policies[i].key());
    }
    if (rejected_policies_.count(key)) return std::nullopt;  // already reported where it is defined
    r_.error(at, obj, "unknown AuthorizationPolicy \"" + key + "\"",
             key.find('/') == std::string::npos ? "write it as namespace/name" : suggestionHint(key, keys, "policies"));
    return std::nullopt;
  }

  void readGate(const YAML::Node& n, const std::string& obj, Wave& wave) {
    if (!n.IsMap() || n.size() != 1) {
      r_.error(n, obj, "a gate must be latency or errorRate", "e.g. - latency: {path: web, percentile: p99, threshold: 250ms}");
      return;
    }
    const auto kind = n.begin()->first.as<std::string>("");
    const YAML::Node v = n.begin()->second;
    Gate g;
    g.loc = r_.loc(n);
    if (!r_.isMap(v, obj, kind.c_str())) return;
    if (kind == "latency") {
      g.kind = Gate::Kind::Latency;
      r_.checkKeys(v, obj, {"path", "percentile", "threshold"});
      g.path = r_.str(v, "path", obj, true).value_or("");
      const auto pct = r_.str(v, "percentile", obj).value_or("p99");
      static const std::map<std::string, double> pcts = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}};
      if (auto it = pcts.find(pct); it != pcts.end()) g.percentile = it->second;
      else r_.error(v["percentile"], obj, "unknown percentile \"" + pct + "\"", "use p50, p90, p99 or p99.9");
      g.threshold_ns = r_.quantity(v, "threshold", obj, parseDurationNs, true).value_or(0);
    } else if (kind == "errorRate") {
      g.kind = Gate::Kind::ErrorRate;
      r_.checkKeys(v, obj, {"path", "max"});
      g.path = r_.str(v, "path", obj).value_or("");
      g.max_error_rate = r_.quantity(v, "max", obj, parseFraction, true).value_or(0);
    } else {
      r_.error(n.begin()->first, obj, "unknown gate \"" + kind + "\"", suggestionHint(kind, {"latency", "errorRate"}, "gates"));
      return;
    }
    if (!g.path.empty() && !resolveGatePath(g, v["path"], obj)) return;
    wave.gates.push_back(std::move(g));
  }

  // A gate path is an entry point name, or a traffic edge "namespace/workload -> service"
  // (the service as a script would name it) that the workload's script really calls.
  bool resolveGatePath(Gate& g, const YAML::Node& at, const std::string& obj) {
    const auto arrow = g.path.find("->");
    if (arrow == std::string::npos) {
      for (std::size_t i = 0; i < s_.entry_points.size(); ++i) {
        if (s_.entry_points[i].name == g.path) {
          g.entry_point = i;
          return true;
        }
      }
      std::vector<std::string> names;
      for (const auto& ep : s_.entry_points) names.push_back(ep.name);
      r_.error(at, obj, "gate path \"" + g.path + "\" is not an entry point",
               suggestionHint(g.path, names, "entry points") + " (or name an edge as \"ns/workload -> service\")");
      return false;
    }
    auto trim = [](std::string t) {
      while (!t.empty() && t.front() == ' ') t.erase(t.begin());
      while (!t.empty() && t.back() == ' ') t.pop_back();
      return t;
    };
    const auto from = workloadByKey(trim(g.path.substr(0, arrow)), at, obj);
    if (!from) return false;
    const auto to = resolveService({trim(g.path.substr(arrow + 2)), s_.workloads[*from].ns, r_.loc(at)}, obj);
    if (!to) return false;
    if (!s_.workloads[*from].calls(*to)) {
      r_.error(at, obj, "workload " + s_.workloads[*from].key() + " never calls " + s_.services[*to].key(),
               "a gate on an edge needs a call in the workload's script");
      return false;
    }
    g.edge_from = from;
    g.edge_to = to;
    return true;
  }

  struct ImplicitPort {
    Protocol protocol = Protocol::Http;
    int port = 8080;
  };

  Diagnostics diags_;
  YamlReader r_;
  std::string base_dir_;
  Scenario s_;
  WorkloadDefaults defaults_;
  std::vector<ImplicitPort> implicit_ports_;
  std::map<std::pair<int, int>, WaypointId> plan_waypoints_;  // addWaypoint node position -> id
  std::set<std::string> ns_set_, extra_namespaces_, rejected_policies_;
};

}  // namespace

LoadResult loadScenarioText(const std::string& text, const std::string& file, const std::string& base_dir) {
  Loader loader(file, base_dir);
  return loader.run(text);
}

LoadResult loadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult out;
    out.diagnostics.add({path, 0, 0}, "scenario", "cannot open the file: " + std::string(std::strerror(errno)),
                        "check the path; scenarios/ holds the shipped examples");
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path().string();
  return loadScenarioText(ss.str(), path, dir.empty() ? "." : dir);
}

}  // namespace meshtwin::models
