// meshtwin-app's workload mode: pods of a scenario's workloads in-process on 127.0.0.x (each
// pod its own loopback address, port 0), their calls going straight to the callee pods (the
// VIP of a service here is its one pod's address: no proxies in between). Waits are bounded;
// wall-clock times are asserted as lower bounds only.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "meshtwin/dataplane/apps/test_app.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::dataplane;
using namespace meshtwin::dataplane::apps;
using namespace std::chrono_literals;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Every workload the cases use; a case starts only the pods it needs.
const std::string kScenario = R"(apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: workload-app}
cluster:
  zones: [a]
  nodePools:
    - {name: p, instanceType: m6i.xlarge, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}
workloads:
  - name: front
    namespace: demo
    serviceTime: {distribution: constant, mean: 20ms}
    responseSize: 1500B
    script:
      - call: {service: back, size: 2KiB, method: POST, path: /items}
      - sleep: 30ms
  - {name: back, namespace: demo, serviceTime: {distribution: constant, mean: 1ms}, responseSize: 3KiB}
  - name: fan
    namespace: demo
    requestSize: 700B
    serviceTime: {distribution: constant, mean: 1ms}
    script:
      - [{call: slow-a}, {call: {service: slow-b, path: /b}}]
  - {name: slow-a, namespace: demo, serviceTime: {distribution: constant, mean: 300ms}}
  - {name: slow-b, namespace: demo, serviceTime: {distribution: constant, mean: 300ms}}
  - name: coin
    namespace: demo
    serviceTime: {distribution: constant, mean: 10us}
    script:
      - call: {service: sink, probability: 50}
  - {name: sink, namespace: demo, serviceTime: {distribution: constant, mean: 10us}, responseSize: 10B}
  - name: caller
    namespace: demo
    serviceTime: {distribution: constant, mean: 1ms}
    script:
      - call: dead
      - call: back
  - {name: dead, namespace: demo}
  - name: top
    namespace: demo
    serviceTime: {distribution: constant, mean: 1ms}
    script:
      - call: caller
  - name: impatient
    namespace: demo
    serviceTime: {distribution: constant, mean: 1ms}
    script:
      - call: sluggish
  - {name: sluggish, namespace: demo, serviceTime: {distribution: constant, mean: 3s}}
  - {name: jittery, namespace: demo, serviceTime: {distribution: lognormal, mean: 2ms, p99: 10ms}, responseSize: 64B}
entryPoints:
  - {name: web, service: front.demo, load: [{constant: {rps: 1, duration: 1s}}]}
)";

std::string serviceOf(const std::string& pod) { return pod.substr(0, pod.rfind('-')); }  // demo/x-0 -> demo/x

// Workload pods on one io_context in a background thread, created callees first: each pod's
// view holds the VIPs of the pods made before it.
class World {
 public:
  World() : work_(asio::make_work_guard(io_)) {
    snapshot_.scenario_file = "workload-app.yaml";
    snapshot_.scenario_yaml = kScenario;
    thread_ = std::thread([this] { io_.run(); });
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  template <class Fn>
  auto onIo(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto f = task.get_future();
    asio::post(io_, [&task] { task(); });
    return f.get();
  }
  ~World() {
    onIo([this] {
      for (auto& [pod, app] : apps_) app->stop();
      return 0;
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Starts `pod` ("demo/x-0") on `ip`, port 0, and makes its address the VIP of its service.
  std::shared_ptr<WorkloadApp> add(const std::string& pod, const std::string& ip, WorkloadAppOptions o = {}) {
    snapshot_.pod_app[pod] = ip + ":0";
    auto view = buildMeshView(snapshot_);
    if (!view) FAIL(view.error().text());
    auto app = onIo([&] {
      auto a = WorkloadApp::create(io_.get_executor(), view.value(), pod, o);
      if (a) a.value()->start();
      return a;
    });
    if (!app) FAIL(app.error().text());
    snapshot_.pod_app[pod] = toString(app.value()->address());
    snapshot_.service_vip[serviceOf(pod)] = snapshot_.pod_app[pod];
    apps_[pod] = app.value();
    return app.value();
  }

  // `service`'s VIP refuses connections: a port bound once on 127.0.0.1, then closed.
  void deadService(const std::string& service) {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    snapshot_.service_vip[service] = toString(a.local_endpoint());
  }

  struct Seen {
    ReceivedRequest request;
    std::chrono::steady_clock::time_point at;
  };
  // What `app` receives from now on; read it through onIo.
  std::shared_ptr<std::vector<Seen>> record(const std::shared_ptr<WorkloadApp>& app) {
    auto seen = std::make_shared<std::vector<Seen>>();
    onIo([&] {
      app->onRequest([seen](const ReceivedRequest& r) { seen->push_back({r, std::chrono::steady_clock::now()}); });
      return 0;
    });
    return seen;
  }
  std::vector<Seen> seen(const std::shared_ptr<std::vector<Seen>>& s) {
    return onIo([&] { return *s; });
  }
  const ControlPlaneSnapshot& snapshot() const { return snapshot_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  ControlPlaneSnapshot snapshot_;
  std::map<std::string, std::shared_ptr<WorkloadApp>> apps_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::chrono::nanoseconds elapsed{};
};

// HTTP/1.1 on one keep-alive connection; every step is bounded by the stream's timeout.
class Client {
 public:
  explicit Client(tcp::endpoint at) : at_(at), stream_(io_) {}
  Reply get(const std::string& target = "/") {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "workload-app.test");
    req.keep_alive(true);
    http::response<http::string_body> res;
    const auto started = std::chrono::steady_clock::now();
    ErrorCode failure;
    if (!stream_.socket().is_open()) {
      stream_.expires_after(20s);
      stream_.async_connect(at_, [&](ErrorCode ec) { failure = ec; });
      drive();
    }
    if (!failure) {
      stream_.expires_after(20s);
      http::async_write(stream_, req, [&](ErrorCode ec, std::size_t) { failure = ec; });
      drive();
    }
    if (!failure) {
      stream_.expires_after(20s);
      http::async_read(stream_, buffer_, res, [&](ErrorCode ec, std::size_t) { failure = ec; });
      drive();
    }
    if (failure) FAIL("request to " << toString(at_) << ": " << failure.message());
    Reply out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
    out.elapsed = std::chrono::steady_clock::now() - started;
    return out;
  }

 private:
  void drive() {
    io_.restart();
    io_.run();
  }
  tcp::endpoint at_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the program with `args` (argv[0] added) and returns its exit code.
int runProgram(std::vector<std::string> args, std::string& out, std::string& err) {
  args.insert(args.begin(), "meshtwin-app");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream o, e;
  const int rc = runAppProgram(static_cast<int>(argv.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}

}  // namespace

TEST_CASE("workload app: a chain answers the caller's size after its service time, its call and its sleep",
          "[dataplane][workload-app]") {
  World world;
  auto back = world.add("demo/back-0", "127.0.0.3");
  auto front = world.add("demo/front-0", "127.0.0.2");
  auto at_back = world.record(back);
  auto at_front = world.record(front);

  Client client(front->address());
  const auto reply = client.get();
  CHECK(reply.status == 200);
  CHECK(reply.body.size() == 1500);                       // front's responseSize
  CHECK(reply.elapsed >= 20ms + 30ms);                    // service time, then the script's sleep
  const auto seen_back = world.seen(at_back);
  const auto seen_front = world.seen(at_front);
  REQUIRE(seen_back.size() == 1);
  REQUIRE(seen_front.size() == 1);
  const auto& call = seen_back.front().request;
  CHECK(call.method == "POST");
  CHECK(call.target == "/items");
  CHECK(call.body_bytes == 2048);
  CHECK(call.source == "demo/front-0");
  CHECK(call.peer.address() == asio::ip::make_address("127.0.0.2"));  // bound to the pod's own IP
  CHECK(seen_back.front().at - seen_front.front().at >= 20ms);          // the service time comes first

  const auto stats = world.onIo([&] { return front->calls(); });
  REQUIRE(stats.count("demo/back") == 1);
  CHECK(stats.at("demo/back").calls == 1);
  CHECK(stats.at("demo/back").failures.empty());
  CHECK(stats.at("demo/back").response_bytes == 3 * 1024);  // back's responseSize came back
  CHECK(stats.at("demo/back").latency_ns.count() == 1);

  // A second request reuses the pooled connection to back.
  CHECK(client.get().status == 200);
  CHECK(world.onIo([&] { return back->connections(); }) == 1);

  const auto j = nlohmann::json::parse(world.onIo([&] { return front->statsJson(); }));
  CHECK(j["format"] == kAppStatsFormat);
  CHECK(j["pod"] == "demo/front-0");
  CHECK(j["requests"] == 2);
  CHECK(j["errors"] == 0);
  CHECK(j["calls"]["demo/back"]["calls"] == 2);
  CHECK(j["calls"]["demo/back"]["latency_us"]["count"] == 2);
  CHECK(j["calls"]["demo/back"]["latency_us"]["p50"].get<double>() > 0);
}

TEST_CASE("workload app: a concurrent group's calls are under way together, at the caller's requestSize",
          "[dataplane][workload-app]") {
  World world;
  auto slow_a = world.add("demo/slow-a-0", "127.0.0.4");
  auto slow_b = world.add("demo/slow-b-0", "127.0.0.5");
  auto fan = world.add("demo/fan-0", "127.0.0.6");
  // When the second call arrives, the first is still in its 300 ms service time: the calls
  // were made together (one after the other, the first would be answered by then).
  auto other_in_flight = std::make_shared<std::vector<std::uint64_t>>();
  auto seen = std::make_shared<std::vector<ReceivedRequest>>();
  world.onIo([&] {
    // Raw pointers: the world holds the apps, and an observer holding the other app would be a cycle.
    WorkloadApp* a = slow_a.get();
    WorkloadApp* b = slow_b.get();
    a->onRequest([=](const ReceivedRequest& r) {
      seen->push_back(r);
      other_in_flight->push_back(b->inFlight());
    });
    b->onRequest([=](const ReceivedRequest& r) {
      seen->push_back(r);
      other_in_flight->push_back(a->inFlight());
    });
    return 0;
  });
  Client client(fan->address());
  const auto reply = client.get();
  CHECK(reply.status == 200);
  CHECK(reply.body.size() == 1024);  // the default responseSize
  CHECK(reply.elapsed >= 300ms);
  const auto requests = world.onIo([&] { return *seen; });
  const auto in_flight = world.onIo([&] { return *other_in_flight; });
  REQUIRE(requests.size() == 2);
  REQUIRE(in_flight.size() == 2);
  CHECK(in_flight[0] == 0);
  CHECK(in_flight[1] == 1);
  for (const auto& r : requests) {
    CHECK(r.body_bytes == 700);  // a call without a size sends the caller's requestSize
    CHECK(r.method == "GET");
    CHECK(r.source == "demo/fan-0");
  }
}

TEST_CASE("workload app: a 50% call is made about half the time, the same number of times for the same seed",
          "[dataplane][workload-app]") {
  constexpr int kRequests = 400;
  auto run = [](std::uint64_t seed) {
    World world;
    auto sink = world.add("demo/sink-0", "127.0.0.7");
    WorkloadAppOptions o;
    o.seed = seed;
    auto coin = world.add("demo/coin-0", "127.0.0.8", o);
    Client client(coin->address());
    for (int i = 0; i < kRequests; ++i) REQUIRE(client.get().status == 200);
    const auto calls = world.onIo([&] { return coin->calls(); });
    const auto received = world.onIo([&] { return sink->requests(); });
    const std::uint64_t made = calls.count("demo/sink") ? calls.at("demo/sink").calls : 0;
    CHECK(made == received);
    return made;
  };
  const auto first = run(7);
  // Binomial(400, 0.5): mean 200, standard deviation 10; +-6 sigma.
  CHECK(first >= 140);
  CHECK(first <= 260);
  CHECK(run(7) == first);
  // The count a seed gives is fixed: mt19937_64's sequence is the standard's, the transform ours.
  CHECK(first == 190);
}

TEST_CASE("workload app: a failed call answers 503 naming it, skips the rest of the script and propagates",
          "[dataplane][workload-app]") {
  World world;
  world.deadService("demo/dead");
  auto back = world.add("demo/back-0", "127.0.0.3");
  auto caller = world.add("demo/caller-0", "127.0.0.9");
  auto top = world.add("demo/top-0", "127.0.0.10");

  auto direct = Client(caller->address()).get();
  CHECK(direct.status == 503);
  CHECK(direct.headers[kFailedCallHeader] == "demo/dead");
  CHECK(direct.headers[kFailureHeader] == "connect");
  CHECK_THAT(direct.body, Catch::Contains("call to demo/dead failed: VIP 127.0.0.1:"));
  CHECK(world.onIo([&] { return back->requests(); }) == 0);  // the step after the failure did not run

  auto chained = Client(top->address()).get();
  CHECK(chained.status == 503);
  CHECK(chained.headers[kFailedCallHeader] == "demo/caller");
  CHECK(chained.headers[kFailureHeader] == "http_503");
  CHECK_THAT(chained.body, Catch::Contains("its call to demo/dead failed"));

  const auto stats = world.onIo([&] { return caller->calls(); });
  CHECK(stats.at("demo/dead").calls == 2);
  CHECK(stats.at("demo/dead").failures.at("connect") == 2);
  CHECK(stats.at("demo/dead").latency_ns.count() == 0);
  CHECK(world.onIo([&] { return caller->errors(); }) == 2);
  CHECK(world.onIo([&] { return top->calls().at("demo/caller").failures.at("http_503"); }) == 1);
}

TEST_CASE("workload app: a call past its timeout fails as a timeout", "[dataplane][workload-app]") {
  World world;
  world.add("demo/sluggish-0", "127.0.0.11");
  WorkloadAppOptions o;
  o.call_timeout = 200ms;
  auto impatient = world.add("demo/impatient-0", "127.0.0.12", o);
  auto reply = Client(impatient->address()).get();
  CHECK(reply.status == 503);
  CHECK(reply.headers[kFailureHeader] == "timeout");
  CHECK(reply.elapsed >= 200ms);
  CHECK(world.onIo([&] { return impatient->calls().at("demo/sluggish").failures.at("timeout"); }) == 1);
}

TEST_CASE("workload app: bad pods and missing VIPs are refused with what to do", "[dataplane][workload-app]") {
  ControlPlaneSnapshot snap;
  snap.scenario_file = "workload-app.yaml";
  snap.scenario_yaml = kScenario;
  snap.pod_app["demo/front-0"] = "127.0.0.1:0";
  auto view = buildMeshView(snap);
  REQUIRE(view);
  asio::io_context io;
  auto unknown = WorkloadApp::create(io.get_executor(), view.value(), "demo/frnt-0");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().text(), Catch::Contains("demo/frnt-0") && Catch::Contains("did you mean \"demo/front-0\""));
  auto no_address = WorkloadApp::create(io.get_executor(), view.value(), "demo/back-0");
  REQUIRE_FALSE(no_address);
  CHECK_THAT(no_address.error().text(), Catch::Contains("no app address"));
  auto no_vip = WorkloadApp::create(io.get_executor(), view.value(), "demo/front-0");
  REQUIRE_FALSE(no_vip);
  CHECK_THAT(no_vip.error().text(), Catch::Contains("demo/back") && Catch::Contains("service_vip") &&
                                        Catch::Contains("workload-app.yaml:"));
}

TEST_CASE("meshtwin-app: usage errors exit 2, runtime failures 1, --help names both modes",
          "[dataplane][workload-app]") {
  meshtwin::test::TempDir dir("workload-app-usage");
  ControlPlaneSnapshot snap;
  snap.scenario_file = "workload-app.yaml";
  snap.scenario_yaml = kScenario;
  snap.pod_app["demo/back-0"] = "127.0.0.1:0";
  REQUIRE(writeSnapshotFile(dir / "snap.json", snap));
  std::string out, err;
  CHECK(runProgram({"--help"}, out, err) == 0);
  CHECK_THAT(out, Catch::Contains("--snapshot") && Catch::Contains("--pod") && Catch::Contains("--response-size") &&
                      Catch::Contains("Workload mode"));
  CHECK(runProgram({"--snapshot", dir / "snap.json"}, out, err) == 2);  // --pod missing
  CHECK(runProgram({"--pod", "demo/back-0"}, out, err) == 2);           // --snapshot missing
  CHECK(runProgram({"--snapshot", dir / "snap.json", "--pod", "demo/back-0", "--listen", "127.0.0.1:0"}, out, err) == 2);
  CHECK(runProgram({"--snapshot", dir / "snap.json", "--pod", "demo/bakc-0"}, out, err) == 2);
  CHECK_THAT(err, Catch::Contains("did you mean \"demo/back-0\""));
  CHECK(runProgram({"--snapshot", dir / "missing.json", "--pod", "demo/back-0"}, out, err) == 1);
  CHECK_THAT(err, Catch::Contains("missing.json"));
}

TEST_CASE("meshtwin-app workload mode: serves HTTP/1.1 and h2, stops on SIGTERM and writes its stats",
          "[dataplane][workload-app]") {
  if (std::system("curl --version >/dev/null 2>&1") != 0) FAIL("curl is missing; scripts/install-deps.sh installs it");
  meshtwin::test::TempDir dir("workload-app-program");
  ControlPlaneSnapshot snap;
  snap.scenario_file = "workload-app.yaml";
  snap.scenario_yaml = kScenario;
  snap.pod_app["demo/jittery-0"] = "127.0.0.13:0";
  REQUIRE(writeSnapshotFile(dir / "snap.json", snap));
  const auto ports = dir / "ports", stats = dir / "stats.json";
  auto program = std::async(std::launch::async, [&] {
    std::string out, err;
    const int rc = runProgram({"--snapshot", dir / "snap.json", "--pod", "demo/jittery-0", "--seed", "3",
                               "--stats-file", stats, "--port-file", ports},
                              out, err);
    return std::make_tuple(rc, out, err);
  });
  // The port file appears once the app listens (and catches SIGTERM): at most 15 s.
  for (int i = 0; i < 1500 && slurp(ports).empty(); ++i) std::this_thread::sleep_for(10ms);
  // Should a check below stop the case early, the program is still stopped (the future's
  // destructor waits for it), but only once it catches SIGTERM.
  struct StopOnExit {
    std::future<std::tuple<int, std::string, std::string>>& program;
    bool listening;
    ~StopOnExit() {
      if (listening && program.valid() && program.wait_for(0s) != std::future_status::ready) ::kill(::getpid(), SIGTERM);
    }
  } stop_on_exit{program, !slurp(ports).empty()};
  const auto at = parseEndpoint(slurp(ports).substr(0, slurp(ports).find('\n')));
  REQUIRE(at);
  Client client(*at);
  for (int i = 0; i < 3; ++i) {
    const auto r = client.get();
    CHECK(r.status == 200);
    CHECK(r.body.size() == 64);
  }
  const std::string url = "http://" + toString(*at) + "/";
  std::string h2;
  if (FILE* p = popen(("curl -s -o /dev/null --max-time 10 --http2-prior-knowledge -w '%{http_version} %{http_code} "
                       "%{size_download}' " + url).c_str(), "r")) {
    std::array<char, 256> buf{};
    while (const auto n = fread(buf.data(), 1, buf.size(), p)) h2.append(buf.data(), n);
    pclose(p);
  }
  CHECK(h2 == "2 200 64");
  ::kill(::getpid(), SIGTERM);
  REQUIRE(program.wait_for(15s) == std::future_status::ready);
  const auto [rc, out, err] = program.get();
  CHECK(rc == 0);
  CHECK(err.empty());
  CHECK_THAT(out, Catch::Contains("demo/jittery-0 stopped after 4 request(s) (0 answered 503)"));
  const auto j = nlohmann::json::parse(slurp(stats));
  CHECK(j["pod"] == "demo/jittery-0");
  CHECK(j["seed"] == 3);
  CHECK(j["requests"] == 4);
  CHECK(j["errors"] == 0);
  CHECK(j["latency_us"]["count"] == 4);
}
