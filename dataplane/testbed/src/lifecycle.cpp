// up, down and status: bringing a scenario's testbed up (network, identities, snapshot,
// processes), removing whatever carries its name, and what is running.
#include "context.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "meshtwin/bpf/pinned.hpp"
#include "meshtwin/dataplane/identity_files.hpp"

namespace meshtwin::testbed {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace detail;

namespace {

Result<bool> issueIdentities(const TestbedOptions& o, const Context& c) {
  dataplane::CaOptions ca_opts;
  const auto now = dataplane::systemNow();
  auto ca = dataplane::CertificateAuthority::create(ca_opts, now);
  if (!ca) return ca.error();
  if (auto r = dataplane::writeCaDir(c.layout.state_dir + "/ca", ca.value()); !r) return r.error();
  ca->setNodeWorkloads(c.scenario);
  const auto by_node = dataplane::serviceAccountsByNode(c.scenario);
  std::size_t total = 0;
  for (models::NodeId n = 0; n < c.layout.nodes.size(); ++n) {
    std::vector<dataplane::IssuedCertificate> issued;
    if (auto it = by_node.find(c.layout.nodes[n].name); it != by_node.end()) {
      for (const auto& sa : it->second) {
        auto cert = ca->issue(c.layout.nodes[n].name, sa, now);
        if (!cert) return cert.error();
        issued.push_back(std::move(cert).value());
      }
    }
    total += issued.size();
    if (auto r = dataplane::writeIdentityDir(c.layout.nodeIdentityDir(n), ca->root(), issued); !r) return r.error();
  }
  auto gw = ca->issueUnbound({"istio-system", "istio-ingressgateway"}, now);
  if (!gw) return gw.error();
  if (auto r = dataplane::writeIdentityDir(c.layout.ingressIdentityDir(), ca->root(), {gw.value()}); !r) return r.error();
  say(o, fmt::format("identities: {} node-bound certificate(s) and the ingress gateway's", total));
  return true;
}

}  // namespace

// ------------------------------------------------------------------------------------- up

Result<UpSummary> up(const TestbedOptions& o, const UpOptions& u) {
  const auto t0 = Clock::now();
  if (auto e = checkTestbedName(o.name)) return *e;
  if (!isRoot()) return Error{"bring the testbed up", o.name, "not root", "network namespaces, cgroups and BPF need root"};
  std::error_code ec;
  if (fs::exists(o.stateDir() + "/state.json", ec) || !listNetns(o.name + "-").empty()) {
    return Error{"bring the testbed up", o.name, "it is already up (or was not taken down)",
                 "`meshtwin testbed down --name " + o.name + "` first, or pick another --name"};
  }
  State st;
  st.name = o.name;
  st.scenario_file = fs::absolute(u.scenario_file, ec).string();
  st.phase = u.phase;
  auto text = readText(st.scenario_file);
  if (!text) return text.error();
  auto scenario = loadScenario(text.value(), st.scenario_file);
  if (!scenario) return scenario.error();
  if (u.phase > scenario->plan.waves.size()) {
    return Error{"bring the testbed up", fmt::format("phase {}", u.phase),
                 fmt::format("the plan has {} wave(s)", scenario->plan.waves.size()), "phase 0 is the baseline"};
  }
  for (const auto* dir : {"", "/logs", "/stats", "/identity", "/measure"}) {
    fs::create_directories(o.stateDir() + dir, ec);
    if (ec) return Error{"create state directory", o.stateDir() + dir, ec.message(), "run as root or pick --state-root"};
  }
  if (auto r = writeState(o, st); !r) return r.error();  // from here on, `down` finds everything
  auto ctx = makeContext(o, std::move(st));
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  if (auto e = bpf::ensureBpffs()) return fromBpf(*e);
  if (auto r = makeCgroup(c.layout.cgroup_root); !r) return r.error();
  if (auto r = buildNetwork(o, c); !r) return r.error();
  if (auto r = issueIdentities(o, c); !r) return r.error();
  if (auto r = pushSnapshot(o, c); !r) return r.error();  // proxies start on a snapshot without pods
  for (models::NodeId n = 0; n < c.layout.nodes.size(); ++n) {
    if (auto r = startZtunnel(o, c, n); !r) return r.error();
  }
  say(o, fmt::format("ztunnels: {} started", c.layout.nodes.size()));
  std::size_t pods = 0;
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    if (c.scenario.pods[p].owner == models::Pod::Owner::Waypoint) {
      if (waypointPresent(c, p)) {
        if (auto r = startWaypoint(o, c, p); !r) return r.error();
        ++pods;
      }
      continue;
    }
    if (auto r = startPod(o, c, p); !r) return r.error();
    ++pods;
  }
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  say(o, fmt::format("pods: {} started ({} processes in all); waiting until they listen", pods, c.state.processes.size()));
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    if (c.scenario.pods[p].owner == models::Pod::Owner::Waypoint && !waypointPresent(c, p)) continue;
    if (auto r = waitReady(c, p, u.ready_limit); !r) return r.error();
  }
  UpSummary sum;
  sum.nodes = c.layout.nodes.size();
  sum.pods = pods;
  sum.processes = c.state.processes.size();
  sum.seconds = secondsSince(t0);
  return sum;
}

// ----------------------------------------------------------------------------------- down

std::vector<std::string> leftovers(const TestbedOptions& o) {
  std::vector<std::string> out;
  for (const auto& ns : listNetns(o.name + "-")) out.push_back("network namespace " + ns);
  std::error_code ec;
  for (auto it = fs::directory_iterator("/sys/class/net", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.rfind(o.name + "-", 0) == 0) out.push_back("interface " + name);
  }
  const std::string cg = o.cgroup_mount + "/meshtwin-" + o.name;
  if (fs::exists(cg, ec)) out.push_back("cgroup " + cg);
  const std::string pins = "/sys/fs/bpf/meshtwin-" + o.name;
  if (fs::exists(pins, ec)) out.push_back("bpf pins " + pins);
  if (fs::exists(o.stateDir(), ec)) out.push_back("state directory " + o.stateDir());
  return out;
}

Result<DownSummary> down(const TestbedOptions& o) {
  if (auto e = checkTestbedName(o.name)) return *e;
  if (!isRoot()) return Error{"take the testbed down", o.name, "not root", "run as root"};
  DownSummary d;
  // Processes: every one the testbed started is in its cgroups; those recorded but outside
  // (a cgroup removed by hand) are stopped by pid.
  const std::string cg = o.cgroup_mount + "/meshtwin-" + o.name;
  d.processes = cgroupProcesses(cg).size();
  if (auto st = readState(o); st) {
    for (const auto& p : st->processes) {
      if (processAlive(p.pid, p.start_time)) {
        stopProcess(p.pid, p.start_time, kStopGrace);
      }
    }
  }
  std::error_code ec;
  d.cgroups = fs::exists(cg, ec) ? 1 : 0;
  if (auto r = removeCgroupTree(cg, kStopGrace); !r) return r.error();
  const std::string pins = "/sys/fs/bpf/meshtwin-" + o.name;
  d.bpf_pins = fs::exists(pins, ec);
  if (auto e = bpf::removePinnedTree(pins)) return fromBpf(*e);
  for (const auto& ns : listNetns(o.name + "-")) {
    if (auto r = runCommand({"ip", "netns", "delete", ns}); !r) return r.error();
    ++d.netns;
  }
  // An interface left in this namespace (a crash between creating a pair and moving it).
  for (auto it = fs::directory_iterator("/sys/class/net", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.rfind(o.name + "-", 0) != 0) continue;
    if (auto r = runCommand({"ip", "link", "delete", name}); !r) return r.error();
    ++d.links;
  }
  d.state_dir = fs::exists(o.stateDir(), ec);
  fs::remove_all(o.stateDir(), ec);
  if (ec) return Error{"remove state directory", o.stateDir(), ec.message()};
  return d;
}

// --------------------------------------------------------------------------------- status

Result<json> status(const TestbedOptions& o) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  const auto& state = c.phase_state;
  json procs = json::array();
  std::size_t alive = 0;
  for (const auto& p : c.state.processes) {
    const bool up = processAlive(p.pid, p.start_time);
    alive += up ? 1 : 0;
    json j{{"name", p.name}, {"role", p.role}, {"pid", p.pid}, {"alive", up}, {"netns", p.netns}, {"log", p.log}};
    if (up) {
      if (auto m = processMemory(p.pid)) j["rss_bytes"] = m->rss_bytes;
      if (auto cpu = cgroupCpuUsec(p.cgroup)) j["cpu_usec"] = *cpu;
    }
    procs.push_back(std::move(j));
  }
  json modes = json::object();
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    if (c.scenario.pods[p].owner == models::Pod::Owner::Workload) modes[c.key(p)] = models::toString(c.modeOf(p));
  }
  // During a wave (or after one was interrupted) the phase is the one it started from, as
  // phase() says; the transition shows where it goes and how far it got.
  const auto& t = c.state.transition;
  const std::size_t at = t ? t->settled_phase : c.state.phase;
  return json{{"name", o.name},
              {"scenario", c.state.scenario_file},
              {"phase", at},
              {"phase_name", t ? models::meshStateAt(c.scenario, at).phase_name : state.phase_name},
              {"transition", t ? transitionJson(*t) : json(nullptr)},
              {"snapshot_version", c.state.snapshot_version},
              {"processes", procs},
              {"processes_alive", alive},
              {"pod_modes", modes},
              {"drained", c.state.drained},
              {"netns", listNetns(o.name + "-")}};
}

}  // namespace meshtwin::testbed
