// Scenario loader: `entryPoints:`, the external traffic and its load shape (constant, steps, burst).
#include "scenario_loader.hpp"

#include <cstdlib>

namespace meshtwin::models::detail {

void ScenarioLoader::readEntryPoints(const YAML::Node& list) {
  if (!r_.isSeq(list, "scenario", "entryPoints")) return;
  for (const auto& n : list) readEntryPoint(n);
}

void ScenarioLoader::readEntryPoint(const YAML::Node& n) {
  if (!r_.isMap(n, "entryPoint", "entryPoints[]")) return;
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

std::optional<LoadSegment> ScenarioLoader::readSegment(const YAML::Node& n, const std::string& obj) {
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
    readStepsRps(v, obj, s);
  } else if (kind == "burst") {
    s.kind = LoadSegment::Kind::Burst;
    r_.checkKeys(v, obj, {"baseRps", "peakRps", "period", "burstDuration", "duration"});
    readBurst(v, obj, s);
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

// steps: {rps: [...]}, one rate per step.
void ScenarioLoader::readStepsRps(const YAML::Node& v, const std::string& obj, LoadSegment& s) {
  const auto list = r_.strings(v, "rps", obj);
  if (!list) {
    r_.error(v, obj, "steps needs rps: a list of rates, one per step", "e.g. steps: {rps: [100, 200, 400], duration: 3m}");
    return;
  }
  std::size_t i = 0;
  for (const auto& t : *list) {
    char* end = nullptr;
    const double x = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || x < 0)
      r_.error(v["rps"][i], obj, "steps rps \"" + t + "\" is not a rate", "give requests per second, 0 or more");
    else s.step_rps.push_back(x);
    ++i;
  }
}

// burst: a base rate with a peak of burstDuration every period.
void ScenarioLoader::readBurst(const YAML::Node& v, const std::string& obj, LoadSegment& s) {
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
}

}  // namespace meshtwin::models::detail
