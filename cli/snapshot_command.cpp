// `meshtwin snapshot`: the control-plane snapshot the proxies run on, for one phase of a
// scenario's plan, with the addresses of pods, HBONE endpoints and services merged in.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::cli {

using dataplane::Error;
using dataplane::Result;

namespace {

int fail(std::ostream& err, const Error& e) {
  err << "meshtwin snapshot: " << e.text() << "\n";
  return kExitBadInput;
}

// "0", "2", "baseline" or a wave's name.
Result<std::size_t> phaseIndex(const models::Scenario& s, const std::string& text) {
  std::vector<std::string> names{"baseline"};
  for (const auto& w : s.plan.waves) names.push_back(w.name);
  std::size_t k = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (k < names.size()) return k;
    return Error{"select phase", text,
                 fmt::format("the plan has {} wave(s), so phases run from 0 to {}", s.plan.waves.size(),
                             s.plan.waves.size()),
                 "phase 0 is the baseline, phase k the state after wave k"};
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return i;
  }
  return Error{"select phase", text, "no such wave in the plan", models::suggestionHint(text, names, "phases")};
}

using AddressMap = std::map<std::string, std::string>;

// {"pod_app": {...}, "pod_hbone": {...}, "service_vip": {...}}; any of the three may be absent.
Result<bool> mergeAddresses(const std::string& path, dataplane::ControlPlaneSnapshot& s) {
  const std::string what = "read addresses";
  std::ifstream in(path);
  if (!in) return Error{what, path, std::strerror(errno), "check the path"};
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    return Error{what, path, e.what(), "the file must be JSON: {\"pod_app\": {\"ns/pod\": \"ip:port\"}, ...}"};
  }
  if (!j.is_object()) return Error{what, path, "not a JSON object", "expected {\"pod_app\": {...}, ...}"};
  for (const auto& [field, target] : {std::pair<const char*, AddressMap*>{"pod_app", &s.pod_app},
                                      {"pod_hbone", &s.pod_hbone},
                                      {"service_vip", &s.service_vip}}) {
    if (!j.contains(field)) continue;
    const auto& m = j.at(field);
    if (!m.is_object()) return Error{what, path + ": " + field, "not an object", "map \"ns/name\" to \"ip:port\""};
    for (const auto& [key, value] : m.items()) {
      if (!value.is_string()) {
        return Error{what, path + ": " + field + "[" + key + "]", "not a string", "write addresses as \"ip:port\""};
      }
      (*target)[key] = value.get<std::string>();
    }
  }
  for (const auto& [key, unused] : j.items()) {
    if (key != "pod_app" && key != "pod_hbone" && key != "service_vip") {
      return Error{what, path + ": " + key, "unknown field",
                   models::suggestionHint(key, {"pod_app", "pod_hbone", "service_vip"}, "fields")};
    }
  }
  return true;
}

// The version of the snapshot already at `path`, or 0 when there is none to read.
std::uint64_t existingVersion(const std::string& path) {
  auto old = dataplane::readSnapshotFile(path);
  return old ? old->version : 0;
}

}  // namespace

int runSnapshot(const SnapshotOptions& opts, std::ostream& out, std::ostream& err) {
  std::ifstream in(opts.scenario);
  if (!in) return fail(err, Error{"read scenario", opts.scenario, std::strerror(errno), "check the path"});
  std::stringstream text;
  text << in.rdbuf();
  const auto loaded = models::loadScenarioText(text.str(), opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin snapshot: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  auto phase = phaseIndex(*loaded.scenario, opts.phase);
  if (!phase) return fail(err, phase.error());

  dataplane::ControlPlaneSnapshot s;
  s.scenario_file = opts.scenario;
  s.scenario_yaml = text.str();
  s.phase = phase.value();
  s.trust_domain = opts.trust_domain;
  // Proxies ignore a snapshot that is not newer than the one they run, so rewriting a file
  // in place bumps its version unless one is given.
  s.version = opts.snapshot_version != 0 ? opts.snapshot_version : existingVersion(opts.output) + 1;
  if (!opts.addresses_file.empty()) {
    if (auto r = mergeAddresses(opts.addresses_file, s); !r) return fail(err, r.error());
  }
  // What the proxies would refuse is refused here, with the same message.
  auto view = dataplane::buildMeshView(s);
  if (!view) return fail(err, view.error());
  if (auto r = dataplane::writeSnapshotFile(opts.output, s); !r) return fail(err, r.error());
  const auto& state = view.value()->state;
  out << fmt::format("snapshot version {} written to {}: {} phase {} ({}), {} pod address(es), {} HBONE endpoint(s), "
                     "{} service VIP(s)\n",
                     s.version, opts.output, opts.scenario, state.phase, state.phase_name, s.pod_app.size(),
                     s.pod_hbone.size(), s.service_vip.size());
  return kExitOk;
}

Runner addSnapshotCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<SnapshotOptions>();
  auto* cmd = app.add_subcommand(
      "snapshot",
      "Write the control-plane snapshot (JSON) the data-plane proxies run on: the scenario, the mesh state\n"
      "after a phase of its plan, and where pods, HBONE endpoints and service VIPs listen. The file is\n"
      "replaced atomically; proxies watching it apply it without dropping established connections.");
  exitCodes(cmd, "0 written, 2 bad input");
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--phase", o->phase, "Phase: 0 (baseline), k (after wave k), or a wave's name")->capture_default_str();
  cmd->add_option("--addresses", o->addresses_file,
                  "JSON file merged into the snapshot: {\"pod_app\": {\"ns/pod\": \"ip:port\"}, \"pod_hbone\": "
                  "{...}, \"service_vip\": {\"ns/svc\": \"ip:port\"}}")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "Snapshot file to write")->required();
  cmd->add_option("--trust-domain", o->trust_domain, "SPIFFE trust domain")->capture_default_str();
  cmd->add_option("--snapshot-version", o->snapshot_version,
                  "Version number, 0 or more (default 0: one more than the file being replaced, 1 for a new file)")
      ->check(atLeast(0));
  return runWhenParsed(cmd, o, runSnapshot, out, err);
}

}  // namespace meshtwin::cli
