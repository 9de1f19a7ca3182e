// measure: the scenario's entry points run against the testbed by load generators in the
// fabric, and one phase's report from what the machine counted over the window (cgroup CPU,
// process memory, the host's CPU, the fabric's bytes per zone pair).
#include "context.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "meshtwin/dataplane/identity_files.hpp"

namespace meshtwin::testbed {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace detail;

namespace {

double entryRate(const models::EntryPoint& e) {
  if (e.load.empty()) return 0;
  const auto& seg = e.load.front();
  return seg.rpsAt(0);
}

models::LatencySummary latencyFromLoad(const json& j) {
  models::LatencySummary l;
  l.requests = j.value("scheduled", 0ULL);
  l.errors = j.value("errors", 0ULL);
  l.count = j.value("completed", 0ULL);
  const auto& us = j.at("latency_us");
  l.mean_ms = us.value("mean", 0.0) / 1e3;
  l.p50_ms = us.value("p50", 0.0) / 1e3;
  l.p90_ms = us.value("p90", 0.0) / 1e3;
  l.p99_ms = us.value("p99", 0.0) / 1e3;
  l.p999_ms = us.value("p99.9", 0.0) / 1e3;
  return l;
}

// The offered load: each entry point's rate at the start of its load, or --rps split alike.
std::vector<double> offeredRates(const models::Scenario& s, const MeasureOptions& m) {
  double total = 0;
  for (const auto& e : s.entry_points) total += entryRate(e);
  std::vector<double> rates;
  for (const auto& e : s.entry_points) {
    const double r = entryRate(e);
    rates.push_back(m.rps > 0 && total > 0 ? m.rps * r / total : r * m.rps_scale);
  }
  return rates;
}

// A load generator started for one entry point.
struct LoadRun {
  std::string name;
  pid_t pid;
  std::uint64_t start;
  std::string json_file;
};

std::vector<std::string> loadArgs(const TestbedOptions& o, const Context& c, const MeasureOptions& m, std::size_t i,
                                  double rate, const std::string& out) {
  const auto& s = c.scenario;
  const auto& e = s.entry_points[i];
  return {findBinary(o, "meshtwin-load"),
          "--hbone",
          "--snapshot",
          c.layout.snapshotFile(),
          "--identity",
          c.layout.ingressIdentityDir(),
          "--service",
          s.services[e.service].key(),
          "--source",
          c.layout.ingress_ip,
          "--rps",
          fmt::format("{:.3f}", rate),
          "--connections",
          std::to_string(m.connections),
          "--max-connections",
          std::to_string(m.max_connections),
          "--duration",
          fmt::format("{}ms", m.duration.count()),
          "--warmup",
          fmt::format("{}ms", m.warmup.count()),
          "--timetable",
          e.arrival == models::EntryPoint::Arrival::Poisson ? "poisson" : "fixed",
          "--seed",
          std::to_string(s.seed + i),
          "--path",
          e.path,
          "--size",
          "0",
          "--json",
          out};
}

// A load generator per entry point with a rate, in the fabric namespace and the ingress cgroup.
Result<std::vector<LoadRun>> startLoads(const TestbedOptions& o, const Context& c, const MeasureOptions& m,
                                        const std::vector<double>& rates, const std::string& cg) {
  const auto& s = c.scenario;
  const auto measure_dir = c.layout.state_dir + "/measure";
  std::error_code ec;
  fs::create_directories(measure_dir, ec);
  std::vector<LoadRun> loads;
  if (auto r = makeCgroup(cg); !r) return r.error();
  for (std::size_t i = 0; i < s.entry_points.size(); ++i) {
    const auto& e = s.entry_points[i];
    if (rates[i] <= 0) continue;
    const auto out = measure_dir + "/entry-" + e.name + ".json";
    fs::remove(out, ec);
    const auto args = loadArgs(o, c, m, i, rates[i], out);
    auto pid = spawnProcess({args, c.layout.fabric_netns, cg, c.layout.logDir() + "/load-" + e.name + ".log"});
    if (!pid) return pid.error();
    loads.push_back({e.name, pid.value(), processStartTime(pid.value()).value_or(0), out});
  }
  say(o, fmt::format("load: {} entry point(s), {:.0f} rps in all, {} s warm-up then {} s measured",
                     loads.size(), std::accumulate(rates.begin(), rates.end(), 0.0), static_cast<double>(m.warmup.count()) / 1000.0,
                     static_cast<double>(m.duration.count()) / 1000.0));
  return loads;
}

// CPU time at one instant: each recorded process's cgroup, the load generators' and the host's.
struct CpuSample {
  std::map<std::string, std::uint64_t> processes;  // by process name, usec
  std::uint64_t ingress_usec = 0;
  std::optional<HostCpuTimes> host;
};

CpuSample sampleCpu(const Context& c, const std::string& ingress_cg) {
  CpuSample sample;
  for (const auto& p : c.state.processes) sample.processes[p.name] = cgroupCpuUsec(p.cgroup).value_or(0);
  sample.ingress_usec = cgroupCpuUsec(ingress_cg).value_or(0);
  sample.host = readHostCpuTimes();
  return sample;
}

struct Window {
  CpuSample start, end;
  double seconds = 0;
  std::vector<ZoneCounter> zones;  // the bytes each zone pair carried over the window
};

// The window: counters are read (and zeroed) when the load generators start measuring and
// again when they stop.
Result<Window> measureWindow(const TestbedOptions& o, const Context& c, const MeasureOptions& m, const std::string& cg) {
  std::this_thread::sleep_for(m.warmup);
  if (auto r = readZoneCounters(c); !r) return r.error();
  Window w;
  w.start = sampleCpu(c, cg);
  const auto w0 = Clock::now();
  const auto step = std::chrono::seconds(5);
  for (auto left = m.duration; left.count() > 0;) {
    const auto nap = std::min<std::chrono::milliseconds>(left, step);
    std::this_thread::sleep_for(nap);
    left -= nap;
    say(o, fmt::format("  measuring: {:.0f} of {:.0f} s", secondsSince(w0), static_cast<double>(m.duration.count()) / 1000.0));
  }
  w.end = sampleCpu(c, cg);
  w.seconds = secondsSince(w0);
  auto zones = readZoneCounters(c);
  if (!zones) return zones.error();
  w.zones = std::move(zones).value();
  return w;
}

// Each live process's memory, and its established connections while the load generators
// still hold theirs.
std::map<std::string, std::size_t> recordMemory(const Context& c, Measurement& out) {
  std::map<std::string, std::size_t> connections;
  for (const auto& p : c.state.processes) {
    if (auto mem = processMemory(p.pid); mem && processAlive(p.pid, p.start_time)) {
      out.memory[p.name] = *mem;
      connections[p.name] = establishedConnections(p.pid);
    }
  }
  return connections;
}

// The load generators stop on their own after the window and the grace for late replies.
void waitForLoads(const std::vector<LoadRun>& loads) {
  for (const auto& l : loads) {
    for (int i = 0; i < 1000 && processAlive(l.pid, l.start); ++i) {
      ::waitpid(l.pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stopProcess(l.pid, l.start, std::chrono::milliseconds(100));
  }
}

// Each entry point's latency and errors, as its load generator wrote them.
Result<bool> addLoadResults(const Context& c, const std::vector<LoadRun>& loads, models::PhaseReport& ph) {
  for (const auto& l : loads) {
    auto text = readText(l.json_file);
    if (!text) {
      return Error{"read load result", l.json_file, text.error().cause,
                   "see " + c.layout.logDir() + "/load-" + l.name + ".log"};
    }
    json j;
    try {
      j = json::parse(text.value());
      ph.entry_latency[l.name] = latencyFromLoad(j);
      for (const auto& [cause, n] : j.value("error_causes", std::map<std::string, std::uint64_t>{})) {
        ph.errors_by_cause[cause] += n;
      }
    } catch (const json::exception& e) {
      return Error{"read load result", l.json_file, e.what()};
    }
    ph.requests += ph.entry_latency[l.name].requests;
    ph.errors += ph.entry_latency[l.name].errors;
  }
  return true;
}

// CPU and memory over the window by role (and each process's figures), then the load
// generators: the ingress gateway, outside the mesh.
void addComponents(const Context& c, const Window& w, const std::map<std::string, std::size_t>& connections,
                   std::size_t loads, Measurement& out, models::PhaseReport& ph) {
  const auto& cpu0 = w.start.processes;
  const auto& cpu1 = w.end.processes;
  const double window_s = w.seconds;
  std::map<std::string, models::ComponentUsage> by_kind;
  for (const char* kind : {"app", "sidecar", "ztunnel", "waypoint"}) by_kind[kind].kind = kind;
  for (const auto& p : c.state.processes) {
    auto& u = by_kind[p.role];
    const auto a = cpu0.find(p.name), b = cpu1.find(p.name);
    const double usec = a != cpu0.end() && b != cpu1.end() && b->second >= a->second ? double(b->second - a->second) : 0;
    const double milli = usec / (window_s * 1e3);
    const double mem = out.memory.count(p.name) ? static_cast<double>(out.memory[p.name].rss_bytes) : 0;
    out.processes[p.name] = {p.role, milli, connections.count(p.name) ? connections.at(p.name) : 0};
    u.instances += 1;
    u.cpu_millicores += milli;
    u.memory_bytes += mem;
    u.max_instance_cpu_millicores = std::max(u.max_instance_cpu_millicores, milli);
    u.max_instance_memory_bytes = std::max(u.max_instance_memory_bytes, mem);
  }
  for (const char* kind : {"app", "sidecar", "ztunnel", "waypoint"}) {
    ph.components.push_back(by_kind[kind]);
    out.host.testbed_millicores += by_kind[kind].cpu_millicores;
    if (std::string(kind) != "app") {
      ph.mesh_cpu_millicores += by_kind[kind].cpu_millicores;
      ph.mesh_memory_bytes += by_kind[kind].memory_bytes;
    }
  }
  const auto ingress0 = w.start.ingress_usec, ingress1 = w.end.ingress_usec;
  models::ComponentUsage in;
  in.kind = "ingress";
  in.instances = static_cast<double>(loads);
  in.cpu_millicores = ingress1 >= ingress0 ? static_cast<double>(ingress1 - ingress0) / (window_s * 1e3) : 0;
  in.max_instance_cpu_millicores = in.cpu_millicores;
  out.host.testbed_millicores += in.cpu_millicores;
  ph.components.push_back(in);
}

void addHostFigures(const Window& w, Measurement& out) {
  const auto& host0 = w.start.host;
  const auto& host1 = w.end.host;
  const double window_s = w.seconds;
  if (host0 && host1 && window_s > 0) {
    out.host.busy_millicores = static_cast<double>(host1->busy_ns - host0->busy_ns) / (window_s * 1e6);
    out.host.steal_millicores = static_cast<double>(host1->steal_ns - host0->steal_ns) / (window_s * 1e6);
  }
}

// The bytes each zone pair carried, scaled to a month, and what crossing zones costs.
void addZonePairs(const models::Scenario& s, const Window& w, models::PhaseReport& ph) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const double to_month = 730.0 * 3600.0 / w.seconds;
  for (const auto& z : w.zones) {
    if (z.bytes == 0) continue;
    models::ZonePairTraffic t;
    t.from = z.from;
    t.to = z.to;
    t.bytes = static_cast<double>(z.bytes);
    t.gib_per_month = t.bytes * to_month / kGiB;
    if (z.from != z.to) {
      t.usd_per_month = t.gib_per_month * (s.network.cross_zone_usd_per_gib_egress + s.network.cross_zone_usd_per_gib_ingress);
    }
    ph.cross_zone_usd_per_month += t.usd_per_month;
    ph.zone_pairs.push_back(t);
  }
}

// The report, the memory by process and the host figures, to --json's file.
Result<bool> writeMeasureJson(const TestbedOptions& o, const Context& c, const MeasureOptions& m, const Measurement& out) {
  if (m.json_file.empty()) return true;
  json j = models::toJson(out.report);
  json mem = json::object();
  for (const auto& [name, pm] : out.memory) mem[name] = {{"rss_bytes", pm.rss_bytes}, {"pss_bytes", pm.pss_bytes}};
  j["testbed"] = {{"name", o.name},
                  {"phase", c.state.phase},
                  {"memory_by_process", mem},
                  {"host", {{"busy_millicores", out.host.busy_millicores},
                            {"steal_millicores", out.host.steal_millicores},
                            {"testbed_millicores", out.host.testbed_millicores}}}};
  return dataplane::writeFileAtomically(m.json_file, j.dump(2) + "\n");
}

}  // namespace

Result<Measurement> measure(const TestbedOptions& o, const MeasureOptions& m) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  const auto& s = c.scenario;
  const auto cg = c.layout.ingressCgroup();
  auto loads = startLoads(o, c, m, offeredRates(s, m), cg);
  if (!loads) return loads.error();
  auto window = measureWindow(o, c, m, cg);
  if (!window) return window.error();
  auto& w = window.value();
  Measurement out;
  const auto connections = recordMemory(c, out);
  waitForLoads(loads.value());
  auto& r = out.report;
  r.generator = "meshtwin testbed";
  r.scenario = s.name;
  r.scenario_file = c.state.scenario_file;
  r.profile = "measured";
  r.profile_kind = "testbed";
  r.seed = s.seed;
  models::PhaseReport ph;
  ph.name = c.phase_state.phase_name;
  ph.duration_s = w.seconds;
  if (auto read = addLoadResults(c, loads.value(), ph); !read) return read.error();
  addComponents(c, w, connections, loads->size(), out, ph);
  addHostFigures(w, out);
  addZonePairs(s, w, ph);
  out.zone_counters = std::move(w.zones);
  r.phases.push_back(std::move(ph));
  if (auto written = writeMeasureJson(o, c, m, out); !written) return written.error();
  return out;
}

}  // namespace meshtwin::testbed
