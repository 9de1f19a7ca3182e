// The testbed's state file (state.json), the context every command opens from it, and the
// control-plane snapshot the proxies and apps read.
#include "context.hpp"

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

namespace {

constexpr const char* kStateFormat = "meshtwin.testbed/v1";

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

}  // namespace meshtwin::testbed::detail
