// Calibration: measure the embedded proxies on the testbed and fit the profile the simulator
// uses. The design of every fit is the simulator's own accounting: for each measured point the
// simulator is run on the same scenario, phase and load with a unit cost (1 us per request,
// 1 us per KiB, 1000 bytes of overhead ...), so a fitted parameter means exactly what the
// simulator does with it.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "meshtwin/models/profile.hpp"
#include "meshtwin/twin/conditions.hpp"
#include "meshtwin/twin/progress.hpp"

namespace meshtwin::twin {

struct CalibrateOptions {
  models::Profile base;  // worker threads, resource requests and pricing are kept from it
  std::string name = "mtcal";  // the testbed's name while calibrating
  std::string bin_dir;         // meshtwin-proxy, meshtwin-app, meshtwin-load; empty: beside this binary
  RunWindow window{4'000'000'000, 1'000'000'000};  // per point
  int handshakes = 400;  // TLS handshakes timed for the connection cost
  bool quick = false;    // fewer points (CI)
};

struct Calibration {
  models::Profile profile;            // the fitted profile
  std::string yaml;                   // its file: every parameter with its basis, and the raw points
  std::vector<std::string> quality;   // one line per fit
  std::size_t points = 0;             // measured points
  HostCapacity host;                  // as sampled before the run
  double seconds = 0;
};

// Runs the testbed (root: network namespaces, cgroups, eBPF) through every point and fits.
// Fails with code kBadInput when not root or the build has no testbed, kCancelled when
// `progress` asked to stop.
Result<Calibration> calibrate(const CalibrateOptions& o, const ProgressFn& progress = {});

// The fit quality, then the fitted parameters, as `meshtwin calibrate` prints them.
void printCalibration(const Calibration& c, std::ostream& out);

// A profile as loadProfile reads it back: every parameter with its basis, ref and note, and
// `calibration` (the raw points and fit quality) appended when given.
std::string writeProfileYaml(const models::Profile& p, const YAML::Node& calibration = YAML::Node());

}  // namespace meshtwin::twin
