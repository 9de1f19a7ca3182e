// Calibration's parts shared by its run (calibrate.cpp), its scenario (calibration_scenario.cpp)
// and its fits (calibration_fits.cpp): the variants, a measured point, the simulator's view of it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "meshtwin/models/profile.hpp"
#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"
#include "meshtwin/twin/fit.hpp"

namespace meshtwin::twin::calibration {

inline constexpr const char* kKinds[] = {"sidecar", "ztunnel", "waypoint"};
inline constexpr const char* kEntry = "cal";
inline constexpr double kScenarioRps = 100;  // the calibration scenario's own entry rate; points scale it

// One topology variant of the calibration scenario and the loads measured on it in every phase.
struct Variant {
  std::string name;
  std::int64_t payload = 1024;  // the server's response
  int filler = 0;               // idle pods beside the server (endpoints every proxy knows)
  std::vector<std::pair<double, int>> loads;  // (rps, connections of the load generator)
};
// The variants measured: two topologies, six loads in all (three with `quick`).
std::vector<Variant> variants(bool quick);

// A client in zone za calls a server in zone zb, entered from outside; the plan moves both
// namespaces from sidecars to ambient (phase 1), then puts a waypoint in front of the server
// (phase 2): each phase exercises one proxy kind more.
std::string calibrationScenario(const Variant& v);
const char* phaseMode(std::size_t phase);

// What one measured point holds, as recorded in the profile's `calibration.points`.
struct Point {
  std::size_t variant = 0, phase = 0;
  double rps = 0;
  int connections = 0;
  double window_s = 0;
  std::uint64_t requests = 0, errors = 0;
  models::LatencySummary latency;
  std::map<std::string, double> cpu_m;  // by kind
  struct Proc {
    std::string name, role;
    double rss = 0, cpu_m = 0;
    std::size_t connections = 0;
  };
  std::vector<Proc> processes;
  std::map<std::string, double> zone_bytes;  // "za->zb"
  [[nodiscard]] double cpuOf(const std::string& kind) const;
};
nlohmann::json toJson(const Point& p, const std::vector<Variant>& variants);
YAML::Node toYaml(const nlohmann::json& j);

// The simulator's view of one point: the calibration scenario at the point's phase and
// load under `profile`.
struct Design {
  const std::vector<models::Scenario>* scenarios;
  std::int64_t measured_ns, warmup_ns;
  double host_vcpus;
  [[nodiscard]] models::PhaseReport run(const Point& p, const models::Profile& profile) const;
};

// The profile with every cost the calibration fits at 0.
models::Profile zeroCosts(models::Profile p);
std::string fitLine(const std::string& what, const LinearFit& f);

// The fits, one mechanism each, writing into `fitted` with each parameter's source.
struct Fitter {
  Design design;
  const std::vector<Point>& points;
  const std::vector<models::Scenario>& scenarios;
  models::Profile unit;    // every fitted cost 0: the base the unit-cost designs start from
  models::Profile fitted;  // what the fits produce
  std::string ref;         // the calibration run, cited by every fitted parameter
  std::vector<std::string> quality;
  nlohmann::json fits = nlohmann::json::object();

  void measured(const std::string& key, const std::string& note);
  void cpuPerRequestAndKib();
  void cpuPerConnection(int handshakes, double client_cpu_ns, double server_cpu_ns, double wall_ns);
  void testbedProcesses();
  void memory();
  void bytes();
  void latencyPerPass();
};

}  // namespace meshtwin::twin::calibration
