// kubeconfig loading as kubectl does it: which files, how they merge, contexts, paths, errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "../../support/scratch.hpp"
#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/kubeconfig.hpp"

using namespace meshtwin;
using kube::KubeconfigOptions;

namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

kube::KubeEnvironment fakeEnv(std::map<std::string, std::string> vars, std::string home) {
  return kube::KubeEnvironment{[vars = std::move(vars)](const std::string& k) -> std::optional<std::string> {
                                 const auto it = vars.find(k);
                                 return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
                               },
                               std::move(home)};
}

const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: shared
  cluster:
    server: https://first.example:6443
    certificate-authority: certs/ca.pem
    tls-server-name: api.first.internal
users:
- name: alice
  user:
    token: first-token
contexts:
- name: dev
  context: {cluster: shared, user: alice, namespace: team-a}
)";

const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: shared
  cluster: {server: https://second.example:6443}
- name: prod-cluster
  cluster:
    server: https://prod.example
    insecure-skip-tls-verify: true
users:
- name: alice
  user: {token: second-token}
- name: bob
  user:
    client-certificate: bob.crt
    client-key: /abs/bob.key
contexts:
- name: dev
  context: {cluster: prod-cluster, user: bob}
- name: prod
  context: {cluster: prod-cluster, user: bob}
)";

}  // namespace

TEST_CASE("KUBECONFIG files merge: the first to set a name or current-context wins") {
  test::TempDir dir("kubeconfig-merge");
  write(dir / "a/config", kFirst);
  write(dir / "b/config", kSecond);
  const auto env = fakeEnv({{"KUBECONFIG", dir / "a/config" + ":" + dir / "missing" + ":" + dir / "b/config"}}, dir / "home");
  auto files = kube::kubeconfigFiles({}, env);
  REQUIRE(files.ok());
  CHECK(*files == std::vector<std::string>{dir / "a/config", dir / "b/config"});  // the missing one skipped

  auto merged = kube::loadKubeconfig({}, env);
  REQUIRE(merged.ok());
  CHECK(merged->current_context == "dev");
  REQUIRE(merged->cluster("shared") != nullptr);
  CHECK(merged->cluster("shared")->server == "https://first.example:6443");
  CHECK(merged->user("alice")->token == "first-token");
  CHECK(merged->context("dev")->cluster == "shared");  // not the second file's dev
  CHECK(merged->context("prod") != nullptr);           // names only in the second file still arrive
  CHECK(merged->user("bob")->client_certificate == dir / "b/bob.crt");
  CHECK(merged->user("bob")->client_key == "/abs/bob.key");

  const auto reversed = fakeEnv({{"KUBECONFIG", dir / "b/config" + ":" + dir / "a/config"}}, dir / "home");
  auto other = kube::loadKubeconfig({}, reversed);
  REQUIRE(other.ok());
  CHECK(other->current_context == "prod");
  CHECK(other->cluster("shared")->server == "https://second.example:6443");
}

TEST_CASE("the kubeconfig flag beats KUBECONFIG which beats ~/.kube/config") {
  test::TempDir dir("kubeconfig-precedence");
  write(dir / "home/.kube/config", kSecond);
  write(dir / "explicit.yaml", kFirst);
  write(dir / "env.yaml", kFirst);
  const auto with_env = fakeEnv({{"KUBECONFIG", dir / "env.yaml"}}, dir / "home");
  CHECK(*kube::kubeconfigFiles({dir / "explicit.yaml", "", ""}, with_env) == std::vector<std::string>{dir / "explicit.yaml"});
  CHECK(*kube::kubeconfigFiles({}, with_env) == std::vector<std::string>{dir / "env.yaml"});
  const auto empty_env = fakeEnv({{"KUBECONFIG", ""}}, dir / "home");
  CHECK(*kube::kubeconfigFiles({}, empty_env) == std::vector<std::string>{dir / "home/.kube/config"});

  auto missing = kube::kubeconfigFiles({dir / "nope.yaml", "", ""}, with_env);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("--kubeconfig") != std::string::npos);
  auto none = kube::kubeconfigFiles({}, fakeEnv({}, dir / "nohome"));
  REQUIRE_FALSE(none.ok());
  CHECK(kube::format(none.error()).find(".kube/config") != std::string::npos);
}

TEST_CASE("a context resolves into ClusterAccess with files read relative to their kubeconfig") {
  test::TempDir dir("kubeconfig-resolve");
  write(dir / "a/config", kFirst);
  write(dir / "a/certs/ca.pem", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
  auto access = kube::loadClusterAccess({dir / "a/config", "", ""}, fakeEnv({}, ""));
  REQUIRE(access.ok());
  CHECK(access->context == "dev");
  CHECK(access->server == "https://first.example:6443");
  CHECK(access->ca_pem.find("CA\n") != std::string::npos);
  CHECK(access->tls_server_name == "api.first.internal");
  CHECK(access->token == "first-token");
  CHECK(access->ns == "team-a");
  CHECK(access->warnings.empty());

  auto with_ns = kube::loadClusterAccess({dir / "a/config", "", "override"}, fakeEnv({}, ""));
  REQUIRE(with_ns.ok());
  CHECK(with_ns->ns == "override");
}

TEST_CASE("an unknown context is an error that lists the available ones") {
  test::TempDir dir("kubeconfig-context");
  write(dir / "b/config", kSecond);
  auto access = kube::loadClusterAccess({dir / "b/config", "staging", ""}, fakeEnv({}, ""));
  REQUIRE_FALSE(access.ok());
  const std::string text = kube::format(access.error());
  CHECK(text.find("context \"staging\" not found") != std::string::npos);
  CHECK(text.find("available contexts: dev, prod") != std::string::npos);
  CHECK(access.error().kind == kube::Error::Kind::Config);
}

TEST_CASE("certificate data and insecure mode and the default namespace") {
  const std::string ca = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
  const std::string yaml = "clusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1\n    certificate-authority-data: " +
                           kube::base64Encode(ca) + "\n- name: open\n  cluster: {server: 'https://10.0.0.2', insecure-skip-tls-verify: true}\n" +
                           "users:\n- name: u\n  user:\n    client-certificate-data: " + kube::base64Encode("CERT") +
                           "\n    client-key-data: " + kube::base64Encode("KEY") +
                           "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n- name: y\n  context: {cluster: open}\n";
  auto config = kube::parseKubeconfig(yaml, "/tmp/inline.yaml");
  REQUIRE(config.ok());
  auto x = kube::resolveAccess(*config, {"", "x", ""});
  REQUIRE(x.ok());
  CHECK(x->ca_pem == ca);
  CHECK(x->client_cert_pem == "CERT");
  CHECK(x->client_key_pem == "KEY");
  CHECK(x->ns == "default");
  auto y = kube::resolveAccess(*config, {"", "y", ""});
  REQUIRE(y.ok());
  CHECK(y->insecure_skip_tls_verify);
  REQUIRE(y->warnings.size() == 1);
  CHECK(y->warnings[0].find("insecure-skip-tls-verify") != std::string::npos);
  auto none = kube::resolveAccess(*config, {});
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("current-context is not set") != std::string::npos);
}

TEST_CASE("exec plugin settings are read and a relative command path resolved") {
  const std::string yaml = R"(users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/aws-iam-authenticator
      args: [token, -i, prod]
      env:
      - {name: AWS_PROFILE, value: prod}
      installHint: brew install aws-iam-authenticator
      provideClusterInfo: true
      interactiveMode: Never
- name: gke
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: gke-gcloud-auth-plugin}
clusters:
- name: c
  cluster:
    server: https://eks.example
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: prod}
contexts:
- {name: x, context: {cluster: c, user: eks}}
)";
  auto config = kube::parseKubeconfig(yaml, "/etc/kube/config");
  REQUIRE(config.ok());
  const auto& exec = config->user("eks")->exec;
  REQUIRE(exec.has_value());
  CHECK(exec->command == "/etc/kube/bin/aws-iam-authenticator");
  CHECK(exec->args == std::vector<std::string>{"token", "-i", "prod"});
  CHECK(exec->env == std::vector<std::pair<std::string, std::string>>{{"AWS_PROFILE", "prod"}});
  CHECK(exec->install_hint == "brew install aws-iam-authenticator");
  CHECK(exec->interactive_mode == "Never");
  CHECK(config->user("gke")->exec->command == "gke-gcloud-auth-plugin");  // a name: looked up on $PATH
  auto access = kube::resolveAccess(*config, {"", "x", ""});
  REQUIRE(access.ok());
  CHECK(access->exec->cluster["server"] == "https://eks.example");
  CHECK(access->exec->cluster["config"]["audience"] == "prod");
}

TEST_CASE("kubeconfig errors name file:line:col") {
  auto bad_yaml = kube::parseKubeconfig("clusters:\n- name: a\n  cluster: {server: [\n", "/k/config");
  REQUIRE_FALSE(bad_yaml.ok());
  CHECK(bad_yaml.error().url.rfind("/k/config:", 0) == 0);

  auto bad_type = kube::parseKubeconfig("clusters:\n- name: a\n  cluster:\n    server: {x: 1}\n", "/k/config");
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.error().url == "/k/config:4:13");
  CHECK(bad_type.error().message == "server must be a string");

  auto bad_data = kube::parseKubeconfig("clusters:\n- name: a\n  cluster:\n    certificate-authority-data: '***'\n", "/k/c");
  REQUIRE_FALSE(bad_data.ok());
  CHECK(bad_data.error().url == "/k/c:4:33");

  auto bad_exec = kube::parseKubeconfig(
      "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x\n", "/k/c");
  REQUIRE_FALSE(bad_exec.ok());
  CHECK(bad_exec.error().url == "/k/c:5:7");
  CHECK(bad_exec.error().hint.find("client.authentication.k8s.io/v1") != std::string::npos);

  auto dup = kube::parseKubeconfig("contexts:\n- name: a\n- name: a\n", "/k/c");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().url == "/k/c:3:3");
}

TEST_CASE("a context naming a missing cluster or user or a legacy auth-provider is an error") {
  auto config = kube::parseKubeconfig(R"(clusters: [{name: c, cluster: {server: 'https://x'}}]
users: [{name: g, user: {auth-provider: {name: gcp}}}]
contexts:
- {name: no-cluster, context: {cluster: gone, user: g}}
- {name: no-user, context: {cluster: c, user: gone}}
- {name: legacy, context: {cluster: c, user: g}}
)",
                                      "/k/c");
  REQUIRE(config.ok());
  CHECK(kube::resolveAccess(*config, {"", "no-cluster", ""}).error().message.find("cluster \"gone\"") != std::string::npos);
  CHECK(kube::resolveAccess(*config, {"", "no-user", ""}).error().message.find("user \"gone\"") != std::string::npos);
  auto legacy = kube::resolveAccess(*config, {"", "legacy", ""});
  REQUIRE_FALSE(legacy.ok());
  CHECK(legacy.error().hint.find("gke-gcloud-auth-plugin") != std::string::npos);
}

TEST_CASE("a certificate-authority file that cannot be read names the file and the kubeconfig") {
  auto config = kube::parseKubeconfig(
      "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority: ca.pem}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\n",
      "/nonexistent-dir/config");
  REQUIRE(config.ok());
  auto access = kube::resolveAccess(*config, {"", "x", ""});
  REQUIRE_FALSE(access.ok());
  CHECK(access.error().url == "/nonexistent-dir/ca.pem");
  CHECK(access.error().hint.find("/nonexistent-dir/config") != std::string::npos);
}
