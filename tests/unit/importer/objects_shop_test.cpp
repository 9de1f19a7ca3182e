// The mapping end to end on the test data: the Helm-style shop, the kubectl dump and the broken
// inputs. Every object is accounted for, the result does not depend on input order, and the
// policies and routes it produces load as meshtwin/v1.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>

#include "meshtwin/importer/objects.hpp"
#include "meshtwin/models/loader.hpp"

namespace fs = std::filesystem;
using namespace meshtwin::importer;
using meshtwin::models::MeshMode;

namespace {

struct Mapped {
  std::vector<Object> objects;
  Draft draft;
  ImportReport report;
  std::vector<ReadError> errors;
};

Mapped mapPaths(const std::vector<std::string>& paths) {
  if (!fs::is_directory("tests/data/import")) fs::current_path(MESHTWIN_SOURCE_DIR);
  std::istringstream none;
  auto read = readManifestPaths(paths, none);
  REQUIRE(read.errors.empty());
  Mapped m;
  m.objects = read.objects;
  m.errors = mapObjects(m.objects, meshtwin::models::Profile{}, m.draft, m.report);
  return m;
}

bool assumed(const ImportReport& r, const std::string& text) {
  for (const auto& a : r.assumptions) {
    if ((a.object + ": " + a.message).find(text) != std::string::npos) return true;
  }
  return false;
}

std::string skipReason(const ImportReport& r, const std::string& ref) {
  for (const auto& s : r.skipped) {
    if (s.object == ref) return s.reason;
  }
  return {};
}

bool hasNote(const std::vector<std::string>& notes, const std::string& note) {
  return std::find(notes.begin(), notes.end(), note) != notes.end();
}

// Did the object become part of the Draft (its "from" note) or get skipped with a reason?
bool accountedFor(Mapped& m, const Object& o) {
  const auto from = "from " + o.ref();
  for (const auto& w : m.draft.workloads) {
    if (hasNote(w.notes, from)) return true;
  }
  for (const auto& wp : m.draft.waypoints) {
    if (hasNote(wp.notes, from)) return true;
  }
  for (const auto& s : m.draft.services) {
    if (hasNote(s.notes, from)) return true;
  }
  return !skipReason(m.report, o.ref()).empty();
}

nlohmann::json toJson(const Draft& d, const ImportReport& r) {
  nlohmann::json j;
  for (const auto& w : d.workloads) {
    j["workloads"].push_back({w.key(), w.kind, w.service_account, w.replicas.value_or(-1), w.labels,
                              w.cpu_request_m.value_or(-1), w.cpu_limit_m.value_or(-1),
                              w.memory_request_bytes.value_or(-1), w.memory_limit_bytes.value_or(-1),
                              w.mode ? static_cast<int>(*w.mode) : -1, w.l7, w.notes});
  }
  for (const auto& s : d.services) {
    nlohmann::json ports;
    for (const auto& p : s.ports) ports.push_back({p.name, p.port, p.target_port, static_cast<int>(p.protocol)});
    j["services"].push_back({s.key(), s.workloads, ports, s.notes});
  }
  for (const auto& p : d.pools) j["pools"].push_back({p.name, p.instance_type, p.cpu_millicores, p.memory_bytes, p.count_per_zone, p.zones, p.notes});
  for (const auto& e : d.entry_points) j["entry"].push_back({e.name, e.service, e.path, e.notes});
  for (const auto& w : d.waypoints) {
    j["waypoints"].push_back({w.key(), w.traffic, w.replicas, w.hpa ? w.hpa->max_replicas : -1, w.notes});
  }
  for (const auto& b : d.bindings) j["bindings"].push_back({b.scope, b.target, b.waypoint});
  for (const auto& [k, v] : d.namespace_modes) j["ns_modes"][k] = static_cast<int>(v);
  for (const auto& [k, v] : d.workload_modes) j["wl_modes"][k] = static_cast<int>(v);
  j["zones"] = d.zones;
  j["policies"] = d.policies;
  j["routes"] = d.routes;
  for (const auto& [k, c] : r.kinds) j["kinds"][k] = {c.read, c.mapped, c.skipped};
  for (const auto& s : r.skipped) j["skipped"].push_back({s.object, s.reason, toString(s.origin)});
  for (const auto& a : r.assumptions) j["assumptions"].push_back({a.object, a.message});
  return j;
}

// A meshtwin/v1 scenario of the Draft's workloads, services and mesh, as JSON (which is YAML).
std::string scenarioText(Draft& d) {
  nlohmann::json s = {{"apiVersion", "meshtwin/v1"}, {"kind", "Scenario"}, {"metadata", {{"name", "imported"}}},
                      {"profile", "istio-1.24-published"}};
  const auto zones = d.zones.empty() ? std::vector<std::string>{"zone-a"} : d.zones;
  s["cluster"] = {{"zones", zones},
                  {"nodePools", {{{"name", "big"}, {"vcpu", "64"}, {"memory", "256Gi"}, {"priceUsdPerHour", 1}, {"countPerZone", 4}}}}};
  for (const auto& w : d.workloads) {
    s["workloads"].push_back({{"name", w.name}, {"namespace", w.ns}, {"replicas", w.replicas.value_or(1)},
                              {"serviceAccount", w.service_account}, {"labels", w.labels}, {"l7", w.l7},
                              {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}});
  }
  for (const auto& sv : d.services) {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : sv.ports) {
      ports.push_back({{"name", p.name.empty() ? "port-" + std::to_string(p.port) : p.name}, {"port", p.port},
                       {"targetPort", p.target_port}, {"protocol", meshtwin::models::toString(p.protocol)}});
    }
    s["services"].push_back({{"name", sv.name}, {"namespace", sv.ns}, {"workloads", sv.workloads}, {"ports", ports}});
  }
  nlohmann::json mesh = {{"defaultMode", "none"}};
  for (const auto& [k, v] : d.namespace_modes) mesh["namespaces"][k] = meshtwin::models::toString(v);
  for (const auto& [k, v] : d.workload_modes) mesh["workloads"][k] = meshtwin::models::toString(v);
  for (const auto& wp : d.waypoints) {
    nlohmann::json w = {{"name", wp.name}, {"namespace", wp.ns}, {"for", wp.traffic}, {"replicas", wp.replicas}};
    if (wp.hpa) w["hpa"] = {{"minReplicas", wp.hpa->min_replicas}, {"maxReplicas", wp.hpa->max_replicas}};
    mesh["waypoints"].push_back(w);
  }
  for (const auto& b : d.bindings) mesh["useWaypoint"].push_back({{b.scope, b.target}, {"waypoint", b.waypoint}});
  if (!d.policies.empty()) mesh["policies"] = d.policies;
  if (!d.routes.empty()) mesh["routes"] = d.routes;
  s["mesh"] = mesh;
  return s.dump(2);
}

void checkCounts(const ImportReport& r) {
  for (const auto& [kind, c] : r.kinds) {
    INFO(kind);
    CHECK(c.read == c.mapped + c.skipped);
  }
}

}  // namespace

TEST_CASE("the shop maps with every object accounted for", "[importer][objects][shop]") {
  auto m = mapPaths({"tests/data/import/shop"});
  CHECK(m.errors.empty());
  checkCounts(m.report);
  for (const auto& o : m.objects) {
    INFO(o.ref());
    if (o.kind == "Deployment" || o.kind == "StatefulSet" || o.kind == "Service") CHECK(accountedFor(m, o));
  }
  std::vector<std::string> workloads;
  for (const auto& w : m.draft.workloads) workloads.push_back(w.key());
  std::sort(workloads.begin(), workloads.end());
  CHECK(workloads == std::vector<std::string>{"checkout/checkout", "checkout/payments", "data/inventory", "data/postgres",
                                              "shop/cart", "shop/cart-redis", "shop/catalog", "shop/catalog-v2",
                                              "shop/frontend"});
  CHECK(m.draft.services.size() == 9);
  CHECK(skipReason(m.report, "Service checkout/checkout-waypoint").find("Gateway's pods") != std::string::npos);
  CHECK(skipReason(m.report, "Service istio-ingress/public-istio").find("Gateway's pods") != std::string::npos);
  CHECK(skipReason(m.report, "Deployment istio-ingress/public-istio").find("ingress gateway") != std::string::npos);
  CHECK(skipReason(m.report, "ConfigMap shop/frontend-config") == "not modelled (configuration, not traffic)");
  CHECK(skipReason(m.report, "Secret shop/frontend-session") == "not modelled (configuration, not traffic)");
  CHECK(skipReason(m.report, "PodDisruptionBudget shop/frontend") == "not modelled (rollout uses the plan's maxUnavailable)");
}

TEST_CASE("the shop's mesh: modes, waypoint, entry point, features, policies and routes", "[importer][objects][shop]") {
  auto m = mapPaths({"tests/data/import/shop"});
  CHECK(m.draft.namespace_modes == std::map<std::string, MeshMode>{
                                       {"checkout", MeshMode::Ambient}, {"data", MeshMode::Sidecar}, {"shop", MeshMode::Sidecar}});
  CHECK(m.draft.workload_modes == std::map<std::string, MeshMode>{{"shop/cart-redis", MeshMode::None}});
  REQUIRE(m.draft.waypoints.size() == 1);
  const auto& wp = m.draft.waypoints[0];
  CHECK(wp.key() == "checkout/checkout-waypoint");
  CHECK(wp.replicas == 2);
  REQUIRE(wp.hpa);
  CHECK(wp.hpa->max_replicas == 5);
  CHECK(wp.hpa->target_cpu_percent == 75);
  REQUIRE(m.draft.bindings.size() == 1);
  CHECK(m.draft.bindings[0].target == "checkout");
  REQUIRE(m.draft.entry_points.size() == 1);
  CHECK(m.draft.entry_points[0].service == "frontend.shop");
  const auto* frontend = m.draft.findWorkload("shop", "frontend");
  CHECK(frontend->cpu_request_m == 300);
  CHECK(frontend->memory_request_bytes == 320LL << 20);
  CHECK(frontend->cpu_limit_m == 1200);
  CHECK(frontend->labels.at("cost-center") == "cc-1001");
  CHECK(frontend->l7 == std::set<std::string>{"jwt", "tracing"});
  CHECK(m.draft.findWorkload("shop", "catalog")->l7 == std::set<std::string>{"headerRouting", "retries", "trafficSplit", "tracing"});
  CHECK(m.draft.findWorkload("checkout", "checkout")->l7 == std::set<std::string>{"l7Authz"});
  CHECK(m.draft.findWorkload("checkout", "payments")->l7 == std::set<std::string>{"headerRouting", "l7Authz", "retries"});
  CHECK(m.draft.findWorkload("checkout", "payments")->replicas == 2);  // no spec.replicas: the HPA's minimum
  CHECK(m.draft.findWorkload("data", "postgres")->labels.at("owner") == "dba-oncall");
  CHECK(assumed(m.report, "AuthorizationPolicy checkout/checkout-api: L7 rules by selector on ambient workload(s) "
                          "checkout/checkout"));
  CHECK_FALSE(assumed(m.report, "AuthorizationPolicy checkout/payments-api: L7"));
  CHECK(assumed(m.report, "Service shop/cart-redis: port 6379 of shop/cart-redis: no appProtocol or name prefix; tcp "
                          "assumed (Redis's port)"));
  CHECK(assumed(m.report, "scenario: every namespace with sidecars limits their egress"));
  CHECK(m.draft.policies.size() == 4);
  REQUIRE(m.draft.routes.size() == 2);
  CHECK(m.draft.routes[0]["metadata"]["name"] == "payments");
  CHECK(m.draft.routes[1]["metadata"]["name"] == "catalog");
  const auto inventory = m.draft.findService("data", "inventory");
  CHECK(inventory->ports.at(0).target_port == 9091);
  CHECK(inventory->ports.at(0).protocol == meshtwin::models::Protocol::Grpc);
}

TEST_CASE("the shop's draft policies and routes load as meshtwin/v1", "[importer][objects][shop]") {
  auto m = mapPaths({"tests/data/import/shop"});
  const auto text = scenarioText(m.draft);
  const auto r = meshtwin::models::loadScenarioText(text, "imported.yaml");
  std::string diags;
  for (const auto& d : r.diagnostics.sorted()) diags += d.message + " (" + d.object + ")\n";
  INFO(diags);
  REQUIRE(r.ok());
  CHECK(r.scenario->authz_policies.size() == 3);
  CHECK(r.scenario->peer_authns.size() == 1);
  CHECK(r.scenario->http_routes.size() == 2);
  CHECK(r.scenario->authz_policies[0].usesTargetRefs() != r.scenario->authz_policies[1].usesTargetRefs());
}

TEST_CASE("shuffled input maps to the same Draft and report", "[importer][objects][shop]") {
  for (const auto* path : {"tests/data/import/shop", "tests/data/import/kubectl-dump.json"}) {
    auto m = mapPaths({path});
    const auto expected = toJson(m.draft, m.report);
    std::mt19937 rng(20241104);
    for (int i = 0; i < 4; ++i) {
      auto objects = m.objects;
      std::shuffle(objects.begin(), objects.end(), rng);
      Draft d;
      ImportReport r;
      const auto errors = mapObjects(objects, meshtwin::models::Profile{}, d, r);
      INFO(path);
      CHECK(errors.size() == m.errors.size());
      CHECK(toJson(d, r) == expected);
    }
  }
}

TEST_CASE("the kubectl dump maps: nodes in three zones, owned pods skipped, Istio observed", "[importer][objects][shop]") {
  auto m = mapPaths({"tests/data/import/kubectl-dump.json"});
  CHECK(m.errors.empty());
  checkCounts(m.report);
  CHECK(m.draft.zones == std::vector<std::string>{"eu-west-1a", "eu-west-1b", "eu-west-1c"});
  REQUIRE(m.draft.pools.size() == 2);
  CHECK(m.draft.pools[0].name == "compute");
  CHECK(m.draft.pools[0].zones == std::vector<std::string>{"eu-west-1a"});
  CHECK(m.draft.pools[1].name == "general");
  CHECK(m.draft.pools[1].count_per_zone == 2);
  CHECK(m.draft.pools[1].cpu_millicores == 3920);
  std::vector<std::string> workloads;
  for (const auto& w : m.draft.workloads) workloads.push_back(w.key());
  CHECK(workloads == std::vector<std::string>{"shop/api", "shop/web", "logging/fluent-bit", "shop/debug-shell"});
  CHECK(m.draft.findWorkload("logging", "fluent-bit")->replicas == 7);
  CHECK(m.draft.findWorkload("shop", "web")->mode == MeshMode::Sidecar);
  CHECK(m.draft.findWorkload("shop", "web")->labels.count("security.istio.io/tlsMode") == 0);
  CHECK(skipReason(m.report, "ReplicaSet shop/web-5c4b7a9f8e") == "owned by Deployment shop/web");
  CHECK(skipReason(m.report, "Pod shop/web-7d9f8c6b5d-8xkq2") == "owned by ReplicaSet shop/web-7d9f8c6b5d");
  CHECK(skipReason(m.report, "Service default/kubernetes") == "no selector: endpoints not modelled");
  CHECK(assumed(m.report, "cluster: ambient data plane present: ztunnel DaemonSet in istio-system"));
  CHECK(assumed(m.report, "cluster: Istio control plane present: istiod Deployment in istio-system (image tag 1.24.2)"));
  CHECK(assumed(m.report, "cluster: istio-cni present: istio-cni-node DaemonSet in istio-system"));
  CHECK(assumed(m.report, "workload shop/api: the model does not autoscale workloads: HorizontalPodAutoscaler shop/api "
                          "2..8 replicas noted, 2 replicas used"));
  REQUIRE(m.draft.entry_points.size() == 1);
  CHECK(m.draft.entry_points[0].service == "web.shop");
  CHECK(m.draft.services.at(2).ports.at(0).target_port == 8080);  // shop/web's named targetPort
}

TEST_CASE("the broken inputs of tests/data/bad/import say what is wrong", "[importer][objects][shop]") {
  auto version = mapPaths({"tests/data/bad/import/wrong-kind-version.yaml"});
  REQUIRE(version.errors.size() == 1);
  CHECK(toString(version.errors[0]) ==
        "tests/data/bad/import/wrong-kind-version.yaml:7:1: Deployment legacy/billing: apiVersion \"apps/v1beta9\" is "
        "not one meshtwin reads for Deployment (known: apps/v1)");
  auto dup = mapPaths({"tests/data/bad/import/duplicate.yaml"});
  REQUIRE(dup.draft.workloads.size() == 1);
  CHECK(dup.draft.workloads[0].replicas == 4);
  CHECK(assumed(dup.report, "Deployment shop/cart: given twice (tests/data/bad/import/duplicate.yaml:2:1 and "
                            "tests/data/bad/import/duplicate.yaml:21:1): the later one is kept"));
  auto nothing = mapPaths({"tests/data/bad/import/selector-nothing.yaml"});
  CHECK(nothing.draft.services.empty());
  CHECK(skipReason(nothing.report, "Service shop/recommendations") == "selector app=reccomendations matches no workload");
  auto no_pods = mapPaths({"tests/data/bad/import/service-without-pods.yaml"});
  CHECK(skipReason(no_pods.report, "Service data/legacy-db") == "no selector: endpoints not modelled");
  CHECK(skipReason(no_pods.report, "Endpoints data/legacy-db") ==
        "not modelled (Services select workloads by their labels)");
  for (auto* r : {&version, &dup, &nothing, &no_pods}) checkCounts(r->report);
}
