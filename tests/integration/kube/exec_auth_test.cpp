// Exec credential plugins against the stand-in API server: a shell-script plugin whose token
// reaches the server, is cached, and is fetched again after a 401; its certificate; its
// failures (missing command, non-zero exit, hang).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "../../support/scratch.hpp"
#include "meshtwin/kube/exec_credential.hpp"
#include "standin_cluster.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A plugin that counts its runs in <dir>/runs, saves its KUBERNETES_EXEC_INFO, says
// something on stderr, and prints a token "exec-token-<run>" valid for an hour.
std::string writeTokenPlugin(const test::TempDir& dir) {
  const std::string path = dir / "plugin.sh";
  std::ofstream(path) << "#!/bin/sh\n"
                      << "dir='" << dir.path.string() << "'\n"
                      << "n=$(( $(cat \"$dir/runs\" 2>/dev/null || echo 0) + 1 ))\n"
                      << "echo $n > \"$dir/runs\"\n"
                      << "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$dir/exec-info.json\"\n"
                      << "echo \"$PLUGIN_GREETING from the plugin\" >&2\n"
                      << "exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\n"
                      << "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                      << "\"status\":{\"token\":\"exec-token-%s\",\"expirationTimestamp\":\"%s\"}}' \"$n\" \"$exp\"\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

kube::ExecConfig execConfig(const std::string& command) {
  kube::ExecConfig c;
  c.api_version = "client.authentication.k8s.io/v1";
  c.command = command;
  c.env = {{"PLUGIN_GREETING", "hello"}};
  c.install_hint = "install it with: apt install standin-auth-plugin";
  c.interactive_mode = "Never";
  return c;
}

}  // namespace

TEST_CASE("an exec plugin's token reaches the server and is cached and fetched again after 401 (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.acceptToken("exec-token-1");
  test::TempDir dir("kube-exec-token");
  auto access = cluster.access();
  access.exec = execConfig(writeTokenPlugin(dir));
  test::Recorder rec;
  auto options = rec.options();
  std::string plugin_stderr;
  options.exec.stderr_sink = [&](std::string_view t) { plugin_stderr += t; };
  auto client = kube::Client::create(access, options);
  REQUIRE(client.ok());

  CHECK(client->rawGet("/api").ok());
  CHECK(client->list(test::kPods, "").ok());
  CHECK(slurp(dir / "runs") == "1\n");  // cached: one run for two requests
  CHECK(cluster.api.seen().back().authorization == "Bearer exec-token-1");
  CHECK(plugin_stderr == "hello from the plugin\n");
  const auto info = nlohmann::json::parse(slurp(dir / "exec-info.json"));
  CHECK(info["apiVersion"] == "client.authentication.k8s.io/v1");
  CHECK(info["spec"]["interactive"] == false);

  cluster.api.revokeTokens();
  cluster.api.acceptToken("exec-token-2");
  CHECK(client->rawGet("/api").ok());
  CHECK(slurp(dir / "runs") == "2\n");
  CHECK(rec.warned("401 Unauthorized, running the exec plugin again"));
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 4);
  CHECK(seen[2].status == 401);
  CHECK(seen[3].authorization == "Bearer exec-token-2");
}

TEST_CASE("an expired exec credential is fetched again") {
  test::TempDir dir("kube-exec-expiry");
  auto config = execConfig(writeTokenPlugin(dir));
  auto now = std::chrono::system_clock::now();
  kube::ExecCacheOptions options;
  options.now = [&] { return now; };
  options.stderr_sink = [](std::string_view) {};
  kube::ExecCredentialCache cache(config, options);
  REQUIRE(cache.get().ok());
  REQUIRE(cache.get().ok());
  CHECK(cache.runs() == 1);
  now += 2h;  // past the hour the plugin granted
  auto cred = cache.get();
  REQUIRE(cred.ok());
  CHECK(cred->token == "exec-token-2");
  CHECK(cache.runs() == 2);
}

TEST_CASE("an exec plugin's client certificate is used for mutual TLS (stand-in API server)") {
  test::StandinCluster cluster;
  test::TempDir dir("kube-exec-cert");
  const nlohmann::json credential{{"apiVersion", "client.authentication.k8s.io/v1beta1"},
                                  {"kind", "ExecCredential"},
                                  {"status",
                                   {{"clientCertificateData", cluster.pki.client_cert_pem},
                                    {"clientKeyData", cluster.pki.client_key_pem}}}};
  std::ofstream(dir / "credential.json") << credential.dump();
  std::ofstream(dir / "plugin.sh") << "#!/bin/sh\ncat '" << (dir / "credential.json") << "'\n";
  ::chmod((dir / "plugin.sh").c_str(), 0755);
  auto access = cluster.access();
  access.server = cluster.api.mtlsUrl();
  access.exec = execConfig(dir / "plugin.sh");
  access.exec->api_version = "client.authentication.k8s.io/v1beta1";
  test::Recorder rec;
  auto client = kube::Client::create(access, rec.options());
  REQUIRE(client.ok());
  CHECK(client->rawGet("/api").ok());
  CHECK(cluster.api.seen().back().client_cn == "jane");
  CHECK(cluster.api.seen().back().authorization.empty());
}

TEST_CASE("exec plugin failures name the command with the install hint when it is missing") {
  test::TempDir dir("kube-exec-fail");
  auto missing = kube::runExecPlugin(execConfig(dir / "no-such-plugin"), 5s, [](std::string_view) {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().url == dir / "no-such-plugin");
  CHECK(missing.error().message.find("not found") != std::string::npos);
  CHECK(missing.error().hint == "install it with: apt install standin-auth-plugin");
  auto not_on_path = kube::runExecPlugin(execConfig("meshtwin-no-such-plugin-on-path"), 5s, [](std::string_view) {});
  REQUIRE_FALSE(not_on_path.ok());
  CHECK(not_on_path.error().hint == "install it with: apt install standin-auth-plugin");

  std::ofstream(dir / "fails.sh") << "#!/bin/sh\necho 'error: you must be logged in' >&2\nexit 3\n";
  ::chmod((dir / "fails.sh").c_str(), 0755);
  std::string err;
  auto fails = kube::runExecPlugin(execConfig(dir / "fails.sh"), 5s, [&](std::string_view t) { err += t; });
  REQUIRE_FALSE(fails.ok());
  CHECK(fails.error().message.find("exited with status 3") != std::string::npos);
  CHECK(err == "error: you must be logged in\n");

  std::ofstream(dir / "hangs.sh") << "#!/bin/sh\nexec sleep 30\n";
  ::chmod((dir / "hangs.sh").c_str(), 0755);
  auto hangs = kube::runExecPlugin(execConfig(dir / "hangs.sh"), 300ms, [](std::string_view) {});
  REQUIRE_FALSE(hangs.ok());
  CHECK(hangs.error().message.find("did not finish within 300 ms") != std::string::npos);
}
