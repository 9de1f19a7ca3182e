// The rest of the answers: entry-load curves (range queries), server-side latency per
// workload, and what each proxy kind cost (cAdvisor) and carried (its own reports).
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer::detail {

namespace {

using Pair = std::tuple<std::string, std::string, std::string, std::string>;  // source ns, source, service ns, service
struct Curve {  // one reporter's curves of a pair, by destination workload
  std::map<std::string, std::vector<double>> by_dest;
};

Pair pairOf(const Sample& s) {
  return {s.label("source_workload_namespace"), s.label("source_workload"), s.label("destination_service_namespace"),
          s.label("destination_service_name")};
}

// Range samples on the window's grid: point i is the rate up to start + i * step.
std::map<Pair, std::map<int, Curve>> curves(const std::vector<Sample>& samples, const TrafficWindow& w) {
  const auto step = w.stepSeconds();
  const auto n = static_cast<std::size_t>(w.windowSeconds() / step);
  const auto start = w.eval_unix_s - w.windowSeconds() + step;
  std::map<Pair, std::map<int, Curve>> out;
  for (const auto& s : samples) {
    const int rank = reporterRank(s.label("reporter"));
    const Pair p = pairOf(s);
    if (rank > 2 || std::get<3>(p).empty()) continue;
    auto& c = out[p][rank].by_dest[s.label("destination_workload_namespace") + "/" + s.label("destination_workload")];
    c.resize(n, 0.0);
    for (const auto& [t, v] : s.points) {
      const auto i = static_cast<std::int64_t>(std::llround(static_cast<double>(t - start) / static_cast<double>(step)));
      if (i >= 0 && static_cast<std::size_t>(i) < n) c[static_cast<std::size_t>(i)] += v;
    }
  }
  return out;
}

// The curves that count each request of a pair once (pickReports).
std::vector<const std::vector<double>*> picked(const std::map<int, Curve>& by) {
  ReportsByRank ranks;
  for (const auto& [rank, c] : by) {
    for (const auto& [dest, v] : c.by_dest) {
      if (std::any_of(v.begin(), v.end(), [](double x) { return x > 0; })) ranks[rank].push_back(dest);
    }
  }
  std::vector<const std::vector<double>*> out;
  for (const auto& [rank, dest] : pickReports(ranks)) out.push_back(&by.at(rank).by_dest.at(dest));
  return out;
}

void addCurve(std::map<std::string, EntryLoad>& loads, const Pair& p, const std::vector<double>& c, const TrafficWindow& w) {
  auto& l = loads[std::get<2>(p) + "/" + std::get<3>(p)];
  l.service_ns = std::get<2>(p);
  l.service = std::get<3>(p);
  l.step_ns = w.step_ns;
  l.rps.resize(c.size(), 0.0);
  for (std::size_t i = 0; i < c.size(); ++i) l.rps[i] += c[i];
  const auto& src = std::get<1>(p);
  const auto& ns = std::get<0>(p);
  const std::string who = src == "unknown" || ns.empty() || ns == "unknown" ? src : ns + "/" + src;
  if (std::find(l.sources.begin(), l.sources.end(), who) == l.sources.end()) l.sources.push_back(who);
}

std::string kindOf(const TrafficWindow& w, const std::string& pod) {
  if (fullMatch(w.ztunnel_pods, pod)) return "ztunnel";
  if (fullMatch(w.waypoint_pods, pod)) return "waypoint";
  if (fullMatch(w.gateway_pods, pod)) return "";  // a gateway: no proxy kind of the model
  return "sidecar";
}

double bytesPerRequest(const std::vector<TrafficEdge>& edges, const std::string& kind) {
  auto of = [&](const TrafficEdge& e) {
    if (kind == "ztunnel") return e.protocol == models::Protocol::Tcp;
    if (kind == "waypoint") return e.reporter == "waypoint";
    return e.protocol != models::Protocol::Tcp && e.reporter != "waypoint";
  };
  double rps = 0, bytes = 0;
  for (int pass = 0; pass < 2 && rps == 0; ++pass) {
    for (const auto& e : edges) {
      if (pass == 0 && !of(e)) continue;
      rps += e.rps;
      bytes += e.rps * (e.request_bytes + e.response_bytes);
    }
  }
  return rps > 0 ? bytes / rps : 0;
}

// Requests and connections each kind reported: by the pod label, or by reporter when there is none.
std::map<std::string, double> carried(const Answers& a, const TrafficWindow& w, std::vector<std::string>& warnings) {
  std::map<std::string, double> out;
  bool any = false, with_pod = false;
  for (const char* q : {"proxy_requests", "proxy_connections"}) {
    for (const auto& s : a.at(q)) {
      any = true;
      if (s.label("pod").empty()) continue;
      with_pod = true;
      if (const auto k = kindOf(w, s.label("pod")); !k.empty()) out[k] += s.value;
    }
  }
  if (!any || with_pod) return out;
  warnings.push_back(
      "Istio's metrics carry no pod label (scrape config): requests per proxy kind come from the reporter label "
      "(sidecar: source and destination reports, gateways included; waypoint: waypoint reports); ztunnel's "
      "connections are not attributed");
  for (const auto& s : a.at("proxy_requests")) {
    const auto r = s.label("reporter");
    out[r == "waypoint" ? "waypoint" : "sidecar"] += s.value;
  }
  return out;
}

}  // namespace

std::vector<EntryLoad> readEntryLoads(const Answers& a, const TrafficWindow& w, const std::vector<TrafficEdge>& edges,
                                      std::vector<std::string>& warnings) {
  std::map<std::string, EntryLoad> loads;
  const auto l7 = curves(a.at("entry_rps"), w);
  for (const auto& [p, by] : l7) {
    for (const auto* c : picked(by)) addCurve(loads, p, *c, w);
  }
  for (const auto& [p, by] : curves(a.at("entry_connections"), w)) {
    if (const auto it = l7.find(p); it != l7.end() && !picked(it->second).empty()) continue;
    for (const auto* c : picked(by)) addCurve(loads, p, *c, w);
  }
  std::set<std::string> fallback;
  for (const auto& e : edges) {
    if (!e.from_outside || loads.count(e.serviceKey()) > 0) continue;
    fallback.insert(e.serviceKey());
  }
  for (const auto& key : fallback) {
    EntryLoad l;
    for (const auto& e : edges) {
      if (!e.from_outside || e.serviceKey() != key) continue;
      l.service_ns = e.service_ns, l.service = e.service;
      l.rps.assign(1, l.rps.empty() ? e.rps : l.rps[0] + e.rps);
      l.sources.push_back(e.source_workload);
    }
    l.step_ns = w.window_ns;
    warnings.push_back("entry load of " + key + ": no curve in the range query; the window's mean rate is used");
    loads[key] = std::move(l);
  }
  std::vector<EntryLoad> out;
  for (auto& [k, l] : loads) {
    std::sort(l.sources.begin(), l.sources.end());
    l.sources.erase(std::unique(l.sources.begin(), l.sources.end()), l.sources.end());
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<WorkloadLatency> readLatencies(const Answers& a) {
  std::map<std::pair<std::string, std::string>, std::map<int, WorkloadLatency>> by;
  for (const auto& s : a.at("server_latency")) {
    const auto ns = s.label("destination_workload_namespace"), wl = s.label("destination_workload");
    const int rank = reporterRank(s.label("reporter"));
    if (wl.empty() || wl == "unknown" || rank > 1) continue;
    by[{ns, wl}][rank] = WorkloadLatency{ns, wl, s.label("reporter"), s.value, {}, {}, {}};
  }
  std::vector<WorkloadLatency> out;
  for (auto& [k, ranks] : by) out.push_back(ranks.begin()->second);
  auto fill = [&](const char* q, std::optional<double> WorkloadLatency::*field) {
    for (const auto& s : a.at(q)) {
      for (auto& l : out) {
        if (l.ns == s.label("destination_workload_namespace") && l.workload == s.label("destination_workload") &&
            l.reporter == s.label("reporter"))
          l.*field = s.value;
      }
    }
  };
  fill("server_latency_p50", &WorkloadLatency::p50_ms);
  fill("server_latency_p90", &WorkloadLatency::p90_ms);
  fill("server_latency_p99", &WorkloadLatency::p99_ms);
  return out;
}

std::vector<ProxyUsage> readProxies(const Answers& a, const TrafficWindow& w, const std::vector<TrafficEdge>& edges,
                                    std::vector<std::string>& warnings) {
  struct Pod {
    std::string kind;
    double cpu = 0;
    std::optional<double> memory;
  };
  std::map<std::pair<std::string, std::string>, Pod> pods;
  for (const char* q : {"proxy_cpu", "proxy_memory"}) {
    for (const auto& s : a.at(q)) {
      auto& p = pods[{s.label("namespace"), s.label("pod")}];
      p.kind = kindOf(w, s.label("pod"));
      if (q == std::string("proxy_cpu")) p.cpu = s.value;
      else p.memory = s.value;
    }
  }
  if (pods.empty())
    warnings.push_back(
        "no container_cpu_usage_seconds_total / container_memory_working_set_bytes for container=\"istio-proxy\": "
        "proxy costs are not measured (does this Prometheus scrape the kubelets' cAdvisor?)");
  const auto rps = carried(a, w, warnings);
  std::vector<ProxyUsage> out;
  for (const char* kind : {"sidecar", "ztunnel", "waypoint"}) {
    ProxyUsage u;
    u.kind = kind;
    int with_memory = 0;
    for (const auto& [key, p] : pods) {
      if (p.kind != kind) continue;
      ++u.proxies;
      u.cpu_cores += p.cpu;
      if (p.memory) u.memory_bytes_mean += *p.memory, ++with_memory;
    }
    if (u.proxies == 0) continue;
    if (with_memory > 0) u.memory_bytes_mean /= with_memory;
    if (const auto it = rps.find(kind); it != rps.end()) u.rps = it->second;
    u.bytes_per_request = bytesPerRequest(edges, kind);
    out.push_back(u);
  }
  return out;
}

}  // namespace meshtwin::importer::detail
