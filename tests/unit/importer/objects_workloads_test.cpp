// Controllers and Pods into workloads: replicas, resources, modes, ownership, DaemonSets.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;
using meshtwin::models::MeshMode;

namespace {

const std::string kCart = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  replicas: 4
  template:
    metadata:
      labels: {app: cart, version: v2}
      annotations: {sidecar.istio.io/proxyCPU: 250m, sidecar.istio.io/proxyMemoryLimit: 1Gi}
    spec:
      serviceAccountName: cart-sa
      initContainers:
        - {name: migrate, image: m, resources: {requests: {cpu: "2", memory: 1Gi}}}
        - {name: agent, image: a, restartPolicy: Always, resources: {requests: {cpu: 10m, memory: 16Mi}}}
      containers:
        - name: cart
          image: c
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
        - name: cache
          image: k
          resources: {limits: {cpu: 100m, memory: 64Mi}}
)";

}  // namespace
TEST_CASE("a Deployment becomes a workload: replicas, labels, service account, app containers summed",
          "[importer][objects]") {
  auto m = mapYaml(kCart, sidecarProfile());
  REQUIRE(m.draft.workloads.size() == 1);
  const auto& w = m.draft.workloads[0];
  CHECK(w.key() == "shop/cart");
  CHECK(w.kind == "Deployment");
  CHECK(w.replicas == 4);
  CHECK(w.service_account == "cart-sa");
  CHECK(w.labels == std::map<std::string, std::string>{{"app", "cart"}, {"version", "v2"}});
  CHECK(w.cpu_request_m == 250 + 100 + 10);  // cache's limit is its request; migrate (init) is left out
  CHECK(w.memory_request_bytes == (256LL + 64 + 16) << 20);
  CHECK_FALSE(w.cpu_limit_m);  // agent has no limit: the pod is not limited
  CHECK_FALSE(w.mode);
  CHECK(w.notes.at(0) == "from Deployment shop/cart");
  CHECK(noted(w.notes, "sidecar resources from annotations: proxyCPU=250m, proxyMemoryLimit=1Gi"));
  CHECK(assumed(m.report, "Deployment shop/cart: sidecar.istio.io/proxyCPU 250m differs from the profile's sidecar "
                          "request 100m"));
  CHECK(m.report.kinds.at("Deployment").mapped == 1);
}

TEST_CASE("a workload's own mode: istio-proxy container, inject annotation or label, dataplane label",
          "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: amb, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis, namespace: shop}
spec:
  template:
    metadata: {labels: {app: redis}, annotations: {sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: redis, image: r}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: injected, namespace: plain}
spec:
  template:
    metadata: {labels: {app: injected}}
    spec:
      containers:
        - {name: app, image: a, resources: {requests: {cpu: 100m}}}
        - {name: istio-proxy, image: proxyv2, resources: {requests: {cpu: 10m, memory: 40Mi}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: opted-in, namespace: plain}
spec:
  template:
    metadata: {labels: {app: opted-in, sidecar.istio.io/inject: "true"}}
    spec: {containers: [{name: app, image: a}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: to-ambient, namespace: plain}
spec:
  template:
    metadata: {labels: {app: to-ambient, istio.io/dataplane-mode: ambient}}
    spec: {containers: [{name: app, image: a}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: out, namespace: amb}
spec:
  template:
    metadata: {labels: {app: out, istio.io/dataplane-mode: none}}
    spec: {containers: [{name: app, image: a}]}
)", sidecarProfile());
  const auto* redis = m.draft.findWorkload("shop", "redis");
  const auto* injected = m.draft.findWorkload("plain", "injected");
  REQUIRE(redis);
  REQUIRE(injected);
  CHECK(redis->mode == MeshMode::None);
  CHECK(injected->mode == MeshMode::Sidecar);
  CHECK(injected->cpu_request_m == 100);  // istio-proxy is not an app container
  CHECK(noted(injected->notes, "istio-proxy container present (injected), its requests cpu 10m memory 40Mi"));
  CHECK(m.draft.findWorkload("plain", "opted-in")->mode == MeshMode::Sidecar);
  CHECK(m.draft.findWorkload("plain", "to-ambient")->mode == MeshMode::Ambient);
  CHECK(m.draft.findWorkload("amb", "out")->mode == MeshMode::None);
  CHECK(m.draft.workload_modes.at("shop/redis") == MeshMode::None);
  CHECK(m.draft.workload_modes.at("plain/injected") == MeshMode::Sidecar);
  CHECK(m.draft.workload_modes.at("amb/out") == MeshMode::None);
}

TEST_CASE("ReplicaSets and Pods owned by a mapped kind are skipped, their pods tell the owner's mode",
          "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: w}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f7c9b6d
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d8f7c9b6d}}
    spec: {containers: [{name: web, image: w}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d8f7c9b6d-x2k9q
  namespace: shop
  labels: {app: web, pod-template-hash: 5d8f7c9b6d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f7c9b6d, controller: true}]
spec:
  containers: [{name: web, image: w}, {name: istio-proxy, image: proxyv2}]
)", sidecarProfile());
  REQUIRE(m.draft.workloads.size() == 1);
  CHECK(skipReason(m.report, "ReplicaSet shop/web-5d8f7c9b6d") == "owned by Deployment shop/web");
  CHECK(skipReason(m.report, "Pod shop/web-5d8f7c9b6d-x2k9q") == "owned by ReplicaSet shop/web-5d8f7c9b6d");
  CHECK(m.draft.workloads[0].mode == MeshMode::Sidecar);
  CHECK(noted(m.draft.workloads[0].notes, "sidecar: istio-proxy container in its Pod shop/web-5d8f7c9b6d-x2k9q"));
}

TEST_CASE("bare Pods are one-replica workloads, Pods of a missing controller make one workload", "[importer][objects]") {
  auto m = mapYaml(R"(
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {run: debug}}
spec: {containers: [{name: sh, image: busybox, resources: {requests: {cpu: 50m}}}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6c8b9d7f4b-aaaaa
  namespace: shop
  labels: {app: api, pod-template-hash: 6c8b9d7f4b}
  ownerReferences: [{kind: ReplicaSet, name: api-6c8b9d7f4b, controller: true}]
spec: {containers: [{name: api, image: a}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-6c8b9d7f4b-bbbbb
  namespace: shop
  labels: {app: api, pod-template-hash: 6c8b9d7f4b}
  ownerReferences: [{kind: ReplicaSet, name: api-6c8b9d7f4b, controller: true}]
spec: {containers: [{name: api, image: a}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: migrate-x1
  namespace: shop
  ownerReferences: [{kind: Job, name: migrate, controller: true}]
spec: {containers: [{name: m, image: m}]}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: shop}
spec: {containers: [{name: m, image: m}]}
status: {phase: Succeeded}
)", sidecarProfile());
  REQUIRE(m.draft.workloads.size() == 2);
  const auto* debug = m.draft.findWorkload("shop", "debug");
  const auto* api = m.draft.findWorkload("shop", "api");
  REQUIRE(debug);
  REQUIRE(api);
  CHECK(debug->replicas == 1);
  CHECK(debug->kind == "Pod");
  CHECK(debug->service_account == "default");
  CHECK(api->replicas == 2);
  CHECK(api->kind == "ReplicaSet");
  CHECK(api->labels.count("pod-template-hash") == 0);
  CHECK(assumed(m.report, "ReplicaSet shop/api-6c8b9d7f4b is not in the input: the workload is made of its Pods"));
  CHECK(skipReason(m.report, "Pod shop/migrate-x1") == "owned by Job shop/migrate: batch pods are not modelled");
  CHECK(skipReason(m.report, "Pod shop/done") == "the pod has finished (phase Succeeded)");
  CHECK(m.report.kinds.at("Pod").read == 5);
  CHECK(m.report.kinds.at("Pod").mapped == 3);
  CHECK(m.report.kinds.at("Pod").skipped == 2);
}

TEST_CASE("a DaemonSet runs one pod per node", "[importer][objects]") {
  const std::string ds = R"(
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: logging}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: a}]}
)";
  const auto node = [](const std::string& name) {
    return "---\napiVersion: v1\nkind: Node\nmetadata: {name: " + name + "}\nstatus: {allocatable: {cpu: \"4\", memory: 16Gi}}\n";
  };
  auto with_nodes = mapYaml(ds + node("a") + node("b"), sidecarProfile());
  CHECK(with_nodes.draft.workloads.at(0).replicas == 2);
  CHECK(assumed(with_nodes.report, "DaemonSet: one pod per node, 2 replicas (the Nodes in the input)"));
  auto with_status = mapYaml(ds + "status: {desiredNumberScheduled: 7}\n", sidecarProfile());
  CHECK(with_status.draft.workloads.at(0).replicas == 7);
  auto unknown = mapYaml(ds, sidecarProfile());
  CHECK_FALSE(unknown.draft.workloads.at(0).replicas);
}
