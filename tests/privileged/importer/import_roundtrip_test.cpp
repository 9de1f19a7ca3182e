// The import's live round trip, as root: the testbed runs a shipped scenario, a real Prometheus
// (in the fabric namespace, which reaches every node) scrapes its proxies with the scrape config
// the testbed writes, and fetchTraffic's edges, rates, sizes and proxy memory must match what the
// testbed ran and measured.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "../../support/prometheus_support.hpp"
#include "meshtwin/importer/prometheus.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/testbed/scrape_config.hpp"
#include "meshtwin/testbed/testbed.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

const std::string kScenario = "tests/data/testbed/two-zones.yaml";
constexpr std::int64_t kStep = 5;  // s: the entry curves' resolution; the window is a multiple of it

struct Testbed {
  testbed::TestbedOptions o;
  explicit Testbed(const std::string& state_root) {
    o.name = "i" + std::to_string(::getpid() % 100000);
    o.state_root = state_root;
  }
  ~Testbed() { (void)testbed::down(o); }  // also when a REQUIRE fails
  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;
};

std::int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void sleepUntil(std::int64_t unix_s) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(unix_s));
  if (at > std::chrono::system_clock::now()) std::this_thread::sleep_until(at);
}

double relErr(double got, double want) { return want == 0 ? (got == 0 ? 0 : 1) : std::abs(got - want) / want; }

// Runs `fn` in the fabric namespace, where Prometheus listens (its sockets are made on that thread).
template <class Fn>
void inFabric(const std::string& netns, Fn&& fn) {
  auto r = testbed::inNetns(netns, [&] { fn(); });
  REQUIRE(r.ok());
}

// Waits until Prometheus scrapes every target with up == 1 (bounded: 30 s).
void waitScraping(test::ChildProcess& prom, const std::string& netns,
                  const kube::PrometheusClient& client, std::size_t targets, const std::filesystem::path& log) {
  for (int i = 0; i < 150; ++i) {
    INFO(test::fileText(log));
    REQUIRE(prom.running());
    std::size_t up = 0;
    inFabric(netns, [&] {
      const auto a = client.query("sum(up)");
      if (a.ok() && !a->data["result"].empty()) up = std::stoul(a->data["result"][0]["value"][1].get<std::string>());
    });
    if (up == targets) return;
    std::this_thread::sleep_for(200ms);
  }
  FAIL("Prometheus does not scrape all " << targets << " proxies within 30 s");
}

// The scenario's call graph as the import describes edges: the entry points (from the ingress
// gateway) and every call of every workload's script, each answered by the service's backends.
struct Expected {
  std::string source_ns, source;
  std::string service_ns, service;
  std::string dest;
  double probability = 1;
  double request_bytes = 0, response_bytes = 0;
  bool from_outside = false;
  [[nodiscard]] std::string describe() const {
    return source_ns + "/" + source + " -> " + service + "." + service_ns + " (" + dest + ")";
  }
};

std::vector<Expected> callGraph(const models::Scenario& s) {
  std::vector<Expected> out;
  auto answer = [&](Expected e, models::ServiceId id) {
    const auto& svc = s.services[id];
    for (const auto b : svc.backends) {
      e.service_ns = svc.ns, e.service = svc.name, e.dest = s.workloads[b].name;
      e.response_bytes = static_cast<double>(s.workloads[b].response_bytes);
      out.push_back(e);
    }
  };
  for (const auto& ep : s.entry_points) answer({"istio-system", "istio-ingressgateway", "", "", "", 1, 0, 0, true}, ep.service);
  for (const auto& w : s.workloads) {
    for (const auto& step : w.script) {
      for (const auto& c : step.calls) {
        const double req = static_cast<double>(c.request_bytes > 0 ? c.request_bytes : w.request_bytes);
        answer({w.ns, w.name, "", "", "", c.probability, req, 0}, c.service);
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("import round trip: a real Prometheus scraping the testbed gives back its edges, rates, sizes and memory",
          "[importer][testbed][prometheus]") {
  if (!testbed::isRoot()) {
    WARN("skipped: needs root (network namespaces, cgroups, BPF)");
    return;
  }
  if (!std::filesystem::exists("/usr/bin/prometheus")) {
    WARN("skipped: /usr/bin/prometheus is not installed (Debian packages prometheus)");
    return;
  }
  auto loaded = models::loadScenarioFile(kScenario);
  REQUIRE(loaded.ok());
  const auto& scenario = loaded.scenario.value();
  const auto graph = callGraph(scenario);

  test::TempDir dir;
  Testbed tb(dir.path().string());
  auto layout = testbed::makeLayout(scenario, tb.o.name, tb.o.stateDir());
  REQUIRE(layout.ok());
  const std::string fabric = layout->fabric_netns;  // routes to every node: Prometheus runs there
  auto up = testbed::up(tb.o, {kScenario, 0, 30s});
  INFO((up.ok() ? "" : up.error().text()));
  REQUIRE(up.ok());

  const auto cfg = dir.path() / "prometheus.yml", log = dir.path() / "prometheus.log";
  auto targets = testbed::writeScrapeConfig(tb.o, cfg.string(), 1s);
  REQUIRE(targets.ok());
  {
    INFO(test::fileText(cfg));
    REQUIRE(targets->size() == 5);  // 2 ztunnels, 3 sidecars
  }
  const int port = test::freePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  test::ChildProcess prom({"/usr/sbin/ip", "netns", "exec", fabric, "/usr/bin/prometheus",
                           "--config.file=" + cfg.string(), "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                          log);  // declared after the testbed: stopped (and reaped) before it goes down
  kube::PrometheusConfig pc;
  pc.url = url;
  pc.timeout = 10000ms;
  const kube::PrometheusClient client(pc);
  waitScraping(prom, fabric, client, targets->size(), log);

  // A short first load creates every series, so the counted window starts and ends flat.
  testbed::MeasureOptions m;
  m.duration = 2s;
  m.warmup = 0ms;
  auto prime = testbed::measure(tb.o, m);
  INFO((prime.ok() ? "" : prime.error().text()));
  REQUIRE(prime.ok());
  std::this_thread::sleep_for(3s);

  const std::int64_t t0 = unixNow();
  m.duration = 25s;
  auto run = testbed::measure(tb.o, m);
  INFO((run.ok() ? "" : run.error().text()));
  REQUIRE(run.ok());
  // The window (t1 - W, t1]: the load and a few flat scrapes on each side, long enough that
  // rate()'s extrapolation at the window's ends (under one scrape each) stays under 2%.
  const std::int64_t W = std::max<std::int64_t>(60, (unixNow() + 4 - t0 + kStep - 1) / kStep * kStep);
  const std::int64_t t1 = t0 + W;
  sleepUntil(t1 + 3);  // scraped through t1
  REQUIRE(prom.running());

  const auto& phase = run->report.phases.at(0);
  const auto& web = phase.entry_latency.at("web");
  INFO("entry requests " << web.requests << ", completed " << web.count << ", errors " << web.errors);
  REQUIRE(web.count > 0);
  CHECK(web.errors == 0);

  importer::TrafficWindow w;
  w.url = url;
  w.eval_unix_s = t1;
  w.window_ns = W * 1'000'000'000;
  w.step_ns = kStep * 1'000'000'000;
  w.scrape_interval_ns = 1'000'000'000;
  std::optional<importer::TrafficResult> fetched;
  inFabric(fabric, [&] { fetched = importer::fetchTraffic(w, importer::queryThrough(client)); });
  REQUIRE(fetched.has_value());
  INFO(fetched->errorText());
  REQUIRE(fetched->ok());
  const importer::Traffic& t = **fetched;
  for (const auto& warning : t.warnings) WARN("import: " << warning);

  // Every edge of the call graph, at the offered load times the call's probability: the
  // requests the testbed's load generator completed over its run, counted over the window.
  const double entry_count = static_cast<double>(web.count);
  std::size_t found = 0;
  double max_rate = 0, max_size = 0;
  bool sized = false;
  for (const auto& e : graph) {
    // The entry edge's caller is outside the mesh: "unknown" (our sidecars label a peer that is
    // no pod so) or an ingress gateway, as the import's ingress_workloads pattern says.
    const auto it = std::find_if(t.edges.begin(), t.edges.end(), [&](const importer::TrafficEdge& x) {
      if (e.from_outside) return x.from_outside && x.serviceKey() == e.service_ns + "/" + e.service && x.dest_workload == e.dest;
      return x.describe() == e.describe();
    });
    INFO("edge " << e.describe());
    CHECK(it != t.edges.end());
    if (it == t.edges.end()) continue;
    ++found;
    const double counted = it->rps * static_cast<double>(W), want = entry_count * e.probability;
    const double rate_err = relErr(counted, want);
    max_rate = std::max(max_rate, rate_err);
    WARN("edge " << it->describe() << " [" << it->reporter << "]: " << counted << " requests counted, testbed "
                 << want << " (" << 100 * rate_err << "%); request " << it->request_bytes << " B (scenario "
                 << e.request_bytes << "), response " << it->response_bytes << " B (scenario " << e.response_bytes
                 << ")");
    CHECK(rate_err <= 0.05);
    if (it->request_bytes > 0 || it->response_bytes > 0) {
      sized = true;
      const double size_err = std::max(e.request_bytes > 0 ? relErr(it->request_bytes, e.request_bytes) : 0.0,
                                       relErr(it->response_bytes, e.response_bytes));
      max_size = std::max(max_size, size_err);
      CHECK(size_err <= 0.05);
    }
  }
  CHECK(found == graph.size());
  // The entry curves: their mean rate over the window is the load generator's count.
  for (const auto& ep : scenario.entry_points) {
    const auto key = scenario.services[ep.service].key();
    const auto l = std::find_if(t.entry_loads.begin(), t.entry_loads.end(),
                                [&](const importer::EntryLoad& x) { return x.serviceKey() == key; });
    INFO("entry load of " << key);
    REQUIRE(l != t.entry_loads.end());
    const double counted = l->meanRps() * static_cast<double>(W);
    const double err = relErr(counted, entry_count);
    max_rate = std::max(max_rate, err);
    WARN("entry load of " << key << ": " << l->rps.size() << " points, " << counted << " requests counted, testbed "
                          << entry_count << " (" << 100 * err << "%)");
    CHECK(err <= 0.05);
  }
  // The proxies record istio_request_bytes and istio_response_bytes: every edge has sizes.
  CHECK(sized);

  // Proxy memory: the import's mean working set per kind against the testbed's RSS per kind.
  std::optional<double> max_mem;
  for (const std::string kind : {"sidecar", "ztunnel"}) {
    double sum = 0;
    int n = 0;
    for (const auto& [name, figures] : run->processes) {
      if (figures.role != kind || run->memory.count(name) == 0) continue;
      sum += static_cast<double>(run->memory.at(name).rss_bytes);
      ++n;
    }
    const auto* u = t.proxy(kind);
    if (n == 0) continue;
    // The proxies export process_resident_memory_bytes, renamed to the working set at scrape.
    INFO("memory of the " << kind << "s: testbed " << sum / n / 1e6 << " MB RSS each");
    REQUIRE(u != nullptr);
    REQUIRE(u->memory_bytes_mean > 0);
    const double err = relErr(u->memory_bytes_mean, sum / n);
    max_mem = std::max(max_mem.value_or(0), err);
    WARN("memory of the " << kind << "s: import " << u->memory_bytes_mean / 1e6 << " MB, testbed " << sum / n / 1e6
                          << " MB RSS (" << 100 * err << "%)");
    CHECK(err <= 0.10);
  }
  std::cout << "import round trip: " << found << " of " << graph.size() << " edges found; max rate error "
            << 100 * max_rate << "%; max size error " << (sized ? std::to_string(100 * max_size) + "%" : "n/a")
            << "; max memory error " << (max_mem ? std::to_string(100 * *max_mem) + "%" : "n/a") << "\n";
}
