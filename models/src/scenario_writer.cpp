// meshtwin/v1 YAML from a Scenario: the inverse of the loader (scenario_loader*.cpp), field by field.
#include "meshtwin/models/scenario_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "scenario_writer_guardrails.hpp"

namespace meshtwin::models {
namespace {

// Shortest text that parses back to the same double (strtod in the loader).
std::string number(double v) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return {buf.data(), res.ptr};
}

// Values the loader divides by 100 after parsing (percentages): 12 significant digits give
// back the text the user wrote, so the division reproduces the same double.
std::string percentNumber(double percent) {
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%.12g", percent);
  return buf.data();
}

template <std::size_t N>
std::string exactWithUnits(std::int64_t v, const std::array<std::pair<std::int64_t, const char*>, N>& units,
                            const char* bare) {
  for (const auto& [factor, name] : units) {
    if (v != 0 && v % factor == 0) return std::to_string(v / factor) + name;
  }
  return std::to_string(v) + bare;
}

std::string intOrPercent(const IntOrPercent& x) {
  return x.is_percent ? percentNumber(x.percent) + "%" : std::to_string(x.count);
}

std::string bandwidth(double bps) {
  static constexpr std::array<std::pair<std::int64_t, const char*>, 3> units{
      {{1'000'000'000, "Gbps"}, {1'000'000, "Mbps"}, {1'000, "Kbps"}}};
  return exactWithUnits(static_cast<std::int64_t>(bps), units, "bps");
}

std::string bytes(std::int64_t b) {
  static constexpr std::array<std::pair<std::int64_t, const char*>, 3> units{
      {{1073741824, "GiB"}, {1048576, "MiB"}, {1024, "KiB"}}};
  return exactWithUnits(b, units, "");
}

std::string percentile(double p) {
  return "p" + percentNumber(p);
}

class Writer {
 public:
  explicit Writer(const Scenario& s) : s_(s) {}

  std::string run() {
    out_ << YAML::BeginMap;
    kv("apiVersion", "meshtwin/v1");
    kv("kind", "Scenario");
    out_ << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    kv("name", s_.name);
    if (!s_.description.empty()) kv("description", s_.description);
    out_ << YAML::EndMap;
    kv("seed", std::to_string(s_.seed));
    kv("profile", s_.profile_name);
    cluster();
    workloads();
    services();
    entryPoints();
    mesh();
    plan();
    faults();
    detail::writeGuardrails(out_, s_);
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

 private:
  void kv(const char* key, const std::string& value) { out_ << YAML::Key << key << YAML::Value << value; }

  void strings(const char* key, const std::vector<std::string>& v) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& x : v) out_ << x;
    out_ << YAML::EndSeq;
  }

  void stringMap(const char* key, const std::map<std::string, std::string>& m) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [k, v] : m) out_ << YAML::Key << k << YAML::Value << v;
    out_ << YAML::EndMap;
  }

  void zones(const char* key, const std::vector<ZoneId>& ids) {
    if (ids.empty()) return;  // all zones
    std::vector<std::string> names;
    for (auto z : ids) names.push_back(s_.zones[z].name);
    strings(key, names);
  }

  void resources(const Resources& r) {
    out_ << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "requests" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("cpu", exactCpu(r.cpu_request_millicores));
    kv("memory", exactMemory(r.memory_request_bytes));
    out_ << YAML::EndMap;
    // Zero limits are written too: a waypoint's resources start from the profile's, not zero.
    out_ << YAML::Key << "limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("cpu", exactCpu(r.cpu_limit_millicores));
    kv("memory", exactMemory(r.memory_limit_bytes));
    out_ << YAML::EndMap;
    out_ << YAML::EndMap;
  }

  void cluster() {
    out_ << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    std::vector<std::string> names;
    for (const auto& z : s_.zones) names.push_back(z.name);
    strings("zones", names);
    out_ << YAML::Key << "nodePools" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : s_.pools) {
      out_ << YAML::BeginMap;
      kv("name", p.name);
      if (!p.instance_type.empty()) kv("instanceType", p.instance_type);
      kv("vcpu", exactCpu(p.cpu_millicores));
      kv("memory", exactMemory(p.memory_bytes));
      kv("priceUsdPerHour", number(p.price_usd_per_hour));
      kv("countPerZone", std::to_string(p.count_per_zone));
      zones("zones", p.zones);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
    const auto& n = s_.network;
    out_ << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "rtt" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("sameNode", exactDuration(n.rtt_same_node_ns));
    kv("sameZone", exactDuration(n.rtt_same_zone_ns));
    kv("crossZone", exactDuration(n.rtt_cross_zone_ns));
    out_ << YAML::EndMap;
    kv("bandwidth", bandwidth(n.bandwidth_bps));
    out_ << YAML::Key << "crossZoneUsdPerGiB" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("egress", number(n.cross_zone_usd_per_gib_egress));
    kv("ingress", number(n.cross_zone_usd_per_gib_ingress));
    out_ << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  }

  void serviceTime(const ServiceTime& st) {
    out_ << YAML::Key << "serviceTime" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("distribution", toString(st.kind));
    kv("mean", exactDuration(st.mean_ns));
    if (st.kind == ServiceTime::Kind::LogNormal) kv("p99", exactDuration(st.p99_ns));
    out_ << YAML::EndMap;
  }

  void call(const Call& c) {
    out_ << YAML::BeginMap << YAML::Key << "call" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("service", c.service_name);
    if (c.request_bytes != 0) kv("size", bytes(c.request_bytes));
    if (c.probability != 1.0) kv("probability", percentNumber(c.probability * 100));
    if (c.method != "GET") kv("method", c.method);
    if (c.path != "/") kv("path", c.path);
    out_ << YAML::EndMap << YAML::EndMap;
  }

  void workloads() {
    out_ << YAML::Key << "workloads" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : s_.workloads) {
      out_ << YAML::BeginMap;
      kv("name", w.name);
      kv("namespace", w.ns);
      if (w.service_account != w.name) kv("serviceAccount", w.service_account);
      kv("replicas", std::to_string(w.replicas));
      stringMap("labels", w.labels);
      resources(w.resources);
      kv("concurrency", std::to_string(w.concurrency));
      serviceTime(w.service_time);
      kv("requestSize", bytes(w.request_bytes));
      kv("responseSize", bytes(w.response_bytes));
      if (!w.l7.empty()) {
        std::vector<std::string> names;
        for (auto f : w.l7) names.emplace_back(toString(f));
        strings("l7", names);
      }
      zones("zones", w.zones);
      if (!w.script.empty()) {
        out_ << YAML::Key << "script" << YAML::Value << YAML::BeginSeq;
        for (const auto& step : w.script) {
          switch (step.kind) {
            case ScriptStep::Kind::Sleep:
              out_ << YAML::Flow << YAML::BeginMap;
              kv("sleep", exactDuration(step.sleep_ns));
              out_ << YAML::EndMap;
              break;
            case ScriptStep::Kind::Call: call(step.calls.front()); break;
            case ScriptStep::Kind::Concurrent:
              out_ << YAML::BeginSeq;
              for (const auto& c : step.calls) call(c);
              out_ << YAML::EndSeq;
              break;
          }
        }
        out_ << YAML::EndSeq;
      }
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  // Every service is listed, the loader's implicit ones too: their port and protocol would
  // otherwise need the workload's `port`/`protocol` fields, which the model does not keep.
  void services() {
    out_ << YAML::Key << "services" << YAML::Value << YAML::BeginSeq;
    for (const auto& sv : s_.services) {
      out_ << YAML::BeginMap;
      kv("name", sv.name);
      kv("namespace", sv.ns);
      std::vector<std::string> backends;
      for (auto b : sv.backends) backends.push_back(s_.workloads[b].name);
      strings("workloads", backends);
      out_ << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
      for (const auto& p : sv.ports) {
        out_ << YAML::Flow << YAML::BeginMap;
        kv("name", p.name);
        kv("port", std::to_string(p.port));
        kv("targetPort", std::to_string(p.target_port));
        kv("protocol", toString(p.protocol));
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void entryPoints() {
    if (s_.entry_points.empty()) return;
    out_ << YAML::Key << "entryPoints" << YAML::Value << YAML::BeginSeq;
    for (const auto& ep : s_.entry_points) {
      out_ << YAML::BeginMap;
      kv("name", ep.name);
      const auto& sv = s_.services[ep.service];
      kv("service", sv.name + "." + sv.ns);
      kv("path", ep.path);
      kv("arrival", ep.arrival == EntryPoint::Arrival::Poisson ? "poisson" : "uniform");
      if (ep.connections != 0) kv("connections", std::to_string(ep.connections));
      zones("zones", ep.client_zones);
      out_ << YAML::Key << "load" << YAML::Value << YAML::BeginSeq;
      for (const auto& seg : ep.load) {
        out_ << YAML::BeginMap << YAML::Key << toString(seg.kind) << YAML::Value << YAML::Flow << YAML::BeginMap;
        switch (seg.kind) {
          case LoadSegment::Kind::Constant: kv("rps", number(seg.rps)); break;
          case LoadSegment::Kind::Steps: {
            std::vector<std::string> rates;
            for (auto r : seg.step_rps) rates.push_back(number(r));
            strings("rps", rates);
            break;
          }
          case LoadSegment::Kind::Burst:
            kv("baseRps", number(seg.base_rps));
            kv("peakRps", number(seg.peak_rps));
            kv("period", exactDuration(seg.period_ns));
            kv("burstDuration", exactDuration(seg.burst_ns));
            break;
        }
        kv("duration", exactDuration(seg.duration_ns));
        out_ << YAML::EndMap << YAML::EndMap;
      }
      out_ << YAML::EndSeq << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void waypoint(const Waypoint& wp) {
    out_ << YAML::BeginMap;
    kv("name", wp.name);
    kv("namespace", wp.ns);
    kv("for", toString(wp.traffic));
    kv("replicas", std::to_string(wp.replicas));
    zones("zones", wp.zones);
    if (wp.hpa) {
      out_ << YAML::Key << "hpa" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("minReplicas", std::to_string(wp.hpa->min_replicas));
      kv("maxReplicas", std::to_string(wp.hpa->max_replicas));
      kv("targetCpu", std::to_string(wp.hpa->target_cpu_percent) + "%");
      out_ << YAML::EndMap;
    }
    resources(wp.resources);
    out_ << YAML::EndMap;
  }

  void binding(const WaypointBinding& b) {
    out_ << YAML::Flow << YAML::BeginMap;
    kv(toString(b.scope), b.target);
    kv("waypoint", b.waypoint ? s_.waypoints[*b.waypoint].key() : "none");
    out_ << YAML::EndMap;
  }

  void selector(const std::optional<std::map<std::string, std::string>>& sel, bool write_empty) {
    if (!sel || (sel->empty() && !write_empty)) return;
    out_ << YAML::Key << "selector" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (!sel->empty()) stringMap("matchLabels", *sel);
    out_ << YAML::EndMap;
  }

  void targetRefs(const std::vector<TargetRef>& refs) {
    out_ << YAML::Key << "targetRefs" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : refs) {
      out_ << YAML::Flow << YAML::BeginMap;
      if (!r.group.empty()) kv("group", r.group);
      kv("kind", r.kind);
      kv("name", r.name);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void listIf(const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) strings(key, v);
  }

  // A rule's `from` or `to` list: each item a single-key map (`source`/`operation`) whose
  // string lists are written when not empty.
  template <typename Item, std::size_t N>
  void ruleSection(const char* key, const char* item_key, const std::vector<Item>& items,
                   const std::array<std::pair<const char*, std::vector<std::string> Item::*>, N>& fields) {
    if (items.empty()) return;
    out_ << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& item : items) {
      out_ << YAML::BeginMap << YAML::Key << item_key << YAML::Value << YAML::BeginMap;
      for (const auto& [name, member] : fields) listIf(name, item.*member);
      out_ << YAML::EndMap << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void rule(const AuthzRule& r) {
    using S = AuthzSource;
    using O = AuthzOperation;
    static constexpr std::array<std::pair<const char*, std::vector<std::string> S::*>, 8> source_fields{{
        {"principals", &S::principals},
        {"notPrincipals", &S::not_principals},
        {"requestPrincipals", &S::request_principals},
        {"notRequestPrincipals", &S::not_request_principals},
        {"namespaces", &S::namespaces},
        {"notNamespaces", &S::not_namespaces},
        {"ipBlocks", &S::ip_blocks},
        {"notIpBlocks", &S::not_ip_blocks},
    }};
    static constexpr std::array<std::pair<const char*, std::vector<std::string> O::*>, 8> operation_fields{{
        {"ports", &O::ports},
        {"notPorts", &O::not_ports},
        {"hosts", &O::hosts},
        {"notHosts", &O::not_hosts},
        {"methods", &O::methods},
        {"notMethods", &O::not_methods},
        {"paths", &O::paths},
        {"notPaths", &O::not_paths},
    }};
    out_ << YAML::BeginMap;
    ruleSection("from", "source", r.from, source_fields);
    ruleSection("to", "operation", r.to, operation_fields);
    if (!r.when.empty()) {
      out_ << YAML::Key << "when" << YAML::Value << YAML::BeginSeq;
      for (const auto& c : r.when) {
        out_ << YAML::BeginMap;
        kv("key", c.key);
        listIf("values", c.values);
        listIf("notValues", c.not_values);
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq;
    }
    out_ << YAML::EndMap;
  }

  void policyHead(const char* kind, const std::string& ns, const std::string& name) {
    kv("apiVersion", "security.istio.io/v1");
    kv("kind", kind);
    out_ << YAML::Key << "metadata" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("name", name);
    kv("namespace", ns);
    out_ << YAML::EndMap;
  }

  void authzPolicy(const AuthorizationPolicy& p) {
    out_ << YAML::BeginMap;
    policyHead("AuthorizationPolicy", p.ns, p.name);
    out_ << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    selector(p.selector, false);
    if (p.usesTargetRefs()) targetRefs(p.target_refs);
    kv("action", toString(p.action));
    if (p.rules) {
      out_ << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
      for (const auto& r : *p.rules) rule(r);
      out_ << YAML::EndSeq;
    }
    out_ << YAML::EndMap << YAML::EndMap;
  }

  void mtls(const char* key, MtlsMode m) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("mode", toString(m));
    out_ << YAML::EndMap;
  }

  void peerAuthn(const PeerAuthentication& pa) {
    out_ << YAML::BeginMap;
    policyHead("PeerAuthentication", pa.ns, pa.name);
    out_ << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    // An empty selector is kept apart from no selector: the model keeps the difference.
    selector(pa.selector, true);
    mtls("mtls", pa.mode);
    if (!pa.port_modes.empty()) {
      out_ << YAML::Key << "portLevelMtls" << YAML::Value << YAML::BeginMap;
      for (const auto& [port, mode] : pa.port_modes) mtls(std::to_string(port).c_str(), mode);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap << YAML::EndMap;
  }

  void mesh() {
    out_ << YAML::Key << "mesh" << YAML::Value << YAML::BeginMap;
    kv("defaultMode", toString(s_.default_mode));
    kv("sidecarScope", s_.sidecar_scope == Scenario::SidecarScope::Mesh ? "mesh" : "namespace");
    if (!s_.namespace_modes.empty()) {
      out_ << YAML::Key << "namespaces" << YAML::Value << YAML::BeginMap;
      for (const auto& [ns, m] : s_.namespace_modes) kv(ns.c_str(), toString(m));
      out_ << YAML::EndMap;
    }
    if (!s_.workload_modes.empty()) {
      out_ << YAML::Key << "workloads" << YAML::Value << YAML::BeginMap;
      for (const auto& [w, m] : s_.workload_modes) kv(s_.workloads[w].key().c_str(), toString(m));
      out_ << YAML::EndMap;
    }
    if (std::find(s_.waypoint_initial.begin(), s_.waypoint_initial.end(), true) != s_.waypoint_initial.end()) {
      out_ << YAML::Key << "waypoints" << YAML::Value << YAML::BeginSeq;
      for (std::size_t i = 0; i < s_.waypoints.size(); ++i) {
        if (s_.waypoint_initial[i]) waypoint(s_.waypoints[i]);
      }
      out_ << YAML::EndSeq;
    }
    if (std::find(s_.binding_initial.begin(), s_.binding_initial.end(), true) != s_.binding_initial.end()) {
      out_ << YAML::Key << "useWaypoint" << YAML::Value << YAML::BeginSeq;
      for (std::size_t i = 0; i < s_.bindings.size(); ++i) {
        if (s_.binding_initial[i]) binding(s_.bindings[i]);
      }
      out_ << YAML::EndSeq;
    }
    const bool any_policy =
        std::find(s_.authz_initial.begin(), s_.authz_initial.end(), true) != s_.authz_initial.end() ||
        std::find(s_.peer_authn_initial.begin(), s_.peer_authn_initial.end(), true) != s_.peer_authn_initial.end();
    if (any_policy) {
      out_ << YAML::Key << "policies" << YAML::Value << YAML::BeginSeq;
      for (std::size_t i = 0; i < s_.peer_authns.size(); ++i) {
        if (s_.peer_authn_initial[i]) peerAuthn(s_.peer_authns[i]);
      }
      for (std::size_t i = 0; i < s_.authz_policies.size(); ++i) {
        if (s_.authz_initial[i]) authzPolicy(s_.authz_policies[i]);
      }
      out_ << YAML::EndSeq;
    }
    if (!s_.http_routes.empty()) {
      out_ << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
      for (const auto& r : s_.http_routes) httpRoute(r);
      out_ << YAML::EndSeq;
    }
    out_ << YAML::EndMap;
  }

  void httpRoute(const HttpRoute& r) {
    out_ << YAML::BeginMap;
    kv("apiVersion", "gateway.networking.k8s.io/v1");
    kv("kind", "HTTPRoute");
    out_ << YAML::Key << "metadata" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("name", r.name);
    kv("namespace", r.ns);
    out_ << YAML::EndMap;
    out_ << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "parentRefs" << YAML::Value << YAML::Flow << YAML::BeginSeq << YAML::BeginMap;
    kv("group", "");
    kv("kind", "Service");
    kv("name", s_.services[r.parent].name);
    out_ << YAML::EndMap << YAML::EndSeq;
    out_ << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    for (const auto& rule : r.rules) {
      out_ << YAML::BeginMap;
      if (!rule.matches.empty()) {
        out_ << YAML::Key << "matches" << YAML::Value << YAML::BeginSeq;
        for (const auto& m : rule.matches) {
          out_ << YAML::BeginMap;
          if (m.path_type != HttpRouteMatch::PathType::Any) {
            out_ << YAML::Key << "path" << YAML::Value << YAML::Flow << YAML::BeginMap;
            kv("type", m.path_type == HttpRouteMatch::PathType::Exact ? "Exact" : "PathPrefix");
            kv("value", m.path);
            out_ << YAML::EndMap;
          }
          if (!m.headers.empty()) {
            out_ << YAML::Key << "headers" << YAML::Value << YAML::BeginSeq;
            for (const auto& h : m.headers) {
              out_ << YAML::Flow << YAML::BeginMap;
              kv("name", h.name);
              kv("value", h.value);
              out_ << YAML::EndMap;
            }
            out_ << YAML::EndSeq;
          }
          if (!m.method.empty()) kv("method", m.method);
          out_ << YAML::EndMap;
        }
        out_ << YAML::EndSeq;
      }
      if (!rule.backends.empty()) {
        out_ << YAML::Key << "backendRefs" << YAML::Value << YAML::BeginSeq;
        for (const auto& b : rule.backends) {
          const auto& svc = s_.services[b.service];
          out_ << YAML::Flow << YAML::BeginMap;
          kv("name", svc.name);
          if (svc.ns != r.ns) kv("namespace", svc.ns);
          out_ << YAML::Key << "weight" << YAML::Value << b.weight;
          out_ << YAML::EndMap;
        }
        out_ << YAML::EndSeq;
      }
      if (rule.timeout_ns) {
        out_ << YAML::Key << "timeouts" << YAML::Value << YAML::Flow << YAML::BeginMap;
        kv("request", exactDuration(*rule.timeout_ns));
        out_ << YAML::EndMap;
      }
      if (rule.retry_attempts > 0 || !rule.retry_codes.empty()) {
        out_ << YAML::Key << "retry" << YAML::Value << YAML::BeginMap;
        out_ << YAML::Key << "attempts" << YAML::Value << rule.retry_attempts;
        out_ << YAML::Key << "codes" << YAML::Value << YAML::Flow << rule.retry_codes;
        kv("backoff", exactDuration(rule.retry_backoff_ns));
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
    out_ << YAML::EndMap;
    out_ << YAML::EndMap;
  }

  void change(const Change& c) {
    out_ << YAML::BeginMap;
    if (const auto* mc = std::get_if<ModeChange>(&c)) {
      out_ << YAML::Key << "setMode" << YAML::Value << YAML::Flow << YAML::BeginMap;
      if (mc->whole_namespace) kv("namespace", mc->ns);
      else kv("workload", s_.workloads[*mc->workload].key());
      kv("mode", toString(mc->to));
      out_ << YAML::EndMap;
    } else if (const auto* aw = std::get_if<AddWaypoint>(&c)) {
      out_ << YAML::Key << "addWaypoint" << YAML::Value;
      waypoint(s_.waypoints[aw->waypoint]);
    } else if (const auto* bw = std::get_if<BindWaypoint>(&c)) {
      out_ << YAML::Key << "useWaypoint" << YAML::Value;
      binding(s_.bindings[bw->binding]);
    } else if (const auto* ap = std::get_if<AddPolicy>(&c)) {
      out_ << YAML::Key << "addPolicy" << YAML::Value;
      authzPolicy(s_.authz_policies[ap->policy]);
    } else if (const auto* rp = std::get_if<RemovePolicy>(&c)) {
      kv("removePolicy", s_.authz_policies[rp->policy].key());
    } else if (const auto* mp = std::get_if<MovePolicy>(&c)) {
      out_ << YAML::Key << "movePolicy" << YAML::Value << YAML::BeginMap;
      kv("policy", s_.authz_policies[mp->policy].key());
      targetRefs(mp->target_refs);
      out_ << YAML::EndMap;
    } else if (const auto* pa = std::get_if<SetPeerAuthentication>(&c)) {
      out_ << YAML::Key << "addPolicy" << YAML::Value;
      peerAuthn(s_.peer_authns[pa->peer_authn]);
    }
    out_ << YAML::EndMap;
  }

  void gate(const Gate& g) {
    out_ << YAML::BeginMap;
    if (g.kind == Gate::Kind::Latency) {
      out_ << YAML::Key << "latency" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("path", g.path);
      kv("percentile", percentile(g.percentile));
      kv("threshold", exactDuration(g.threshold_ns));
    } else {
      out_ << YAML::Key << "errorRate" << YAML::Value << YAML::Flow << YAML::BeginMap;
      if (!g.path.empty()) kv("path", g.path);
      kv("max", exactPercent(g.max_error_rate));
    }
    out_ << YAML::EndMap << YAML::EndMap;
  }

  void plan() {
    if (s_.plan.waves.empty() && s_.plan.name.empty()) return;
    out_ << YAML::Key << "plan" << YAML::Value << YAML::BeginMap;
    kv("name", s_.plan.name);
    out_ << YAML::Key << "waves" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : s_.plan.waves) {
      out_ << YAML::BeginMap;
      kv("name", w.name);
      out_ << YAML::Key << "rollout" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("maxSurge", intOrPercent(w.rollout.max_surge));
      kv("maxUnavailable", intOrPercent(w.rollout.max_unavailable));
      out_ << YAML::EndMap;
      out_ << YAML::Key << "changes" << YAML::Value << YAML::BeginSeq;
      for (const auto& c : w.changes) change(c);
      out_ << YAML::EndSeq;
      if (!w.gates.empty()) {
        out_ << YAML::Key << "gates" << YAML::Value << YAML::BeginSeq;
        for (const auto& g : w.gates) gate(g);
        out_ << YAML::EndSeq;
      }
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq << YAML::EndMap;
  }

  void faults() {
    if (s_.faults.empty()) return;
    out_ << YAML::Key << "faults" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : s_.faults) {
      out_ << YAML::BeginMap << YAML::Key << toString(f.kind) << YAML::Value << YAML::Flow << YAML::BeginMap;
      switch (f.kind) {
        case Fault::Kind::NodeLoss: kv("node", s_.nodes[*f.node].name); break;
        case Fault::Kind::ZoneLoss: kv("zone", s_.zones[*f.zone].name); break;
        case Fault::Kind::WaypointCrash: kv("waypoint", s_.waypoints[*f.waypoint].key()); break;
        case Fault::Kind::ClockSkew:
          kv("node", s_.nodes[*f.node].name);
          kv("skew", exactDuration(f.skew_ns));
          if (f.duration_ns != 0) kv("duration", exactDuration(f.duration_ns));
          break;
      }
      kv("at", exactDuration(f.at_ns));
      if (!f.phases.empty()) strings("phases", f.phases);
      out_ << YAML::EndMap << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  const Scenario& s_;
  YAML::Emitter out_;
};

}  // namespace

std::string exactDuration(std::int64_t ns) {
  static constexpr std::array<std::pair<std::int64_t, const char*>, 5> units{
      {{3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}}};
  if (ns == 0) return "0s";
  return exactWithUnits(ns, units, "ns");
}

std::string exactMemory(std::int64_t b) {
  static constexpr std::array<std::pair<std::int64_t, const char*>, 3> units{
      {{1073741824, "Gi"}, {1048576, "Mi"}, {1024, "Ki"}}};
  return exactWithUnits(b, units, "");
}

std::string exactCpu(std::int64_t m) {
  return m % 1000 == 0 ? std::to_string(m / 1000) : std::to_string(m) + "m";
}

std::string exactPercent(double fraction) { return percentNumber(fraction * 100) + "%"; }

std::string writeScenarioYaml(const Scenario& s) { return Writer(s).run(); }

}  // namespace meshtwin::models
