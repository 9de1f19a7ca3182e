// The testbed's conditions for the simulator (host CPUs, cgroup quota, the background load),
// scaled loads, and where a run happened.
#include "meshtwin/twin/conditions.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>


#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/testbed/system.hpp"
#endif

namespace meshtwin::twin {

#ifndef MESHTWIN_GIT_COMMIT
#define MESHTWIN_GIT_COMMIT ""
#endif

namespace {

// Where the cgroup hierarchies are mounted: the v2 one, and the v1 one holding the cpu controller.
struct CgroupMounts {
  std::string v2, v1_cpu;
};
CgroupMounts cgroupMounts() {
  CgroupMounts m;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    std::istringstream f(line);
    std::string id, parent, dev, root, point, opts, word;
    f >> id >> parent >> dev >> root >> point >> opts;
    while (f >> word && word != "-") {
    }
    std::string fstype, source, super;
    f >> fstype >> source >> super;
    if (fstype == "cgroup2" && m.v2.empty()) m.v2 = point;
    if (fstype == "cgroup" && m.v1_cpu.empty()) {
      std::istringstream so(super);
      for (std::string o; std::getline(so, o, ',');)
        if (o == "cpu") m.v1_cpu = point;
    }
  }
  return m;
}

double readNumber(const std::filesystem::path& file, bool& ok) {
  std::ifstream in(file);
  double v = 0;
  ok = static_cast<bool>(in >> v);
  return v;
}

}  // namespace

double cgroupCpuQuota() {
  const auto mounts = cgroupMounts();
  double tightest = 0;
  auto consider = [&](double vcpus) {
    if (vcpus > 0 && (tightest == 0 || vcpus < tightest)) tightest = vcpus;
  };
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // HIERARCHY-ID:CONTROLLERS:PATH
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    std::filesystem::path rel = line.substr(b + 1);
    const bool v2 = line.substr(0, a) == "0" && controllers.empty();
    bool v1_cpu = false;
    std::istringstream cs(controllers);
    for (std::string c; std::getline(cs, c, ',');) v1_cpu = v1_cpu || c == "cpu";
    const std::string mount = v2 ? mounts.v2 : v1_cpu ? mounts.v1_cpu : "";
    if (mount.empty()) continue;
    // Every level up to the hierarchy's root: a parent's quota binds its children too.
    for (auto dir = std::filesystem::path(mount) / rel.relative_path();; dir = dir.parent_path()) {
      bool ok = false;
      if (v2) {
        std::ifstream max(dir / "cpu.max");
        std::string quota;
        double period = 0;
        if (max >> quota >> period && quota != "max" && period > 0) consider(std::stod(quota) / period);
      } else {
        const double quota = readNumber(dir / "cpu.cfs_quota_us", ok);
        bool ok_period = false;
        const double period = readNumber(dir / "cpu.cfs_period_us", ok_period);
        if (ok && ok_period && quota > 0 && period > 0) consider(quota / period);
      }
      if (dir == std::filesystem::path(mount) || dir == dir.parent_path()) break;
    }
  }
  return tightest;
}

double hostVcpus() {
  double n = 1.0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    n = static_cast<double>(CPU_COUNT(&set));
  } else if (const long online = ::sysconf(_SC_NPROCESSORS_ONLN); online > 0) {
    n = static_cast<double>(online);
  }
  const double quota = cgroupCpuQuota();
  return quota > 0 ? std::min(n, quota) : n;
}

sim::SimOptions testbedSimOptions(const models::Profile& profile, double host_vcpus, std::int64_t measured_ns,
                                  std::int64_t warmup_ns, std::uint64_t seed) {
  sim::SimOptions o;
  o.seed = seed;
  o.duration_ns = measured_ns + warmup_ns;
  o.warmup_ns = warmup_ns;
  o.rollouts = false;
  o.host_vcpus = host_vcpus;
  o.app_service_is_cpu = false;
  o.app_cpu_per_request_ns = profile.testbed.app_cpu_per_request_ns;
  o.ingress_cpu_per_request_ns = profile.testbed.ingress_cpu_per_request_ns;
  o.count_entry_zone_bytes = false;
  return o;
}

double HostCapacity::available() const { return std::max(0.1, vcpus - background_vcpus - steal_vcpus); }

std::optional<HostCapacity> sampleHostCapacity(std::chrono::milliseconds window) {
#if MESHTWIN_HAVE_TESTBED
  const auto a = testbed::readHostCpuTimes();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  const auto b = testbed::readHostCpuTimes();
  const double wall_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  if (!a || !b || wall_ns <= 0) return std::nullopt;
  HostCapacity h;
  h.vcpus = hostVcpus();
  h.background_vcpus = static_cast<double>(b->busy_ns - a->busy_ns) / wall_ns;
  h.steal_vcpus = static_cast<double>(b->steal_ns - a->steal_ns) / wall_ns;
  return h;
#else
  (void)window;
  return std::nullopt;
#endif
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

}  // namespace meshtwin::twin
