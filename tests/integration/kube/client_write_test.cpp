// The REST client's other writes against the stand-in API server: merge patch, delete, create,
// SelfSubjectAccessReview, and how writes meet 403, 429 and dropped connections.
#include <catch2/catch.hpp>

#include "standin_cluster.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

// A Deployment whose istio-injection label kubectl set.
void seedInjectedDeployment(test::StandinCluster& cluster) {
  auto d = test::deploymentObject("shop", "reviews", 2);
  d["metadata"]["labels"]["sidecar.istio.io/inject"] = "true";
  d["metadata"]["managedFields"] = nlohmann::json::array({test::kubectlEntry(
      {{"f:metadata", {{"f:labels", {{"f:app", nlohmann::json::object()}, {"f:sidecar.istio.io/inject", nlohmann::json::object()}}}}}})});
  cluster.api.addObject("deployments", d);
}

nlohmann::json accessReview(const std::string& verb, const std::string& group, const std::string& resource, const std::string& ns) {
  return {{"apiVersion", "authorization.k8s.io/v1"},
          {"kind", "SelfSubjectAccessReview"},
          {"spec", {{"resourceAttributes", {{"verb", verb}, {"group", group}, {"resource", resource}, {"namespace", ns}}}}}};
}

}  // namespace

TEST_CASE("a merge patch with null removes a label another manager set (stand-in API server)") {
  test::StandinCluster cluster;
  seedInjectedDeployment(cluster);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto patched = client->mergePatch(test::kDeployments, "shop", "reviews",
                                    {{"metadata", {{"labels", {{"sidecar.istio.io/inject", nullptr}}}}}});
  REQUIRE(patched.ok());
  CHECK_FALSE((*patched)["metadata"]["labels"].contains("sidecar.istio.io/inject"));
  CHECK((*patched)["metadata"]["labels"]["app"] == "reviews");
  const auto& owned = (*patched)["metadata"]["managedFields"][0];
  CHECK(owned["manager"] == "kubectl-client-side-apply");
  CHECK_FALSE(owned["fieldsV1"]["f:metadata"]["f:labels"].contains("f:sidecar.istio.io/inject"));
  CHECK((*patched)["metadata"]["generation"] == 1);  // metadata only
  CHECK(cluster.api.seen().back().target == "/apis/apps/v1/namespaces/shop/deployments/reviews?fieldManager=meshtwin");

  // A label it sets becomes meshtwin's (an Update entry).
  auto labelled = client->mergePatch(test::kDeployments, "shop", "reviews", {{"metadata", {{"labels", {{"istio.io/rev", "1-22"}}}}}});
  REQUIRE(labelled.ok());
  bool found = false;
  for (const auto& e : (*labelled)["metadata"]["managedFields"])
    if (e["manager"] == "meshtwin") {
      found = true;
      CHECK(e["operation"] == "Update");
      CHECK(e["fieldsV1"]["f:metadata"]["f:labels"].contains("f:istio.io/rev"));
    }
  CHECK(found);

  auto dry = client->mergePatch(test::kDeployments, "shop", "reviews", {{"spec", {{"replicas", 9}}}}, true);
  REQUIRE(dry.ok());
  CHECK((*dry)["spec"]["replicas"] == 9);
  CHECK((*cluster.api.object("deployments", "shop", "reviews"))["spec"]["replicas"] == 2);

  auto missing = client->mergePatch(test::kDeployments, "shop", "nope", {{"metadata", {{"labels", {{"a", "b"}}}}}});
  REQUIRE_FALSE(missing.ok());
  CHECK(kube::isNotFound(missing.error()));
  CHECK(missing.error().message == "deployments.apps \"nope\" not found");
}

TEST_CASE("remove deletes, then says the object was already gone (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.addObject("deployments", test::deploymentObject("shop", "reviews", 2));
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto dry = client->remove(test::kDeployments, "shop", "reviews", true);
  REQUIRE(dry.ok());
  CHECK(*dry);
  CHECK(cluster.api.object("deployments", "shop", "reviews"));
  CHECK(cluster.api.seen().back().target == "/apis/apps/v1/namespaces/shop/deployments/reviews?dryRun=All");

  auto first = client->remove(test::kDeployments, "shop", "reviews");
  REQUIRE(first.ok());
  CHECK(*first);
  CHECK_FALSE(cluster.api.object("deployments", "shop", "reviews"));
  CHECK(cluster.api.seen().back().method == "DELETE");
  auto second = client->remove(test::kDeployments, "shop", "reviews");
  REQUIRE(second.ok());
  CHECK_FALSE(*second);

  // A 404 for the path (the type is not served) is an error, not "gone".
  auto no_crd = client->remove(test::kGateways, "shop", "waypoint");
  REQUIRE_FALSE(no_crd.ok());
  CHECK(kube::isNotFound(no_crd.error()));
  CHECK(no_crd.error().hint.find("is the CRD installed?") != std::string::npos);
}

TEST_CASE("create answers 201 with the object, then 409 AlreadyExists with a hint (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto made = client->create(test::kDeployments, "shop", test::deploymentObject("shop", "ratings", 1));
  REQUIRE(made.ok());
  CHECK((*made)["metadata"]["generation"] == 1);
  CHECK((*made)["metadata"]["managedFields"][0]["manager"] == "meshtwin");
  CHECK((*made)["metadata"]["managedFields"][0]["operation"] == "Update");
  CHECK(cluster.api.seen().back().status == 201);
  auto again = client->create(test::kDeployments, "shop", test::deploymentObject("shop", "ratings", 1));
  REQUIRE_FALSE(again.ok());
  CHECK(kube::isAlreadyExists(again.error()));
  CHECK(kube::isConflict(again.error()));
  CHECK(again.error().message == "deployments.apps \"ratings\" already exists");
  CHECK(again.error().hint.find("dropped connection") != std::string::npos);
  auto dry = client->create(test::kDeployments, "shop", test::deploymentObject("shop", "details", 1), true);
  REQUIRE(dry.ok());
  CHECK_FALSE(cluster.api.object("deployments", "shop", "details"));
}

TEST_CASE("a SelfSubjectAccessReview is allowed unless the verb on the resource is forbidden (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.forbid("deployments", "patch");
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto may_get = client->create(test::kAccessReviews, "", accessReview("get", "apps", "deployments", "shop"));
  REQUIRE(may_get.ok());
  CHECK((*may_get)["status"]["allowed"] == true);
  CHECK(cluster.api.seen().back().target == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews?fieldManager=meshtwin");
  auto may_patch = client->create(test::kAccessReviews, "", accessReview("patch", "apps", "deployments", "shop"));
  REQUIRE(may_patch.ok());
  CHECK((*may_patch)["status"]["allowed"] == false);
  CHECK_FALSE((*may_patch)["status"]["reason"].get<std::string>().empty());
  CHECK((*may_patch)["spec"]["resourceAttributes"]["verb"] == "patch");
}

TEST_CASE("403 on patch names the verb patch in the RBAC hint (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.forbid("deployments", "patch");
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto applied = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE_FALSE(applied.ok());
  const auto& e = applied.error();
  CHECK(kube::isForbidden(e));
  CHECK(e.verb == "patch");
  CHECK(e.message ==
        "deployments.apps \"reviews\" is forbidden: User \"system:serviceaccount:default:meshtwin\" cannot patch resource "
        "\"deployments\" in API group \"apps\" in the namespace \"shop\"");
  CHECK(e.hint.find(R"({apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"]})") != std::string::npos);
  CHECK(e.hint.find("kubectl auth can-i patch deployments.apps -n shop") != std::string::npos);

  cluster.api.forbid("deployments", "delete");
  auto removed = client->remove(test::kDeployments, "shop", "reviews");
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().hint.find(R"(verbs: ["delete"])") != std::string::npos);
}

TEST_CASE("a PATCH answered 429 with Retry-After is retried after the server's delay (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.failNext(429, 1, 1, "deployments", "PATCH");
  cluster.api.failNext(500, 1, -1, "deployments", "GET");  // not for this PATCH: stays queued
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto applied = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE(applied.ok());
  CHECK(rec.sleeps == std::vector<std::chrono::milliseconds>{1000ms});
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].status == 429);
  CHECK(seen[1].status == 201);
  auto got = client->get(test::kDeployments, "shop", "reviews");  // meets the GET fault, then succeeds
  REQUIRE(got.ok());
  CHECK(cluster.api.seen()[2].status == 500);
}

TEST_CASE("a PATCH whose connection drops without an answer is retried (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.failNext(test::KubeApiStandin::kDropConnection, 1, -1, "", "PATCH");
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto applied = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE(applied.ok());
  CHECK(rec.warned("ConnectionReset"));
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].status == 0);
  CHECK(seen[1].status == 201);

  // Every attempt dropped: a transport error that says so.
  cluster.api.failNext(test::KubeApiStandin::kDropConnection, 10, -1, "", "DELETE");
  auto options = rec.options();
  options.retry.max_attempts = 2;
  auto impatient = kube::Client::create(cluster.access(), options);
  REQUIRE(impatient.ok());
  auto removed = impatient->remove(test::kDeployments, "shop", "reviews");
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().kind == kube::Error::Kind::Unreachable);
  CHECK(removed.error().reason == "ConnectionReset");
}
