#include "twin.hpp"

#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <ostream>
#include <stdexcept>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::cli {

#ifndef MESHTWIN_GIT_COMMIT
#define MESHTWIN_GIT_COMMIT ""
#endif

double hostVcpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<double>(CPU_COUNT(&set));
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<double>(n) : 1.0;
}

sim::SimOptions testbedSimOptions(std::int64_t measured_ns, std::int64_t warmup_ns, std::uint64_t seed) {
  sim::SimOptions o;
  o.seed = seed;
  o.duration_ns = measured_ns + warmup_ns;
  o.warmup_ns = warmup_ns;
  o.rollouts = false;
  o.host_vcpus = hostVcpus();
  o.app_service_is_cpu = false;
  o.count_entry_zone_bytes = false;
  return o;
}

void useTestbedNetwork(models::Scenario& s) {
  s.network.rtt_same_node_ns = 0;
  s.network.rtt_same_zone_ns = 0;
  s.network.rtt_cross_zone_ns = 0;
}

void scaleLoad(models::Scenario& s, double factor) {
  for (auto& e : s.entry_points) {
    for (auto& seg : e.load) {
      seg.rps *= factor;
      for (auto& r : seg.step_rps) r *= factor;
      seg.base_rps *= factor;
      seg.peak_rps *= factor;
    }
  }
}

const models::ComponentProfile& componentOf(const models::Profile& p, const std::string& kind) {
  if (kind == "sidecar") return p.sidecar;
  if (kind == "ztunnel") return p.ztunnel;
  if (kind == "waypoint") return p.waypoint;
  throw std::invalid_argument("no component profile \"" + kind + "\"");
}

models::ComponentProfile& componentOf(models::Profile& p, const std::string& kind) {
  return const_cast<models::ComponentProfile&>(componentOf(static_cast<const models::Profile&>(p), kind));
}

std::string hostName() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "unknown";
  return buf.data();
}

std::string gitCommit() {
  std::string out;
  if (FILE* p = ::popen("git rev-parse --short=12 HEAD 2>/dev/null", "r")) {
    std::array<char, 64> buf{};
    if (std::fgets(buf.data(), static_cast<int>(buf.size()), p)) out = buf.data();
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? std::string(MESHTWIN_GIT_COMMIT) : out;
}

std::optional<RunWindow> parseRunWindow(const std::string& duration, const std::string& warmup, std::string_view command,
                                        std::string_view example, std::ostream& err) {
  const auto measured = models::parseDurationNs(duration);
  const auto warm = models::parseDurationNs(warmup);
  if (!measured.ok() || !warm.ok() || measured.value() <= 0 || warm.value() < 0) {
    err << command << ": --duration and --warmup take durations such as " << example << "\n";
    return std::nullopt;
  }
  return RunWindow{measured.value(), warm.value()};
}

std::optional<models::Profile> loadProfileReporting(const std::string& file, std::ostream& err) {
  models::Diagnostics d;
  auto p = models::loadProfile(file, ".", d);
  if (d.empty()) return p;
  for (const auto& x : d.sorted()) err << models::format(x) << "\n";
  return std::nullopt;
}

}  // namespace meshtwin::cli
