// The mapping's general rules: unknown versions, kinds not modelled, duplicates, the default
// namespace, malformed quantities.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;

namespace {

}  // namespace

TEST_CASE("an unknown apiVersion of a known kind is an error listing the known ones", "[importer][objects]") {
  auto m = mapYaml("apiVersion: apps/v1beta9\nkind: Deployment\nmetadata: {name: old, namespace: legacy}\nspec: {}\n"
                   "---\napiVersion: mycorp.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: legacy}\n", sidecarProfile());
  REQUIRE(m.errors.size() == 2);
  CHECK(m.errors[0].message == "Deployment legacy/old: apiVersion \"apps/v1beta9\" is not one meshtwin reads for Deployment");
  CHECK(m.errors[0].hint == "known: apps/v1");
  CHECK(m.errors[0].origin.line == 1);
  CHECK(m.errors[1].hint.find("gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1, networking.istio.io/v1") !=
        std::string::npos);
  CHECK(m.report.kinds.at("Deployment").skipped == 1);
  CHECK(m.draft.workloads.empty());
}

TEST_CASE("kinds not modelled are counted and skipped, never an error", "[importer][objects]") {
  auto m = mapYaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\n"
                   "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n---\n"
                   "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n", sidecarProfile());
  CHECK(m.errors.empty());
  CHECK(skipReason(m.report, "ConfigMap a/c") == "not modelled (configuration, not traffic)");
  CHECK(skipReason(m.report, "ClusterRole r") == "not modelled");
  CHECK(m.report.kinds.at("Widget").read == 1);
  CHECK(m.report.kinds.at("Widget").skipped == 1);
}

TEST_CASE("an object given twice keeps the later one and names both origins", "[importer][objects]") {
  auto m = mapYaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\nspec:\n  replicas: 2\n"
                   "  template: {spec: {containers: [{name: c, image: c}]}}\n---\n"
                   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\nspec:\n  replicas: 4\n"
                   "  template: {spec: {containers: [{name: c, image: c}]}}\n", sidecarProfile());
  REQUIRE(m.draft.workloads.size() == 1);
  CHECK(m.draft.workloads[0].replicas == 4);
  CHECK(assumed(m.report, "Deployment shop/cart: given twice (test.yaml:1:1 and test.yaml:8:1): the later one is kept"));
  CHECK(m.report.kinds.at("Deployment").read == 2);
  CHECK(m.report.kinds.at("Deployment").mapped == 1);
  CHECK(m.report.kinds.at("Deployment").skipped == 1);
}

TEST_CASE("objects without a namespace land in default, names taken by another kind get the kind", "[importer][objects]") {
  auto m = mapYaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\nspec:\n"
                   "  template: {spec: {containers: [{name: c, image: c}]}}\n---\n"
                   "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: default}\nspec:\n"
                   "  template: {spec: {containers: [{name: c, image: c}]}}\n", sidecarProfile());
  REQUIRE(m.draft.workloads.size() == 2);
  CHECK(m.draft.workloads[0].key() == "default/db");
  CHECK(m.draft.workloads[1].key() == "default/db-statefulset");
  CHECK(assumed(m.report, "1 object(s) have no metadata.namespace: namespace \"default\" assumed"));
  CHECK(assumed(m.report, "StatefulSet default/db is named db-statefulset"));
}

TEST_CASE("a malformed resource quantity is an error naming the container", "[importer][objects]") {
  auto m = mapYaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: a}\nspec:\n  template:\n"
                   "    spec: {containers: [{name: app, image: i, resources: {requests: {cpu: lots}}}]}\n", sidecarProfile());
  REQUIRE(m.errors.size() == 1);
  CHECK(m.errors[0].message.find("Deployment a/x: container app: resources.requests.cpu \"lots\"") != std::string::npos);
  CHECK_FALSE(m.draft.workloads.at(0).cpu_request_m);
}
