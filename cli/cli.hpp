// The meshtwin command line: one file per subcommand, each a thin adapter that parses its flags,
// calls one room's API, prints, and maps the result to an exit code. Subcommands are also
// functions (runX) so tests can run them in-process.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/models/profile.hpp"
#include "meshtwin/twin/conditions.hpp"
#include "meshtwin/twin/progress.hpp"
#include "meshtwin/twin/validation.hpp"

namespace CLI {
class App;
class Validator;
}
namespace meshtwin::models {
struct PhaseReport;
struct Plan;
}

namespace meshtwin::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // findings at or above --fail-on, a gate failed, a figure outside tolerance
inline constexpr int kExitBadInput = 2;  // the input could not be loaded or the command line is wrong
inline constexpr int kExitRunFailed = 3;  // the run failed (the testbed, a write) or was interrupted

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// A subcommand registered on the app: runs it when it was the one parsed (nullopt otherwise).
using Runner = std::function<std::optional<int>()>;
// The runner of a subcommand whose flags fill `o`: `run(*o, out, err)` once `cmd` was parsed.
template <class App, class Options, class Fn>
Runner runWhenParsed(App* cmd, std::shared_ptr<Options> o, Fn run, std::ostream& out, std::ostream& err) {
  return [cmd, o = std::move(o), run, &out, &err]() -> std::optional<int> {
    if (!cmd->parsed()) return std::nullopt;
    return run(*o, out, err);
  };
}
// Sets `cmd`'s footer to its exit codes, e.g. "0 clean, 1 findings at or above --fail-on, 2 bad input".
void exitCodes(CLI::App* cmd, std::string_view codes);
// A wave by its 1-based number or its name; nullopt when it names none.
std::optional<std::size_t> findWave(const models::Plan& plan, const std::string& k);
// "1 wave-1-data, 2 wave-2-checkout" (or "none"), for messages.
std::string waveList(const models::Plan& plan);
// A number of `lo` or more, refused as "--flag: must be LO or more, not VALUE".
CLI::Validator atLeast(double lo);
// A number above `lo`, refused as "--flag: must be above LO, not VALUE".
CLI::Validator above(double lo);

struct CheckOptions {
  std::string scenario;
  std::string output = "table";  // table | json
  std::string fail_on = "high";  // a severity, or "never"
};
int runCheck(const CheckOptions& opts, std::ostream& out, std::ostream& err);
Runner addCheckCommand(CLI::App& app, std::ostream& out, std::ostream& err);

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
Runner addSimulateCommand(CLI::App& app, std::ostream& out, std::ostream& err);

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
// `meshtwin ca init|issue`.
Runner addCaCommands(CLI::App& app, std::ostream& out, std::ostream& err);

struct SnapshotOptions {
  std::string scenario;
  std::string phase = "0";       // a phase number or a wave's name ("baseline" is 0)
  std::string addresses_file;    // JSON {pod_app, pod_hbone, service_vip} merged in
  std::string output;            // the snapshot file, written atomically
  std::string trust_domain = "cluster.local";
  std::uint64_t snapshot_version = 0;  // 0: one more than the file being replaced (1 when new)
};
int runSnapshot(const SnapshotOptions& opts, std::ostream& out, std::ostream& err);
Runner addSnapshotCommand(CLI::App& app, std::ostream& out, std::ostream& err);

// `meshtwin testbed up|down|status|measure|apply-wave|enroll|unenroll`.
Runner addTestbedCommands(CLI::App& app, std::ostream& out, std::ostream& err);

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
Runner addCalibrateCommand(CLI::App& app, std::ostream& out, std::ostream& err);

struct ValidateOptions {
  std::string scenario;
  std::string profile;  // default: the scenario's
  std::vector<double> loads{1.0};  // entry-rate multipliers, each measured in every phase
  std::vector<double> utilization;  // instead of loads: fractions of this machine's capacity
  std::string duration = "8s", warmup = "2s";  // per measurement
  int phases = -1;  // how many phases (baseline + waves); -1 = all
  twin::Tolerances tol;
  std::string json_file, html_file;
  std::string output = "table";  // table | json
  std::string name = "mtval";
  std::string bin_dir;
};
int runValidate(const ValidateOptions& opts, std::ostream& out, std::ostream& err);
Runner addValidateCommand(CLI::App& app, std::ostream& out, std::ostream& err);

struct ImportOptions {
  std::vector<std::string> sources;  // files, directories, "-" for stdin
  std::string output = "-";          // the scenario file; "-" = stdout (the report then goes to stderr)
  bool json = false;                 // the report as JSON (models/schema/import-report.schema.json)
  std::string report_file;           // also write the JSON report here
  std::string name;                  // the scenario's name (default: "imported")
  std::string profile = "istio-1.24-published";  // the scenario's profile; prices and proxy costs come from it
  std::string plan = "namespaces";   // namespaces (a starting plan, one wave per namespace) | none
  // The live API (read-only).
  bool from_cluster = false;
  std::string kubeconfig, context, ns;
  // Prometheus.
  std::string prometheus;            // base URL, e.g. http://127.0.0.1:9090
  std::string window = "1h", step = "1m", at;  // at: RFC 3339 or unix seconds; "" = now
  std::string prometheus_token_file, prometheus_user, prometheus_password_file;
  std::string measured_profile;      // write the measured proxy costs as a calibration profile here
};
int runImport(const ImportOptions& opts, std::ostream& out, std::ostream& err);
Runner addImportCommand(CLI::App& app, std::ostream& out, std::ostream& err);

struct RenderOptions {
  std::string scenario;
  std::string wave;     // a 1-based number or a wave's name; empty = every wave
  bool all = false;     // --all: every wave (the default)
  std::string out_dir;  // NN-<wave>/ directories are written here
  std::string schemas;  // validate every object against the schemas in this directory (CRDs, OpenAPI v3)
};
int runRender(const RenderOptions& opts, std::ostream& out, std::ostream& err);
Runner addRenderCommand(CLI::App& app, std::ostream& out, std::ostream& err);

// ---- shared by the subcommands (common.cpp) ------------------------------------------------

// One phase of a report as the table `simulate` prints (the testbed's `measure` prints the same).
void printPhase(const models::PhaseReport& p, std::ostream& out);
// --duration and --warmup, or nullopt after telling `err` why (`command` names the command,
// `example` the durations it suggests, e.g. "4s and 1s").
std::optional<twin::RunWindow> parseRunWindow(const std::string& duration, const std::string& warmup,
                                              std::string_view command, std::string_view example, std::ostream& err);
// A profile file or shipped name, or nullopt after writing its diagnostics to `err`.
std::optional<models::Profile> loadProfileReporting(const std::string& file, std::ostream& err);
// A twin run's progress as "[  1.2s] message" lines on `err`; false (stop) once SIGINT or
// SIGTERM arrived while the run was going.
twin::ProgressFn progressLines(std::ostream& err);
// "meshtwin <what> <object>: <cause> (<hint>)", and the exit code of its kind.
int reportError(const twin::Error& e, std::ostream& err);

}  // namespace meshtwin::cli
