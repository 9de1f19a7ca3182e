// Plan analysis: each finding fires on the pitfall it names, in the phases it holds, and
// stays quiet on a plan that avoids it. Also where each policy is enforced per phase.
#include <catch2/catch.hpp>

#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/routing.hpp"
#include "test_support.hpp"

using namespace meshtwin::models;
using meshtwin::test::kClusterHeader;
using meshtwin::test::loadOk;

namespace {

const std::string kLabels = "labels: {team: t, cost-center: cc-1, environment: prod}";

// web (shop) calls pay (pay); both sidecar at first. Waves are appended by each test.
std::string base(const std::string& mesh_extra, const std::string& waves) {
  return std::string(kClusterHeader) + "workloads:\n" +
         "  - {name: web, namespace: shop, replicas: 3, " + kLabels + ", script: [{call: pay.pay}]}\n" +
         "  - {name: pay, namespace: pay, replicas: 3, " + kLabels + ", l7: [retries]}\n" +
         "mesh:\n  defaultMode: sidecar\n" + mesh_extra + "plan:\n  waves:\n" + waves;
}

const std::string kL7Policy = R"(  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: pay-get, namespace: pay}
      spec:
        selector: {matchLabels: {app: pay}}
        rules: [{to: [{operation: {methods: [GET]}}]}]
)";

std::vector<Finding> withCode(const std::vector<Finding>& all, const std::string& code) {
  std::vector<Finding> out;
  for (const auto& f : all) {
    if (f.code == code) out.push_back(f);
  }
  return out;
}

}  // namespace

TEST_CASE("selector L7 policy left in place when its namespace goes ambient", "[analysis]") {
  const auto s = loadOk(base(kL7Policy, R"(    - name: pay-ambient
      changes: [{setMode: {namespace: pay, mode: ambient}}]
)"));
  const auto f = withCode(analyze(s), "l7-policy-at-ztunnel");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::High);
  CHECK(f[0].object == "AuthorizationPolicy pay/pay-get");
  CHECK(f[0].phases == std::vector<std::string>{"pay-ambient"});
  CHECK(f[0].message.find("requests they should allow are denied") != std::string::npos);
  CHECK(f[0].loc.line == 13);
}

TEST_CASE("moving the L7 policy to a waypoint in the same wave clears it", "[analysis]") {
  const auto s = loadOk(base(kL7Policy, R"(    - name: pay-ambient
      changes:
        - addWaypoint: {name: wp, namespace: pay, replicas: 3, hpa: {minReplicas: 3, maxReplicas: 6}}
        - useWaypoint: {namespace: pay, waypoint: wp}
        - movePolicy: {policy: pay/pay-get, targetRefs: [{kind: Service, name: pay}]}
        - setMode: {namespace: pay, mode: ambient}
    - name: shop-ambient
      changes: [{setMode: {namespace: shop, mode: ambient}}]
)"));
  const auto all = analyze(s);
  CHECK(withCode(all, "l7-policy-at-ztunnel").empty());
  CHECK(withCode(all, "l7-without-waypoint").empty());
  CHECK(withCode(all, "waypoint-without-autoscaling").empty());
  CHECK(withCode(all, "waypoint-fewer-zones").empty());
  // ...but in wave 1 the sidecar client web bypasses the waypoint and its policy.
  const auto bypass = withCode(all, "sidecar-bypasses-waypoint");
  REQUIRE(bypass.size() == 1);
  CHECK(bypass[0].severity == Severity::High);
  CHECK(bypass[0].object == "workload shop/web");
  CHECK(bypass[0].phases == std::vector<std::string>{"pay-ambient"});
  CHECK(bypass[0].message.find("AuthorizationPolicy pay/pay-get is not enforced") != std::string::npos);
  // Per phase, the policy moves from sidecar to waypoint enforcement.
  const auto phases = allPhases(s);
  const auto& before = phases[0].policies.at(0);
  CHECK(enforcementPoints(before, s, phases[0]).at(0).kind == EnforcerKind::Sidecar);
  const auto& after = phases[1].policies.at(0);
  const auto e = enforcementPoints(after, s, phases[1]);
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == EnforcerKind::Waypoint);
  CHECK(e[0].waypoint == 0u);
}

TEST_CASE("L7 needs without a waypoint, and EnvoyFilter in ambient", "[analysis]") {
  auto text = base("", R"(    - name: pay-ambient
      changes: [{setMode: {namespace: pay, mode: ambient}}]
)");
  const auto s = loadOk(text);
  const auto f = withCode(analyze(s), "l7-without-waypoint");
  REQUIRE(f.size() == 1);
  CHECK(f[0].object == "workload pay/pay");
  CHECK(f[0].message.find("needs retries") != std::string::npos);

  const auto pos = text.find("l7: [retries]");
  text.replace(pos, 13, "l7: [envoyFilter]");
  const auto s2 = loadOk(text);
  const auto all = analyze(s2);
  CHECK(withCode(all, "l7-without-waypoint").empty());
  REQUIRE(withCode(all, "envoyfilter-unsupported").size() == 1);
}

TEST_CASE("a waypoint in fewer zones than its ambient clients", "[analysis]") {
  const auto s = loadOk(base("", R"(    - name: all-ambient
      changes:
        - addWaypoint: {name: wp, namespace: pay, zones: [a]}
        - useWaypoint: {namespace: pay, waypoint: wp}
        - setMode: {namespace: pay, mode: ambient}
        - setMode: {namespace: shop, mode: ambient}
)"));
  const auto all = analyze(s);
  const auto f = withCode(all, "waypoint-fewer-zones");
  REQUIRE(f.size() == 1);
  CHECK(f[0].message ==
        "replicas run in 1 zone(s) (a) but clients run in 3 (a, b, c): requests from b, c cross zones to reach it and "
        "are billed both ways");
  REQUIRE(withCode(all, "waypoint-without-autoscaling").size() == 1);
}

TEST_CASE("a binding to a waypoint deployed only by a later wave dangles until then", "[analysis]") {
  SECTION("with ambient callers their calls fail: critical") {
    const auto s = loadOk(base("", R"(    - name: bind
      changes:
        - useWaypoint: {namespace: pay, waypoint: wp}
        - setMode: {namespace: pay, mode: ambient}
        - setMode: {namespace: shop, mode: ambient}
    - name: deploy
      changes:
        - addWaypoint: {name: wp, namespace: pay, hpa: {maxReplicas: 3}}
)"));
    const auto f = withCode(analyze(s), "waypoint-not-deployed");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::Critical);
    CHECK(f[0].phases == std::vector<std::string>{"bind"});
    CHECK(f[0].message == "is bound to waypoint pay/wp, which is not deployed in this phase: calls from shop/web fail");
  }
  SECTION("with only sidecar callers nothing fails yet: medium") {
    const auto s = loadOk(base("", R"(    - name: bind
      changes:
        - useWaypoint: {namespace: pay, waypoint: wp}
    - name: deploy
      changes:
        - addWaypoint: {name: wp, namespace: pay, hpa: {maxReplicas: 3}}
)"));
    const auto f = withCode(analyze(s), "waypoint-not-deployed");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::Medium);
  }
}

TEST_CASE("a targetRefs policy whose waypoint is missing is not enforced", "[analysis]") {
  const auto s = loadOk(base(kL7Policy, R"(    - name: move-too-early
      changes:
        - movePolicy: {policy: pay/pay-get, targetRefs: [{kind: Service, name: pay}]}
)"));
  const auto f = withCode(analyze(s), "policy-not-enforced");
  REQUIRE(f.size() == 1);
  CHECK(f[0].message == "no waypoint serves Service pay/pay in this phase: the policy is not enforced");
  CHECK(f[0].phases == std::vector<std::string>{"move-too-early"});
}

TEST_CASE("PeerAuthentication DISABLE is ignored in ambient", "[analysis]") {
  const std::string pa = R"(  policies:
    - apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: off, namespace: pay}
      spec: {mtls: {mode: DISABLE}}
)";
  const auto s = loadOk(base(pa, R"(    - name: pay-ambient
      changes: [{setMode: {namespace: pay, mode: ambient}}]
)"));
  const auto f = withCode(analyze(s), "peerauthentication-disable-ignored");
  REQUIRE(f.size() == 1);
  CHECK(f[0].phases == std::vector<std::string>{"pay-ambient"});
}

TEST_CASE("missing cost labels hold in every phase", "[analysis]") {
  auto text = base("", "    - name: w\n      changes: [{setMode: {namespace: pay, mode: ambient}}]\n");
  const auto pos = text.find(kLabels);
  text.replace(pos, kLabels.size(), "labels: {team: t}");
  const auto f = withCode(analyze(loadOk(text)), "missing-cost-labels");
  REQUIRE(f.size() == 1);
  CHECK(f[0].object == "workload shop/web");
  CHECK(f[0].message.find("cost-center, environment") != std::string::npos);
  CHECK(f[0].phases == std::vector<std::string>{"baseline", "w"});
}

TEST_CASE("findings are ordered by severity", "[analysis]") {
  const auto s = loadOk(base(kL7Policy, R"(    - name: pay-ambient
      changes:
        - setMode: {namespace: pay, mode: ambient}
        - setMode: {namespace: shop, mode: ambient}
        - useWaypoint: {namespace: pay, waypoint: wp}
    - name: later
      changes: [{addWaypoint: {name: wp, namespace: pay, zones: [a]}}]
)"));
  const auto all = analyze(s);
  REQUIRE(all.size() >= 3);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].severity >= all[i].severity);
  CHECK(all.front().severity == Severity::Critical);
}

TEST_CASE("a caller-naming L4 policy behind a new waypoint sees the waypoint's identity", "[analysis]") {
  auto policy = [](const std::string& principals) {
    return R"(  policies:
    - apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: pay-callers, namespace: pay}
      spec:
        selector: {matchLabels: {app: pay}}
        rules: [{from: [{source: {principals: [)" + principals + R"(]}}]}]
)";
  };
  const std::string waves = R"(    - name: ambient-with-waypoint
      changes:
        - addWaypoint: {name: wp, namespace: pay, hpa: {maxReplicas: 3}}
        - useWaypoint: {namespace: pay, waypoint: wp}
        - setMode: {namespace: pay, mode: ambient}
        - setMode: {namespace: shop, mode: ambient}
)";
  const auto s = loadOk(base(policy("cluster.local/ns/shop/sa/web"), waves));
  const auto f = withCode(analyze(s), "policy-sees-waypoint-identity");
  REQUIRE(f.size() == 1);
  CHECK(f[0].phases == std::vector<std::string>{"ambient-with-waypoint"});
  CHECK(f[0].message.find("cluster.local/ns/pay/sa/wp") != std::string::npos);
  // Allowing the waypoint's principal clears it.
  const auto fixed = loadOk(base(policy("cluster.local/ns/shop/sa/web, cluster.local/ns/pay/sa/wp"), waves));
  CHECK(withCode(analyze(fixed), "policy-sees-waypoint-identity").empty());
}

TEST_CASE("a labelPolicy names the labels; where it enforces, a missing label is medium", "[analysis][labels]") {
  // Both workloads carry team, cost-center and environment, but the policy asks for owner,
  // audited during the plan and enforced after its last wave.
  auto text = base("", "    - name: w1\n      changes: [{setMode: {namespace: pay, mode: ambient}}]\n"
                       "    - name: w2\n      changes: [{setMode: {namespace: shop, mode: ambient}}]\n");
  text += "labelPolicy:\n  required: [owner]\n  duringMigration: Audit\n  afterLastWave: Enforce\n";
  const auto findings = analyze(loadOk(text));
  const auto low = withCode(findings, "missing-cost-labels");
  const auto enforced = withCode(findings, "missing-required-labels");
  REQUIRE(low.size() == 2);
  REQUIRE(enforced.size() == 2);
  for (const auto& f : low) {
    CHECK(f.message.find("lacks label(s) owner:") != std::string::npos);
    CHECK(f.phases == std::vector<std::string>{"baseline", "w1"});
  }
  for (const auto& f : enforced) {
    CHECK(f.severity == meshtwin::models::Severity::Medium);
    CHECK(f.phases == std::vector<std::string>{"w2"});
  }
}
