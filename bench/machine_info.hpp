// Describing the machine a benchmark ran on, for the JSON both bench programs write.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace meshtwin::bench {

inline std::string readFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

inline std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

inline std::string compilerName() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

// "27.42 M" (per second) at or above a million, "492 k" below.
inline std::string fmtRate(double r) {
  char buf[32];
  if (r >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", r / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0f k", r / 1e3);
  return buf;
}

// The line every benchmark prints under its title: machine, load and build, and a warning
// when the build is not one whose figures mean anything.
inline void printMachineLine(const std::string& load_before, const char* build_type, const char* cxx_flags) {
  std::printf("cpu: %s, nproc %ld, loadavg: %s, build: %s %s\n", cpuModel().c_str(), sysconf(_SC_NPROCESSORS_ONLN),
              load_before.c_str(), build_type, cxx_flags);
  if (std::string(build_type) != "Release")
    std::printf("warning: not a Release build; configure with -DCMAKE_BUILD_TYPE=Release for figures\n");
}

}  // namespace meshtwin::bench
