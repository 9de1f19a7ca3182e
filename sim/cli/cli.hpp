// The meshtwin command line: subcommands as functions so tests can run them in-process.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace meshtwin::models {
struct PhaseReport;
}

namespace meshtwin::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // findings at or above --fail-on (or a gate failed)
inline constexpr int kExitBadInput = 2;  // the input could not be loaded or the command line is wrong

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

struct CheckOptions {
  std::string scenario;
  std::string output = "table";  // table | json
  std::string fail_on = "high";  // a severity, or "never"
};
int runCheck(const CheckOptions& opts, std::ostream& out, std::ostream& err);

struct SimulateOptions {
  std::string scenario;
  std::string output = "table";  // table | json
  std::string json_file;         // also write the JSON report here
  std::string junit_file;        // also write JUnit XML: one test case per gate per phase
  std::uint64_t seed = 0;        // 0: the scenario's seed
  std::string duration;          // override the load's duration, e.g. "2m"
  std::string warmup = "5s";
  std::string series_step;       // e.g. "10s": a time series per phase
  int replications = 1;          // independent runs (seeds seed..seed+N-1): mean and 95% CI
  bool no_rollouts = false;      // steady states only
  bool progress = false;         // progress lines on stderr (a bar is drawn anyway on a terminal)
};
int runSimulate(const SimulateOptions& opts, std::ostream& out, std::ostream& err);

struct CaInitOptions {
  std::string dir;
  std::string trust_domain = "cluster.local";
  bool force = false;  // replace an existing root key
};
int runCaInit(const CaInitOptions& opts, std::ostream& out, std::ostream& err);

struct CaIssueOptions {
  std::string scenario;
  std::string ca_dir;
  std::string node;
  std::string out_dir;
  std::string trust_domain = "cluster.local";
};
int runCaIssue(const CaIssueOptions& opts, std::ostream& out, std::ostream& err);

struct SnapshotOptions {
  std::string scenario;
  std::string phase = "0";       // a phase number or a wave's name ("baseline" is 0)
  std::string addresses_file;    // JSON {pod_app, pod_hbone, service_vip} merged in
  std::string output;            // the snapshot file, written atomically
  std::string trust_domain = "cluster.local";
  std::uint64_t snapshot_version = 0;  // 0: one more than the file being replaced (1 when new)
};
int runSnapshot(const SnapshotOptions& opts, std::ostream& out, std::ostream& err);

// `meshtwin testbed up|down|status|measure|apply-wave|enroll|unenroll`, registered on `app`;
// the returned function runs the one that was parsed (nullopt when none was).
std::function<std::optional<int>()> addTestbedCommands(CLI::App& app, std::ostream& out, std::ostream& err);

struct CalibrateOptions {
  std::string out_file;  // default models/profiles/embedded-<host>.yaml
  std::string base_profile = "istio-1.24-published";  // worker threads, resources and pricing come from it
  std::string name = "mtcal";  // the testbed's name
  std::string bin_dir;
  std::string duration = "4s", warmup = "1s";  // per point
  int handshakes = 400;
  bool quick = false;  // fewer points (CI)
};
int runCalibrate(const CalibrateOptions& opts, std::ostream& out, std::ostream& err);

struct Tolerances {  // relative errors, as fractions; error rate in absolute points
  double cpu = 0.15, memory = 0.10, p50 = 0.10, p90 = 0.15, p99 = 0.20, bytes = 0.02, error_rate = 0.01;
  // Figures smaller than these are shown but not held to a tolerance (noise dominates).
  double min_cpu_millicores = 5, min_bytes = 100'000;
};
struct ValidateOptions {
  std::string scenario;
  std::string profile;  // default: the scenario's
  std::vector<double> loads{1.0};  // entry-rate multipliers, each measured in every phase
  // When given, instead of loads: fractions (0..1) of the capacity measured on this machine
  // (the smallest over the phases of the rate where the host's CPU or a workload's slots
  // would be full), so a run means the same on a fast machine and a slow one.
  std::vector<double> utilization;
  std::string duration = "8s", warmup = "2s";  // per measurement
  int phases = -1;  // how many phases (baseline + waves); -1 = all
  Tolerances tol;
  std::string json_file, html_file;
  std::string output = "table";  // table | json
  std::string name = "mtval";
  std::string bin_dir;
};
int runValidate(const ValidateOptions& opts, std::ostream& out, std::ostream& err);

// One phase of a report as the table `simulate` prints (the testbed's `measure` prints the same).
void printPhase(const models::PhaseReport& p, std::ostream& out);
// & < > and " as entities: text and attribute values for XML (JUnit) and HTML (validate).
std::string xmlEscape(const std::string& s);

}  // namespace meshtwin::cli
