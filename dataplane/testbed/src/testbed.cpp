// up, down, status, enroll, measure and apply-wave: each a separate process working from the
// state directory (state.json, the snapshot, identities, logs) and the bpffs pins.
#include "meshtwin/testbed/testbed.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "meshtwin/bpf/pinned.hpp"
#include "meshtwin/bpf/redirect_loader.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/mesh_state.hpp"

#ifndef MESHTWIN_DATAPLANE_BIN_DIR
#define MESHTWIN_DATAPLANE_BIN_DIR ""
#endif

namespace meshtwin::testbed {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using models::MeshMode;
using models::PodId;

namespace {

constexpr const char* kStateFormat = "meshtwin.testbed/v1";
constexpr const char* kZoneChain = "MESHTWIN-ZONES";
constexpr auto kStopGrace = std::chrono::milliseconds(3000);
// How long a proxy may take to notice a new snapshot (it polls the file every 250 ms).
constexpr auto kSnapshotSettle = std::chrono::milliseconds(600);

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void say(const TestbedOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

Error fromBpf(const bpf::Error& e) {
  return Error{e.what, e.object, e.cause, e.hint};
}

// ---------------------------------------------------------------------------------- state

struct ProcessRecord {
  std::string name;  // "ztunnel/<node>", "app/<ns>/<pod>", "sidecar/<ns>/<pod>", "waypoint/<ns>/<pod>"
  std::string role;  // app | sidecar | ztunnel | waypoint
  std::string pod;   // "ns/pod" ("" for a ztunnel)
  models::NodeId node = 0;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string cgroup, netns, log;
};

struct State {
  std::string name;
  std::string scenario_file;
  std::size_t phase = 0;
  std::uint64_t snapshot_version = 0;
  std::vector<ProcessRecord> processes;
  std::map<std::string, std::string> pod_mode;  // overrides, as in the snapshot
  std::set<std::string> drained;                // pods left out of the endpoints
};

json toJson(const State& s) {
  json procs = json::array();
  for (const auto& p : s.processes) {
    procs.push_back({{"name", p.name}, {"role", p.role}, {"pod", p.pod}, {"node", p.node}, {"pid", p.pid},
                     {"start_time", p.start_time}, {"cgroup", p.cgroup}, {"netns", p.netns}, {"log", p.log}});
  }
  return {{"format", kStateFormat}, {"name", s.name},         {"scenario_file", s.scenario_file},
          {"phase", s.phase},       {"snapshot_version", s.snapshot_version},
          {"processes", procs},     {"pod_mode", s.pod_mode}, {"drained", s.drained}};
}

Result<State> readState(const TestbedOptions& o) {
  const std::string path = o.stateDir() + "/state.json";
  std::ifstream in(path);
  if (!in) {
    return Error{"read testbed state", path, "no such file",
                 "the testbed " + o.name + " is not up: `meshtwin testbed up SCENARIO --name " + o.name + "`"};
  }
  try {
    json j = json::parse(in);
    if (j.value("format", "") != kStateFormat) return Error{"read testbed state", path, "not " + std::string(kStateFormat)};
    State s;
    s.name = j.at("name").get<std::string>();
    s.scenario_file = j.at("scenario_file").get<std::string>();
    s.phase = j.at("phase").get<std::size_t>();
    s.snapshot_version = j.at("snapshot_version").get<std::uint64_t>();
    s.pod_mode = j.value("pod_mode", std::map<std::string, std::string>{});
    s.drained = j.value("drained", std::set<std::string>{});
    for (const auto& p : j.at("processes")) {
      s.processes.push_back({p.at("name"), p.at("role"), p.at("pod"), p.at("node"), p.at("pid"), p.at("start_time"),
                             p.at("cgroup"), p.at("netns"), p.at("log")});
    }
    return s;
  } catch (const json::exception& e) {
    return Error{"read testbed state", path, e.what(), "`meshtwin testbed down` removes a testbed whatever its state"};
  }
}

Result<bool> writeState(const TestbedOptions& o, const State& s) {
  return dataplane::writeFileAtomically(o.stateDir() + "/state.json", toJson(s).dump(2) + "\n");
}

// -------------------------------------------------------------------------------- context

// What every command after `up` works with: the state, the scenario and its layout.
struct Context {
  State state;
  std::string scenario_text;
  models::Scenario scenario;
  Layout layout;
  std::map<std::string, PodId> pod_by_key;
  models::MeshState phase_state;  // the plan's state in state.phase: set through setPhase

  void setPhase(std::size_t phase) {
    state.phase = phase;
    phase_state = models::meshStateAt(scenario, phase);
  }

  [[nodiscard]] std::string key(PodId p) const { return layout.podKey(scenario, p); }
  Result<PodId> pod(const std::string& key_text) const {
    if (auto it = pod_by_key.find(key_text); it != pod_by_key.end()) return it->second;
    std::vector<std::string> keys;
    for (const auto& [k, unused] : pod_by_key) keys.push_back(k);
    return Error{"find pod", key_text, "no such pod in " + scenario.name,
                 "pods are named ns/<workload>-<i>" + (keys.empty() ? std::string() : ", e.g. " + keys.front())};
  }
  // The mode a pod runs in now: the phase's, unless overridden.
  [[nodiscard]] MeshMode modeOf(PodId p) const {
    if (auto it = state.pod_mode.find(key(p)); it != state.pod_mode.end()) {
      return models::meshModeFrom(it->second).value_or(MeshMode::None);
    }
    return phase_state.modeOf(scenario, p);
  }
  ProcessRecord* process(const std::string& name) {
    for (auto& p : state.processes) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

Result<std::string> readText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"read", path, std::strerror(errno), "check the path"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<models::Scenario> loadScenario(const std::string& text, const std::string& file) {
  auto loaded = models::loadScenarioText(text, file, fs::path(file).parent_path().string());
  if (!loaded.ok()) {
    const std::string first =
        loaded.diagnostics.empty() ? std::string("it does not load") : models::format(loaded.diagnostics.sorted().front());
    return Error{"load scenario", file, first, "`meshtwin check " + file + "` lists every problem"};
  }
  return std::move(*loaded.scenario);
}

Result<Context> makeContext(const TestbedOptions& o, State state) {
  auto text = readText(state.scenario_file);
  if (!text) return text.error();
  auto scenario = loadScenario(text.value(), state.scenario_file);
  if (!scenario) return scenario.error();
  auto layout = makeLayout(scenario.value(), o.name, o.stateDir(), o.cgroup_mount);
  if (!layout) return layout.error();
  Context c{std::move(state), std::move(text).value(), std::move(scenario).value(), std::move(layout).value(), {}, {}};
  c.setPhase(c.state.phase);
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) c.pod_by_key[c.key(p)] = p;
  return c;
}

Result<Context> openTestbed(const TestbedOptions& o) {
  if (auto e = checkTestbedName(o.name)) return *e;
  auto state = readState(o);
  if (!state) return state.error();
  return makeContext(o, std::move(state).value());
}

// ------------------------------------------------------------------------------- snapshot

bool waypointPresent(const Context& c, PodId p) {
  const auto& pod = c.scenario.pods[p];
  if (pod.owner != models::Pod::Owner::Waypoint) return false;
  const auto& m = c.phase_state;
  return pod.owner_id < m.waypoint_present.size() && m.waypoint_present[pod.owner_id];
}

std::string podAddress(const Context& c, PodId p, std::uint16_t port) {
  return c.layout.pod_ip[p] + ":" + std::to_string(port);
}

// The snapshot of the current state; a drained pod is listed unready, so nothing routes to it.
Result<bool> pushSnapshot(const TestbedOptions& o, Context& c) {
  dataplane::ControlPlaneSnapshot s;
  s.version = ++c.state.snapshot_version;
  s.scenario_file = c.state.scenario_file;
  s.scenario_yaml = c.scenario_text;
  s.phase = c.state.phase;
  s.pod_mode = c.state.pod_mode;
  s.unready = c.state.drained;
  for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
    const auto k = c.key(p);
    if (c.scenario.pods[p].owner == models::Pod::Owner::Waypoint) {
      if (waypointPresent(c, p)) s.pod_hbone[k] = podAddress(c, p, kHbonePort);
      continue;
    }
    s.pod_app[k] = podAddress(c, p, c.layout.pod_port[p]);
    if (c.modeOf(p) != MeshMode::None) s.pod_hbone[k] = podAddress(c, p, kHbonePort);
  }
  for (models::ServiceId i = 0; i < c.scenario.services.size(); ++i) {
    s.service_vip[c.scenario.services[i].key()] = c.layout.service_vip[i];
  }
  if (auto v = dataplane::buildMeshView(s); !v) return v.error();
  if (auto r = dataplane::writeSnapshotFile(c.layout.snapshotFile(), s); !r) return r.error();
  return writeState(o, c.state);
}

// ------------------------------------------------------------------------------ processes

std::string findBinary(const TestbedOptions& o, const std::string& name) {
  std::vector<std::string> dirs;
  if (!o.bin_dir.empty()) dirs.push_back(o.bin_dir);
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(self.parent_path().string());
  if (std::string(MESHTWIN_DATAPLANE_BIN_DIR).size()) dirs.push_back(MESHTWIN_DATAPLANE_BIN_DIR);
  for (const auto& d : dirs) {
    const auto path = fs::path(d) / name;
    if (::access(path.c_str(), X_OK) == 0) return path.string();
  }
  return (fs::path(dirs.empty() ? "." : dirs.front()) / name).string();  // exec names it in its error
}

Result<ProcessRecord*> startProcess(const TestbedOptions& o, Context& c, ProcessRecord rec, std::vector<std::string> argv) {
  if (auto r = makeCgroup(rec.cgroup); !r) return r.error();
  // "sidecar/data/back-0" -> logs/sidecar-data.back-0.log
  std::string file = rec.name;
  std::replace(file.begin(), file.end(), '/', '.');
  file.replace(file.find('.'), 1, "-");
  rec.log = c.layout.logDir() + "/" + file + ".log";
  auto pid = spawnProcess({std::move(argv), rec.netns, rec.cgroup, rec.log});
  if (!pid) return pid.error();
  rec.pid = pid.value();
  rec.start_time = processStartTime(rec.pid).value_or(0);
  c.state.processes.push_back(std::move(rec));
  if (auto r = writeState(o, c.state); !r) return r.error();
  return &c.state.processes.back();
}

std::vector<std::string> proxyArgs(const TestbedOptions& o, const Context& c, const std::string& kind,
                                   const std::string& node, const std::string& identity, const std::string& listen) {
  return {findBinary(o, "meshtwin-proxy"), kind,  "--node",     node,   "--snapshot", c.layout.snapshotFile(),
          "--identity",                    identity, "--listen", listen, "--log-level", "info"};
}

Result<bool> startZtunnel(const TestbedOptions& o, Context& c, models::NodeId n) {
  const auto& nl = c.layout.nodes[n];
  bpf::RedirectLoader loader;
  if (auto e = loader.load({nl.node_ip, kRedirectPort})) return fromBpf(*e);
  const auto progs = c.layout.ztunnelPrograms(n);
  if (auto e = loader.pin(progs)) return fromBpf(*e);
  const auto cg = c.layout.ztunnelCgroup(n);
  if (auto r = makeCgroup(cg); !r) return r.error();
  if (auto e = bpf::attachProxyPinned(progs, cg, c.layout.proxyLink(progs))) return fromBpf(*e);
  auto args = proxyArgs(o, c, "ztunnel", nl.name, c.layout.nodeIdentityDir(n), nl.node_ip);
  args.insert(args.end(), {"--redirect-port", std::to_string(kRedirectPort), "--pod-addresses"});
  auto rec = startProcess(o, c, {"ztunnel/" + nl.name, "ztunnel", "", n, 0, 0, cg, nl.netns, ""}, args);
  if (!rec) return rec.error();
  return true;
}

// The pod's app, steered as its mode says: to its sidecar (started first) or its ztunnel.
Result<bool> startPod(const TestbedOptions& o, Context& c, PodId p) {
  const auto k = c.key(p);
  const auto node = c.scenario.pods[p].node;
  const auto& nl = c.layout.nodes[node];
  const auto app_cg = c.layout.podCgroup(c.scenario, p, "app");
  if (auto r = makeCgroup(app_cg); !r) return r.error();
  const auto mode = c.modeOf(p);
  if (mode == MeshMode::Sidecar) {
    bpf::RedirectLoader loader;
    if (auto e = loader.load({c.layout.pod_ip[p], kRedirectPort})) return fromBpf(*e);
    const auto progs = c.layout.sidecarPrograms(c.scenario, p);
    if (auto e = loader.pin(progs)) return fromBpf(*e);
    const auto cg = c.layout.podCgroup(c.scenario, p, "sidecar");
    if (auto r = makeCgroup(cg); !r) return r.error();
    if (auto e = bpf::attachProxyPinned(progs, cg, c.layout.proxyLink(progs))) return fromBpf(*e);
    auto args = proxyArgs(o, c, "sidecar", k, c.layout.nodeIdentityDir(node), c.layout.pod_ip[p]);
    args.insert(args.end(), {"--hbone-port", std::to_string(kHbonePort), "--redirect-port", std::to_string(kRedirectPort)});
    auto rec = startProcess(o, c, {"sidecar/" + k, "sidecar", k, node, 0, 0, cg, nl.netns, ""}, args);
    if (!rec) return rec.error();
    if (auto e = bpf::enrollPinned(progs, app_cg, c.layout.podLinks(c.scenario, p))) return fromBpf(*e);
  } else if (mode == MeshMode::Ambient) {
    if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), app_cg, c.layout.podLinks(c.scenario, p))) {
      return fromBpf(*e);
    }
  }
  std::vector<std::string> args{findBinary(o, "meshtwin-app"), "--snapshot", c.layout.snapshotFile(), "--pod", k,
                                "--stats-file", c.layout.state_dir + "/stats/" + c.scenario.pods[p].name + "." +
                                                    k.substr(0, k.find('/')) + ".json"};
  auto rec = startProcess(o, c, {"app/" + k, "app", k, node, 0, 0, app_cg, nl.netns, ""}, args);
  if (!rec) return rec.error();
  return true;
}

Result<bool> startWaypoint(const TestbedOptions& o, Context& c, PodId p) {
  const auto k = c.key(p);
  const auto node = c.scenario.pods[p].node;
  const auto cg = c.layout.podCgroup(c.scenario, p, "app");
  auto args = proxyArgs(o, c, "waypoint", k, c.layout.nodeIdentityDir(node), c.layout.pod_ip[p]);
  args.insert(args.end(), {"--hbone-port", std::to_string(kHbonePort)});
  auto rec = startProcess(o, c, {"waypoint/" + k, "waypoint", k, node, 0, 0, cg, c.layout.nodes[node].netns, ""}, args);
  if (!rec) return rec.error();
  return true;
}

// Established TCP connections of a process (its socket inodes found in its namespace's table).
std::size_t establishedConnections(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const auto target = fs::read_symlink(it->path(), ec);
    if (ec) continue;
    const auto t = target.string();
    if (t.rfind("socket:[", 0) == 0) inodes.insert(t.substr(8, t.size() - 9));
  }
  std::size_t n = 0;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
      ls >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (st == "01" && inodes.count(inode)) ++n;  // TCP_ESTABLISHED
    }
  }
  return n;
}

// Stops a recorded process and forgets it; returns its established connections at the stop.
std::size_t stopRecorded(const TestbedOptions& o, Context& c, const std::string& name) {
  auto it = std::find_if(c.state.processes.begin(), c.state.processes.end(),
                         [&](const ProcessRecord& r) { return r.name == name; });
  if (it == c.state.processes.end()) return 0;
  const std::size_t open = processAlive(it->pid, it->start_time) ? establishedConnections(it->pid) : 0;
  stopProcess(it->pid, it->start_time, kStopGrace);
  ::rmdir(it->cgroup.c_str());
  c.state.processes.erase(it);
  (void)writeState(o, c.state);
  return open;
}

Result<bool> waitReady(const Context& c, PodId p, std::chrono::milliseconds limit) {
  const auto& netns = c.layout.nodes[c.scenario.pods[p].node].netns;
  if (c.scenario.pods[p].owner == models::Pod::Owner::Waypoint) {
    return waitForListener(netns, podAddress(c, p, kHbonePort), limit);
  }
  if (auto r = waitForListener(netns, podAddress(c, p, c.layout.pod_port[p]), limit); !r) return r;
  if (c.modeOf(p) != MeshMode::None) return waitForListener(netns, podAddress(c, p, kHbonePort), limit);
  return true;
}

// ---------------------------------------------------------------------------- the network

Result<bool> buildNetwork(const TestbedOptions& o, const Context& c) {
  const auto& l = c.layout;
  std::vector<std::string> root{"netns add " + l.fabric_netns};
  for (const auto& n : l.nodes) {
    root.push_back("netns add " + n.netns);
    root.push_back("link add " + n.veth_node + " type veth peer name " + n.veth_fabric);
    root.push_back("link set " + n.veth_node + " netns " + n.netns);
    root.push_back("link set " + n.veth_fabric + " netns " + l.fabric_netns);
  }
  if (auto r = ipBatch(root); !r) return r;
  std::vector<std::string> fabric{"link set lo up", "address add " + l.ingress_ip + "/32 dev lo"};
  for (const auto& n : l.nodes) {
    fabric.push_back("address add " + n.gateway_ip + "/24 dev " + n.veth_fabric);
    fabric.push_back("link set " + n.veth_fabric + " up");
  }
  if (auto r = ipBatch(fabric, l.fabric_netns); !r) return r;
  if (auto r = runCommand({"ip", "netns", "exec", l.fabric_netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"}); !r) {
    return r.error();
  }
  for (models::NodeId n = 0; n < l.nodes.size(); ++n) {
    const auto& nl = l.nodes[n];
    std::vector<std::string> lines{"link set lo up", "link set " + nl.veth_node + " name eth0",
                                   "address add " + nl.node_ip + "/24 dev eth0"};
    for (PodId p = 0; p < c.scenario.pods.size(); ++p) {
      if (c.scenario.pods[p].node == n) lines.push_back("address add " + l.pod_ip[p] + "/32 dev eth0");
    }
    lines.push_back("link set eth0 up");
    lines.push_back("route add default via " + nl.gateway_ip);
    if (auto r = ipBatch(lines, nl.netns); !r) return r;
  }
  // Bytes per zone pair: a counting rule per ordered pair in the fabric's FORWARD path.
  std::string rules = "*filter\n:" + std::string(kZoneChain) + " - [0:0]\n-A FORWARD -j " + kZoneChain + "\n";
  for (std::size_t a = 0; a < l.zone_subnet.size(); ++a) {
    for (std::size_t b = 0; b < l.zone_subnet.size(); ++b) {
      rules += fmt::format("-A {} -s {} -d {} -m comment --comment \"{}>{}\"\n", kZoneChain, l.zone_subnet[a],
                           l.zone_subnet[b], a, b);
    }
  }
  rules += "COMMIT\n";
  const auto rules_file = l.state_dir + "/fabric.rules";
  if (auto w = dataplane::writeFileAtomically(rules_file, rules); !w) return w;
  if (auto r = runCommand({"ip", "netns", "exec", l.fabric_netns, "iptables-restore", "--noflush", rules_file}); !r) {
    return r.error();
  }
  say(o, fmt::format("network: fabric + {} node namespaces, {} zone subnets, {} pod addresses", l.nodes.size(),
                     l.zone_subnet.size(), l.pod_ip.size()));
  return true;
}

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
  return json{{"name", o.name},
              {"scenario", c.state.scenario_file},
              {"phase", c.state.phase},
              {"phase_name", state.phase_name},
              {"snapshot_version", c.state.snapshot_version},
              {"processes", procs},
              {"processes_alive", alive},
              {"pod_modes", modes},
              {"drained", c.state.drained},
              {"netns", listNetns(o.name + "-")}};
}

// --------------------------------------------------------------------------- enrol / leave

Result<bool> enroll(const TestbedOptions& o, const std::string& pod_key) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.scenario.pods[p].owner != models::Pod::Owner::Workload) {
    return Error{"enrol pod", pod_key, "a waypoint pod is part of the data plane", "enrol workload pods"};
  }
  if (c.process("sidecar/" + pod_key)) {
    return Error{"enrol pod", pod_key, "it runs with a sidecar",
                 "a sidecar pod moves to ambient by a restart without its sidecar: `meshtwin testbed apply-wave N`"};
  }
  const auto node = c.scenario.pods[p].node;
  if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), c.layout.podCgroup(c.scenario, p, "app"),
                                 c.layout.podLinks(c.scenario, p))) {
    return fromBpf(*e);
  }
  c.state.pod_mode[pod_key] = "ambient";
  if (c.phase_state.modeOf(c.scenario, p) == MeshMode::Ambient) {
    c.state.pod_mode.erase(pod_key);
  }
  if (auto r = pushSnapshot(o, c); !r) return r;
  return waitForListener(c.layout.nodes[node].netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10));
}

Result<bool> unenroll(const TestbedOptions& o, const std::string& pod_key) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.modeOf(p) != MeshMode::Ambient) {
    return Error{"unenrol pod", pod_key, fmt::format("it is not in ambient mode (it is {})", models::toString(c.modeOf(p))),
                 std::string("`meshtwin testbed status` shows each pod's mode")};
  }
  if (auto e = bpf::unenrollPinned(c.layout.podLinks(c.scenario, p))) return fromBpf(*e);
  c.state.pod_mode[pod_key] = "none";
  return pushSnapshot(o, c);
}

// -------------------------------------------------------------------------------- measure

namespace {

Result<std::vector<ZoneCounter>> readZoneCounters(const Context& c) {
  auto out = runCommand({"ip", "netns", "exec", c.layout.fabric_netns, "iptables", "-t", "filter", "-L", kZoneChain,
                         "-v", "-x", "-n", "-Z"});
  if (!out) return out.error();
  std::vector<ZoneCounter> counters;
  std::istringstream in(out.value());
  std::string line;
  while (std::getline(in, line)) {
    // "  pkts bytes target prot opt in out source destination /* a>b */"
    const auto open = line.find("/* ");
    if (open == std::string::npos) continue;
    std::istringstream ls(line);
    std::uint64_t packets = 0, bytes = 0;
    if (!(ls >> packets >> bytes)) continue;
    const auto pair = line.substr(open + 3, line.find(" */") - open - 3);
    const auto gt = pair.find('>');
    const auto a = std::stoul(pair.substr(0, gt)), b = std::stoul(pair.substr(gt + 1));
    if (a >= c.scenario.zones.size() || b >= c.scenario.zones.size()) continue;
    counters.push_back({c.scenario.zones[a].name, c.scenario.zones[b].name, bytes, packets});
  }
  return counters;
}

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

}  // namespace

Result<Measurement> measure(const TestbedOptions& o, const MeasureOptions& m) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  const auto& s = c.scenario;
  // The offered load: each entry point's rate at the start of its load, or --rps split alike.
  double total = 0;
  for (const auto& e : s.entry_points) total += entryRate(e);
  std::vector<double> rates;
  for (const auto& e : s.entry_points) {
    const double r = entryRate(e);
    rates.push_back(m.rps > 0 && total > 0 ? m.rps * r / total : r * m.rps_scale);
  }
  const auto measure_dir = c.layout.state_dir + "/measure";
  std::error_code ec;
  fs::create_directories(measure_dir, ec);
  struct Running {
    std::string name;
    pid_t pid;
    std::uint64_t start;
    std::string json_file;
  };
  std::vector<Running> loads;
  const auto cg = c.layout.ingressCgroup();
  if (auto r = makeCgroup(cg); !r) return r.error();
  for (std::size_t i = 0; i < s.entry_points.size(); ++i) {
    const auto& e = s.entry_points[i];
    if (rates[i] <= 0) continue;
    const auto out = measure_dir + "/entry-" + e.name + ".json";
    fs::remove(out, ec);
    std::vector<std::string> args{findBinary(o, "meshtwin-load"),
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
                                  fmt::format("{:.3f}", rates[i]),
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
    auto pid = spawnProcess({args, c.layout.fabric_netns, cg, c.layout.logDir() + "/load-" + e.name + ".log"});
    if (!pid) return pid.error();
    loads.push_back({e.name, pid.value(), processStartTime(pid.value()).value_or(0), out});
  }
  say(o, fmt::format("load: {} entry point(s), {:.0f} rps in all, {} s warm-up then {} s measured",
                     loads.size(), std::accumulate(rates.begin(), rates.end(), 0.0), static_cast<double>(m.warmup.count()) / 1000.0,
                     static_cast<double>(m.duration.count()) / 1000.0));
  // The window: counters are read (and zeroed) when the load generators start measuring and
  // again when they stop.
  std::this_thread::sleep_for(m.warmup);
  auto cpuNow = [&] {
    std::map<std::string, std::uint64_t> cpu;
    for (const auto& p : c.state.processes) cpu[p.name] = cgroupCpuUsec(p.cgroup).value_or(0);
    return cpu;
  };
  if (auto r = readZoneCounters(c); !r) return r.error();
  const auto cpu0 = cpuNow();
  const auto ingress0 = cgroupCpuUsec(cg).value_or(0);
  const auto host0 = readHostCpuTimes();
  const auto w0 = Clock::now();
  const auto step = std::chrono::seconds(5);
  for (auto left = m.duration; left.count() > 0;) {
    const auto nap = std::min<std::chrono::milliseconds>(left, step);
    std::this_thread::sleep_for(nap);
    left -= nap;
    say(o, fmt::format("  measuring: {:.0f} of {:.0f} s", secondsSince(w0), static_cast<double>(m.duration.count()) / 1000.0));
  }
  const auto cpu1 = cpuNow();
  const auto ingress1 = cgroupCpuUsec(cg).value_or(0);
  const auto host1 = readHostCpuTimes();
  const double window_s = secondsSince(w0);
  auto zones = readZoneCounters(c);
  if (!zones) return zones.error();
  Measurement out;
  std::map<std::string, std::size_t> connections;  // while the load generators still hold theirs
  for (const auto& p : c.state.processes) {
    if (auto mem = processMemory(p.pid); mem && processAlive(p.pid, p.start_time)) {
      out.memory[p.name] = *mem;
      connections[p.name] = establishedConnections(p.pid);
    }
  }
  // The load generators stop on their own after the window and the grace for late replies.
  for (auto& l : loads) {
    for (int i = 0; i < 1000 && processAlive(l.pid, l.start); ++i) {
      ::waitpid(l.pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stopProcess(l.pid, l.start, std::chrono::milliseconds(100));
  }
  auto& r = out.report;
  r.generator = "meshtwin testbed";
  r.scenario = s.name;
  r.scenario_file = c.state.scenario_file;
  r.profile = "measured";
  r.profile_kind = "testbed";
  r.seed = s.seed;
  models::PhaseReport ph;
  ph.name = c.phase_state.phase_name;
  ph.duration_s = window_s;
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
  std::map<std::string, models::ComponentUsage> by_kind;
  for (const char* kind : {"app", "sidecar", "ztunnel", "waypoint"}) by_kind[kind].kind = kind;
  for (const auto& p : c.state.processes) {
    auto& u = by_kind[p.role];
    const auto a = cpu0.find(p.name), b = cpu1.find(p.name);
    const double usec = a != cpu0.end() && b != cpu1.end() && b->second >= a->second ? double(b->second - a->second) : 0;
    const double milli = usec / (window_s * 1e3);
    const double mem = out.memory.count(p.name) ? static_cast<double>(out.memory[p.name].rss_bytes) : 0;
    out.processes[p.name] = {p.role, milli, connections.count(p.name) ? connections[p.name] : 0};
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
  {  // the load generators: the ingress gateway, outside the mesh
    models::ComponentUsage in;
    in.kind = "ingress";
    in.instances = static_cast<double>(loads.size());
    in.cpu_millicores = ingress1 >= ingress0 ? static_cast<double>(ingress1 - ingress0) / (window_s * 1e3) : 0;
    in.max_instance_cpu_millicores = in.cpu_millicores;
    out.host.testbed_millicores += in.cpu_millicores;
    ph.components.push_back(in);
  }
  if (host0 && host1 && window_s > 0) {
    out.host.busy_millicores = static_cast<double>(host1->busy_ns - host0->busy_ns) / (window_s * 1e6);
    out.host.steal_millicores = static_cast<double>(host1->steal_ns - host0->steal_ns) / (window_s * 1e6);
  }
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  const double to_month = 730.0 * 3600.0 / window_s;
  for (const auto& z : zones.value()) {
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
  out.zone_counters = std::move(zones).value();
  r.phases.push_back(std::move(ph));
  if (!m.json_file.empty()) {
    json j = models::toJson(r);
    json mem = json::object();
    for (const auto& [name, pm] : out.memory) mem[name] = {{"rss_bytes", pm.rss_bytes}, {"pss_bytes", pm.pss_bytes}};
    j["testbed"] = {{"name", o.name},
                    {"phase", c.state.phase},
                    {"memory_by_process", mem},
                    {"host", {{"busy_millicores", out.host.busy_millicores},
                              {"steal_millicores", out.host.steal_millicores},
                              {"testbed_millicores", out.host.testbed_millicores}}}};
    if (auto w = dataplane::writeFileAtomically(m.json_file, j.dump(2) + "\n"); !w) return w.error();
  }
  return out;
}

Result<std::vector<ZoneCounter>> readZoneCounters(const TestbedOptions& o) {
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  return readZoneCounters(ctx.value());
}

// ----------------------------------------------------------------------------- apply-wave

Result<WaveResult> applyWave(const TestbedOptions& o, std::size_t wave) {
  const auto t0 = Clock::now();
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  const auto& s = c.scenario;
  if (wave == 0 || wave > s.plan.waves.size()) {
    return Error{"apply wave", std::to_string(wave), fmt::format("the plan has waves 1 to {}", s.plan.waves.size()), ""};
  }
  if (c.state.phase != wave - 1) {
    return Error{"apply wave", std::to_string(wave), fmt::format("the testbed is in phase {}", c.state.phase),
                 fmt::format("waves apply in order: the next is {}", c.state.phase + 1)};
  }
  if (!c.state.pod_mode.empty() || !c.state.drained.empty()) {
    return Error{"apply wave", std::to_string(wave), "pods were enrolled or left by hand (or a wave stopped half-way)",
                 "`meshtwin testbed status` shows which; take it down and up again to start clean"};
  }
  WaveResult res;
  res.wave = wave;
  const auto before = c.phase_state;
  const auto after = models::meshStateAt(s, wave);
  say(o, fmt::format("wave {} ({}): from phase {} to {}", wave, after.phase_name, wave - 1, wave));
  // Pods whose mode changes keep their old mode (an override) until their turn.
  std::vector<PodId> moving;
  for (PodId p = 0; p < s.pods.size(); ++p) {
    if (s.pods[p].owner != models::Pod::Owner::Workload) continue;
    const auto a = before.modeOf(s, p), b = after.modeOf(s, p);
    if (a == b) continue;
    if (a == MeshMode::Ambient || b != MeshMode::Ambient) {
      return Error{"apply wave", s.plan.waves[wave - 1].name,
                   fmt::format("pod {} goes from {} to {}", c.key(p), models::toString(a), models::toString(b)),
                   "the testbed performs moves into ambient only"};
    }
    moving.push_back(p);
    c.state.pod_mode[c.key(p)] = models::toString(a);
  }
  // 1. The waypoints the wave adds, ready before anything routes to them.
  c.setPhase(wave);
  for (PodId p = 0; p < s.pods.size(); ++p) {
    const auto& pod = s.pods[p];
    if (pod.owner != models::Pod::Owner::Waypoint) continue;
    if (after.waypoint_present[pod.owner_id] && !before.waypoint_present[pod.owner_id]) {
      if (auto r = startWaypoint(o, c, p); !r) return r.error();
      ++res.waypoints_started;
    }
  }
  for (PodId p = 0; p < s.pods.size(); ++p) {
    const auto& pod = s.pods[p];
    if (pod.owner == models::Pod::Owner::Waypoint && after.waypoint_present[pod.owner_id] &&
        !before.waypoint_present[pod.owner_id]) {
      if (auto r = waitReady(c, p, std::chrono::seconds(20)); !r) return r.error();
    }
  }
  if (res.waypoints_started) say(o, fmt::format("  {} waypoint pod(s) started and listening", res.waypoints_started));
  // 2. The new phase's routes and policies, with every moving pod still in its old mode.
  if (auto r = pushSnapshot(o, c); !r) return r.error();
  std::this_thread::sleep_for(kSnapshotSettle);
  // 3. One pod at a time.
  for (PodId p : moving) {
    const auto k = c.key(p);
    const auto from = c.modeOf(p);
    const auto node = s.pods[p].node;
    if (from == MeshMode::Sidecar) {
      // Drain: out of the endpoints, then wait until no proxy picks it and calls finish.
      c.state.drained.insert(k);
      if (auto r = pushSnapshot(o, c); !r) return r.error();
      std::this_thread::sleep_for(kSnapshotSettle);
      res.connections_reset += stopRecorded(o, c, "app/" + k);
      res.connections_reset += stopRecorded(o, c, "sidecar/" + k);
      if (auto e = bpf::unenrollPinned(c.layout.podLinks(s, p))) return fromBpf(*e);
      if (auto e = bpf::removePinnedTree(c.layout.sidecarPrograms(s, p))) return fromBpf(*e);
      // Back as an ambient pod, still unready: the ztunnel captures it, the app starts (enrolled
      // with the ztunnel first), and only once both listen does it rejoin the endpoints.
      c.state.pod_mode.erase(k);
      if (auto r = pushSnapshot(o, c); !r) return r.error();
      if (auto r = startPod(o, c, p); !r) return r.error();
      if (auto r = waitReady(c, p, std::chrono::seconds(10)); !r) return r.error();
      c.state.drained.erase(k);
      ++res.pods_restarted;
    } else {
      if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), c.layout.podCgroup(s, p, "app"),
                                     c.layout.podLinks(s, p))) {
        return fromBpf(*e);
      }
      c.state.pod_mode.erase(k);
      ++res.pods_enrolled;
    }
    if (auto r = pushSnapshot(o, c); !r) return r.error();
    if (auto r = waitForListener(c.layout.nodes[node].netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10)); !r) {
      return r.error();
    }
    say(o, fmt::format("  {} {} ({} of {})", from == MeshMode::Sidecar ? "restarted without sidecar:" : "enrolled:", k,
                       res.pods_restarted + res.pods_enrolled, moving.size()));
  }
  // 4. Waypoints the wave removes, once nothing routes to them.
  std::this_thread::sleep_for(kSnapshotSettle);
  for (PodId p = 0; p < s.pods.size(); ++p) {
    const auto& pod = s.pods[p];
    if (pod.owner == models::Pod::Owner::Waypoint && before.waypoint_present[pod.owner_id] &&
        !after.waypoint_present[pod.owner_id]) {
      res.connections_reset += stopRecorded(o, c, "waypoint/" + c.key(p));
      ++res.waypoints_stopped;
    }
  }
  if (auto r = writeState(o, c.state); !r) return r.error();
  res.seconds = secondsSince(t0);
  return res;
}

}  // namespace meshtwin::testbed
