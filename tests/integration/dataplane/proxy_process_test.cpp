// meshtwin-proxy as real processes: two ztunnels started from a snapshot and identities that
// the meshtwin CLI wrote, bytes through both, a snapshot rewrite and a certificate rotation
// applied without dropping an established connection, and a clean stop on SIGTERM. Every
// wait is a bounded poll on the condition (ports file, admin endpoint), never a fixed sleep.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "mesh_harness.hpp"
#include "../../support/scratch.hpp"

extern char** environ;

using namespace meshtwin::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `condition` every 10 ms for at most `limit`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// A child process with stdout and stderr in a log file; killed if the test leaves early.
class Child {
 public:
  Child(const std::vector<std::string>& args, std::string log) : log_(std::move(log)) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("spawn " + args[0] + ": " + std::strerror(rc));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // The exit status once the process ends (bounded wait), -1 when it had to be killed.
  int wait(std::chrono::milliseconds limit = 15s) {
    int status = 0;
    const bool ended = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
    if (!ended) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  [[nodiscard]] std::string log() const { return slurp(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

int cli(std::vector<std::string> args) {
  args.insert(args.begin(), "meshtwin");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int rc = meshtwin::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  if (rc != 0) FAIL("meshtwin " << args[1] << ": " << err.str());
  return rc;
}

nlohmann::json readJson(const std::string& path) {
  const auto text = slurp(path);
  if (text.empty()) return {};
  return nlohmann::json::parse(text, nullptr, false);
}

// The certificate serial a ztunnel's config dump shows for `uri`, "" when absent.
std::string servedSerial(const std::string& admin, const std::string& uri) {
  auto dump = httpGet(*parseEndpoint(admin), "/config_dump");
  if (!dump) return {};
  auto j = nlohmann::json::parse(dump->body, nullptr, false);
  if (!j.is_object()) return {};
  for (const auto& c : j["certificates"]) {
    if (c["identity"] == uri) return c["serial"];
  }
  return {};
}

}  // namespace

TEST_CASE("two meshtwin-proxy ztunnel processes carry bytes, reload, rotate and stop cleanly",
          "[dataplane][proxy-process]") {
  TempDir dir("ztunnels");
  const auto scenario_file = dir / "scenario.yaml";
  std::ofstream(scenario_file) << demoScenario();
  auto loaded = meshtwin::models::loadScenarioFile(scenario_file);
  REQUIRE(loaded.ok());
  const auto& sc = *loaded.scenario;
  auto keyOf = [&](const std::string& workload) {
    const auto p = sc.workload_pods[*sc.findWorkload("demo", workload)].front();
    return std::pair{"demo/" + sc.pods[p].name, sc.nodes[sc.pods[p].node].name};
  };
  const auto [client_pod, client_node] = keyOf("client");
  const auto [server_pod, server_node] = keyOf("server");
  REQUIRE(client_node != server_node);

  // The server pod's application: an echo server in this process.
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  EchoApp echo(io.get_executor());
  std::thread io_thread([&] { io.run(); });
  struct Join {
    asio::io_context& io;
    std::thread& t;
    ~Join() {
      io.stop();
      t.join();
    }
  } join{io, io_thread};

  cli({"ca", "init", dir / "ca"});
  for (const auto& node : {client_node, server_node})
    cli({"ca", "issue", scenario_file, "--ca", dir / "ca", "--node", node, "--out", dir / ("id-" + node)});
  nlohmann::json addresses{{"pod_app", {{server_pod, toString(echo.address())}}}};
  std::ofstream(dir / "addresses.json") << addresses.dump();
  const auto snapshot = dir / "snapshot.json";
  cli({"snapshot", scenario_file, "--addresses", dir / "addresses.json", "-o", snapshot});

  std::map<std::string, std::unique_ptr<Child>> proxies;
  auto ports = [&](const std::string& node) { return readJson(dir / ("ports-" + node + ".json")); };
  for (const auto& node : {client_node, server_node}) {
    proxies[node] = std::make_unique<Child>(
        std::vector<std::string>{MESHTWIN_PROXY_BIN, "ztunnel", "--node", node, "--snapshot", snapshot, "--identity",
                                 dir / ("id-" + node), "--metrics-port", "0", "--readiness-port", "0", "--admin-port",
                                 "0", "--ports-file", dir / ("ports-" + node + ".json"), "--poll-ms", "20"},
        dir / ("log-" + node));
  }
  auto atVersion = [&](std::uint64_t v) {
    return [&, v] {
      for (const auto& node : {client_node, server_node}) {
        const auto j = ports(node);
        if (!j.is_object() || j.value("snapshot_version", std::uint64_t{0}) != v) return false;
      }
      return true;
    };
  };
  REQUIRE(eventually(atVersion(1)));

  // Publish where each ztunnel serves HBONE for its pods: a second snapshot version.
  for (const auto& node : {client_node, server_node}) {
    const auto j = ports(node);
    for (const auto& [pod, at] : j["inbound"].items()) addresses["pod_hbone"][pod] = at;
  }
  std::ofstream(dir / "addresses.json") << addresses.dump();
  cli({"snapshot", scenario_file, "--addresses", dir / "addresses.json", "-o", snapshot});
  REQUIRE(eventually(atVersion(2)));
  const auto client_ports = ports(client_node);
  const auto server_ports = ports(server_node);
  for (const auto& j : {client_ports, server_ports}) {
    CHECK(j["ready"] == true);
    const auto ready = httpGet(*parseEndpoint(j["readiness"].get<std::string>()), "/healthz/ready");
    REQUIRE(ready.ok());
    CHECK(ready->status == 200);
  }
  const auto outbound = parseEndpoint(client_ports["outbound"][client_pod + "|demo/server"].get<std::string>());
  REQUIRE(outbound);
  const auto r = exchange(*outbound, "hello across two processes");
  INFO("client ztunnel log:\n" << proxies[client_node]->log() << "\nserver ztunnel log:\n" << proxies[server_node]->log());
  CHECK(r.error.empty());
  CHECK(r.reply == "hello across two processes");

  // A connection held across a certificate rotation (SIGHUP) keeps flowing.
  asio::io_context client_io;
  tcp::socket held(client_io);
  held.connect(*outbound);
  asio::write(held, asio::buffer("1", 1));
  char c = 0;
  asio::read(held, asio::buffer(&c, 1));
  REQUIRE(c == '1');
  const std::string server_uri = "spiffe://cluster.local/ns/demo/sa/server";
  const auto admin = server_ports["admin"].get<std::string>();
  const auto before = servedSerial(admin, server_uri);
  REQUIRE_FALSE(before.empty());
  cli({"ca", "issue", scenario_file, "--ca", dir / "ca", "--node", server_node, "--out", dir / ("id-" + server_node)});
  proxies[server_node]->signal(SIGHUP);
  CHECK(eventually([&] {
    const auto now = servedSerial(admin, server_uri);
    return !now.empty() && now != before;
  }));
  asio::write(held, asio::buffer("2", 1));
  asio::read(held, asio::buffer(&c, 1));
  CHECK(c == '2');
  CHECK(exchange(*outbound, "after rotation").reply == "after rotation");
  held.close();

  for (auto& [node, p] : proxies) p->signal(SIGTERM);
  for (auto& [node, p] : proxies) {
    CHECK(p->wait() == 0);
    CHECK_FALSE(fs::exists(dir / ("ports-" + node + ".json")));
    CHECK_THAT(p->log(), Catch::Contains("SIGTERM: stopping"));
  }
  CHECK_THAT(proxies[server_node]->log(), Catch::Contains("reloading (SIGHUP)"));
}

TEST_CASE("meshtwin-proxy refuses to start for a node the snapshot does not have", "[dataplane][proxy-process]") {
  TempDir dir("bad-node");
  const auto scenario_file = dir / "scenario.yaml";
  std::ofstream(scenario_file) << demoScenario();
  cli({"ca", "init", dir / "ca"});
  cli({"snapshot", scenario_file, "-o", dir / "snapshot.json"});
  fs::create_directories(dir / "id");
  cli({"ca", "issue", scenario_file, "--ca", dir / "ca", "--node", "p-a-0", "--out", dir / "id"});
  Child proxy({MESHTWIN_PROXY_BIN, "ztunnel", "--node", "p-z-0", "--snapshot", dir / "snapshot.json", "--identity",
               dir / "id", "--metrics-port", "0", "--readiness-port", "0", "--admin-port", "0"},
              dir / "log");
  CHECK(proxy.wait() == 1);
  CHECK_THAT(proxy.log(), Catch::Contains("the scenario has no node named p-z-0"));
}
