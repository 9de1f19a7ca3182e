// Gateway API into the Draft: waypoint Gateways, GAMMA HTTPRoutes as mesh.routes with their
// L7 features, ingress Gateways' routes as entry points, GRPCRoutes as features only.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;

namespace {

const std::string kApps = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews, namespace: books}
spec: {template: {metadata: {labels: {app: reviews}}, spec: {containers: [{name: r, image: r}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2, namespace: books}
spec: {template: {metadata: {labels: {app: reviews-v2}}, spec: {containers: [{name: r, image: r}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: books}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: reviews-v2, namespace: books}
spec: {selector: {app: reviews-v2}, ports: [{name: grpc, port: 9090}]}
)";

}  // namespace

TEST_CASE("a waypoint Gateway is a waypoint, its istio.io/waypoint-for label says for what", "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: wp, namespace: books, labels: {istio.io/waypoint-for: workload}}
spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {name: odd, namespace: books, labels: {istio.io/waypoint-for: everything}}
spec: {gatewayClassName: istio-waypoint}
)");
  REQUIRE(m.draft.waypoints.size() == 2);
  CHECK(m.draft.waypoints[1].key() == "books/wp");
  CHECK(m.draft.waypoints[1].traffic == "workload");
  CHECK(m.draft.waypoints[1].replicas == 1);
  CHECK(m.draft.waypoints[1].notes.at(0) == "from Gateway books/wp");
  CHECK(m.draft.waypoints[0].traffic == "service");
  CHECK(assumed(m.report, "istio.io/waypoint-for \"everything\" is not service, workload, all or none: service assumed"));
}

TEST_CASE("an HTTPRoute with a Service parent becomes a mesh route and marks the L7 features", "[importer][objects]") {
  auto m = mapYaml(kApps + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: books, labels: {team: books}}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
  hostnames: [reviews]
  rules:
    - matches: [{path: {type: Exact, value: /beta}, headers: [{name: X-User, value: jason}], queryParams: [{name: a, value: b}]}]
      backendRefs: [{name: reviews-v2, port: 9090}]
      filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x, value: y}]}}]
    - backendRefs: [{name: reviews, weight: 90}, {name: reviews-v2, weight: 10}]
      timeouts: {request: 500ms}
      retry: {attempts: 3, codes: [503, 504], backoff: 50ms}
)");
  CHECK(m.errors.empty());
  REQUIRE(m.draft.routes.size() == 1);
  const auto expected = nlohmann::json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "reviews", "namespace": "books"},
    "spec": {"parentRefs": [{"kind": "Service", "name": "reviews"}], "rules": [
      {"matches": [{"path": {"type": "Exact", "value": "/beta"}, "headers": [{"name": "X-User", "value": "jason"}]}],
       "backendRefs": [{"name": "reviews-v2", "port": 9090}]},
      {"backendRefs": [{"name": "reviews", "weight": 90}, {"name": "reviews-v2", "weight": 10}],
       "timeouts": {"request": "500ms"}, "retry": {"attempts": 3, "codes": [503, 504], "backoff": "50ms"}}]}})");
  CHECK(m.draft.routes[0] == expected);
  CHECK(m.draft.findWorkload("books", "reviews")->l7 == std::set<std::string>{"headerRouting", "retries", "trafficSplit"});
  CHECK(m.draft.findWorkload("books", "reviews-v2")->l7.empty());
  CHECK(assumed(m.report, "HTTPRoute books/reviews: fields the model does not read are left out of route books/reviews: "
                          "hostnames, matches.queryParams, rules.filters"));
}

TEST_CASE("a mesh route the model cannot keep faithfully is left out, its features kept", "[importer][objects]") {
  auto m = mapYaml(kApps + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: regex, namespace: books}
spec:
  parentRefs: [{kind: Service, name: reviews}]
  rules: [{matches: [{headers: [{type: RegularExpression, name: x-user, value: "j.*"}]}], backendRefs: [{name: reviews}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: consumer, namespace: books}
spec:
  parentRefs: [{kind: Service, name: ratings, namespace: other}]
  rules: [{backendRefs: [{name: ratings, namespace: other}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-gone, namespace: books}
spec:
  parentRefs: [{kind: Service, name: gone}]
)");
  CHECK(m.draft.routes.empty());
  CHECK(m.draft.findWorkload("books", "reviews")->l7.count("headerRouting") == 1);
  CHECK(assumed(m.report, "HTTPRoute books/regex: header match type RegularExpression cannot be modelled: the route is "
                          "left out of mesh.routes"));
  CHECK(assumed(m.report, "HTTPRoute books/consumer: a consumer route for Service other/ratings"));
  CHECK(skipReason(m.report, "HTTPRoute books/consumer") == "no Service or ingress Gateway parent");
  CHECK(skipReason(m.report, "HTTPRoute books/to-gone") == "its parents and backends are not modelled");
}

TEST_CASE("an ingress Gateway's HTTPRoute backends are entry point candidates", "[importer][objects]") {
  auto m = mapYaml(kApps + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: books, namespace: edge}
spec:
  parentRefs: [{name: public}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /reviews}}]
      backendRefs: [{name: reviews, namespace: books, port: 9080}]
    - backendRefs: [{name: missing, namespace: books}]
)");
  REQUIRE(m.draft.entry_points.size() == 1);
  CHECK(m.draft.entry_points[0].name == "reviews");
  CHECK(m.draft.entry_points[0].service == "reviews.books");
  CHECK(m.draft.entry_points[0].path == "/reviews");
  CHECK(m.draft.entry_points[0].notes.at(0) == "a backend of HTTPRoute edge/books via Gateway edge/public");
  CHECK(m.report.kinds.at("HTTPRoute").mapped == 1);
  CHECK(skipReason(m.report, "Gateway edge/public") ==
        "ingress Gateway (class istio): not modelled, its HTTPRoutes' backends become entry points");
}

TEST_CASE("a GRPCRoute is not modelled except for the features it uses", "[importer][objects]") {
  auto m = mapYaml(kApps + R"(
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: split, namespace: books}
spec:
  parentRefs: [{kind: Service, name: reviews-v2}]
  rules: [{backendRefs: [{name: reviews-v2, weight: 50}, {name: reviews, weight: 50}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: plain, namespace: books}
spec:
  parentRefs: [{kind: Service, name: reviews-v2}]
  rules: [{backendRefs: [{name: reviews-v2}]}]
)");
  CHECK(m.draft.findWorkload("books", "reviews-v2")->l7 == std::set<std::string>{"trafficSplit"});
  CHECK(m.draft.routes.empty());
  CHECK(m.report.kinds.at("GRPCRoute").mapped == 1);
  CHECK(skipReason(m.report, "GRPCRoute books/plain") ==
        "not modelled (gRPC routing), and it uses no L7 feature the model knows");
}
