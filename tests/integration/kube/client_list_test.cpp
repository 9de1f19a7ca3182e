// The REST client's reads against the stand-in API server: pagination, re-list on an
// expired continue token, get, discovery, type meta and managedFields.
#include <catch2/catch.hpp>

#include <set>

#include "standin_cluster.hpp"

using namespace meshtwin;

TEST_CASE("list follows continue tokens (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(1234);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto pods = client->list(test::kPods, "");
  REQUIRE(pods.ok());
  CHECK(pods->items.size() == 1234);
  CHECK(pods->pages == 3);
  CHECK(pods->relists == 0);
  CHECK_FALSE(pods->resource_version.empty());
  std::set<std::string> names;
  for (const auto& p : pods->items) names.insert(p["metadata"]["namespace"].get<std::string>() + "/" + p["metadata"]["name"].get<std::string>());
  CHECK(names.size() == 1234);
  const auto& first = pods->items.front();
  CHECK(first["apiVersion"] == "v1");  // filled in: list items carry no TypeMeta
  CHECK(first["kind"] == "Pod");
  CHECK(first["metadata"]["managedFields"][0]["manager"] == "kube-controller-manager");
  const auto seen = cluster.api.seen();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].target == "/api/v1/pods?limit=500");
  CHECK(seen[1].target.find("/api/v1/pods?limit=500&continue=") == 0);
}

TEST_CASE("list in one namespace with a label selector (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(30);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  kube::ListOptions options;
  options.limit = 2;
  options.label_selector = "app=web";
  auto pods = client->list(test::kPods, "shop", options);
  REQUIRE(pods.ok());
  CHECK(pods->items.size() == 5);  // pods 0, 6, 12, 18, 24
  CHECK(pods->pages == 3);
  for (const auto& p : pods->items) {
    CHECK(p["metadata"]["namespace"] == "shop");
    CHECK(p["metadata"]["labels"]["app"] == "web");
  }
  CHECK(cluster.api.seen().front().target == "/api/v1/namespaces/shop/pods?limit=2&labelSelector=app%3Dweb");
}

TEST_CASE("an expired continue token restarts the list once with a warning (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(25);
  cluster.api.expireNextContinue();
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  kube::ListOptions options;
  options.limit = 10;
  auto pods = client->list(test::kPods, "", options);
  REQUIRE(pods.ok());
  CHECK(pods->items.size() == 25);  // nothing counted twice
  CHECK(pods->relists == 1);
  CHECK(pods->pages == 3);
  CHECK(rec.warned("continue token expired (410 Expired) after 10 items; listing again from the start"));
  CHECK(test::countSeen(cluster.api, "continue=") == 3);  // the expired one, then two on the second run

  cluster.api.expireNextContinue(2);
  auto again = client->list(test::kPods, "", options);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().status == 410);
  CHECK(again.error().reason == "Expired");
  CHECK(kube::isExpired(again.error()));
}

TEST_CASE("get returns the object as stored and a missing one is NotFound (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(3);
  cluster.api.addObject("deployments", {{"apiVersion", "apps/v1"},
                                        {"kind", "Deployment"},
                                        {"metadata", {{"name", "reviews"}, {"namespace", "shop"}}},
                                        {"spec", {{"replicas", 3}}}});
  cluster.api.addObject("namespaces", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "shop"}}}});
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto pod = client->get(test::kPods, "shop", "pod-0");
  REQUIRE(pod.ok());
  CHECK((*pod)["metadata"]["managedFields"].size() == 1);
  auto deploy = client->get(test::kDeployments, "shop", "reviews");
  REQUIRE(deploy.ok());
  CHECK((*deploy)["spec"]["replicas"] == 3);
  auto ns = client->get(test::kNamespaces, "ignored-for-cluster-scope", "shop");
  REQUIRE(ns.ok());
  CHECK(cluster.api.seen().back().target == "/api/v1/namespaces/shop");

  auto missing = client->get(test::kPods, "shop", "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(kube::isNotFound(missing.error()));
  CHECK(missing.error().message == "pods \"nope\" not found");
  CHECK(missing.error().verb == "get");

  auto no_crd = client->list(kube::ResourceType{"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true}, "");
  REQUIRE_FALSE(no_crd.ok());
  CHECK(no_crd.error().status == 404);
  CHECK(no_crd.error().hint.find("is the CRD installed?") != std::string::npos);
}

TEST_CASE("discovery through rawGet (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto api = client->rawGet("/api");
  REQUIRE(api.ok());
  CHECK((*api)["versions"][0] == "v1");
  auto groups = client->rawGet("/apis");
  REQUIRE(groups.ok());
  std::set<std::string> names;
  for (const auto& g : (*groups)["groups"]) names.insert(g["name"].get<std::string>());
  CHECK(names == std::set<std::string>{"apps", "networking.istio.io"});
  auto istio = client->rawGet("apis/networking.istio.io/v1");
  REQUIRE(istio.ok());
  CHECK((*istio)["resources"][0]["name"] == "virtualservices");
  CHECK((*istio)["resources"][0]["namespaced"] == true);
  auto none = client->rawGet("/apis/nothing.example/v9");
  REQUIRE_FALSE(none.ok());
  CHECK(kube::isNotFound(none.error()));
}
