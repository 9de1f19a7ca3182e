// HTTPRoute: loading (Gateway API shape, errors with line:col) and the pure decisions the
// waypoint and sidecar take per request (match, weighted backend, timeout, retries).
#include <catch2/catch.hpp>

#include "meshtwin/models/routing.hpp"
#include "test_support.hpp"

using namespace meshtwin;
using namespace meshtwin::test;

namespace {

std::string withRoutes(const std::string& routes) {
  return std::string(kClusterHeader) +
         "workloads:\n"
         "  - {name: web, namespace: shop, replicas: 1}\n"
         "  - {name: cart, namespace: shop, replicas: 3}\n"
         "  - {name: cart-v2, namespace: shop, replicas: 1}\n"
         "mesh:\n  routes:\n" +
         routes;
}

const std::string kRoute =
    "    - apiVersion: gateway.networking.k8s.io/v1\n      kind: HTTPRoute\n"
    "      metadata: {name: cart, namespace: shop}\n"
    "      spec:\n        parentRefs: [{group: \"\", kind: Service, name: cart}]\n        rules:\n"
    "          - matches: [{headers: [{name: X-Canary, value: \"yes\"}], method: GET}]\n"
    "            backendRefs: [{name: cart-v2, port: 8080}]\n"
    "          - matches: [{path: {type: PathPrefix, value: /api}}]\n"
    "            timeouts: {request: 250ms}\n"
    "            retry: {attempts: 2, codes: [503, 504]}\n"
    "          - backendRefs: [{name: cart, weight: 3}, {name: cart-v2, weight: 1}]\n";

}  // namespace

TEST_CASE("an HTTPRoute loads with its matches, backends, timeout and retry", "[models][routes]") {
  const auto s = loadOk(withRoutes(kRoute));
  REQUIRE(s.http_routes.size() == 1);
  const auto& r = s.http_routes[0];
  CHECK(r.key() == "shop/cart");
  CHECK(s.services[r.parent].key() == "shop/cart");
  REQUIRE(r.rules.size() == 3);
  CHECK(r.rules[0].matches[0].headers[0].name == "x-canary");  // names are case-insensitive
  CHECK(r.rules[1].timeout_ns == 250'000'000);
  CHECK(r.rules[1].retry_attempts == 2);
  CHECK(r.rules[1].retry_codes == std::vector<int>{503, 504});
  CHECK(r.rules[2].backends.size() == 2);
}

TEST_CASE("routeHttp: first matching rule, header and method, PathPrefix by segment", "[models][routes]") {
  const auto s = loadOk(withRoutes(kRoute));
  const auto cart = *s.findService("shop", "cart");
  const auto v2 = *s.findService("shop", "cart-v2");
  struct Row {
    std::string method, path;
    std::map<std::string, std::string> headers;
    std::size_t rule;
  };
  const std::vector<Row> rows{
      {"GET", "/x", {{"x-canary", "yes"}}, 0},
      {"POST", "/x", {{"x-canary", "yes"}}, 2},  // method does not match rule 0
      {"GET", "/api", {}, 1},
      {"GET", "/api/items?id=1", {}, 1},
      {"GET", "/apix", {}, 2},  // not a path segment of /api
      {"GET", "/", {}, 2},
  };
  for (const auto& row : rows) {
    INFO(row.method << " " << row.path);
    const auto d = models::routeHttp(s, cart, row.method, row.path, row.headers, 42);
    REQUIRE(d.rule);
    CHECK(*d.rule == row.rule);
    if (row.rule == 0) CHECK(d.backend == v2);
    if (row.rule == 1) {
      CHECK(d.backend == cart);  // no backendRefs: the parent Service
      CHECK(d.timeout_ns == 250'000'000);
    }
  }
  // Weights 3:1 over many hashes.
  int to_v2 = 0;
  for (std::uint64_t h = 0; h < 4000; ++h) to_v2 += models::routeHttp(s, cart, "GET", "/", {}, h).backend == v2 ? 1 : 0;
  CHECK(to_v2 > 850);
  CHECK(to_v2 < 1150);
  // A Service without routes routes to itself.
  const auto web = *s.findService("shop", "web");
  const auto d = models::routeHttp(s, web, "GET", "/", {}, 1);
  CHECK_FALSE(d.rule);
  CHECK(d.backend == web);
}

TEST_CASE("pickEndpoint prefers the given zone", "[models][routes]") {
  const auto s = loadOk(withRoutes(kRoute));
  const auto cart = *s.findService("shop", "cart");
  for (models::ZoneId z = 0; z < s.zones.size(); ++z) {
    for (std::uint64_t h = 0; h < 20; ++h) {
      const auto p = models::pickEndpoint(s, cart, z, h);
      REQUIRE(p);
      CHECK(s.zoneOfPod(*p) == z);  // cart has a replica in every zone
    }
  }
}

TEST_CASE("HTTPRoute errors name the line, the route and a hint", "[models][routes]") {
  const auto errs = loadErrors(withRoutes(
      "    - apiVersion: gateway.networking.k8s.io/v1\n      kind: HTTPRoute\n"
      "      metadata: {name: bad, namespace: shop}\n"
      "      spec:\n        parentRefs: [{kind: Service, name: crat}]\n        rules: []\n"
      "    - apiVersion: gateway.networking.k8s.io/v1\n      kind: HTTPRoute\n"
      "      metadata: {name: bad2, namespace: shop}\n"
      "      spec:\n        parentRefs: [{kind: Service, name: cart}]\n        rules:\n"
      "          - backendRefs: [{name: cart-v3}]\n"
      "            matches: [{path: {type: Regex, value: x}}]\n"));
  REQUIRE(errs.size() == 3);
  CHECK(errs[0] == "inline.yaml:17:21: HTTPRoute shop/bad: parentRefs names unknown Service \"crat\" in shop; did you mean \"cart\"?");
  CHECK_THAT(errs[1], Catch::Contains("HTTPRoute shop/bad2: backendRef names unknown Service \"cart-v3\" in shop"));
  CHECK_THAT(errs[2], Catch::Contains("path type \"Regex\" is not supported"));
}
