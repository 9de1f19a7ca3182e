// Error answers of the stand-in API server: 403 with an RBAC hint, 429 with Retry-After,
// 5xx retried, and a server that keeps failing.
#include <catch2/catch.hpp>

#include "standin_cluster.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

TEST_CASE("403 Forbidden carries the server's Status and the RBAC rule that would grant it (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.forbid("virtualservices", "list");
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto vs = client->list(test::kVirtualServices, "shop");
  REQUIRE_FALSE(vs.ok());
  const auto& e = vs.error();
  CHECK(kube::isForbidden(e));
  CHECK(e.verb == "list");
  CHECK(e.message ==
        "virtualservices.networking.istio.io is forbidden: User \"system:serviceaccount:default:meshtwin\" cannot list resource \"virtualservices\" "
        "in API group \"networking.istio.io\" in the namespace \"shop\"");
  CHECK(e.hint.find(R"({apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["list"]})") != std::string::npos);
  CHECK(e.hint.find("namespace shop") != std::string::npos);
  CHECK(test::countSeen(cluster.api, "virtualservices") == 1);  // not retried
}

TEST_CASE("429 with Retry-After waits the server's delay then succeeds (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(3);
  cluster.api.failNext(429, 1, 1);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto pods = client->list(test::kPods, "");
  REQUIRE(pods.ok());
  CHECK(pods->items.size() == 3);
  CHECK(rec.sleeps == std::vector<std::chrono::milliseconds>{1000ms});
  CHECK(rec.warned("429, retrying in 1000 ms (attempt 2 of 5)"));
  CHECK(test::countSeen(cluster.api, "/api/v1/pods") == 2);
}

TEST_CASE("500 once then success (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(3);
  cluster.api.failNext(500, 1);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto pod = client->get(test::kPods, "shop", "pod-0");
  REQUIRE(pod.ok());
  REQUIRE(rec.sleeps.size() == 1);
  CHECK(rec.sleeps[0] <= 20ms);  // the first backoff, jittered down
  CHECK(rec.sleeps[0] >= 10ms);
}

TEST_CASE("a server that keeps failing is given up on after max attempts (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.failNext(503, 10);
  test::Recorder rec;
  auto options = rec.options();
  options.retry.max_attempts = 3;
  auto client = kube::Client::create(cluster.access(), options);
  REQUIRE(client.ok());
  auto pods = client->list(test::kPods, "");
  REQUIRE_FALSE(pods.ok());
  CHECK(pods.error().status == 503);
  CHECK(pods.error().reason == "ServiceUnavailable");
  CHECK(pods.error().message.find("(after 3 attempts)") != std::string::npos);
  CHECK(rec.sleeps.size() == 2);
  CHECK(cluster.api.seen().size() == 3);
}

TEST_CASE("a server that is gone is a transport error and not retried (stand-in API server)") {
  kube::ClusterAccess access;
  {
    test::StandinCluster cluster;
    access = cluster.access();
  }
  test::Recorder rec;
  auto client = kube::Client::create(access, rec.options());
  REQUIRE(client.ok());
  auto pods = client->list(test::kPods, "");
  REQUIRE_FALSE(pods.ok());
  CHECK(pods.error().kind == kube::Error::Kind::Unreachable);
  CHECK(pods.error().reason == "ConnectionRefused");
  CHECK(rec.sleeps.empty());
}
