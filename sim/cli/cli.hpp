// The meshtwin command line: subcommands as functions so tests can run them in-process.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

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

}  // namespace meshtwin::cli
