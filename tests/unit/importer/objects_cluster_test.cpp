// Namespaces (modes, waypoint bindings, owner labels) and Nodes (zones, pools) into the Draft.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/objects.hpp"
#include "objects_support.hpp"

using namespace meshtwin::importer;
using namespace meshtwin::importer::test;
using meshtwin::models::MeshMode;

namespace {

Mapped mapYamlOpt(const std::string& yaml, const MapOptions& options = {}) {
  return mapYaml(yaml, {}, options);
}

std::string ns(const std::string& name, const std::string& labels) {
  return "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  labels: {" + labels + "}\n";
}

std::string deploy(const std::string& ns_name, const std::string& name, const std::string& labels = "") {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns_name +
         "}\nspec:\n  template:\n    metadata:\n      labels: {app: " + name + (labels.empty() ? "" : ", " + labels) +
         "}\n    spec:\n      containers: [{name: app, image: x}]\n";
}

std::string node(const std::string& name, const std::string& zone, const std::string& type, const std::string& cpu,
                 const std::string& mem, const std::string& extra = "") {
  return "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: " + name + "\n  labels: {topology.kubernetes.io/zone: " +
         zone + ", node.kubernetes.io/instance-type: " + type + extra + "}\nstatus:\n  allocatable: {cpu: \"" + cpu +
         "\", memory: " + mem + "}\n";
}

}  // namespace

TEST_CASE("namespace labels set the namespace's mode, ambient wins over injection", "[importer][objects]") {
  const auto m = mapYamlOpt(ns("side", "istio-injection: enabled") + ns("amb", "istio.io/dataplane-mode: ambient") +
                         ns("both", "istio-injection: enabled, istio.io/dataplane-mode: ambient") +
                         ns("off", "istio-injection: disabled") + ns("rev", "istio.io/rev: 1-24-2") + ns("plain", "") +
                         deploy("side", "a") + deploy("amb", "b") + deploy("both", "c") + deploy("off", "d") +
                         deploy("rev", "e") + deploy("plain", "f"));
  CHECK(m.draft.namespace_modes.at("side") == MeshMode::Sidecar);
  CHECK(m.draft.namespace_modes.at("amb") == MeshMode::Ambient);
  CHECK(m.draft.namespace_modes.at("both") == MeshMode::Ambient);
  CHECK(m.draft.namespace_modes.at("off") == MeshMode::None);
  CHECK(m.draft.namespace_modes.at("rev") == MeshMode::Sidecar);
  CHECK(m.draft.namespace_modes.count("plain") == 0);  // unknown: the default mode
  CHECK(assumed(m.report, "Namespace both: both sidecar injection and istio.io/dataplane-mode=ambient: ambient wins"));
  CHECK(m.report.kinds.at("Namespace").mapped == 6);
}

TEST_CASE("a namespace without workloads is counted, and gives no mode or binding", "[importer][objects]") {
  const auto m = mapYamlOpt(ns("empty", "istio-injection: enabled, istio.io/use-waypoint: wp"));
  CHECK(m.errors.empty());
  CHECK(m.report.kinds.at("Namespace").read == 1);
  CHECK(m.report.kinds.at("Namespace").mapped == 1);
  CHECK(m.draft.namespace_modes.empty());
  CHECK(m.draft.bindings.empty());
}

TEST_CASE("system namespaces and their workloads are skipped", "[importer][objects]") {
  const auto m = mapYamlOpt(ns("kube-system", "") + deploy("kube-system", "coredns") + deploy("istio-system", "kiali"));
  CHECK(m.draft.workloads.empty());
  CHECK(skipReason(m.report, "Namespace kube-system") == "system namespace");
  CHECK(skipReason(m.report, "Deployment kube-system/coredns") == "system namespace");
  CHECK(skipReason(m.report, "Deployment istio-system/kiali") == "system namespace");
}

TEST_CASE("istio.io/use-waypoint on a namespace binds it to the waypoint", "[importer][objects]") {
  const auto m = mapYamlOpt(
      ns("pay", "istio.io/dataplane-mode: ambient, istio.io/use-waypoint: pay-wp") +
      ns("other", "istio.io/use-waypoint: shared, istio.io/use-waypoint-namespace: infra") +
      ns("missing", "istio.io/use-waypoint: nowhere") + ns("optout", "istio.io/use-waypoint: none") +
      deploy("pay", "api") + deploy("other", "x") + deploy("missing", "y") + deploy("optout", "z") +
      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: pay-wp, namespace: pay}\n"
      "spec: {gatewayClassName: istio-waypoint}\n"
      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: shared, namespace: infra}\n"
      "spec: {gatewayClassName: istio-waypoint}\n");
  REQUIRE(m.draft.bindings.size() == 3);
  CHECK(m.draft.bindings[0].target == "optout");
  CHECK(m.draft.bindings[0].waypoint == "none");
  CHECK(m.draft.bindings[1].target == "other");
  CHECK(m.draft.bindings[1].waypoint == "infra/shared");
  CHECK(m.draft.bindings[2].scope == "namespace");
  CHECK(m.draft.bindings[2].target == "pay");
  CHECK(m.draft.bindings[2].waypoint == "pay-wp");
  CHECK(assumed(m.report, "Namespace missing: istio.io/use-waypoint names waypoint missing/nowhere, which is not in "
                          "the input: binding left out"));
}

TEST_CASE("owner labels of a namespace are copied onto workloads that lack them", "[importer][objects]") {
  MapOptions opts;
  opts.owner_labels = {"billing-account"};
  auto m = mapYamlOpt(ns("shop", "team: storefront, cost-center: cc-1, environment: prod, billing-account: ba-7, "
                                    "unrelated: x, app.kubernetes.io/part-of: shop") +
                             deploy("shop", "web") + deploy("shop", "cart", "team: checkout"),
                         opts);
  const auto* cart = m.draft.findWorkload("shop", "cart");
  const auto* web = m.draft.findWorkload("shop", "web");
  REQUIRE(cart);
  REQUIRE(web);
  CHECK(cart->labels.at("team") == "checkout");  // the workload's own value is kept
  CHECK(cart->labels.at("cost-center") == "cc-1");
  CHECK(web->labels.at("team") == "storefront");
  CHECK(web->labels.at("billing-account") == "ba-7");
  CHECK(web->labels.at("app.kubernetes.io/part-of") == "shop");
  CHECK(web->labels.count("unrelated") == 0);
  bool noted = false;
  for (const auto& n : web->notes) noted = noted || n.find("kept for the cost report") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("nodes give zones and pools grouped by instance type and allocatable", "[importer][objects]") {
  const auto m = mapYamlOpt(node("n1", "eu-west-1a", "m6i.xlarge", "3920m", "15225332Ki") +
                         node("n2", "eu-west-1b", "m6i.xlarge", "3920m", "15225332Ki") +
                         node("n3", "eu-west-1c", "m6i.xlarge", "3920m", "15225332Ki") +
                         node("n4", "eu-west-1a", "m6i.xlarge", "3920m", "15225332Ki") +
                         node("big", "eu-west-1a", "c6i.2xlarge", "7910m", "15Gi") +
                         "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: old\n  labels:\n"
                         "    failure-domain.beta.kubernetes.io/zone: eu-west-1b\n"
                         "    beta.kubernetes.io/instance-type: t3.medium\nstatus:\n  allocatable: {cpu: \"2\", memory: 4Gi}\n" +
                         "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: cp\n  labels: {node-role.kubernetes.io/control-plane: \"\"}\n"
                         "status:\n  allocatable: {cpu: \"2\", memory: 4Gi}\n");
  CHECK(m.errors.empty());
  CHECK(m.draft.zones == std::vector<std::string>{"eu-west-1a", "eu-west-1b", "eu-west-1c"});
  REQUIRE(m.draft.pools.size() == 3);
  const auto& big = m.draft.pools[0];
  CHECK(big.name == "c6i-2xlarge");
  CHECK(big.instance_type == "c6i.2xlarge");
  CHECK(big.cpu_millicores == 7910);
  CHECK(big.memory_bytes == 15LL << 30);
  CHECK(big.count_per_zone == 1);
  CHECK(big.zones == std::vector<std::string>{"eu-west-1a"});
  CHECK_FALSE(big.price_usd_per_hour);
  const auto& general = m.draft.pools[1];
  CHECK(general.instance_type == "m6i.xlarge");
  CHECK(general.cpu_millicores == 3920);
  CHECK(general.memory_bytes == 15225332LL * 1024);
  CHECK(general.count_per_zone == 2);  // the most in any zone
  CHECK(general.zones.empty());        // every zone
  CHECK(assumed(m.report, "nodePool m6i-xlarge: nodes per zone differ (eu-west-1a: 2, eu-west-1b: 1, eu-west-1c: 1)"));
  CHECK(m.draft.pools[2].instance_type == "t3.medium");  // beta labels as the fallback
  CHECK(m.draft.pools[2].zones == std::vector<std::string>{"eu-west-1b"});
  CHECK(skipReason(m.report, "Node cp") == "control-plane node: workloads are not placed there");
  CHECK(m.report.kinds.at("Node").read == 7);
  CHECK(m.report.kinds.at("Node").mapped == 6);
}

TEST_CASE("a node pool label names the pool", "[importer][objects]") {
  const auto m = mapYamlOpt(node("a", "z1", "m6i.large", "1930m", "7Gi", ", eks.amazonaws.com/nodegroup: general"));
  REQUIRE(m.draft.pools.size() == 1);
  CHECK(m.draft.pools[0].name == "general");
  CHECK(m.draft.pools[0].notes.at(0) == "from Node a");
}

TEST_CASE("no nodes leaves pools and zones to the finishing step, a bad quantity is an error", "[importer][objects]") {
  const auto none = mapYamlOpt(deploy("shop", "web"));
  CHECK(none.draft.pools.empty());
  CHECK(none.draft.zones.empty());
  const auto bad = mapYamlOpt(node("x", "z", "t", "lots", "4Gi"));
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].message.find("Node x: status.allocatable.cpu") != std::string::npos);
  CHECK(bad.errors[0].origin.line == 2);
  CHECK(skipReason(bad.report, "Node x") == "no status.allocatable cpu and memory");
}
