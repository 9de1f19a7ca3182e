// A profile written back as YAML that loadProfile reads: every parameter with its basis, ref
// and note, and the calibration's raw points.
#include <fmt/format.h>

#include "calibration.hpp"
#include "meshtwin/twin/calibrate.hpp"

namespace meshtwin::twin {

using calibration::kKinds;

std::string writeProfileYaml(const models::Profile& p, const YAML::Node& calibration) {
  YAML::Emitter e;
  // Every value with its source; one without a recorded source is written as an assumption.
  auto param = [&](const std::string& key, const std::string& full, const std::string& value) {
    e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "value" << YAML::Value << value;
    const auto it = p.sources.find(full);
    const auto basis = it != p.sources.end() ? it->second.basis : models::Basis::Assumption;
    e << YAML::Key << "basis" << YAML::Value << models::toString(basis);
    if (it != p.sources.end() && !it->second.ref.empty()) e << YAML::Key << "ref" << YAML::Value << YAML::DoubleQuoted << it->second.ref;
    if (it != p.sources.end() && !it->second.note.empty()) e << YAML::Key << "note" << YAML::Value << YAML::DoubleQuoted << it->second.note;
    e << YAML::EndMap;
  };
  auto ns = [](std::int64_t v) { return std::to_string(v) + "ns"; };
  auto bytes = [](std::int64_t v) { return std::to_string(v) + "B"; };
  e << YAML::Comment("Written by `meshtwin calibrate`: component costs of the embedded proxies measured on this "
                     "machine's testbed. `calibration.points` holds every raw measurement the fits used.");
  e << YAML::BeginMap;
  e << YAML::Key << "apiVersion" << YAML::Value << "meshtwin/v1";
  e << YAML::Key << "kind" << YAML::Value << "Profile";
  e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::EndMap;
  e << YAML::Key << "provenance" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : std::vector<std::pair<const char*, std::string>>{
           {"kind", p.provenance.kind}, {"source", p.provenance.source}, {"version", p.provenance.version},
           {"date", p.provenance.date}, {"host", p.provenance.host}, {"commit", p.provenance.commit}, {"notes", p.provenance.notes}}) {
    if (!v.empty()) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  }
  e << YAML::EndMap;
  e << YAML::Key << "components" << YAML::Value << YAML::BeginMap;
  for (const char* k : kKinds) {
    const auto& c = componentOf(p, k);
    const std::string pre = std::string(k) + ".";
    e << YAML::Key << k << YAML::Value << YAML::BeginMap;
    param("workerThreads", pre + "workerThreads", std::to_string(c.worker_threads));
    param("cpuPerRequest", pre + "cpuPerRequest", ns(c.cpu_per_request_ns));
    param("cpuPerKiB", pre + "cpuPerKiB", ns(c.cpu_per_kib_ns));
    param("cpuPerConnection", pre + "cpuPerConnection", ns(c.cpu_per_connection_ns));
    param("memoryBase", pre + "memoryBase", bytes(c.memory_base_bytes));
    param("memoryPerConnection", pre + "memoryPerConnection", bytes(c.memory_per_connection_bytes));
    param("memoryPerEndpoint", pre + "memoryPerEndpoint", bytes(c.memory_per_endpoint_bytes));
    param("latencyPerPass", pre + "latencyPerPass", ns(c.latency_per_pass_ns));
    param("latencyPerPassP99", pre + "latencyPerPassP99", ns(c.latency_per_pass_p99_ns));
    const auto& r = c.resources;
    auto side = [&](const char* key, std::int64_t cpu_m, std::int64_t mem) {
      e << YAML::Key << key << YAML::Value << YAML::BeginMap;
      param("cpu", pre + key + ".cpu", std::to_string(cpu_m) + "m");
      param("memory", pre + key + ".memory", std::to_string(mem));
      e << YAML::EndMap;
    };
    side("requests", r.cpu_request_millicores, r.memory_request_bytes);
    if (r.cpu_limit_millicores > 0 || r.memory_limit_bytes > 0) side("limits", r.cpu_limit_millicores, r.memory_limit_bytes);
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  param("hboneOverheadPerStream", "network.hboneOverheadPerStream", bytes(p.network.hbone_overhead_bytes_per_stream));
  param("tlsOverhead", "network.tlsOverhead", fmt::format("{:.4f}%", 100 * p.network.tls_overhead_fraction));
  param("messageOverhead", "network.messageOverhead", bytes(p.network.message_overhead_bytes));
  e << YAML::EndMap;
  if (p.testbed.app_cpu_per_request_ns > 0 || p.testbed.ingress_cpu_per_request_ns > 0) {
    e << YAML::Key << "testbed" << YAML::Value << YAML::BeginMap;
    param("appCpuPerRequest", "testbed.appCpuPerRequest", ns(p.testbed.app_cpu_per_request_ns));
    param("ingressCpuPerRequest", "testbed.ingressCpuPerRequest", ns(p.testbed.ingress_cpu_per_request_ns));
    e << YAML::EndMap;
  }
  e << YAML::Key << "pricing" << YAML::Value << YAML::BeginMap;
  param("cpuUsdPerVcpuHour", "pricing.cpuUsdPerVcpuHour", fmt::format("{}", p.pricing.cpu_usd_per_vcpu_hour));
  param("ramUsdPerGiBHour", "pricing.ramUsdPerGiBHour", fmt::format("{}", p.pricing.ram_usd_per_gib_hour));
  e << YAML::EndMap;
  if (calibration.IsDefined() && !calibration.IsNull()) e << YAML::Key << "calibration" << YAML::Value << calibration;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace meshtwin::twin
