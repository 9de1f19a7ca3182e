// The testbed's state file (state.json) and its lock, the context every command opens from it,
// and the control-plane snapshot the proxies and apps read.
#include "context.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::testbed::detail {

namespace fs = std::filesystem;
using nlohmann::json;

json transitionJson(const Transition& t) {
  return {{"from_phase", t.from_phase}, {"to_phase", t.to_phase}, {"settled_phase", t.settled_phase},
          {"pods", t.pods},             {"pods_done", t.pods_done}, {"pod", t.pod},
          {"pod_app_start", t.pod_app_start}};
}

namespace {

constexpr const char* kStateFormat = "meshtwin.testbed/v1";

json toJson(const State& s) {
  json procs = json::array();
  for (const auto& p : s.processes) {
    procs.push_back({{"name", p.name}, {"role", p.role}, {"pod", p.pod}, {"node", p.node}, {"pid", p.pid},
                     {"start_time", p.start_time}, {"cgroup", p.cgroup}, {"netns", p.netns}, {"log", p.log}});
  }
  json j = {{"format", kStateFormat}, {"name", s.name},         {"scenario_file", s.scenario_file},
            {"phase", s.phase},       {"snapshot_version", s.snapshot_version},
            {"processes", procs},     {"pod_mode", s.pod_mode}, {"drained", s.drained}};
  if (s.transition) j["transition"] = transitionJson(*s.transition);
  return j;
}

Transition transitionFrom(const json& j) {
  Transition t;
  t.from_phase = j.at("from_phase").get<std::size_t>();
  t.to_phase = j.at("to_phase").get<std::size_t>();
  t.settled_phase = j.at("settled_phase").get<std::size_t>();
  t.pods = j.at("pods").get<std::vector<std::string>>();
  t.pods_done = j.at("pods_done").get<std::vector<std::string>>();
  t.pod = j.value("pod", "");
  t.pod_app_start = j.value("pod_app_start", std::uint64_t{0});
  return t;
}

}  // namespace

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
    if (j.contains("transition") && !j["transition"].is_null()) s.transition = transitionFrom(j["transition"]);
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

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<StateLock> lockState(const TestbedOptions& o, const std::string& what) {
  if (auto e = checkTestbedName(o.name)) return *e;
  const std::string path = o.stateDir() + "/state.lock";
  std::error_code ec;
  if (!fs::exists(o.stateDir() + "/state.json", ec)) {
    return Error{what, o.name, "the testbed is not up", "`meshtwin testbed up SCENARIO --name " + o.name + "`"};
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{what, path, std::strerror(errno), "run as root"};
  StateLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    return Error{what, o.name,
                 e == EWOULDBLOCK ? "another command is changing the testbed (a wave, enrol or unenrol)"
                                  : std::string("flock: ") + std::strerror(e),
                 "wait for it to finish; if it was killed, the lock went with it"};
  }
  return lock;
}

// -------------------------------------------------------------------------------- context

Result<PodId> Context::pod(const std::string& key_text) const {
  if (auto it = pod_by_key.find(key_text); it != pod_by_key.end()) return it->second;
  std::vector<std::string> keys;
  for (const auto& [k, unused] : pod_by_key) keys.push_back(k);
  return Error{"find pod", key_text, "no such pod in " + scenario.name,
               "pods are named ns/<workload>-<i>" + (keys.empty() ? std::string() : ", e.g. " + keys.front())};
}

MeshMode Context::modeOf(PodId p) const {
  if (auto it = state.pod_mode.find(key(p)); it != state.pod_mode.end()) {
    return models::meshModeFrom(it->second).value_or(MeshMode::None);
  }
  return phase_state.modeOf(scenario, p);
}

void Context::setMode(PodId p, MeshMode m) {
  if (phase_state.modeOf(scenario, p) == m) {
    state.pod_mode.erase(key(p));
  } else {
    state.pod_mode[key(p)] = models::toString(m);
  }
}

ProcessRecord* Context::process(const std::string& name) {
  for (auto& p : state.processes) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

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
  Context c{std::move(state), std::move(text).value(), std::move(scenario).value(), std::move(layout).value(), {}, {},
            false};
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

Result<bool> pushSnapshot(const TestbedOptions& o, Context& c) {
  if (!c.snapshot_version_checked) {
    // Proxies ignore a version they have applied: the next one must be above the file's.
    if (auto f = dataplane::readSnapshotFile(c.layout.snapshotFile())) {
      c.state.snapshot_version = std::max(c.state.snapshot_version, f->version);
    }
    c.snapshot_version_checked = true;
  }
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

}  // namespace meshtwin::testbed::detail
