// ExecCredential parsing, RFC 3339 times and KUBERNETES_EXEC_INFO.
#include <catch2/catch.hpp>

#include "meshtwin/kube/exec_credential.hpp"

using namespace meshtwin::kube;
using namespace std::chrono_literals;

namespace {

ExecConfig v1() {
  ExecConfig c;
  c.api_version = "client.authentication.k8s.io/v1";
  c.command = "my-plugin";
  return c;
}

}  // namespace

TEST_CASE("RFC 3339 times with zones and fractions") {
  using std::chrono::system_clock;
  CHECK(*parseRfc3339("1970-01-01T00:00:00Z") == system_clock::time_point(0s));
  CHECK(*parseRfc3339("2024-05-01T12:00:00Z") == system_clock::time_point(1714564800s));
  CHECK(*parseRfc3339("2024-05-01T14:00:00+02:00") == system_clock::time_point(1714564800s));
  CHECK(*parseRfc3339("2024-05-01T11:30:00-00:30") == system_clock::time_point(1714564800s));
  CHECK(*parseRfc3339("2024-05-01T12:00:00.250Z") == system_clock::time_point(1714564800250ms));
  CHECK(*parseRfc3339("2024-05-01T12:00:00.123456789Z") == system_clock::time_point(1714564800123ms));
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T12:00:00Z", "2024-05-01T12:00:00+0200",
                          "yesterday at noon"})
    CHECK_FALSE(parseRfc3339(bad).ok());
}

TEST_CASE("an ExecCredential with a token and an expiry") {
  auto cred = parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"k8s-aws-v1.abc","expirationTimestamp":"2024-05-01T12:15:00Z"}})",
                                  v1());
  REQUIRE(cred.ok());
  CHECK(cred->token == "k8s-aws-v1.abc");
  REQUIRE(cred->expiration.has_value());
  CHECK(*cred->expiration == std::chrono::system_clock::time_point(1714565700s));
}

TEST_CASE("an ExecCredential with a client certificate and no expiry") {
  auto cred = parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----\n","clientKeyData":"-----BEGIN PRIVATE KEY-----\n"}})",
                                  v1());
  REQUIRE(cred.ok());
  CHECK(cred->token.empty());
  CHECK(cred->client_certificate_pem.rfind("-----BEGIN CERTIFICATE", 0) == 0);
  CHECK_FALSE(cred->expiration.has_value());
}

TEST_CASE("ExecCredentials that do not fit are errors naming the command") {
  const std::string ok_status = R"("status":{"token":"t"})";
  auto wrong_version = parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)" + ok_status + "}", v1());
  REQUIRE_FALSE(wrong_version.ok());
  CHECK(wrong_version.error().url == "my-plugin");
  CHECK(wrong_version.error().message.find("v1beta1") != std::string::npos);
  CHECK_FALSE(parseExecCredential("Please log in first", v1()).ok());
  CHECK_FALSE(parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})", v1()).ok());
  CHECK_FALSE(parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})", v1()).ok());
  CHECK_FALSE(parseExecCredential(
                  R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k"}})", v1())
                  .ok());
  auto bad_time = parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}})",
      v1());
  REQUIRE_FALSE(bad_time.ok());
  CHECK(bad_time.error().message.find("expirationTimestamp") != std::string::npos);
}

TEST_CASE("KUBERNETES_EXEC_INFO carries the apiVersion and the cluster when asked") {
  auto config = v1();
  auto info = nlohmann::json::parse(execInfo(config));
  CHECK(info["apiVersion"] == "client.authentication.k8s.io/v1");
  CHECK(info["kind"] == "ExecCredential");
  CHECK(info["spec"]["interactive"] == false);
  CHECK_FALSE(info["spec"].contains("cluster"));
  config.provide_cluster_info = true;
  config.cluster = {{"server", "https://x"}};
  CHECK(nlohmann::json::parse(execInfo(config))["spec"]["cluster"]["server"] == "https://x");
}
