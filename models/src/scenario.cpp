// Scenario look-ups and the names of enumerations as they appear in YAML and reports.
#include "meshtwin/models/scenario.hpp"

#include <algorithm>
#include <cmath>

namespace meshtwin::models {

const char* toString(MeshMode m) {
  switch (m) {
    case MeshMode::None: return "none";
    case MeshMode::Sidecar: return "sidecar";
    case MeshMode::Ambient: return "ambient";
  }
  return "?";
}

std::optional<MeshMode> meshModeFrom(std::string_view s) {
  if (s == "none") return MeshMode::None;
  if (s == "sidecar") return MeshMode::Sidecar;
  if (s == "ambient") return MeshMode::Ambient;
  return std::nullopt;
}

const char* toString(Locality l) {
  switch (l) {
    case Locality::SameNode: return "same-node";
    case Locality::SameZone: return "same-zone";
    case Locality::CrossZone: return "cross-zone";
  }
  return "?";
}

std::int64_t Network::rttNs(Locality l) const {
  switch (l) {
    case Locality::SameNode: return rtt_same_node_ns;
    case Locality::SameZone: return rtt_same_zone_ns;
    case Locality::CrossZone: return rtt_cross_zone_ns;
  }
  return rtt_cross_zone_ns;
}

const char* toString(ServiceTime::Kind k) {
  switch (k) {
    case ServiceTime::Kind::Constant: return "constant";
    case ServiceTime::Kind::Exponential: return "exponential";
    case ServiceTime::Kind::LogNormal: return "lognormal";
  }
  return "?";
}

namespace {
const std::vector<std::pair<L7Feature, std::string>>& l7Table() {
  static const std::vector<std::pair<L7Feature, std::string>> t = {
      {L7Feature::Retries, "retries"},         {L7Feature::HeaderRouting, "headerRouting"},
      {L7Feature::TrafficSplit, "trafficSplit"}, {L7Feature::L7Authz, "l7Authz"},
      {L7Feature::Jwt, "jwt"},                 {L7Feature::Tracing, "tracing"},
      {L7Feature::Wasm, "wasm"},               {L7Feature::EnvoyFilter, "envoyFilter"}};
  return t;
}
}  // namespace

const char* toString(L7Feature f) {
  for (const auto& [k, name] : l7Table()) {
    if (k == f) return name.c_str();
  }
  return "?";
}

std::optional<L7Feature> l7FeatureFrom(std::string_view s) {
  for (const auto& [k, name] : l7Table()) {
    if (name == s) return k;
  }
  return std::nullopt;
}

const std::vector<std::string>& l7FeatureNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [k, name] : l7Table()) out.push_back(name);
    return out;
  }();
  return names;
}

const char* toString(Protocol p) {
  switch (p) {
    case Protocol::Http: return "http";
    case Protocol::Grpc: return "grpc";
    case Protocol::Tcp: return "tcp";
  }
  return "?";
}

const char* toString(LoadSegment::Kind k) {
  switch (k) {
    case LoadSegment::Kind::Constant: return "constant";
    case LoadSegment::Kind::Steps: return "steps";
    case LoadSegment::Kind::Burst: return "burst";
  }
  return "?";
}

const char* toString(WaypointFor f) {
  switch (f) {
    case WaypointFor::Service: return "service";
    case WaypointFor::Workload: return "workload";
    case WaypointFor::All: return "all";
    case WaypointFor::None: return "none";
  }
  return "?";
}

const char* toString(WaypointBinding::Scope s) {
  switch (s) {
    case WaypointBinding::Scope::Namespace: return "namespace";
    case WaypointBinding::Scope::Service: return "service";
    case WaypointBinding::Scope::Workload: return "workload";
  }
  return "?";
}

const char* toString(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::NodeLoss: return "nodeLoss";
    case Fault::Kind::ZoneLoss: return "zoneLoss";
    case Fault::Kind::WaypointCrash: return "waypointCrash";
    case Fault::Kind::ClockSkew: return "clockSkew";
  }
  return "?";
}

const char* toString(Slo::Kind k) {
  switch (k) {
    case Slo::Kind::Availability: return "availability";
    case Slo::Kind::Latency: return "latency";
  }
  return "?";
}

const char* toString(LabelPolicy::Action a) {
  switch (a) {
    case LabelPolicy::Action::Audit: return "Audit";
    case LabelPolicy::Action::Enforce: return "Enforce";
  }
  return "?";
}

bool Fault::appliesTo(const std::string& phase) const {
  if (phases.empty()) return true;
  // A wave's rollout window counts as that wave.
  const std::string rollout = "rollout ";
  const auto name = phase.rfind(rollout, 0) == 0 ? phase.substr(rollout.size()) : phase;
  return std::find(phases.begin(), phases.end(), name) != phases.end();
}

double LoadSegment::rpsAt(std::int64_t t_ns) const {
  switch (kind) {
    case Kind::Constant: return rps;
    case Kind::Steps: {
      if (step_rps.empty() || duration_ns <= 0) return 0;
      const auto n = static_cast<std::int64_t>(step_rps.size());
      const auto i = std::clamp<std::int64_t>(t_ns * n / duration_ns, 0, n - 1);
      return step_rps[static_cast<std::size_t>(i)];
    }
    case Kind::Burst: {
      if (period_ns <= 0) return base_rps;
      return (t_ns % period_ns) < burst_ns ? peak_rps : base_rps;
    }
  }
  return 0;
}

double LoadSegment::peakRps() const {
  switch (kind) {
    case Kind::Constant: return rps;
    case Kind::Steps: return step_rps.empty() ? 0 : *std::max_element(step_rps.begin(), step_rps.end());
    case Kind::Burst: return peak_rps;
  }
  return 0;
}

double LoadSegment::meanRps() const {
  switch (kind) {
    case Kind::Constant: return rps;
    case Kind::Steps: {
      double sum = 0;
      for (double r : step_rps) sum += r;
      return step_rps.empty() ? 0 : sum / static_cast<double>(step_rps.size());
    }
    case Kind::Burst: {
      if (period_ns <= 0) return base_rps;
      const double f = static_cast<double>(burst_ns) / static_cast<double>(period_ns);
      return peak_rps * f + base_rps * (1 - f);
    }
  }
  return 0;
}

bool Workload::calls(std::size_t service) const {
  return std::any_of(script.begin(), script.end(), [&](const ScriptStep& step) {
    return std::any_of(step.calls.begin(), step.calls.end(), [&](const Call& c) { return c.service == service; });
  });
}

std::int64_t EntryPoint::durationNs() const {
  std::int64_t total = 0;
  for (const auto& s : load) total += s.duration_ns;
  return total;
}

std::optional<ServiceId> Scenario::findService(const std::string& ns, const std::string& object_name) const {
  for (ServiceId i = 0; i < services.size(); ++i) {
    if (services[i].name == object_name && services[i].ns == ns) return i;
  }
  return std::nullopt;
}

std::optional<WorkloadId> Scenario::findWorkload(const std::string& ns, const std::string& object_name) const {
  for (WorkloadId i = 0; i < workloads.size(); ++i) {
    if (workloads[i].name == object_name && workloads[i].ns == ns) return i;
  }
  return std::nullopt;
}

std::optional<WaypointId> Scenario::findWaypoint(const std::string& ns, const std::string& object_name) const {
  for (WaypointId i = 0; i < waypoints.size(); ++i) {
    if (waypoints[i].name == object_name && waypoints[i].ns == ns) return i;
  }
  return std::nullopt;
}

std::optional<ZoneId> Scenario::findZone(const std::string& zone_name) const {
  for (ZoneId i = 0; i < zones.size(); ++i) {
    if (zones[i].name == zone_name) return i;
  }
  return std::nullopt;
}

bool Scenario::hasNamespace(const std::string& ns) const {
  return std::binary_search(namespaces.begin(), namespaces.end(), ns);
}

Locality Scenario::locality(NodeId a, NodeId b) const {
  if (a == b) return Locality::SameNode;
  return nodes[a].zone == nodes[b].zone ? Locality::SameZone : Locality::CrossZone;
}

std::vector<ServiceId> Scenario::servicesOf(WorkloadId w) const {
  std::vector<ServiceId> out;
  for (ServiceId i = 0; i < services.size(); ++i) {
    if (std::find(services[i].backends.begin(), services[i].backends.end(), w) != services[i].backends.end())
      out.push_back(i);
  }
  return out;
}

}  // namespace meshtwin::models
