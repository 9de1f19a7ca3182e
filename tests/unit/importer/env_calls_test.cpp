// Calls from environment variables that name Services: which values are addresses, which
// Services they resolve to, and a workload no Service selects becoming a traffic origin.
#include <catch2/catch.hpp>

#include "meshtwin/importer/env_calls.hpp"
#include "meshtwin/importer/manifests.hpp"
#include "meshtwin/importer/objects.hpp"

using namespace meshtwin::importer;

TEST_CASE("hostOf reads the host out of addresses and URLs, and nothing else") {
  CHECK(hostOf("productcatalogservice:3550") == "productcatalogservice");
  CHECK(hostOf("redis-cart:6379") == "redis-cart");
  CHECK(hostOf("postgres://app:secret@db.data.svc:5432/shop") == "db.data.svc");
  CHECK(hostOf("http://users.identity.svc.cluster.local:8080/v1") == "users.identity.svc");
  CHECK(hostOf("frontend") == "frontend");
  CHECK(hostOf("8080").empty());
  CHECK(hostOf("true").size() == 4);  // a word is a candidate; only a Service of that name makes it a call
  CHECK(hostOf("Info").empty());
  CHECK(hostOf("a b").empty());
  CHECK(hostOf("host:port").empty());
}

TEST_CASE("environment variables naming Services become calls, a load generator an entry point") {
  const auto read = readManifests(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web
          env:
            - {name: CART_ADDR, value: "cart:7070"}
            - {name: DB_URL, value: "postgres://db.data.svc.cluster.local:5432/x"}
            - {name: SELF, value: "web:80"}
            - {name: PAYMENTS, value: "https://api.stripe.com"}
            - {name: CART_AGAIN, value: "http://cart:7070/v2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec: {template: {metadata: {labels: {app: cart}}, spec: {containers: [{name: c, image: c}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: data}
spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: c}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: loadgen, namespace: shop}
spec:
  template:
    metadata: {labels: {app: loadgen}}
    spec: {containers: [{name: l, image: l, env: [{name: TARGET, value: "web:80"}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{name: grpc, port: 7070}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {selector: {app: db}, ports: [{name: tcp-postgres, port: 5432}]}
)",
                                  "env.yaml");
  REQUIRE(read.errors.empty());
  const auto refs = environmentReferences(read.objects);
  CHECK(refs.size() == 6);
  Draft d;
  ImportReport report;
  REQUIRE(mapObjects(read.objects, meshtwin::models::Profile{}, d, report).empty());
  callsFromEnvironment(refs, d, report);
  const auto* web = d.findWorkload("shop", "web");
  REQUIRE(web != nullptr);
  // cart once (in the order named), db across namespaces; not itself, not the external API.
  REQUIRE(web->script.size() == 2);
  CHECK(web->script[0].calls.at(0).service == "cart");
  CHECK(web->script[1].calls.at(0).service == "db.data");
  // loadgen backs no Service: it is where traffic comes from.
  CHECK(d.findWorkload("shop", "loadgen")->script.empty());
  REQUIRE(d.entry_points.size() == 1);
  CHECK(d.entry_points[0].name == "loadgen-web");
  CHECK(d.entry_points[0].service == "web.shop");
  // A workload that already has calls (from traffic or isotope) keeps them.
  callsFromEnvironment(refs, d, report);
  CHECK(d.findWorkload("shop", "web")->script.size() == 2);
  CHECK(d.entry_points.size() == 1);
}
