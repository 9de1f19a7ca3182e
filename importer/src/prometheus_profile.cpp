// measuredProfileYaml: a base profile with the proxies' memory and CPU per request replaced by
// what the cluster's Prometheus measured, written in the models/profiles/*.yaml format (every
// value with its basis, ref and note) so that loadProfile reads it back.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer {

namespace {

constexpr const char* kKinds[] = {"sidecar", "ztunnel", "waypoint"};

models::ComponentProfile& componentOf(models::Profile& p, const std::string& kind) {
  return kind == "sidecar" ? p.sidecar : kind == "ztunnel" ? p.ztunnel : p.waypoint;
}

std::string ref(const Traffic& t) {
  return fmt::format("Prometheus {} over {} to {}", t.window.url, formatWindow(t.window.window_ns), t.evaluated_at);
}

// Replaces memory and CPU per request of one kind; returns what it did, for the provenance notes.
std::string measure(models::Profile& p, const std::string& base, const Traffic& t, const ProxyUsage& u) {
  auto& c = componentOf(p, u.kind);
  const std::string pre = u.kind + ".";
  std::vector<std::string> did;
  if (u.memory_bytes_mean > 0) {
    c.memory_base_bytes = std::llround(u.memory_bytes_mean);
    c.memory_per_endpoint_bytes = 0;
    p.sources[pre + "memoryBase"] = {models::Basis::Measured, ref(t),
                                     fmt::format("mean container_memory_working_set_bytes of {} istio-proxy "
                                                 "container(s) over the window; their endpoints and connections are in it",
                                                 u.proxies)};
    p.sources[pre + "memoryPerEndpoint"] = {models::Basis::Measured, ref(t),
                                            "folded into memoryBase: the working set measured holds this cluster's endpoints"};
    did.push_back("memory");
  }
  if (u.rps > 0 && u.cpu_cores > 0) {
    const double per_request_ns = u.cpu_cores * 1e9 / u.rps;
    const double per_kib_ns = static_cast<double>(c.cpu_per_kib_ns) * u.bytes_per_request / 1024.0;
    c.cpu_per_request_ns = std::max<std::int64_t>(0, std::llround(per_request_ns - per_kib_ns));
    p.sources[pre + "cpuPerRequest"] = {
        models::Basis::Measured, ref(t),
        fmt::format("{} proxies used {:.4g} cores at {:.4g} {} per second: {:.0f} ns each, less {:.0f} B x cpuPerKiB "
                    "(kept from {}); idle work (xDS, stats) is folded in",
                    u.proxies, u.cpu_cores, u.rps, u.kind == "ztunnel" ? "connections" : "requests", per_request_ns,
                    u.bytes_per_request, base)};
    did.push_back("CPU per request");
  }
  if (did.empty()) return "";
  return fmt::format("{}: {} from {} {}", u.kind, fmt::join(did, " and "), u.proxies, u.proxies == 1 ? "proxy" : "proxies");
}

class Writer {
 public:
  explicit Writer(const models::Profile& p) : p_(p) {}

  std::string write() {
    e_ << YAML::Comment("Written by `meshtwin import`: component costs measured by a cluster's Prometheus on top of a "
                        "base profile; every value says where it comes from.");
    e_ << YAML::BeginMap;
    kv("apiVersion", "meshtwin/v1");
    kv("kind", "Profile");
    e_ << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    kv("name", p_.name);
    e_ << YAML::EndMap;
    provenance();
    components();
    network();
    anchors();
    e_ << YAML::EndMap;
    return std::string(e_.c_str()) + "\n";
  }

 private:
  void kv(const std::string& k, const std::string& v) { e_ << YAML::Key << k << YAML::Value << v; }

  void param(const std::string& key, const std::string& full, const std::string& value) {
    e_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("value", value);
    const auto it = p_.sources.find(full);
    const auto basis = it != p_.sources.end() ? it->second.basis : models::Basis::Assumption;
    kv("basis", models::toString(basis));
    if (it != p_.sources.end() && !it->second.ref.empty())
      e_ << YAML::Key << "ref" << YAML::Value << YAML::DoubleQuoted << it->second.ref;
    if (it != p_.sources.end() && !it->second.note.empty())
      e_ << YAML::Key << "note" << YAML::Value << YAML::DoubleQuoted << it->second.note;
    e_ << YAML::EndMap;
  }

  void provenance() {
    e_ << YAML::Key << "provenance" << YAML::Value << YAML::BeginMap;
    const auto& v = p_.provenance;
    for (const auto& [k, s] : std::vector<std::pair<const char*, std::string>>{
             {"kind", v.kind}, {"source", v.source}, {"version", v.version}, {"date", v.date}, {"host", v.host},
             {"commit", v.commit}, {"notes", v.notes}}) {
      if (!s.empty()) e_ << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << s;
    }
    e_ << YAML::EndMap;
  }

  void components() {
    e_ << YAML::Key << "components" << YAML::Value << YAML::BeginMap;
    for (const char* k : kKinds) component(k);
    e_ << YAML::EndMap;
  }

  void component(const std::string& k) {
    const auto& c = k == "sidecar" ? p_.sidecar : k == "ztunnel" ? p_.ztunnel : p_.waypoint;
    const std::string pre = k + ".";
    auto ns = [](std::int64_t v) { return std::to_string(v) + "ns"; };
    auto bytes = [](std::int64_t v) { return std::to_string(v) + "B"; };
    e_ << YAML::Key << k << YAML::Value << YAML::BeginMap;
    param("workerThreads", pre + "workerThreads", std::to_string(c.worker_threads));
    param("cpuPerRequest", pre + "cpuPerRequest", ns(c.cpu_per_request_ns));
    param("cpuPerKiB", pre + "cpuPerKiB", ns(c.cpu_per_kib_ns));
    param("cpuPerConnection", pre + "cpuPerConnection", ns(c.cpu_per_connection_ns));
    param("memoryBase", pre + "memoryBase", bytes(c.memory_base_bytes));
    param("memoryPerConnection", pre + "memoryPerConnection", bytes(c.memory_per_connection_bytes));
    param("memoryPerEndpoint", pre + "memoryPerEndpoint", bytes(c.memory_per_endpoint_bytes));
    param("latencyPerPass", pre + "latencyPerPass", ns(c.latency_per_pass_ns));
    param("latencyPerPassP99", pre + "latencyPerPassP99", ns(c.latency_per_pass_p99_ns));
    auto side = [&](const char* key, std::int64_t cpu_m, std::int64_t mem) {
      e_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
      param("cpu", pre + key + ".cpu", std::to_string(cpu_m) + "m");
      param("memory", pre + key + ".memory", std::to_string(mem));
      e_ << YAML::EndMap;
    };
    side("requests", c.resources.cpu_request_millicores, c.resources.memory_request_bytes);
    if (c.resources.cpu_limit_millicores > 0 || c.resources.memory_limit_bytes > 0)
      side("limits", c.resources.cpu_limit_millicores, c.resources.memory_limit_bytes);
    e_ << YAML::EndMap;
  }

  void network() {
    auto bytes = [](std::int64_t v) { return std::to_string(v) + "B"; };
    e_ << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
    param("hboneOverheadPerStream", "network.hboneOverheadPerStream", bytes(p_.network.hbone_overhead_bytes_per_stream));
    param("tlsOverhead", "network.tlsOverhead", fmt::format("{:.4f}%", 100 * p_.network.tls_overhead_fraction));
    param("messageOverhead", "network.messageOverhead", bytes(p_.network.message_overhead_bytes));
    e_ << YAML::EndMap;
    if (p_.testbed.app_cpu_per_request_ns > 0 || p_.testbed.ingress_cpu_per_request_ns > 0) {
      e_ << YAML::Key << "testbed" << YAML::Value << YAML::BeginMap;
      param("appCpuPerRequest", "testbed.appCpuPerRequest", std::to_string(p_.testbed.app_cpu_per_request_ns) + "ns");
      param("ingressCpuPerRequest", "testbed.ingressCpuPerRequest",
            std::to_string(p_.testbed.ingress_cpu_per_request_ns) + "ns");
      e_ << YAML::EndMap;
    }
    e_ << YAML::Key << "pricing" << YAML::Value << YAML::BeginMap;
    param("cpuUsdPerVcpuHour", "pricing.cpuUsdPerVcpuHour", fmt::format("{}", p_.pricing.cpu_usd_per_vcpu_hour));
    param("ramUsdPerGiBHour", "pricing.ramUsdPerGiBHour", fmt::format("{}", p_.pricing.ram_usd_per_gib_hour));
    e_ << YAML::EndMap;
  }

  void anchors() {
    if (p_.anchors.empty()) return;
    e_ << YAML::Key << "anchors" << YAML::Value << YAML::BeginSeq;
    for (const auto& a : p_.anchors) {
      e_ << YAML::Flow << YAML::BeginMap;
      kv("component", a.component);
      kv("metric", a.metric);
      e_ << YAML::Key << "value" << YAML::Value << fmt::format("{:.6g}", a.value);
      e_ << YAML::Key << "conditions" << YAML::Value << YAML::DoubleQuoted << a.conditions;
      e_ << YAML::Key << "ref" << YAML::Value << YAML::DoubleQuoted << a.ref;
      e_ << YAML::EndMap;
    }
    e_ << YAML::EndSeq;
  }

  const models::Profile& p_;
  YAML::Emitter e_;
};

// What each measured kind cost per proxy: the observations the model is checked against.
std::vector<models::Anchor> measuredAnchors(const Traffic& t) {
  std::vector<models::Anchor> out;
  for (const auto& u : t.proxies) {
    if (u.proxies == 0) continue;
    const auto cond = fmt::format("{:.4g} {} per second over {} proxies, {}", u.rps,
                                  u.kind == "ztunnel" ? "connections" : "requests", u.proxies,
                                  formatWindow(t.window.window_ns));
    if (u.cpu_cores > 0) out.push_back({u.kind, "cpu_millicores", 1000 * u.cpu_cores / u.proxies, cond, ref(t)});
    if (u.memory_bytes_mean > 0) out.push_back({u.kind, "memory_bytes", u.memory_bytes_mean, cond, ref(t)});
  }
  return out;
}

}  // namespace

std::string measuredProfileYaml(const Traffic& t, const models::Profile& base) {
  models::Profile p = base;
  p.name = base.name + "-measured";
  std::vector<std::string> measured, kept;
  for (const char* kind : kKinds) {
    const ProxyUsage* u = t.proxy(kind);
    const auto did = u ? measure(p, base.name, t, *u) : "";
    if (did.empty()) kept.push_back(kind);
    else measured.push_back(did);
  }
  p.anchors = measuredAnchors(t);
  auto& v = p.provenance;
  v.kind = measured.empty() ? base.provenance.kind : "measured";
  v.source = "Prometheus " + t.window.url;
  v.version = "meshtwin import on " + base.name;
  v.date = t.evaluated_at;
  v.host.clear();
  v.commit.clear();
  v.notes = fmt::format("window {} to {}; measured {}; kept from {}: {}", formatWindow(t.window.window_ns),
                        t.evaluated_at, measured.empty() ? "nothing" : fmt::format("{}", fmt::join(measured, "; ")),
                        base.name, kept.empty() ? "all else" : fmt::format("{} and all else", fmt::join(kept, ", ")));
  return Writer(p).write();
}

}  // namespace meshtwin::importer
