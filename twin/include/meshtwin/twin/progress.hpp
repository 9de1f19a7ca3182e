// How a long twin run (calibrate, validate) reports its steps and how its caller stops it,
// and how it fails: the testbed's own errors, or a bad input, or a cancellation.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "meshtwin/dataplane/ca.hpp"  // Result, Error

namespace meshtwin::twin {

using dataplane::Error;
using dataplane::Result;

// Error::code of a failure that is the caller's input (exit code 2 at the command line) and
// of a run its progress callback stopped; any other code is the run failing (testbed, I/O).
inline constexpr const char* kBadInput = "bad-input";
inline constexpr const char* kCancelled = "cancelled";

// One step of a run: what it did, when (seconds since the run began) and how far it is.
struct ProgressEvent {
  double elapsed_s = 0;
  std::size_t done = 0, total = 0;  // measurements; total 0 while not yet known
  std::string message;
};
// Called after every step; returning false stops the run at the next step (the testbed is
// taken down first). Empty: run to the end quietly.
using ProgressFn = std::function<bool(const ProgressEvent&)>;

// The clock and the callback of one run.
class RunClock {
 public:
  explicit RunClock(ProgressFn fn) : fn_(std::move(fn)), t0_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  // Reports a step; false when the caller asked to stop.
  bool step(std::string message, std::size_t done = 0, std::size_t total = 0) const {
    return !fn_ || fn_({elapsed(), done, total, std::move(message)});
  }

 private:
  ProgressFn fn_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace meshtwin::twin
