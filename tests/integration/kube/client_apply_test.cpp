// Server-side apply through the REST client against the stand-in API server: create then update,
// managedFields, no-op applies, conflicts with another field manager, force, removal of fields no
// longer applied, dry runs.
#include <catch2/catch.hpp>

#include "standin_cluster.hpp"

using namespace meshtwin;

namespace {

const nlohmann::json* entryOf(const nlohmann::json& object, const std::string& manager) {
  for (const auto& e : object["metadata"]["managedFields"])
    if (e["manager"] == manager) return &e;
  return nullptr;
}

// The stand-in with a Deployment `kubectl apply` (client-side) made: it owns replicas and a label.
void seedKubectlDeployment(test::StandinCluster& cluster) {
  auto d = test::deploymentObject("shop", "reviews", 3);
  d["metadata"]["labels"]["owner"] = "team-a";
  d["metadata"]["managedFields"] = nlohmann::json::array(
      {test::kubectlEntry({{"f:metadata", {{"f:labels", {{"f:owner", nlohmann::json::object()}}}}},
                           {"f:spec", {{"f:replicas", nlohmann::json::object()}}}})});
  cluster.api.addObject("deployments", d);
}

}  // namespace

TEST_CASE("apply creates the object, then updates it, with managedFields for meshtwin (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto created = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE(created.ok());
  const auto& meta = (*created)["metadata"];
  CHECK(meta["generation"] == 1);
  CHECK_FALSE(meta["uid"].get<std::string>().empty());
  CHECK_FALSE(meta["creationTimestamp"].get<std::string>().empty());
  const auto* entry = entryOf(*created, "meshtwin");
  REQUIRE(entry != nullptr);
  CHECK((*entry)["operation"] == "Apply");
  CHECK((*entry)["apiVersion"] == "apps/v1");
  CHECK((*entry)["fieldsType"] == "FieldsV1");
  CHECK((*entry)["fieldsV1"]["f:spec"]["f:replicas"] == nlohmann::json::object());
  CHECK((*entry)["fieldsV1"]["f:metadata"]["f:labels"]["f:app"] == nlohmann::json::object());
  CHECK_FALSE((*entry)["fieldsV1"]["f:metadata"].contains("f:name"));  // identity is nobody's field
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "PATCH");
  CHECK(seen[0].target == "/apis/apps/v1/namespaces/shop/deployments/reviews?fieldManager=meshtwin&force=false");
  CHECK(seen[0].status == 201);

  auto updated = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 4));
  REQUIRE(updated.ok());
  CHECK((*updated)["spec"]["replicas"] == 4);
  CHECK((*updated)["metadata"]["generation"] == 2);
  CHECK((*updated)["metadata"]["uid"] == meta["uid"]);
  CHECK(std::stol((*updated)["metadata"]["resourceVersion"].get<std::string>()) >
        std::stol(meta["resourceVersion"].get<std::string>()));
}

TEST_CASE("a no-op apply changes nothing, not even the resourceVersion (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto first = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE(first.ok());
  const std::string rv = cluster.api.resourceVersion();
  auto again = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2));
  REQUIRE(again.ok());
  CHECK(*again == *first);
  CHECK(cluster.api.resourceVersion() == rv);
}

TEST_CASE("an apply that conflicts with kubectl-client-side-apply is a Conflict naming field and manager (stand-in API server)") {
  test::StandinCluster cluster;
  seedKubectlDeployment(cluster);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  const std::string rv = cluster.api.resourceVersion();
  auto applied = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 5));
  REQUIRE_FALSE(applied.ok());
  const auto& e = applied.error();
  CHECK(kube::isConflict(e));
  CHECK(e.status == 409);
  CHECK(e.reason == "Conflict");
  CHECK(e.verb == "patch");
  CHECK(e.message == "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
  REQUIRE(e.causes.size() == 1);
  CHECK(e.causes[0].reason == "FieldManagerConflict");
  CHECK(e.causes[0].field == ".spec.replicas");
  CHECK(e.causes[0].message == "conflict with \"kubectl-client-side-apply\" using apps/v1");
  CHECK(e.hint.find(".spec.replicas (owned by \"kubectl-client-side-apply\")") != std::string::npos);
  CHECK(e.hint.find("--force-conflicts") != std::string::npos);
  CHECK(cluster.api.resourceVersion() == rv);  // nothing written
  CHECK(test::countSeen(cluster.api, "deployments/reviews") == 1);  // a conflict is not retried

  // The same value as kubectl's is no conflict: both own it.
  auto shared = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 3));
  REQUIRE(shared.ok());
  CHECK(entryOf(*shared, "kubectl-client-side-apply")->at("fieldsV1")["f:spec"].contains("f:replicas"));
  CHECK(entryOf(*shared, "meshtwin")->at("fieldsV1")["f:spec"].contains("f:replicas"));
}

TEST_CASE("apply with force takes the field over from the other manager (stand-in API server)") {
  test::StandinCluster cluster;
  seedKubectlDeployment(cluster);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  kube::ApplyOptions force;
  force.force = true;
  auto applied = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 5), force);
  REQUIRE(applied.ok());
  CHECK((*applied)["spec"]["replicas"] == 5);
  CHECK(entryOf(*applied, "meshtwin")->at("fieldsV1")["f:spec"].contains("f:replicas"));
  const auto* kubectl = entryOf(*applied, "kubectl-client-side-apply");
  REQUIRE(kubectl != nullptr);  // it still owns the owner label
  CHECK_FALSE(kubectl->at("fieldsV1").contains("f:spec"));
  CHECK(kubectl->at("fieldsV1")["f:metadata"]["f:labels"].contains("f:owner"));
  CHECK(cluster.api.seen().back().target.find("force=true") != std::string::npos);
}

TEST_CASE("a field meshtwin no longer applies is removed, unless another manager owns it (stand-in API server)") {
  test::StandinCluster cluster;
  seedKubectlDeployment(cluster);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto with = test::deploymentObject("shop", "reviews", 3);
  with["metadata"]["labels"]["istio.io/use-waypoint"] = "waypoint";
  with["metadata"]["labels"]["owner"] = "team-a";  // shared with kubectl
  REQUIRE(client->apply(test::kDeployments, with).ok());
  auto without = test::deploymentObject("shop", "reviews", 3);
  auto applied = client->apply(test::kDeployments, without);
  REQUIRE(applied.ok());
  const auto& labels = (*applied)["metadata"]["labels"];
  CHECK_FALSE(labels.contains("istio.io/use-waypoint"));
  CHECK(labels["owner"] == "team-a");
  CHECK(labels["app"] == "reviews");
  CHECK_FALSE(entryOf(*applied, "meshtwin")->at("fieldsV1")["f:metadata"]["f:labels"].contains("f:istio.io/use-waypoint"));
  auto stored = cluster.api.object("deployments", "shop", "reviews");
  REQUIRE(stored);
  CHECK_FALSE((*stored)["metadata"]["labels"].contains("istio.io/use-waypoint"));
}

TEST_CASE("a dry-run apply answers the result and leaves the object as it was (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  kube::ApplyOptions dry;
  dry.dry_run = true;
  auto would_create = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2), dry);
  REQUIRE(would_create.ok());
  CHECK((*would_create)["spec"]["replicas"] == 2);
  CHECK_FALSE(cluster.api.object("deployments", "shop", "reviews"));
  CHECK(cluster.api.seen().back().target.find("&dryRun=All") != std::string::npos);

  REQUIRE(client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2)).ok());
  const auto before = cluster.api.object("deployments", "shop", "reviews");
  const std::string rv = cluster.api.resourceVersion();
  auto would_scale = client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 7), dry);
  REQUIRE(would_scale.ok());
  CHECK((*would_scale)["spec"]["replicas"] == 7);
  CHECK((*would_scale)["metadata"]["generation"] == 2);
  CHECK(cluster.api.object("deployments", "shop", "reviews") == before);
  CHECK(cluster.api.resourceVersion() == rv);
}

TEST_CASE("apply of a cluster-scoped object ignores the namespace, and an object without a name is refused (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  const nlohmann::json ns{{"apiVersion", "v1"},
                          {"kind", "Namespace"},
                          {"metadata", {{"name", "shop"}, {"labels", {{"istio.io/dataplane-mode", "ambient"}}}}}};
  auto applied = client->apply(test::kNamespaces, ns);
  REQUIRE(applied.ok());
  CHECK((*applied)["metadata"]["labels"]["istio.io/dataplane-mode"] == "ambient");
  CHECK(cluster.api.seen().back().target.find("/api/v1/namespaces/shop?") == 0);

  auto nameless = client->apply(test::kDeployments, {{"metadata", {{"namespace", "shop"}}}});
  REQUIRE_FALSE(nameless.ok());
  CHECK(nameless.error().kind == kube::Error::Kind::Config);
  CHECK(nameless.error().message.find("no metadata.name") != std::string::npos);
  auto no_ns = client->apply(test::kDeployments, {{"metadata", {{"name", "reviews"}}}});
  REQUIRE_FALSE(no_ns.ok());
  CHECK(no_ns.error().message.find("no metadata.namespace") != std::string::npos);
  CHECK(cluster.api.seen().size() == 1);  // neither was sent
}
