// Autoscalers and disruption budgets, waypoint Deployments, and Istio's own components.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;

namespace {

}  // namespace

TEST_CASE("an HPA on a workload is noted, the model does not autoscale workloads", "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: a, image: a}]}
status: {replicas: 5}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 12
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
status: {currentReplicas: 5}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: ghost, namespace: shop}
spec:
  scaleTargetRef: {kind: Deployment, name: ghost}
  maxReplicas: 3
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec: {minAvailable: 1}
)", sidecarProfile());
  CHECK(m.draft.workloads.at(0).replicas == 5);
  CHECK(assumed(m.report, "workload shop/api: the model does not autoscale workloads: HorizontalPodAutoscaler shop/api "
                          "3..12 replicas noted, 5 replicas used"));
  CHECK(noted(m.draft.workloads.at(0).notes, "autoscaled by HorizontalPodAutoscaler shop/api (3..12 replicas at 60% CPU)"));
  CHECK(skipReason(m.report, "HorizontalPodAutoscaler shop/ghost") ==
        "scale target Deployment shop/ghost is not a modelled workload or waypoint");
  CHECK(skipReason(m.report, "PodDisruptionBudget shop/api") == "not modelled (rollout uses the plan's maxUnavailable)");
}

TEST_CASE("a waypoint's Deployment and HPA give the waypoint's replicas and hpa", "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: pay-wp, namespace: pay, labels: {istio.io/waypoint-for: all}}
spec: {gatewayClassName: istio-waypoint}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pay-wp, namespace: pay, labels: {gateway.networking.k8s.io/gateway-name: pay-wp}}
spec:
  replicas: 3
  template:
    metadata: {labels: {gateway.networking.k8s.io/gateway-name: pay-wp}}
    spec: {containers: [{name: istio-proxy, image: p, resources: {requests: {cpu: 200m, memory: 256Mi}}}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: pay-wp, namespace: pay}
spec:
  scaleTargetRef: {kind: Deployment, name: pay-wp}
  minReplicas: 4
  maxReplicas: 8
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orphan-wp, namespace: pay, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
spec:
  template:
    metadata: {labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
    spec: {containers: [{name: istio-proxy, image: p}]}
)", sidecarProfile());
  CHECK(m.draft.workloads.empty());
  REQUIRE(m.draft.waypoints.size() == 2);
  const auto& wp = m.draft.waypoints[0];
  CHECK(wp.key() == "pay/pay-wp");
  CHECK(wp.traffic == "all");
  REQUIRE(wp.hpa);
  CHECK(wp.hpa->min_replicas == 4);
  CHECK(wp.hpa->max_replicas == 8);
  CHECK(wp.hpa->target_cpu_percent == 80);
  CHECK(wp.replicas == 4);  // at least the HPA's minimum
  CHECK(noted(wp.notes, "3 replica(s) from Deployment pay/pay-wp"));
  CHECK(noted(wp.notes, "requests cpu 200m memory 256Mi"));
  CHECK(assumed(m.report, "HorizontalPodAutoscaler pay/pay-wp scales on no metric: the model scales waypoints on CPU, 80%"));
  CHECK(m.draft.waypoints[1].key() == "pay/orphan-wp");
  CHECK(assumed(m.report, "Gateway pay/orphan-wp is not in the input"));
  CHECK(m.report.kinds.at("Deployment").mapped == 2);
}

TEST_CASE("Istio's components are observations, not workloads", "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ztunnel, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: ztunnel}}
    spec: {containers: [{name: istio-proxy, image: docker.io/istio/ztunnel:1.24.2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.24.2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: edge}
spec:
  template:
    metadata: {labels: {app: istio-ingressgateway, istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: p}]}
)", sidecarProfile());
  CHECK(m.draft.workloads.empty());
  CHECK(assumed(m.report, "cluster: ambient data plane present: ztunnel DaemonSet in istio-system (image tag 1.24.2)"));
  CHECK(assumed(m.report, "cluster: Istio control plane present: istiod Deployment in istio-system"));
  CHECK(skipReason(m.report, "DaemonSet istio-system/ztunnel") == "system namespace");
  CHECK(skipReason(m.report, "Deployment edge/istio-ingressgateway") ==
        "Istio ingress gateway: not modelled (entry points stand for it)");
}
