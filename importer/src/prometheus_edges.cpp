// Edges from the answers: requests per (source, service, destination workload), counted once
// by the best reporter present for each (source, service); sizes, errors and the caller-side
// latency joined on; TCP-only edges (ztunnel, TCP services) where no request was reported.
#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer::detail {

namespace {

using Pair = std::tuple<std::string, std::string, std::string, std::string>;  // source ns, source, service ns, service
using Dest = std::pair<std::string, std::string>;                             // workload ns, workload
struct Acc {
  double rps = 0, errors = 0;
  std::map<std::string, double> by_protocol;
};
struct Report {
  std::string reporter;
  std::map<Dest, Acc> dests;
};
using ByReporter = std::map<int, Report>;  // by reporterRank

Pair pairOf(const Sample& s) {
  return {s.label("source_workload_namespace"), s.label("source_workload"), s.label("destination_service_namespace"),
          s.label("destination_service_name")};
}
Dest destOf(const Sample& s) { return {s.label("destination_workload_namespace"), s.label("destination_workload")}; }

std::string edgeKey(const std::string& reporter, const Pair& p, const Dest& d) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", reporter, std::get<0>(p), std::get<1>(p), std::get<2>(p), std::get<3>(p),
                     d.first, d.second);
}

// 5xx, or no response at all (response_code 0: reset, timeout); gRPC: a non-OK status.
bool isError(const Sample& s) {
  const auto code = s.label("response_code");
  if (code == "0" || (!code.empty() && code[0] == '5')) return true;
  const auto grpc = s.label("grpc_response_status");
  return s.label("request_protocol") == "grpc" && !grpc.empty() && grpc != "0";
}

// Destinations outside the registry (PassthroughCluster, BlackHoleCluster) and series without a
// source are no edge of the model.
bool modelled(const Pair& p) {
  const auto& svc = std::get<3>(p);
  return !std::get<1>(p).empty() && !svc.empty() && svc != "PassthroughCluster" && svc != "BlackHoleCluster";
}

std::map<Pair, ByReporter> collect(const std::vector<Sample>& samples, bool l7, std::set<std::string>& skipped) {
  std::map<Pair, ByReporter> out;
  for (const auto& s : samples) {
    const int rank = reporterRank(s.label("reporter"));
    const Pair p = pairOf(s);
    if (rank > 2) continue;
    if (!modelled(p)) {
      if (s.value > 0) skipped.insert(std::get<3>(p).empty() ? "(no service)" : std::get<3>(p));
      continue;
    }
    auto& r = out[p][rank];
    r.reporter = s.label("reporter");
    auto& acc = r.dests[destOf(s)];
    acc.rps += s.value;
    if (l7 && isError(s)) acc.errors += s.value;
    acc.by_protocol[l7 ? s.label("request_protocol") : "tcp"] += s.value;
  }
  return out;
}

struct Picked {
  const Report* report;
  Dest dest;
  const Acc* acc;
};

// The reports that count each request of a pair once (pickReports).
std::vector<Picked> pick(const ByReporter& by) {
  ReportsByRank ranks;
  std::map<std::string, Dest> back;
  for (const auto& [rank, r] : by) {
    for (const auto& [d, a] : r.dests) {
      if (a.rps <= 0) continue;
      const auto k = d.first + "/" + d.second;
      ranks[rank].push_back(k);
      back[k] = d;
    }
  }
  std::vector<Picked> out;
  for (const auto& [rank, k] : pickReports(ranks)) {
    const auto& r = by.at(rank);
    const auto& d = back.at(k);
    out.push_back({&r, d, &r.dests.at(d)});
  }
  return out;
}

models::Protocol protocolOf(const Acc& a) {
  std::string best;
  double most = -1;
  for (const auto& [p, rps] : a.by_protocol) {
    if (rps > most) best = p, most = rps;
  }
  if (best == "grpc") return models::Protocol::Grpc;
  if (best == "tcp") return models::Protocol::Tcp;
  return models::Protocol::Http;
}

// Per-edge values keyed like edgeKey; pairKeyed: keyed by the pair alone (client latency).
std::map<std::string, double> keyed(const std::vector<Sample>& samples, bool pair_keyed) {
  std::map<std::string, double> out;
  for (const auto& s : samples) {
    const auto k = pair_keyed ? edgeKey("", pairOf(s), {}) : edgeKey(s.label("reporter"), pairOf(s), destOf(s));
    out[k] += s.value;
  }
  return out;
}

double find(const std::map<std::string, double>& m, const std::string& k, double fallback = 0) {
  const auto it = m.find(k);
  return it == m.end() ? fallback : it->second;
}

TrafficEdge edgeOf(const TrafficWindow& w, const Pair& p, const Report& r, const Dest& d, const Acc& a) {
  TrafficEdge e;
  std::tie(e.source_ns, e.source_workload, e.service_ns, e.service) = p;
  std::tie(e.dest_ns, e.dest_workload) = d;
  if (e.dest_workload.empty()) e.dest_workload = "unknown";
  if (e.dest_ns.empty()) e.dest_ns = e.service_ns;
  if (e.source_ns.empty()) e.source_ns = "unknown";
  e.reporter = r.reporter;
  e.rps = a.rps;
  e.error_ratio = a.rps > 0 ? a.errors / a.rps : 0;
  e.protocol = protocolOf(a);
  e.from_outside = fromOutside(w, e.source_workload);
  return e;
}

void requestEdges(const Answers& a, const TrafficWindow& w, const std::map<Pair, ByReporter>& l7,
                  std::vector<TrafficEdge>& out, std::vector<std::string>& warnings) {
  const auto req = keyed(a.at("request_bytes"), false), resp = keyed(a.at("response_bytes"), false);
  const auto client = keyed(a.at("client_latency"), true);
  std::vector<std::string> unsized;
  for (const auto& [p, by] : l7) {
    for (const auto& [r, d, acc] : pick(by)) {
      auto e = edgeOf(w, p, *r, d, *acc);
      const auto k = edgeKey(r->reporter, p, d);
      e.request_bytes = find(req, k, -1);
      e.response_bytes = find(resp, k, -1);
      if (e.request_bytes < 0 || e.response_bytes < 0) unsized.push_back(e.describe());
      e.request_bytes = std::max(0.0, e.request_bytes);
      e.response_bytes = std::max(0.0, e.response_bytes);
      if (const auto c = client.find(edgeKey("", p, {})); c != client.end()) e.client_latency_ms = c->second;
      out.push_back(std::move(e));
    }
  }
  if (!unsized.empty())
    warnings.push_back(fmt::format("{} edge(s) without istio_request_bytes/istio_response_bytes (sizes taken as 0): {}",
                                   unsized.size(), fmt::join(unsized, ", ")));
}

void tcpEdges(const Answers& a, const TrafficWindow& w, const std::map<Pair, ByReporter>& l7,
              const std::map<Pair, ByReporter>& l4, std::vector<TrafficEdge>& out, std::vector<std::string>& warnings) {
  const auto rx = keyed(a.at("tcp_received_bytes"), false), tx = keyed(a.at("tcp_sent_bytes"), false);
  std::vector<std::string> l4_only;
  for (const auto& [p, by] : l4) {
    if (const auto it = l7.find(p); it != l7.end() && !pick(it->second).empty()) continue;  // counted as requests
    for (const auto& [r, d, acc] : pick(by)) {
      auto e = edgeOf(w, p, *r, d, *acc);
      const auto k = edgeKey(r->reporter, p, d);
      e.request_bytes = find(rx, k) / acc->rps;
      e.response_bytes = find(tx, k) / acc->rps;
      l4_only.push_back(e.describe());
      out.push_back(std::move(e));
    }
  }
  if (!l4_only.empty())
    warnings.push_back(fmt::format(
        "{} edge(s) seen only at L4 (istio_tcp_*: TCP services, or ambient without a waypoint): their rate is TCP "
        "connections opened per second, not requests, and sizes are per connection: {}",
        l4_only.size(), fmt::join(l4_only, ", ")));
}

}  // namespace

std::vector<TrafficEdge> readEdges(const Answers& a, const TrafficWindow& w, std::vector<std::string>& warnings) {
  std::set<std::string> skipped;
  const auto l7 = collect(a.at("requests"), true, skipped);
  const auto l4 = collect(a.at("tcp_connections"), false, skipped);
  std::vector<TrafficEdge> out;
  requestEdges(a, w, l7, out, warnings);
  tcpEdges(a, w, l7, l4, out, warnings);
  if (!skipped.empty())
    warnings.push_back(fmt::format("traffic to {} is not modelled: destinations outside the service registry",
                                   fmt::join(skipped, ", ")));
  std::sort(out.begin(), out.end(), [](const TrafficEdge& x, const TrafficEdge& y) {
    return std::tie(x.source_ns, x.source_workload, x.service_ns, x.service, x.dest_ns, x.dest_workload) <
           std::tie(y.source_ns, y.source_workload, y.service_ns, y.service, y.dest_ns, y.dest_workload);
  });
  return out;
}

}  // namespace meshtwin::importer::detail
