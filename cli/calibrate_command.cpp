// `meshtwin calibrate`: twin::calibrate on this machine's testbed, the fitted profile written
// where asked, its fit quality and parameters printed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "cli.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/twin/calibrate.hpp"

namespace meshtwin::cli {

int runCalibrate(const CalibrateOptions& o, std::ostream& out, std::ostream& err) {
  const auto window = parseRunWindow(o.duration, o.warmup, "meshtwin calibrate", "4s and 1s", err);
  if (!window) return kExitBadInput;
  const auto base = loadProfileReporting(o.base_profile, err);
  if (!base) return kExitBadInput;
  twin::CalibrateOptions c;
  c.base = *base;
  c.name = o.name;
  c.bin_dir = o.bin_dir;
  c.window = *window;
  c.handshakes = o.handshakes;
  c.quick = o.quick;
  const auto cal = twin::calibrate(c, progressLines(err));
  if (!cal) return reportError(cal.error(), err);
  const std::string file = o.out_file.empty() ? "models/profiles/embedded-" + twin::hostName() + ".yaml" : o.out_file;
  if (auto w = dataplane::writeFileAtomically(file, cal->yaml); !w) {
    // The fits are not lost: the profile goes to stdout instead.
    reportError(twin::Error("calibrate: write profile: " + w.error().what, w.error().object, w.error().cause), err);
    out << cal->yaml;
    return kExitRunFailed;
  }
  twin::printCalibration(cal.value(), out);
  out << fmt::format("\nWrote {} ({} points, {:.0f} s)\n", file, cal->points, cal->seconds);
  return kExitOk;
}

Runner addCalibrateCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Measure the embedded proxies on the testbed (root) and fit the profile the simulator uses: CPU per\n"
      "request and per KiB (cgroup CPU at several loads and payloads, against the simulator's own work\n"
      "accounting), CPU per connection (TLS handshakes), memory base, per connection and per endpoint\n"
      "(RSS), latency per pass through each proxy and its spread, and the wire overheads (fabric byte\n"
      "counters). Writes a profile with the raw points and prints the fit quality. Ctrl-C stops it\n"
      "cleanly (the testbed is taken down).");
  exitCodes(cmd, "0 written, 2 bad input (or not root), 3 the testbed failed, a write failed, or interrupted");
  cmd->add_option("-o,--out", o->out_file, "Profile to write (default: models/profiles/embedded-<host>.yaml)");
  cmd->add_option("--base-profile", o->base_profile, "Profile whose worker threads, resource requests and pricing are kept")
      ->capture_default_str();
  cmd->add_option("--duration", o->duration, "Measured time per point")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Load before each point is measured")->capture_default_str();
  cmd->add_option("--handshakes", o->handshakes, "TLS handshakes timed for the connection cost")
      ->check(CLI::Range(10, 100000))
      ->capture_default_str();
  cmd->add_flag("--quick", o->quick, "Fewer points (3 per phase instead of 6): for CI");
  cmd->add_option("--name", o->name, "Testbed name used while calibrating")->capture_default_str();
  cmd->add_option("--bin-dir", o->bin_dir, "Where meshtwin-proxy, meshtwin-app and meshtwin-load are")
      ->check(CLI::ExistingDirectory);
  return runWhenParsed(cmd, o, runCalibrate, out, err);
}

}  // namespace meshtwin::cli
