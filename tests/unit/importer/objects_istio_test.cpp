// Istio resources into the Draft: policies in the loader's fields, the L7 features they mark
// (selector vs targetRefs: the ambient L7 trap), VirtualServices as HTTPRoutes, and the
// resources noted or skipped.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;

namespace {

// Two namespaces: pay (ambient, waypoint pay-wp) and web (sidecars), a workload and a
// Service each.
const std::string kMesh = R"(
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: pay-wp}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {istio-injection: enabled}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: pay-wp, namespace: pay}
spec: {gatewayClassName: istio-waypoint}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: pay}
spec: {template: {metadata: {labels: {app: payments}}, spec: {containers: [{name: p, image: p}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: pay}
spec: {template: {metadata: {labels: {app: ledger}}, spec: {containers: [{name: l, image: l}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shopfront, namespace: web}
spec: {template: {metadata: {labels: {app: shopfront}}, spec: {containers: [{name: s, image: s}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shopfront-v2, namespace: web}
spec: {template: {metadata: {labels: {app: shopfront-v2}}, spec: {containers: [{name: s, image: s}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: pay}
spec: {selector: {app: payments}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: pay}
spec: {selector: {app: ledger}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: shopfront, namespace: web}
spec: {selector: {app: shopfront}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: shopfront-v2, namespace: web}
spec: {selector: {app: shopfront-v2}, ports: [{name: http, port: 80}]}
)";

const nlohmann::json* policy(const Draft& d, const std::string& name) {
  for (const auto& p : d.policies) {
    if (p["metadata"]["name"] == name) return &p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the L7 trap: selector policies mark the selected workloads, targetRefs ones the Service's", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: by-selector, namespace: pay}
spec:
  selector: {matchLabels: {app: ledger}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: by-target, namespace: pay}
spec:
  targetRefs: [{kind: Service, group: "", name: payments}]
  action: DENY
  rules: [{to: [{operation: {paths: [/admin/*]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: sidecar-target, namespace: web}
spec:
  targetRef: {kind: Service, name: shopfront}
  rules: [{when: [{key: "request.headers[x-user]", values: [admin]}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: l4-only, namespace: web}
spec:
  selector: {matchLabels: {app: shopfront-v2}}
  rules: [{from: [{source: {principals: [cluster.local/ns/pay/sa/default]}}], to: [{operation: {ports: ["80"]}}]}]
)");
  CHECK(m.errors.empty());
  auto* ledger = m.draft.findWorkload("pay", "ledger");
  auto* payments = m.draft.findWorkload("pay", "payments");
  auto* front = m.draft.findWorkload("web", "shopfront");
  auto* front2 = m.draft.findWorkload("web", "shopfront-v2");
  CHECK(ledger->l7.count("l7Authz") == 1);
  CHECK(payments->l7.count("l7Authz") == 1);
  CHECK(front->l7.count("l7Authz") == 1);
  CHECK(front2->l7.empty());
  CHECK(noted(ledger->notes, "l7Authz from AuthorizationPolicy pay/by-selector (selector app=ledger)"));
  CHECK(noted(payments->notes, "l7Authz from AuthorizationPolicy pay/by-target (targetRefs Service payments)"));
  CHECK(assumed(m.report, "AuthorizationPolicy pay/by-selector: L7 rules by selector on ambient workload(s) pay/ledger: "
                          "ztunnel enforces only L4"));
  CHECK(assumed(m.report, "AuthorizationPolicy web/sidecar-target: L7 rules attached by targetRefs are enforced by a "
                          "waypoint only; the sidecars of web/shopfront do not enforce this policy"));
  CHECK_FALSE(assumed(m.report, "AuthorizationPolicy pay/by-target: L7"));
  // Kept as written: selector stays selector, targetRefs stay targetRefs (targetRef becomes targetRefs).
  const auto* sel = policy(m.draft, "by-selector");
  const auto* tgt = policy(m.draft, "by-target");
  const auto* one = policy(m.draft, "sidecar-target");
  REQUIRE(sel);
  REQUIRE(tgt);
  REQUIRE(one);
  CHECK(sel->at("spec").at("selector") == nlohmann::json({{"matchLabels", {{"app", "ledger"}}}}));
  CHECK_FALSE(sel->at("spec").contains("targetRefs"));
  CHECK(tgt->at("spec").at("targetRefs") == nlohmann::json::parse(R"([{"kind": "Service", "name": "payments"}])"));
  CHECK(tgt->at("apiVersion") == "security.istio.io/v1beta1");
  CHECK(tgt->at("spec").at("action") == "DENY");
  CHECK(one->at("spec").at("targetRefs").size() == 1);
  CHECK(m.draft.policies.size() == 4);
}

TEST_CASE("policy fields the loader does not read are left out and named", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: sa, namespace: pay, labels: {owner: sec}}
spec:
  selector: {matchLabels: {app: payments}}
  rules:
    - from: [{source: {serviceAccounts: [web/shopfront], namespaces: [web]}}]
      to: [{operation: {ports: [8080]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: both, namespace: pay}
spec:
  selector: {matchLabels: {app: payments}}
  targetRefs: [{kind: Service, name: payments}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: nowhere, namespace: pay}
spec:
  targetRefs: [{kind: Service, name: gone}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: lonely, namespace: empty-ns}
spec: {}
)");
  const auto* sa = policy(m.draft, "sa");
  REQUIRE(sa);
  const auto& source = sa->at("spec").at("rules").at(0).at("from").at(0).at("source");
  CHECK(source == nlohmann::json({{"namespaces", {"web"}}}));
  CHECK(sa->at("spec").at("rules").at(0).at("to").at(0).at("operation").at("ports") == nlohmann::json({"8080"}));
  CHECK(sa->at("metadata").at("annotations").at("meshtwin.io/imported-from") ==
        "AuthorizationPolicy pay/sa at test.yaml:56:1");
  CHECK(assumed(m.report, "AuthorizationPolicy pay/sa: fields the model does not read are left out: "
                          "rules.from.source.serviceAccounts"));
  CHECK(skipReason(m.report, "AuthorizationPolicy pay/both") == "selector and targetRefs are both set (Istio rejects it)");
  CHECK(skipReason(m.report, "AuthorizationPolicy pay/nowhere") == "its targetRefs name nothing modelled (Service gone)");
  CHECK(skipReason(m.report, "AuthorizationPolicy empty-ns/lonely") == "namespace empty-ns has no modelled workloads");
}

TEST_CASE("PeerAuthentication goes into policies, a bad mode is an error", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ports, namespace: pay}
spec:
  selector: {matchLabels: {app: payments}}
  mtls: {mode: STRICT}
  portLevelMtls: {"9090": {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: typo, namespace: pay}
spec: {mtls: {mode: STRICTER}}
)");
  REQUIRE(m.draft.policies.size() == 2);
  CHECK(m.draft.policies[0]["spec"] == nlohmann::json::parse(R"({"mtls": {"mode": "STRICT"}})"));
  CHECK(m.draft.policies[0]["metadata"]["namespace"] == "istio-system");
  CHECK(m.draft.policies[1]["spec"]["portLevelMtls"]["9090"]["mode"] == "PERMISSIVE");
  REQUIRE(m.errors.size() == 1);
  CHECK(m.errors[0].message == "PeerAuthentication pay/typo: mtls.mode \"STRICTER\" is not an Istio mTLS mode");
  CHECK(skipReason(m.report, "PeerAuthentication pay/typo") == "unknown mtls.mode");
}

TEST_CASE("RequestAuthentication, EnvoyFilter, WasmPlugin and Telemetry mark their workloads", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: web}
spec: {selector: {matchLabels: {app: shopfront}}, jwtRules: [{issuer: https://id.example.com}]}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: web}
spec: {workloadSelector: {labels: {app: shopfront-v2}}, configPatches: []}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: waf, namespace: pay}
spec: {targetRefs: [{kind: Service, name: payments}], url: oci://example/waf:1}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec: {tracing: [{providers: [{name: otel}], randomSamplingPercentage: 1}]}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: logs, namespace: web}
spec: {accessLogging: [{providers: [{name: envoy}]}]}
)");
  CHECK(m.draft.findWorkload("web", "shopfront")->l7.count("jwt") == 1);
  CHECK(m.draft.findWorkload("web", "shopfront-v2")->l7.count("envoyFilter") == 1);
  CHECK(m.draft.findWorkload("pay", "payments")->l7.count("wasm") == 1);
  for (const auto& w : m.draft.workloads) {
    CHECK(w.l7.count("tracing") == 1);  // mesh-wide, from the root namespace
  }
  CHECK(noted(m.draft.findWorkload("pay", "ledger")->notes,
              "tracing from Telemetry istio-system/mesh-default (mesh-wide (root namespace))"));
  CHECK(skipReason(m.report, "Telemetry web/logs") == "no tracing (metrics and access logging are not modelled)");
}

TEST_CASE("a mesh VirtualService marks retries, splits and header routing, and becomes an HTTPRoute", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shopfront, namespace: web}
spec:
  hosts: [shopfront.web.svc.cluster.local]
  http:
    - match: [{headers: {x-beta: {exact: "1"}}, uri: {prefix: /app}, method: {exact: GET}}]
      route: [{destination: {host: shopfront-v2, port: {number: 80}}}]
    - route:
        - {destination: {host: shopfront, subset: v1}, weight: 80}
        - {destination: {host: shopfront-v2}, weight: 20}
      timeout: 3s
      retries: {attempts: 2, retryOn: "gateway-error,connect-failure", perTryTimeout: 1s}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: regex, namespace: pay}
spec:
  hosts: [ledger]
  http: [{match: [{uri: {regex: "/v[0-9]+/.*"}}], route: [{destination: {host: ledger}}]}]
)");
  auto* front = m.draft.findWorkload("web", "shopfront");
  CHECK(front->l7 == std::set<std::string>{"headerRouting", "retries", "trafficSplit"});
  CHECK(m.draft.findWorkload("pay", "ledger")->l7.empty());
  REQUIRE(m.draft.routes.size() == 1);
  const auto expected = nlohmann::json::parse(R"({
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "shopfront", "namespace": "web"},
    "spec": {"parentRefs": [{"kind": "Service", "name": "shopfront"}], "rules": [
      {"matches": [{"path": {"type": "PathPrefix", "value": "/app"}, "headers": [{"name": "x-beta", "value": "1"}],
                    "method": "GET"}],
       "backendRefs": [{"name": "shopfront-v2", "port": 80}]},
      {"backendRefs": [{"name": "shopfront", "weight": 80}, {"name": "shopfront-v2", "weight": 20}],
       "timeouts": {"request": "3s"}, "retry": {"attempts": 2, "codes": [502, 503, 504]}}]}})");
  CHECK(m.draft.routes[0] == expected);
  CHECK(assumed(m.report, "VirtualService web/shopfront: as HTTPRoute web/shopfront in mesh.routes; left out or "
                          "approximated: subset v1 cannot be expressed"));
  CHECK(assumed(m.report, "VirtualService pay/regex: a regex or prefix match on uri or method has no HTTPRoute form "
                          "here: no HTTPRoute for Service pay/ledger"));
  CHECK(m.report.kinds.at("VirtualService").mapped == 2);
}

TEST_CASE("a gateway-bound VirtualService gives entry points, not mesh features", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: web}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: web}
spec:
  hosts: [shop.example.com]
  gateways: [public]
  http:
    - match: [{uri: {prefix: /pay}}]
      route: [{destination: {host: payments.pay.svc.cluster.local}}]
    - route: [{destination: {host: shopfront}}]
      retries: {attempts: 3}
)");
  REQUIRE(m.draft.entry_points.size() == 2);
  CHECK(m.draft.entry_points[0].service == "payments.pay");
  CHECK(m.draft.entry_points[0].path == "/pay");
  CHECK(m.draft.entry_points[1].service == "shopfront.web");
  CHECK(m.draft.findWorkload("web", "shopfront")->l7.empty());
  CHECK(m.draft.routes.empty());
  CHECK(skipReason(m.report, "Gateway web/public") ==
        "Istio ingress Gateway: not modelled, the VirtualServices bound to it give entry points");
}

TEST_CASE("DestinationRules are noted, ServiceEntries skipped, Sidecar scope reported", "[importer][objects]") {
  auto m = mapYaml(kMesh + R"(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments, namespace: pay}
spec:
  host: payments
  trafficPolicy: {connectionPool: {http: {http2MaxRequests: 100}}, outlierDetection: {consecutive5xxErrors: 3}}
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: pay}
spec: {hosts: [api.stripe.com], location: MESH_EXTERNAL}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: web}
spec: {egress: [{hosts: ["./*", "istio-system/*"]}]}
)");
  CHECK(m.report.kinds.at("DestinationRule").mapped == 1);
  CHECK(noted(m.draft.findWorkload("pay", "payments")->notes,
              "DestinationRule pay/payments: subsets v1, connectionPool, outlierDetection (not modelled)"));
  CHECK(skipReason(m.report, "ServiceEntry pay/stripe") == "external service, not modelled");
  CHECK(skipReason(m.report, "Sidecar web/default") ==
        "not modelled in the Draft (its egress scope is reported as an assumption)");
  CHECK(assumed(m.report, "scenario: every namespace with sidecars limits their egress to \"./*\""));
}
