// The finishing step's defaults: what no source said, filled with a stated assumption.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "finish_internal.hpp"
#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr std::int64_t kDefaultCpuM = 100;
constexpr std::int64_t kDefaultMemory = 128LL << 20;
constexpr double kDefaultEntryRps = 50;
constexpr std::int64_t kDefaultEntryDurationNs = 300'000'000'000;  // 5m
constexpr double kNodeFill = 0.7;  // requests fill nodes to this fraction when nodes are assumed

void fillWorkload(DraftWorkload& w, ImportReport& r) {
  const std::string obj = "workload " + w.key();
  if (!w.replicas) {
    w.replicas = 1;
    r.assume(obj, "no replica count: 1 assumed");
  }
  if (!w.cpu_request_m) {
    w.cpu_request_m = kDefaultCpuM;
    r.assume(obj, fmt::format("no CPU request: {} assumed", models::exactCpu(kDefaultCpuM)));
  }
  if (!w.memory_request_bytes) {
    w.memory_request_bytes = kDefaultMemory;
    r.assume(obj, fmt::format("no memory request: {} assumed", models::exactMemory(kDefaultMemory)));
  }
  if (!w.service_time) {
    w.service_time = models::ServiceTime{};
    r.assume(obj, "no latency data: service time exponential, mean 1ms assumed");
  }
}

std::int64_t totalCpuM(const Draft& d) {
  std::int64_t sum = 0;
  for (const auto& w : d.workloads) sum += *w.cpu_request_m * *w.replicas;
  return sum;
}

std::int64_t totalMemory(const Draft& d) {
  std::int64_t sum = 0;
  for (const auto& w : d.workloads) sum += *w.memory_request_bytes * *w.replicas;
  return sum;
}

// No Node objects: one pool of 4 vCPU / 16 GiB nodes, enough for the requests at 70%.
void assumePool(Draft& d, const models::Profile& profile, ImportReport& r) {
  DraftPool p;
  p.name = "imported";
  p.instance_type = "m6i.xlarge";
  p.cpu_millicores = 4000;
  p.memory_bytes = 16LL << 30;
  const auto proxy_cpu = profile.sidecar.resources.cpu_request_millicores;
  std::int64_t pods = 0;
  for (const auto& w : d.workloads) pods += *w.replicas;
  const double cpu_need = static_cast<double>(totalCpuM(d) + proxy_cpu * pods) / (4000.0 * kNodeFill);
  const double mem_need = static_cast<double>(totalMemory(d)) / (static_cast<double>(p.memory_bytes) * kNodeFill);
  const auto zones = static_cast<double>(d.zones.size());
  p.count_per_zone = std::max(1, static_cast<int>(std::ceil(std::max(cpu_need, mem_need) / zones)));
  p.notes.push_back("assumed: no Node objects");
  r.assume("nodePool imported",
           fmt::format("no Node objects: {} node(s) per zone of 4 vCPU and 16Gi (m6i.xlarge) assumed, enough for "
                       "the requests (sidecars included) at {:.0f}% of allocatable",
                       p.count_per_zone, kNodeFill * 100));
  d.pools.push_back(std::move(p));
}

void pricePools(Draft& d, const models::Profile& profile, ImportReport& r) {
  for (auto& p : d.pools) {
    if (p.price_usd_per_hour) continue;
    const double vcpu = static_cast<double>(p.cpu_millicores) / 1000.0;
    const double gib = static_cast<double>(p.memory_bytes) / static_cast<double>(1LL << 30);
    const double price = vcpu * profile.pricing.cpu_usd_per_vcpu_hour + gib * profile.pricing.ram_usd_per_gib_hour;
    p.price_usd_per_hour = std::round(price * 10000.0) / 10000.0;
    r.assume("nodePool " + p.name,
             fmt::format("no price: {:.4f} USD/h from the profile's rates ({} USD per vCPU-hour, {} per GiB-hour)",
                         *p.price_usd_per_hour, profile.pricing.cpu_usd_per_vcpu_hour,
                         profile.pricing.ram_usd_per_gib_hour));
  }
}

void fillEntryPoints(Draft& d, ImportReport& r) {
  for (auto& ep : d.entry_points) {
    if (!ep.rps.empty()) continue;
    ep.rps = {kDefaultEntryRps};
    ep.step_ns = kDefaultEntryDurationNs;
    r.assume("entryPoint " + ep.name, fmt::format("no traffic data: {:.0f} rps for 5m assumed (import Prometheus "
                                                  "with --prometheus for the real load)",
                                                  kDefaultEntryRps));
  }
  if (d.entry_points.empty() && !d.workloads.empty()) {
    r.assume("scenario", "no entry point found (no ingress Gateway, LoadBalancer Service or traffic data): the "
                         "scenario carries no load until entryPoints are added");
  }
}

}  // namespace

void fillDefaults(Draft& d, const models::Profile& profile, ImportReport& report) {
  for (auto& w : d.workloads) fillWorkload(w, report);
  if (d.zones.empty()) {
    d.zones = {"zone-a"};
    report.assume("cluster", "no zone labels (topology.kubernetes.io/zone): one zone \"zone-a\" assumed");
  }
  if (d.pools.empty()) assumePool(d, profile, report);
  pricePools(d, profile, report);
  fillEntryPoints(d, report);
}

}  // namespace meshtwin::importer::detail
