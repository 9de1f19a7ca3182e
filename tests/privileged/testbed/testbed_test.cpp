// The testbed end to end, as root (CI runs as root): real network namespaces, veths, cgroups,
// eBPF redirection, and the proxies, apps and load generator as processes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "meshtwin/testbed/testbed.hpp"
#include "../../support/scratch.hpp"

namespace fs = std::filesystem;
using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

const std::string kScenario = "tests/data/testbed/two-zones.yaml";

// What the machine has that a testbed named `name` could leave behind: namespaces, links,
// cgroups and bpffs entries carrying the name (other privileged tests may run meanwhile and
// make or remove their own).
std::set<std::string> machineInventory(const std::string& name) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& ns : testbed::listNetns("")) out.insert("netns " + ns);
  for (auto it = fs::directory_iterator("/sys/class/net", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    out.insert("link " + it->path().filename().string());
  }
  for (auto it = fs::directory_iterator("/sys/fs/cgroup/unified", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) out.insert("cgroup " + it->path().filename().string());
  }
  for (auto it = fs::directory_iterator("/sys/fs/bpf", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    out.insert("bpf " + it->path().filename().string());
  }
  std::erase_if(out, [&](const std::string& e) { return e.find(name) == std::string::npos; });
  return out;
}

std::string httpGet(const std::string& netns, const std::string& ip, int port, const std::string& path) {
  std::string body;
  auto r = testbed::inNetns(netns, [&] {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    if (::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
      const std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
      (void)!::write(s, req.data(), req.size());
      char buf[8192];
      ssize_t n;
      while ((n = ::read(s, buf, sizeof buf)) > 0) body.append(buf, static_cast<std::size_t>(n));
    }
    ::close(s);
  });
  REQUIRE(r.ok());
  return body;
}

// The sum of a counter's samples whose label text contains every one of `needles`.
double metricSum(const std::string& exposition, const std::string& name, const std::vector<std::string>& needles) {
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = exposition.find(name + "{", pos)) != std::string::npos) {
    const auto end = exposition.find('\n', pos);
    const auto line = exposition.substr(pos, end - pos);
    pos = end;
    if (std::all_of(needles.begin(), needles.end(), [&](const auto& n) { return line.find(n) != std::string::npos; })) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

struct Testbed {
  testbed::TestbedOptions o;
  explicit Testbed(const std::string& state_root) {
    o.name = "t" + std::to_string(::getpid() % 100000);
    o.state_root = state_root;
  }
  ~Testbed() { (void)testbed::down(o); }  // also when a REQUIRE fails
};

const models::ZonePairTraffic* pair(const models::PhaseReport& p, const std::string& from, const std::string& to) {
  for (const auto& z : p.zone_pairs) {
    if (z.from == from && z.to == to) return &z;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("testbed: up, measure and down; bytes per zone pair match the load; nothing left behind", "[testbed]") {
  if (!testbed::isRoot()) {
    WARN("skipped: needs root (network namespaces, cgroups, BPF)");
    return;
  }
  test::TempDir dir("testbed");
  const std::string name = "t" + std::to_string(::getpid() % 100000);
  const auto before = machineInventory(name);
  CHECK(before.empty());
  {
    Testbed tb(dir.path.string());
    auto up = testbed::up(tb.o, {kScenario, 0, 30s});
    REQUIRE(up.ok());
    CHECK(up->nodes == 2);
    CHECK(up->pods == 3);
    CHECK(up->processes == 8);  // 2 ztunnels, 3 apps, 3 sidecars
    auto st = testbed::status(tb.o);
    REQUIRE(st.ok());
    CHECK(st.value()["processes_alive"].get<int>() == 8);

    testbed::MeasureOptions m;
    m.duration = 5s;
    m.warmup = 1s;
    auto r = testbed::measure(tb.o, m);
    REQUIRE(r.ok());
    const auto& p = r->report.phases.at(0);
    const auto& web = p.entry_latency.at("web");
    INFO("errors by cause: " << p.errors_by_cause.size());
    CHECK(web.requests >= 190);  // 40 rps for 5 s
    CHECK(web.errors == 0);
    CHECK(web.count == web.requests);
    // Each entry request makes one call front (za) -> back (zb) answered with 64 KiB: the
    // fabric carries that payload zb -> za, plus TLS, HTTP/2 and TCP/IP framing.
    const auto* back = pair(p, "zb", "za");
    REQUIRE(back != nullptr);
    const double implied = static_cast<double>(web.count) * 65536.0;
    INFO("fabric zb -> za " << back->bytes << " bytes, the load implies " << implied);
    CHECK(back->bytes >= implied * 0.98);
    CHECK(back->bytes <= implied * 1.02);
    for (const auto& c : p.components) {
      if (c.kind == "sidecar" || c.kind == "app") CHECK(c.cpu_millicores > 0);
      if (c.kind == "sidecar") CHECK(c.instances == 3);
    }
  }
  testbed::TestbedOptions same;
  same.name = "t" + std::to_string(::getpid() % 100000);
  same.state_root = dir.path.string();
  CHECK(testbed::leftovers(same).empty());
  const auto after = machineInventory(name);
  std::vector<std::string> added, removed;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(removed));
  INFO("added: " << added.size() << (added.empty() ? "" : " e.g. " + added.front()));
  CHECK(added.empty());
  CHECK(removed.empty());
}

TEST_CASE("testbed: waves under load, then unenrol and enrol while traffic flows", "[testbed]") {
  if (!testbed::isRoot()) {
    WARN("skipped: needs root (network namespaces, cgroups, BPF)");
    return;
  }
  test::TempDir dir("testbed");
  Testbed tb(dir.path.string());
  REQUIRE(testbed::up(tb.o, {kScenario, 0, 30s}).ok());

  // Wave 1 (data: sidecars -> ambient, two pods restarted one by one) while the load runs.
  testbed::MeasureOptions m;
  m.duration = 8s;
  m.warmup = 500ms;
  std::optional<testbed::Result<testbed::Measurement>> during;
  std::thread load([&] { during = testbed::measure(tb.o, m); });
  std::this_thread::sleep_for(1500ms);
  auto wave = testbed::applyWave(tb.o, 1);
  load.join();
  REQUIRE(wave.ok());
  CHECK(wave->pods_restarted == 2);
  REQUIRE(during.has_value());
  REQUIRE(during->ok());
  const auto& web = during->value().report.phases.at(0).entry_latency.at("web");
  INFO("wave 1: " << web.errors << " failed of " << web.requests << "; connections reset " << wave->connections_reset);
  CHECK(web.requests >= 300);
  // Drained before it is stopped, a pod takes no request with it; only connections are reset.
  CHECK(web.errors == 0);

  // Wave 2 (web -> ambient): front's connect() is steered by eBPF to its node's ztunnel.
  auto wave2 = testbed::applyWave(tb.o, 2);
  REQUIRE(wave2.ok());
  CHECK(wave2->pods_restarted == 1);
  m.duration = 3s;
  auto after = testbed::measure(tb.o, m);
  REQUIRE(after.ok());
  const auto& web2 = after->report.phases.at(0).entry_latency.at("web");
  CHECK(web2.errors == 0);
  CHECK(web2.count >= 100);
  // The call front -> back passed both ztunnels: source on za's, destination on zb's.
  const auto za = httpGet(tb.o.name + "-n0", "10.1.1.1", 15020, "/metrics");
  const auto zb = httpGet(tb.o.name + "-n1", "10.2.1.1", 15020, "/metrics");
  CHECK(metricSum(za, "istio_tcp_connections_opened_total", {"reporter=\"source\"", "source_workload=\"front\"",
                                                              "destination_workload=\"back\""}) >= 1);
  CHECK(metricSum(zb, "istio_tcp_connections_opened_total", {"reporter=\"destination\"", "source_workload=\"front\"",
                                                              "destination_workload=\"back\""}) >= 1);

  // A running pod leaves ambient and comes back, no restart, while the load runs.
  m.duration = 5s;
  std::optional<testbed::Result<testbed::Measurement>> toggling;
  std::thread load2([&] { toggling = testbed::measure(tb.o, m); });
  std::this_thread::sleep_for(1500ms);
  auto out = testbed::unenroll(tb.o, "data/back-0");
  std::this_thread::sleep_for(1500ms);
  auto in = testbed::enroll(tb.o, "data/back-0");
  load2.join();
  CHECK(out.ok());
  CHECK(in.ok());
  REQUIRE(toggling.has_value());
  REQUIRE(toggling->ok());
  const auto& web3 = toggling->value().report.phases.at(0).entry_latency.at("web");
  INFO("unenrol/enrol: " << web3.errors << " failed of " << web3.requests);
  CHECK(web3.errors == 0);
  CHECK(web3.count >= 180);
}
