// applyTraffic: observed edges become calls in the callers' scripts (probability = calls per
// request the caller serves), sizes, entry-point rps curves; what the manifests lack is created,
// and what cannot be modelled (errors, silent workloads) is written down as an assumption.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer {

namespace {

// Beyond this many calls per request served, a workload is taken to originate its own traffic.
constexpr double kMaxCallsPerRequest = 20;
// Ratios this close to a whole number are taken as that number (counters are sampled, not exact).
constexpr double kWholeTolerance = 0.02;

struct Out {  // one caller -> one service, summed over the destination workloads
  std::string service_ns, service;
  double rps = 0, request_bytes = 0;  // request_bytes: rps-weighted sum until finished
};

std::string where(const Traffic& t) { return "Prometheus " + t.window.url; }
std::string span(const Traffic& t) { return formatWindow(t.window.window_ns) + " to " + t.evaluated_at; }

std::string callName(const std::string& from_ns, const std::string& ns, const std::string& name) {
  return ns == from_ns ? name : name + "." + ns;
}

void createObjects(const Traffic& t, Draft& d, ImportReport& report) {
  const std::string why = "seen in Prometheus traffic (" + span(t) + "), not in the other sources";
  auto workload = [&](const std::string& ns, const std::string& name) {
    if (name == "unknown" || d.findWorkload(ns, name)) return;
    DraftWorkload w;
    w.ns = ns, w.name = name;
    w.notes.push_back(why);
    d.workloads.push_back(std::move(w));
    report.assume("workload " + ns + "/" + name, why + ": name and namespace only, no resources known");
  };
  for (const auto& e : t.edges) {
    if (!e.from_outside) workload(e.source_ns, e.source_workload);
    workload(e.dest_ns, e.dest_workload);
    DraftService* s = d.findService(e.service_ns, e.service);
    if (!s) {
      DraftService n;
      n.ns = e.service_ns, n.name = e.service;
      n.ports.push_back({models::toString(e.protocol), 8080, 8080, e.protocol});
      n.notes.push_back(why);
      d.services.push_back(std::move(n));
      s = &d.services.back();
      report.assume("service " + s->key(), why + fmt::format(": port unknown, 8080 ({}) assumed", models::toString(e.protocol)));
    }
    if (e.dest_workload != "unknown" && e.dest_ns == s->ns &&
        std::find(s->workloads.begin(), s->workloads.end(), e.dest_workload) == s->workloads.end()) {
      s->workloads.push_back(e.dest_workload);
      std::sort(s->workloads.begin(), s->workloads.end());
      s->notes.push_back("backend " + e.dest_workload + " seen in Prometheus traffic (" + span(t) + ")");
    }
  }
}

std::map<std::string, double> inboundRps(const Traffic& t) {
  std::map<std::string, double> in;
  for (const auto& e : t.edges) in[e.destKey()] += e.rps;
  return in;
}

std::map<std::string, std::vector<Out>> outbound(const Traffic& t) {
  std::map<std::string, std::map<std::string, Out>> by;
  for (const auto& e : t.edges) {
    if (e.from_outside) continue;
    auto& o = by[e.sourceKey()][e.serviceKey()];
    o.service_ns = e.service_ns, o.service = e.service;
    o.rps += e.rps;
    o.request_bytes += e.rps * e.request_bytes;
  }
  std::map<std::string, std::vector<Out>> out;
  for (auto& [src, m] : by) {
    for (auto& [k, o] : m) {
      if (o.rps > 0) o.request_bytes /= o.rps;
      out[src].push_back(o);
    }
  }
  return out;
}

// Calls per request as call steps: whole calls at probability 1, then the remainder.
std::vector<double> probabilities(double ratio) {
  if (std::abs(ratio - std::round(ratio)) <= kWholeTolerance && std::round(ratio) >= 1) ratio = std::round(ratio);
  std::vector<double> out;
  for (; ratio >= 1; ratio -= 1) out.push_back(1.0);
  if (ratio > kWholeTolerance || out.empty()) out.push_back(ratio);
  return out;
}

// Sets the first call of the script to `name` (or appends steps), one step per call made.
void putCalls(DraftWorkload& w, const std::string& name, const std::vector<double>& ps, std::int64_t bytes) {
  std::size_t next = 0;
  for (auto& step : w.script) {
    for (auto& c : step.calls) {
      if (c.service != name || next >= ps.size()) continue;
      c.probability = ps[next++];
      c.request_bytes = bytes;
    }
  }
  for (; next < ps.size(); ++next) {
    DraftCall c;
    c.service = name;
    c.probability = ps[next];
    c.request_bytes = bytes;
    w.script.push_back(DraftStep{0, {c}});
  }
}

// `base`, or `base-2`, `base-3`, ... when an entry point has the name already.
std::string entryName(const Draft& d, const std::string& base) {
  auto taken = [&](const std::string& n) {
    return std::any_of(d.entry_points.begin(), d.entry_points.end(), [&](const DraftEntryPoint& e) { return e.name == n; });
  };
  std::string name = base;
  for (int i = 2; taken(name); ++i) name = base + "-" + std::to_string(i);
  return name;
}

void originEntry(const Traffic& t, Draft& d, ImportReport& report, const DraftWorkload& w, const Out& o) {
  DraftEntryPoint ep;
  ep.name = entryName(d, w.name + "-" + o.service);
  ep.service = o.service + "." + o.service_ns;
  ep.rps = {o.rps};
  ep.step_ns = t.window.window_ns;
  ep.notes.push_back(fmt::format("calls from {} at {:.3g} rps (Prometheus, {})", w.key(), o.rps, span(t)));
  report.assume("workload " + w.key(),
                fmt::format("calls {}.{} at {:.3g} rps but serves too few requests to carry them as calls per request: "
                            "modelled as entry point {} (its own proxy hop is not)",
                            o.service, o.service_ns, o.rps, ep.name));
  d.entry_points.push_back(std::move(ep));
}

void applyCalls(const Traffic& t, Draft& d, ImportReport& report) {
  const auto in = inboundRps(t);
  for (const auto& [src, outs] : outbound(t)) {
    const auto slash = src.find('/');
    DraftWorkload* w = d.findWorkload(src.substr(0, slash), src.substr(slash + 1));
    if (!w) continue;
    const double served = in.count(src) ? in.at(src) : 0;
    std::vector<std::string> said;
    for (const auto& o : outs) {
      const double ratio = served > 0 ? o.rps / served : 0;
      if (served <= 0 || ratio > kMaxCallsPerRequest) {
        originEntry(t, d, report, *w, o);  // adds an entry point: `w` stays valid
        continue;
      }
      const auto name = callName(w->ns, o.service_ns, o.service);
      const auto ps = probabilities(ratio);
      putCalls(*w, name, ps, std::max<std::int64_t>(1, std::llround(o.request_bytes)));
      said.push_back(fmt::format("{} {:.3g} per request", name, ratio));
      if (ps.size() > 1)
        report.assume("workload " + w->key(),
                      fmt::format("calls {} {:.3g} times per request served: {} call steps in a row", name, ratio, ps.size()));
    }
    if (said.empty()) continue;
    w->notes.push_back(fmt::format("calls from Prometheus ({}): {}", span(t), fmt::join(said, ", ")));
    report.assume("workload " + w->key(),
                  "calls made one after another: Prometheus does not show which calls run concurrently");
  }
}

void applySizes(const Traffic& t, Draft& d) {
  std::map<std::string, std::array<double, 3>> by;  // rps, request bytes x rps, response bytes x rps
  for (const auto& e : t.edges) {
    auto& a = by[e.destKey()];
    a[0] += e.rps, a[1] += e.rps * e.request_bytes, a[2] += e.rps * e.response_bytes;
  }
  for (const auto& [key, a] : by) {
    const auto slash = key.find('/');
    DraftWorkload* w = d.findWorkload(key.substr(0, slash), key.substr(slash + 1));
    if (!w || a[0] <= 0) continue;
    w->request_bytes = std::llround(a[1] / a[0]);
    w->response_bytes = std::llround(a[2] / a[0]);
    w->notes.push_back(fmt::format("requests {} B, responses {} B: means from Prometheus ({}) at {:.3g} rps",
                                   *w->request_bytes, *w->response_bytes, span(t), a[0]));
  }
}

DraftEntryPoint& entryFor(Draft& d, const EntryLoad& l) {
  const std::string svc = l.service + "." + l.service_ns;
  for (auto& ep : d.entry_points) {
    if (ep.service == svc || ep.service == svc + ".svc.cluster.local") return ep;
  }
  DraftEntryPoint ep;
  ep.name = entryName(d, l.service);
  ep.service = svc;
  d.entry_points.push_back(std::move(ep));
  return d.entry_points.back();
}

void applyEntries(const Traffic& t, Draft& d, ImportReport& report) {
  for (const auto& l : t.entry_loads) {
    if (!d.findService(l.service_ns, l.service)) {
      DraftService s;
      s.ns = l.service_ns, s.name = l.service;
      s.notes.push_back("entered from outside the mesh in Prometheus traffic (" + span(t) + ")");
      d.services.push_back(std::move(s));
      report.assume("service " + l.serviceKey(), "seen only as an entry load in Prometheus traffic: no backend known");
    }
    auto& ep = entryFor(d, l);
    ep.rps = l.rps;
    ep.step_ns = l.step_ns;
    ep.notes.push_back(fmt::format("rps from Prometheus ({} at {} steps): mean {:.3g}, from {}", span(t),
                                   formatWindow(l.step_ns), l.meanRps(), fmt::join(l.sources, ", ")));
  }
}

void noteServices(const Traffic& t, Draft& d, ImportReport& report) {
  std::map<std::string, std::array<double, 2>> by;  // rps, error rps
  std::map<std::string, bool> l4;                    // seen only as TCP connections
  for (const auto& e : t.edges) {
    by[e.serviceKey()][0] += e.rps, by[e.serviceKey()][1] += e.rps * e.error_ratio;
    l4.emplace(e.serviceKey(), true).first->second &= e.protocol == models::Protocol::Tcp;
  }
  for (const auto& [key, a] : by) {
    const auto slash = key.find('/');
    if (DraftService* s = d.findService(key.substr(0, slash), key.substr(slash + 1)))
      s->notes.push_back(fmt::format("rate from Prometheus ({}): {:.3g} {}", span(t), a[0],
                                     l4[key] ? "TCP connections/s" : "rps"));
    if (a[0] > 0 && a[1] > 0)
      report.assume("service " + key, fmt::format("answers {:.2g}% errors (5xx or no response; gRPC non-OK) over {}: "
                                                  "not modelled as a fault",
                                                  100 * a[1] / a[0], formatWindow(t.window.window_ns)));
  }
}

// What the reports show of a destination's data plane, where no other source said: only its
// own sidecar reports requests as reporter=destination; a waypoint reports for ambient pods.
void inferModes(const Traffic& t, Draft& d) {
  std::map<std::string, models::MeshMode> seen;
  for (const auto& e : t.edges) {
    if (e.protocol == models::Protocol::Tcp || e.dest_workload == "unknown") continue;
    if (e.reporter == "destination") seen[e.destKey()] = models::MeshMode::Sidecar;
    else if (e.reporter == "waypoint") seen.emplace(e.destKey(), models::MeshMode::Ambient);
  }
  for (const auto& [key, mode] : seen) {
    const auto slash = key.find('/');
    DraftWorkload* w = d.findWorkload(key.substr(0, slash), key.substr(slash + 1));
    if (!w || w->mode || d.workload_modes.count(key) || d.namespace_modes.count(w->ns)) continue;
    w->mode = mode;
    w->notes.push_back(mode == models::MeshMode::Sidecar
                           ? "mode sidecar: its own proxy reports the requests it serves (Prometheus, reporter=destination)"
                           : "mode ambient: a waypoint reports the requests it serves (Prometheus, reporter=waypoint)");
  }
}

void noteSilent(const Traffic& t, const Draft& d, ImportReport& report) {
  std::set<std::string> seen;
  for (const auto& e : t.edges) seen.insert(e.destKey()), seen.insert(e.sourceKey());
  for (const auto& w : d.workloads) {
    if (!seen.count(w.key()))
      report.assume("workload " + w.key(), "no traffic seen for " + w.name + " in Prometheus (" + span(t) + ")");
  }
}

}  // namespace

void applyTraffic(const Traffic& t, Draft& d, ImportReport& report) {
  report.sources.push_back(t.provenance());
  auto& kind = report.kinds["traffic edge"];
  kind.read += static_cast<int>(t.edges.size());
  kind.mapped += static_cast<int>(t.edges.size());  // calls, or entry loads for traffic from outside
  for (const auto& w : t.warnings) report.assume(where(t), w);
  createObjects(t, d, report);
  applyCalls(t, d, report);
  applySizes(t, d);
  applyEntries(t, d, report);
  noteServices(t, d, report);
  inferModes(t, d);
  noteSilent(t, d, report);
  detail::applyServiceTimes(t, d, report);
}

}  // namespace meshtwin::importer
