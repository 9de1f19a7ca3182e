// The testbed's processes: ztunnels, pods (the app, and a sidecar when the pod has one) and
// waypoints, each in its cgroup and steered by eBPF as its mode says; stopping one (or one a
// killed command left unrecorded), and waiting until a pod listens.
#include "context.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "meshtwin/bpf/pinned.hpp"

#ifndef MESHTWIN_DATAPLANE_BIN_DIR
#define MESHTWIN_DATAPLANE_BIN_DIR ""
#endif

namespace meshtwin::testbed::detail {

namespace fs = std::filesystem;

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

namespace {

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

}  // namespace

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

bool recordedAlive(Context& c, const std::string& name) {
  const auto* rec = c.process(name);
  return rec != nullptr && processAlive(rec->pid, rec->start_time);
}

std::size_t stopUnrecorded(const Context& c, const std::string& cgroup) {
  std::size_t n = 0;
  for (const pid_t pid : cgroupProcesses(cgroup)) {
    const bool recorded = std::any_of(c.state.processes.begin(), c.state.processes.end(),
                                      [&](const ProcessRecord& r) { return r.pid == pid; });
    if (recorded) continue;
    if (auto start = processStartTime(pid)) {
      stopProcess(pid, *start, kStopGrace);
      ++n;
    }
  }
  return n;
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

}  // namespace meshtwin::testbed::detail
