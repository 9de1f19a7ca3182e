// The loop closed on this machine, as CI runs it (root): twin::calibrate (quick) measures
// the real proxies on the testbed and fits a profile; twin::validate then runs a chain
// scenario the calibration never saw, in its four mesh modes, on the testbed and in the
// simulator with that profile, and must agree within tolerances loose enough for a shared
// 2-vCPU runner yet tight enough to catch a model regression (a hop, a byte or a proxy kind
// the simulator gets wrong shows as tens of percent, not a few). Its loads are sized from the
// machine (30% and 60% of the capacity validate measures first), so the verdict means the
// same on a fast machine and on a slow one; near-saturation runs are bench/validation's.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/profile.hpp"
#include "meshtwin/testbed/testbed.hpp"
#include "meshtwin/twin/calibrate.hpp"
#include "meshtwin/twin/conditions.hpp"
#include "meshtwin/twin/validate.hpp"

using namespace meshtwin;

namespace {

// The fit quality lines: what to read when the validation then misses.
std::string fitQuality(const twin::Calibration& c) {
  std::string q = "Fit quality\n";
  for (const auto& line : c.quality) q += "  " + line + "\n";
  return q;
}

// Progress lines kept for the report of a failure.
twin::ProgressFn keepLines(std::string& log) {
  return [&log](const twin::ProgressEvent& e) {
    log += fmt::format("[{:5.1f}s] {}\n", e.elapsed_s, e.message);
    return true;
  };
}

// One calibrate + validate loop; returns "" when every gated figure is within tolerance,
// otherwise the figures outside it (one line each) and the calibration's fit quality.
std::string calibrateThenValidate(const std::filesystem::path& dir, int attempt) {
  const auto profile = (dir / ("embedded-ci-" + std::to_string(attempt) + ".yaml")).string();
  models::Diagnostics base_diags;
  twin::CalibrateOptions cal;
  cal.base = models::loadProfile("istio-1.24-published", ".", base_diags);
  REQUIRE(base_diags.empty());
  cal.quick = true;
  cal.window = {3'000'000'000, 1'000'000'000};
  cal.handshakes = 100;
  cal.name = "mtcical";
  std::string cal_log;
  const auto fitted = twin::calibrate(cal, keepLines(cal_log));
  INFO(cal_log);
  REQUIRE(fitted);
  std::ofstream(profile) << fitted->yaml;

  models::Diagnostics d;
  const auto p = models::loadProfile(profile, ".", d);
  REQUIRE(d.empty());
  CHECK(p.provenance.kind == "measured");
  for (const auto* c : {&p.sidecar, &p.ztunnel, &p.waypoint}) {
    CHECK(c->cpu_per_request_ns > 10'000);  // every proxy kind carried traffic and was fitted
    CHECK(c->cpu_per_connection_ns > 0);
    CHECK(c->memory_base_bytes > 1'000'000);
  }
  CHECK(p.network.message_overhead_bytes > 0);
  CHECK(p.testbed.app_cpu_per_request_ns > 1'000);      // the apps and the load generator beside the proxies
  CHECK(p.testbed.ingress_cpu_per_request_ns > 1'000);

  twin::ValidateOptions val;
  auto loaded = models::loadScenarioFile("scenarios/validation/chain.yaml");
  REQUIRE(loaded.ok());
  val.scenario = *loaded.scenario;
  val.scenario.profile = p;  // the profile read back from its file, as `meshtwin validate --profile` reads it
  val.scenario_file = "scenarios/validation/chain.yaml";
  val.utilization = {0.3, 0.6};
  val.window = {4'000'000'000, 1'000'000'000};
  val.name = "mtcival";
  // Regression tolerances (CI): see the README's validation section for what the model
  // reaches with full-length runs. CPU: the host's speed drifts between a calibration and the
  // validation after it, a whole phase at once: on a 2-vCPU AMD EPYC VM the chain's baseline
  // at x1.5 measured 335 m then 214 m of sidecar CPU in two runs minutes apart, and four
  // calibrate + validate loops there missed by up to +77% on a proxy kind's CPU while every
  // other figure held; so 90%. A proxy kind the simulator loses is still -100% (and its
  // hops show in bytes and latency). Bytes: the quick
  // prediction is brought to the requests the testbed's timetable realised and then agrees
  // within 1% here; a lost hop, direction or per-message overhead is 15% or more.
  val.tol.cpu = 0.9;
  val.tol.memory = 0.3;
  val.tol.p50 = 0.4;
  val.tol.p90 = 0.6;
  val.tol.p99 = 1.0;
  val.tol.bytes = 0.03;
  val.tol.error_rate = 0.01;
  std::string val_log;
  const auto v = twin::validate(val, keepLines(val_log));
  INFO(val_log);
  REQUIRE(v);  // ran to the end: a report, pass or not
  const auto j = twin::toJson(v.value());
  CHECK(twin::validationHtml(v.value()).find("<svg") != std::string::npos);
  CHECK(j["phases"].size() == 4);  // sidecar, mixed, ambient, ambient + waypoint
  // The loads came from the capacity measured in every phase: 30% and 60% of the smallest.
  REQUIRE(j["capacity"].size() == 4);
  double capacity = INFINITY;
  for (const auto& c : j["capacity"]) {
    CHECK(c["testbed_cpu_us_per_request"].get<double>() > 0);
    capacity = std::min({capacity, c["host_rps"].get<double>(), c["slots_rps"].get<double>()});
  }
  REQUIRE(j["loads"].size() == 2);
  CHECK(j["loads"][0].get<double>() * 100 == Approx(0.3 * capacity));  // the chain's own rate is 100 rps
  CHECK(j["loads"][1].get<double>() * 100 == Approx(0.6 * capacity));
  std::size_t bytes = 0, cpu = 0, testbed_cpu = 0;
  std::string missed;
  for (const auto& f : j["figures"]) {
    bytes += f["metric"] == "bytes" && f["gated"] == true ? 1U : 0U;
    cpu += f["metric"] == "cpu" && f["gated"] == true ? 1U : 0U;
    testbed_cpu += f["object"] == "testbed processes" && f["gated"] == true ? 1U : 0U;
    if (f["pass"] == false) {
      missed += fmt::format("  {} {} {}: predicted {:.4g}, measured {:.4g} {}, error {:+.1f}%, tolerance {:.0f}%\n",
                            f["phase"].get<std::string>(), f["metric"].get<std::string>(),
                            f["object"].get<std::string>(), f["predicted"].get<double>(),
                            f["measured"].get<double>(), f["unit"].get<std::string>(),
                            100 * f["error"].get<double>(), 100 * f["tolerance"].get<double>());
    }
  }
  CHECK(bytes >= 8);  // both cross-zone directions in every phase
  CHECK(cpu >= 4);
  CHECK(testbed_cpu == 8);  // apps and load generator modelled: every phase at both loads
  CHECK(v->pass() == missed.empty());
  return missed.empty() ? missed : missed + fitQuality(fitted.value());
}

}  // namespace

TEST_CASE("calibrate then validate a chain scenario against the testbed") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (network namespaces, cgroups, eBPF)");
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("meshtwin-twin-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // A measurement on a shared runner can be disturbed by its neighbours; a model regression
  // is not. The loop (calibrate, then validate) runs a second time only when the first
  // misses, prints what the first missed, and the test fails when the second misses too.
  std::string missed;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    missed = calibrateThenValidate(dir, attempt);
    if (missed.empty()) break;
    WARN("attempt " << attempt << " of 2 outside tolerance:\n" << missed);
  }
  CHECK(missed.empty());
  std::filesystem::remove_all(dir);
}

// A run its progress callback stops ends as cancelled, at that step, with its testbed down:
// calibrate when its first variant is about to come up, validate once the host is sampled.
TEST_CASE("a twin run stops when its progress callback says so, and leaves no testbed behind") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (network namespaces, cgroups, eBPF)");
    return;
  }
  std::vector<std::string> seen;
  const auto stopAt = [&seen](const std::string& prefix) -> twin::ProgressFn {
    return [&seen, prefix](const twin::ProgressEvent& e) {
      seen.push_back(e.message);
      return e.message.rfind(prefix, 0) != 0;
    };
  };
  models::Diagnostics d;
  twin::CalibrateOptions cal;
  cal.base = models::loadProfile("istio-1.24-published", ".", d);
  cal.name = "mtcistop";
  const auto c = twin::calibrate(cal, stopAt("variant"));
  REQUIRE_FALSE(c);
  CHECK(c.error().code == twin::kCancelled);
  REQUIRE(seen.size() == 2);  // the host, then the first variant: nothing was measured
  CHECK(seen.back().rfind("variant 1kib", 0) == 0);
  testbed::TestbedOptions tb;
  tb.name = cal.name;
  CHECK(testbed::leftovers(tb).empty());
  CHECK_FALSE(std::filesystem::exists(tb.state_root + "/" + cal.name + "-scenarios"));  // nor its scenario files

  seen.clear();
  twin::ValidateOptions val;
  auto loaded = models::loadScenarioFile("scenarios/validation/chain.yaml");
  REQUIRE(loaded.ok());
  val.scenario = *loaded.scenario;
  val.scenario_file = "scenarios/validation/chain.yaml";
  val.name = "mtcvstop";
  const auto v = twin::validate(val, stopAt("host"));
  REQUIRE_FALSE(v);
  CHECK(v.error().code == twin::kCancelled);
  CHECK(seen.size() == 1);
  tb.name = val.name;
  CHECK(testbed::leftovers(tb).empty());
}

// The host the simulator is given is the one the testbed's processes get: a CPU quota on
// their cgroup (v2 cpu.max, or v1 cpu.cfs_quota_us where the cpu controller is on v1, as on
// this machine's kind) caps hostVcpus(), which calibrate and validate pass to the simulator.
TEST_CASE("hostVcpus follows a CPU quota on the process's cgroup") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root (cgroups)");
    return;
  }
  const double before = twin::hostVcpus();
  REQUIRE(before >= 1);
  const std::string name = "meshtwin-quota-" + std::to_string(::getpid());
  std::string dir, procs;
  std::vector<std::pair<std::string, std::string>> writes;
  // 60% of the CPUs, over a 100 ms period.
  const long quota_us = std::lround(0.6 * before * 100'000);
  if (std::ifstream ctl("/sys/fs/cgroup/unified/cgroup.controllers"); ctl) {
    std::string c;
    bool v2_cpu = false;
    while (ctl >> c) v2_cpu = v2_cpu || c == "cpu";
    if (v2_cpu) {
      dir = "/sys/fs/cgroup/unified/" + name;
      writes = {{"cpu.max", std::to_string(quota_us) + " 100000"}};
    }
  }
  if (dir.empty() && std::filesystem::exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    dir = "/sys/fs/cgroup/cpu/" + name;
    writes = {{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", std::to_string(quota_us)}};
  }
  if (dir.empty()) {
    WARN("skipped: no cgroup with a cpu controller (cgroup v2 cpu.max or v1 cpu) on this kernel");
    return;
  }
  std::filesystem::create_directory(dir);
  for (const auto& [file, value] : writes) std::ofstream(dir + "/" + file) << value;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    std::ofstream(dir + "/cgroup.procs") << ::getpid();
    const double v = twin::hostVcpus();
    (void)!::write(fds[1], &v, sizeof v);
    ::_exit(0);
  }
  double inside = 0;
  REQUIRE(::read(fds[0], &inside, sizeof inside) == static_cast<ssize_t>(sizeof inside));
  ::waitpid(child, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  ::rmdir(dir.c_str());
  CHECK(inside == Approx(0.6 * before).epsilon(0.01));
  CHECK(twin::hostVcpus() == before);  // this process, outside the group, is not limited
}
