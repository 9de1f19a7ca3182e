// Offered load per workload: entry rates pushed through the call scripts, callers first.
#include "meshtwin/models/traffic.hpp"

#include <algorithm>
#include <functional>

namespace meshtwin::models {

namespace {

// Requests per second a service's backends each take of `rps`, by replica count.
void spreadOverBackends(const Scenario& s, ServiceId sv, double rps, std::vector<double>& out) {
  double replicas = 0;
  for (auto b : s.services[sv].backends) replicas += s.workloads[b].replicas;
  if (replicas <= 0) return;
  for (auto b : s.services[sv].backends) out[b] += rps * s.workloads[b].replicas / replicas;
}

}  // namespace

double meanRps(const EntryPoint& ep) {
  double weighted = 0, total_ns = 0;
  for (const auto& seg : ep.load) {
    weighted += seg.meanRps() * static_cast<double>(seg.duration_ns);
    total_ns += static_cast<double>(seg.duration_ns);
  }
  return total_ns > 0 ? weighted / total_ns : 0;
}

std::vector<double> offeredRps(const Scenario& s, const std::vector<double>& entry_rps) {
  std::vector<double> rps(s.workloads.size(), 0);
  for (std::size_t i = 0; i < s.entry_points.size() && i < entry_rps.size(); ++i)
    spreadOverBackends(s, s.entry_points[i].service, entry_rps[i], rps);
  // Callers before callees (scripts have no cycles: the loader rejects them).
  std::vector<int> state(s.workloads.size(), 0);
  std::vector<WorkloadId> order;
  std::function<void(WorkloadId)> visit = [&](WorkloadId w) {
    if (state[w]) return;
    state[w] = 1;
    for (const auto& step : s.workloads[w].script) {
      for (const auto& c : step.calls) {
        for (auto b : s.services[c.service].backends) visit(b);
      }
    }
    order.push_back(w);
  };
  for (WorkloadId w = 0; w < s.workloads.size(); ++w) visit(w);
  std::reverse(order.begin(), order.end());
  for (auto w : order) {
    for (const auto& step : s.workloads[w].script) {
      for (const auto& c : step.calls) spreadOverBackends(s, c.service, rps[w] * c.probability, rps);
    }
  }
  return rps;
}

std::vector<double> offeredRps(const Scenario& s) {
  std::vector<double> entry;
  for (const auto& ep : s.entry_points) entry.push_back(meanRps(ep));
  return offeredRps(s, entry);
}

}  // namespace meshtwin::models
