// The finishing step of an import: defaults reported as assumptions, the starting plan (one
// wave per namespace, callees first, waypoints and policy moves for L7), a scenario that
// loads, deterministic text, and re-importing the output gives the same bytes.
#include <catch2/catch.hpp>

#include <algorithm>

#include "meshtwin/importer/finish.hpp"
#include "meshtwin/models/profile.hpp"

using namespace meshtwin;
using importer::Draft;
using importer::DraftCall;
using importer::DraftService;
using importer::DraftStep;
using importer::DraftWorkload;

namespace {

models::Profile profile() {
  models::Diagnostics d;
  auto p = models::loadProfile("istio-1.24-published", ".", d);
  REQUIRE(d.empty());
  return p;
}

DraftWorkload workload(const std::string& ns, const std::string& name, std::vector<std::string> calls = {}) {
  DraftWorkload w;
  w.ns = ns;
  w.name = name;
  w.labels = {{"app", name}};
  for (auto& c : calls) w.script.push_back(DraftStep{0, {DraftCall{c}}});
  w.notes.push_back("from Deployment " + ns + "/" + name);
  return w;
}

DraftService service(const std::string& ns, const std::string& name) {
  DraftService s;
  s.ns = ns;
  s.name = name;
  s.workloads = {name};
  s.ports = {{"http", 8080, 8080, models::Protocol::Http}};
  return s;
}

// shop/web calls shop/cart and data/db; cart calls data/db. shop has an L7 policy by selector.
Draft shop() {
  Draft d;
  d.default_mode = models::MeshMode::Sidecar;
  d.workloads = {workload("shop", "web", {"cart", "db.data"}), workload("shop", "cart", {"db.data"}),
                 workload("data", "db")};
  d.workloads[0].replicas = 2;
  d.workloads[0].cpu_request_m = 250;
  d.workloads[0].memory_request_bytes = 256LL << 20;
  d.services = {service("shop", "web"), service("shop", "cart"), service("data", "db")};
  d.entry_points.push_back({"web", "web.shop", "/", {}, 0, {}, {"from Service shop/web (LoadBalancer)"}});
  d.policies.push_back(nlohmann::json::parse(R"({
    "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
    "metadata": {"name": "cart-api", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "cart"}}, "action": "ALLOW",
             "rules": [{"to": [{"operation": {"methods": ["GET"], "paths": ["/cart/*"]}}]}]}})"));
  return d;
}

bool assumed(const importer::ImportReport& r, const std::string& object, const std::string& part) {
  return std::any_of(r.assumptions.begin(), r.assumptions.end(), [&](const importer::Assumption& a) {
    return a.object == object && a.message.find(part) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("finishing an import fills defaults, states them, and the scenario loads") {
  importer::ImportReport report;
  report.sources = {"shop.yaml"};
  const auto r = importer::finishImport(shop(), profile(), {}, report);
  for (const auto& e : r.errors.items()) INFO(models::format(e));
  REQUIRE(r.ok());
  const auto& s = *r.scenario;
  CHECK(s.workloads.size() == 3);
  CHECK(s.podCount() >= 4);
  CHECK(assumed(report, "workload shop/cart", "no CPU request: 100m assumed"));
  CHECK_FALSE(assumed(report, "workload shop/web", "no CPU request"));
  CHECK(assumed(report, "entryPoint web", "no traffic data"));
  CHECK(assumed(report, "cluster", "one zone"));
  CHECK(assumed(report, "nodePool imported", "no Node objects"));
  CHECK(assumed(report, "nodePool imported", "USD/h from the profile's rates"));
  CHECK(r.yaml.rfind("# Imported by `meshtwin import` from:\n#   shop.yaml\n", 0) == 0);
  CHECK(r.yaml.find("- name: web  # from Deployment shop/web\n") != std::string::npos);
}

TEST_CASE("the starting plan takes callees first and gives L7 namespaces a waypoint and their policies") {
  importer::ImportReport report;
  const auto r = importer::finishImport(shop(), profile(), {}, report);
  REQUIRE(r.ok());
  const auto& plan = r.scenario->plan;
  REQUIRE(plan.waves.size() == 2);
  CHECK(plan.waves[0].name == "wave-1-data");
  CHECK(plan.waves[1].name == "wave-2-shop");
  // shop: addWaypoint, useWaypoint, movePolicy (cart-api onto the cart Service), setMode.
  const auto& changes = plan.waves[1].changes;
  REQUIRE(changes.size() == 4);
  CHECK(std::holds_alternative<models::AddWaypoint>(changes[0]));
  CHECK(std::holds_alternative<models::BindWaypoint>(changes[1]));
  REQUIRE(std::holds_alternative<models::MovePolicy>(changes[2]));
  const auto& move = std::get<models::MovePolicy>(changes[2]);
  REQUIRE(move.target_refs.size() == 1);
  CHECK(move.target_refs[0].name == "cart");
  CHECK(std::holds_alternative<models::ModeChange>(changes[3]));
  REQUIRE(r.plan_reasons.size() == 2);
  CHECK(r.plan_reasons[0] == "wave-1-data: L4 only: ztunnel");
  CHECK(r.plan_reasons[1].find("L7 policy shop/cart-api") != std::string::npos);
}

TEST_CASE("plan none keeps the current state only") {
  importer::ImportReport report;
  importer::ImportOptions opts;
  opts.plan = false;
  opts.name = "shop-now";
  const auto r = importer::finishImport(shop(), profile(), opts, report);
  REQUIRE(r.ok());
  CHECK(r.scenario->plan.waves.empty());
  CHECK(r.scenario->name == "shop-now");
}

TEST_CASE("a cluster already ambient gets no waves, and says so") {
  auto d = shop();
  d.default_mode = models::MeshMode::Ambient;
  d.policies.clear();
  importer::ImportReport report;
  const auto r = importer::finishImport(d, profile(), {}, report);
  REQUIRE(r.ok());
  CHECK(r.scenario->plan.waves.empty());
  CHECK(assumed(report, "plan", "already ambient"));
}

TEST_CASE("an import is deterministic and re-importing its output is a no-op") {
  importer::ImportReport r1, r2;
  const auto a = importer::finishImport(shop(), profile(), {}, r1);
  const auto b = importer::finishImport(shop(), profile(), {}, r2);
  REQUIRE(a.ok());
  CHECK(a.yaml == b.yaml);
  const auto again = importer::reimportScenario(a.yaml, "imported.yaml");
  REQUIRE(again.ok());
  CHECK(again.yaml == a.yaml);
  CHECK(importer::reimportScenario(again.yaml, "imported.yaml").yaml == a.yaml);
}

TEST_CASE("re-importing a hand-written scenario writes it in the canonical form, then stays put") {
  const auto first = importer::reimportScenario(R"(# a hand-written scenario
apiVersion: meshtwin/v1
kind: Scenario
metadata: {name: tiny}
profile: istio-1.24-published
cluster:
  zones: [a]
  nodePools: [{name: p, vcpu: 4, memory: 16Gi, priceUsdPerHour: 0.192, countPerZone: 1}]
workloads:
  - {name: api, namespace: app}   # the only workload
entryPoints:
  - {name: in, service: api.app, load: [{constant: {rps: 10, duration: 1m}}]}
)",
                                                "tiny.yaml");
  REQUIRE(first.ok());
  CHECK(first.yaml.rfind("# a hand-written scenario\napiVersion: meshtwin/v1\n", 0) == 0);
  CHECK(first.yaml.find("- name: api  # the only workload\n") != std::string::npos);
  CHECK(importer::reimportScenario(first.yaml, "tiny.yaml").yaml == first.yaml);
}
