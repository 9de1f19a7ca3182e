// Authentication and TLS against the stand-in API server: bearer tokens, tokenFile re-read,
// client certificates on the mTLS listener, the server certificate check, and a kubeconfig
// file loaded end to end.
#include <catch2/catch.hpp>

#include <fstream>

#include "../../support/scratch.hpp"
#include "meshtwin/kube/base64.hpp"
#include "standin_cluster.hpp"

using namespace meshtwin;

TEST_CASE("bearer tokens are sent and checked (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.acceptToken("good-token");
  test::Recorder rec;
  auto good = kube::Client::create(cluster.access("good-token"), rec.options());
  REQUIRE(good.ok());
  CHECK(good->list(test::kPods, "").ok());
  CHECK(cluster.api.seen().back().authorization == "Bearer good-token");

  auto bad = kube::Client::create(cluster.access("stale-token"), rec.options());
  REQUIRE(bad.ok());
  auto pods = bad->list(test::kPods, "");
  REQUIRE_FALSE(pods.ok());
  CHECK(kube::isUnauthorized(pods.error()));
  CHECK(pods.error().hint.find("credentials") != std::string::npos);
}

TEST_CASE("tokenFile is read again for every request as projected tokens rotate (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.acceptToken("token-one");
  cluster.api.acceptToken("token-two");
  test::TempDir dir("kube-tokenfile");
  std::ofstream(dir / "token") << "token-one\n";
  auto access = cluster.access();
  access.token_file = dir / "token";
  test::Recorder rec;
  auto client = kube::Client::create(access, rec.options());
  REQUIRE(client.ok());
  CHECK(client->rawGet("/api").ok());
  std::ofstream(dir / "token") << "token-two";
  CHECK(client->rawGet("/api").ok());
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].authorization == "Bearer token-one");
  CHECK(seen[1].authorization == "Bearer token-two");
}

TEST_CASE("a client certificate authenticates on the mutual-TLS listener (stand-in API server)") {
  test::StandinCluster cluster;
  auto access = cluster.access();
  access.server = cluster.api.mtlsUrl();
  access.client_cert_pem = cluster.pki.client_cert_pem;
  access.client_key_pem = cluster.pki.client_key_pem;
  test::Recorder rec;
  auto client = kube::Client::create(access, rec.options());
  REQUIRE(client.ok());
  CHECK(client->rawGet("/api").ok());
  CHECK(cluster.api.seen().back().client_cn == "jane");

  cluster.api.forbid("pods", "list");
  auto forbidden = client->list(test::kPods, "");
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.error().message.find("User \"jane\" cannot list resource \"pods\"") != std::string::npos);
  CHECK(forbidden.error().hint.find("ClusterRoleBinding") != std::string::npos);

  access.client_cert_pem.clear();
  access.client_key_pem.clear();
  auto anonymous = kube::Client::create(access, rec.options());
  REQUIRE(anonymous.ok());
  auto refused = anonymous->rawGet("/api");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == kube::Error::Kind::Unreachable);
  CHECK(refused.error().reason == "TLS");
  CHECK(refused.error().message.find("certificate required") != std::string::npos);
  CHECK(refused.error().hint.find("client certificate") != std::string::npos);
  CHECK(rec.sleeps.empty());
}

TEST_CASE("the server certificate must chain to the CA and carry the name (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto access = cluster.access();

  access.ca_pem = cluster.pki.other_ca_pem;
  auto wrong_ca = kube::Client::create(access, rec.options())->rawGet("/api");
  REQUIRE_FALSE(wrong_ca.ok());
  CHECK(wrong_ca.error().reason == "TLS");
  CHECK(wrong_ca.error().message.find("unable to get local issuer certificate") != std::string::npos);
  CHECK(wrong_ca.error().hint.find("tls-server-name") != std::string::npos);

  access.ca_pem = cluster.pki.ca_pem;
  access.tls_server_name = "kubernetes.default.svc";  // a SAN of the certificate: accepted
  CHECK(kube::Client::create(access, rec.options())->rawGet("/api").ok());
  access.tls_server_name = "api.elsewhere.example";
  auto wrong_name = kube::Client::create(access, rec.options())->rawGet("/api");
  REQUIRE_FALSE(wrong_name.ok());
  CHECK(wrong_name.error().reason == "TLS");

  access.ca_pem.clear();
  access.tls_server_name.clear();
  access.insecure_skip_tls_verify = true;
  CHECK(kube::Client::create(access, rec.options())->rawGet("/api").ok());

  access.insecure_skip_tls_verify = false;
  access.ca_pem = "not a certificate";
  auto bad_pem = kube::Client::create(access, rec.options());
  REQUIRE_FALSE(bad_pem.ok());
  CHECK(bad_pem.error().kind == kube::Error::Kind::Config);
}

TEST_CASE("a kubeconfig with certificate data reaches the stand-in API server end to end") {
  test::StandinCluster cluster;
  test::TempDir dir("kube-e2e");
  std::ofstream(dir / "client.crt") << cluster.pki.client_cert_pem;
  std::ofstream(dir / "client.key") << cluster.pki.client_key_pem;
  std::ofstream(dir / "config") << "apiVersion: v1\nkind: Config\ncurrent-context: standin\n"
                                << "clusters:\n- name: standin\n  cluster:\n    server: " << cluster.api.mtlsUrl()
                                << "\n    certificate-authority-data: " << kube::base64Encode(cluster.pki.ca_pem)
                                << "\nusers:\n- name: jane\n  user:\n    client-certificate: client.crt\n    client-key: client.key\n"
                                << "contexts:\n- name: standin\n  context: {cluster: standin, user: jane, namespace: shop}\n";
  kube::KubeEnvironment env{[&](const std::string& k) -> std::optional<std::string> {
                              if (k == "KUBECONFIG") return dir / "config";
                              return std::nullopt;
                            },
                            dir / "home"};
  auto access = kube::loadClusterAccess({}, env);
  REQUIRE(access.ok());
  CHECK(access->ns == "shop");
  cluster.addPods(6);
  test::Recorder rec;
  auto client = kube::Client::create(*access, rec.options());
  REQUIRE(client.ok());
  auto pods = client->list(test::kPods, access->ns);
  REQUIRE(pods.ok());
  CHECK(pods->items.size() == 2);
  CHECK(cluster.api.seen().back().client_cn == "jane");
}
