// Services into the Draft: selectors to workloads, ports and protocols, skipped Services,
// waypoint bindings, and entry point candidates (LoadBalancer, NodePort, Ingress).
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;
using meshtwin::models::Protocol;

namespace {

std::string deploy(const std::string& name, const std::string& labels, const std::string& ports = "") {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: shop}\nspec:\n"
         "  template:\n    metadata: {labels: {" + labels + "}}\n    spec:\n      containers: [{name: app, image: x" +
         (ports.empty() ? "" : ", ports: [" + ports + "]") + "}]\n";
}

std::string service(const std::string& name, const std::string& spec) {
  return "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: shop}\nspec:\n" + spec;
}

}  // namespace

TEST_CASE("a Service backs the workloads whose pod labels hold its selector", "[importer][objects]") {
  auto m = mapYaml(deploy("catalog", "app: catalog, version: v1") + deploy("catalog-v2", "app: catalog, version: v2") +
                   deploy("cart", "app: cart") + service("catalog", "  selector: {app: catalog}\n  ports: [{name: grpc, port: 9090}]\n") +
                   service("catalog-v2", "  selector: {app: catalog, version: v2}\n  ports: [{name: grpc, port: 9090}]\n"));
  REQUIRE(m.draft.services.size() == 2);
  CHECK(m.draft.services[0].key() == "shop/catalog");
  CHECK(m.draft.services[0].workloads == std::vector<std::string>{"catalog", "catalog-v2"});
  CHECK(m.draft.services[1].workloads == std::vector<std::string>{"catalog-v2"});
  CHECK(m.draft.services[0].notes.at(0) == "from Service shop/catalog");
  CHECK(m.report.kinds.at("Service").mapped == 2);
}

TEST_CASE("port protocols: appProtocol, Istio's name prefixes, well-known TCP ports, else http", "[importer][objects]") {
  auto m = mapYaml(deploy("api", "app: api", "{name: web, containerPort: 8081}") +
                   service("api", "  selector: {app: api}\n  clusterIP: None\n  ports:\n"
                                  "    - {name: main, appProtocol: kubernetes.io/h2c, port: 80, targetPort: web}\n"
                                  "    - {name: rpc, appProtocol: grpc, port: 9090}\n"
                                  "    - {name: secure, appProtocol: https, port: 8443}\n"
                                  "    - {name: http2-admin, port: 9000}\n"
                                  "    - {name: grpc-web, port: 9001}\n"
                                  "    - {name: tcp-raw, port: 9002}\n"
                                  "    - {name: tls-peer, port: 9003}\n"
                                  "    - {name: mongo, port: 9004}\n"
                                  "    - {port: 6379}\n"
                                  "    - {name: metrics, port: 9100}\n"
                                  "    - {name: dns, port: 53, protocol: UDP}\n"));
  REQUIRE(m.draft.services.size() == 1);
  const auto& p = m.draft.services[0].ports;
  REQUIRE(p.size() == 10);
  CHECK(p[0].protocol == Protocol::Http);
  CHECK(p[0].target_port == 8081);  // the container port named "web"
  CHECK(p[1].protocol == Protocol::Grpc);
  CHECK(p[1].target_port == 9090);
  CHECK(p[2].protocol == Protocol::Tcp);
  CHECK(p[3].protocol == Protocol::Http);
  CHECK(p[4].protocol == Protocol::Grpc);
  CHECK(p[5].protocol == Protocol::Tcp);
  CHECK(p[6].protocol == Protocol::Tcp);
  CHECK(p[7].protocol == Protocol::Tcp);
  CHECK(p[8].protocol == Protocol::Tcp);
  CHECK(p[9].protocol == Protocol::Http);
  CHECK(assumed(m.report, "Service shop/api: port 6379 of shop/api: no appProtocol or name prefix; tcp assumed (Redis's port)"));
  CHECK(assumed(m.report, "port 9100 of shop/api: no appProtocol or name prefix; http assumed"));
  CHECK(m.draft.services[0].notes.at(1) == "UDP port 53 not modelled");
}

TEST_CASE("Services without a selector, or whose selector matches nothing, are skipped", "[importer][objects]") {
  auto m = mapYaml(deploy("web", "app: web") + service("legacy-db", "  ports: [{name: tcp-mysql, port: 3306}]\n") +
                   service("typo", "  selector: {app: wbe}\n  ports: [{name: http, port: 80}]\n") +
                   service("ext", "  type: ExternalName\n  externalName: api.example.com\n"));
  CHECK(m.draft.services.empty());
  CHECK(skipReason(m.report, "Service shop/legacy-db") == "no selector: endpoints not modelled");
  CHECK(skipReason(m.report, "Service shop/typo") == "selector app=wbe matches no workload");
  CHECK(assumed(m.report, "Service shop/typo: selector app=wbe matches no workload in shop: the Service is left out"));
  CHECK(skipReason(m.report, "Service shop/ext") == "type ExternalName: external service, not modelled");
}

TEST_CASE("LoadBalancer, NodePort and Ingress backends are entry point candidates", "[importer][objects]") {
  auto m = mapYaml(deploy("web", "app: web") + deploy("api", "app: api") + deploy("admin", "app: admin") +
                   service("web", "  type: LoadBalancer\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n") +
                   service("admin", "  type: NodePort\n  selector: {app: admin}\n  ports: [{name: http, port: 80}]\n") +
                   service("api", "  selector: {app: api}\n  ports: [{name: http, port: 8080}]\n") +
                   "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: edge, namespace: shop}\n"
                   "spec:\n  rules:\n    - http:\n        paths:\n"
                   "          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}\n"
                   "          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n"
                   "          - {path: /old, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}\n");
  REQUIRE(m.draft.entry_points.size() == 3);
  CHECK(m.draft.entry_points[0].name == "admin");
  CHECK(m.draft.entry_points[0].service == "admin.shop");
  CHECK(m.draft.entry_points[0].rps.empty());
  CHECK(m.draft.entry_points[1].service == "web.shop");
  CHECK(m.draft.entry_points[1].notes.size() == 2);  // LoadBalancer, and the Ingress
  CHECK(m.draft.entry_points[2].service == "api.shop");
  CHECK(m.draft.entry_points[2].path == "/api");
  CHECK(m.report.kinds.at("Ingress").mapped == 1);
}

TEST_CASE("istio.io/use-waypoint on a Service binds the Service", "[importer][objects]") {
  auto m = mapYaml(deploy("api", "app: api") +
                   "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: wp, namespace: shop}\n"
                   "spec: {gatewayClassName: istio-waypoint}\n"
                   "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: shop\n"
                   "  labels: {istio.io/use-waypoint: wp}\nspec:\n  selector: {app: api}\n  ports: [{name: http, port: 80}]\n");
  REQUIRE(m.draft.bindings.size() == 1);
  CHECK(m.draft.bindings[0].scope == "service");
  CHECK(m.draft.bindings[0].target == "shop/api");
  CHECK(m.draft.bindings[0].waypoint == "wp");
}
