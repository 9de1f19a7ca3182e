// Istio authorization semantics: matching, ALLOW/DENY evaluation, and what a policy becomes
// when ztunnel (L4) enforces it.
#include <catch2/catch.hpp>

#include "meshtwin/models/policy.hpp"

using namespace meshtwin::models;

namespace {

AuthorizationPolicy policy(AuthzAction action, std::vector<AuthzRule> rules, std::string name = "p") {
  AuthorizationPolicy p;
  p.ns = "pay";
  p.name = std::move(name);
  p.selector = std::map<std::string, std::string>{{"app", "checkout"}};
  p.action = action;
  p.rules = std::move(rules);
  return p;
}

AuthzRule fromPrincipal(std::string principal) {
  AuthzRule r;
  AuthzSource s;
  s.principals = {std::move(principal)};
  r.from.push_back(s);
  return r;
}

AuthzRule httpRule(std::vector<std::string> methods, std::vector<std::string> paths) {
  AuthzRule r;
  AuthzOperation o;
  o.methods = std::move(methods);
  o.paths = std::move(paths);
  r.to.push_back(o);
  return r;
}

RequestAttrs l4From(std::string principal, std::string ns) {
  RequestAttrs r;
  r.source_principal = std::move(principal);
  r.source_namespace = std::move(ns);
  r.destination_port = 8080;
  return r;
}

RequestAttrs httpFrom(std::string principal, std::string ns, std::string method, std::string path) {
  auto r = l4From(std::move(principal), std::move(ns));
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

}  // namespace

TEST_CASE("Istio string matching: exact, prefix, suffix, presence", "[policy]") {
  CHECK(stringMatches("/api/*", "/api/pay"));
  CHECK_FALSE(stringMatches("/api/*", "/admin"));
  CHECK(stringMatches("*/sa/frontend", "cluster.local/ns/shop/sa/frontend"));
  CHECK(stringMatches("*", "anything"));
  CHECK_FALSE(stringMatches("*", ""));
  CHECK(stringMatches("GET", "GET"));
  CHECK_FALSE(stringMatches("GET", "POST"));
}

TEST_CASE("authorize follows DENY, then ALLOW, then default", "[policy]") {
  const auto allow_front = policy(AuthzAction::Allow, {fromPrincipal("cluster.local/ns/shop/sa/frontend")}, "allow");
  const auto deny_admin = policy(AuthzAction::Deny, {httpRule({}, {"/admin*"})}, "deny");
  const std::vector<const AuthorizationPolicy*> both{&allow_front, &deny_admin};

  SECTION("no policy: allowed") { CHECK(authorize({}, l4From("x", "y")).allowed); }
  SECTION("ALLOW matches the principal") {
    const auto d = authorize(both, httpFrom("cluster.local/ns/shop/sa/frontend", "shop", "GET", "/pay"));
    CHECK(d.allowed);
    CHECK(d.policy == "pay/allow");
  }
  SECTION("DENY wins over ALLOW") {
    const auto d = authorize(both, httpFrom("cluster.local/ns/shop/sa/frontend", "shop", "GET", "/admin/x"));
    CHECK_FALSE(d.allowed);
    CHECK(d.policy == "pay/deny");
  }
  SECTION("an ALLOW policy exists and nothing matches: denied") {
    const auto d = authorize(both, httpFrom("cluster.local/ns/shop/sa/cart", "shop", "GET", "/pay"));
    CHECK_FALSE(d.allowed);
    CHECK(d.reason == "no ALLOW policy matched");
  }
  SECTION("an ALLOW policy with no rules matches nothing") {
    auto p = policy(AuthzAction::Allow, {});
    p.rules.reset();
    CHECK_FALSE(authorize({&p}, l4From("cluster.local/ns/shop/sa/frontend", "shop")).allowed);
  }
  SECTION("an ALLOW policy with one empty rule matches everything") {
    const auto p = policy(AuthzAction::Allow, {AuthzRule{}});
    CHECK(authorize({&p}, l4From("anyone", "any")).allowed);
  }
  SECTION("source namespaces need a verified identity") {
    AuthzRule r;
    AuthzSource s;
    s.namespaces = {"shop"};
    r.from.push_back(s);
    const auto p = policy(AuthzAction::Allow, {r});
    CHECK(authorize({&p}, l4From("cluster.local/ns/shop/sa/a", "shop")).allowed);
    RequestAttrs plaintext;
    plaintext.source_namespace = "shop";
    CHECK_FALSE(authorize({&p}, plaintext).allowed);
  }
  SECTION("header conditions need HTTP") {
    AuthzRule r;
    r.when.push_back({"request.headers[x-canary]", {"true"}, {}});
    const auto p = policy(AuthzAction::Allow, {r});
    auto req = httpFrom("a", "b", "GET", "/");
    req.headers["x-canary"] = "true";
    CHECK(authorize({&p}, req).allowed);
    CHECK_FALSE(authorize({&p}, l4From("a", "b")).allowed);
  }
  SECTION("ipBlocks match CIDRs") {
    AuthzRule r;
    AuthzSource s;
    s.ip_blocks = {"10.1.0.0/16"};
    r.from.push_back(s);
    const auto p = policy(AuthzAction::Deny, {r});
    auto req = l4From("a", "b");
    req.source_ip = "10.1.2.3";
    CHECK_FALSE(authorize({&p}, req).allowed);
    req.source_ip = "10.2.2.3";
    CHECK(authorize({&p}, req).allowed);
  }
}

TEST_CASE("toZtunnelPolicy applies istiod's L4 conversion", "[policy]") {
  SECTION("ALLOW: rules with HTTP attributes are dropped, L4 rules kept") {
    const auto p = policy(AuthzAction::Allow, {httpRule({"GET"}, {"/pay"}), fromPrincipal("cluster.local/ns/shop/sa/frontend")});
    const auto c = toZtunnelPolicy(p);
    REQUIRE(c.effective);
    CHECK(c.dropped_rules == 1);
    REQUIRE(c.effective->rules->size() == 1);
    CHECK(c.message.find("rules matching HTTP attributes are omitted") != std::string::npos);
    // The frontend still gets in at L4; nobody else does.
    CHECK(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/frontend", "shop")).allowed);
    CHECK_FALSE(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/cart", "shop")).allowed);
  }
  SECTION("ALLOW with only HTTP rules becomes deny-all at ztunnel") {
    const auto p = policy(AuthzAction::Allow, {httpRule({"GET"}, {})});
    const auto c = toZtunnelPolicy(p);
    REQUIRE(c.effective);
    CHECK(c.effective->rules->empty());
    CHECK_FALSE(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/frontend", "shop")).allowed);
    // The same policy at a sidecar or waypoint allows GET.
    CHECK(authorize({&p}, httpFrom("cluster.local/ns/shop/sa/frontend", "shop", "GET", "/")).allowed);
  }
  SECTION("DENY: HTTP parts are stripped and the rest matches more broadly") {
    auto r = httpRule({"DELETE"}, {});
    r.from = fromPrincipal("cluster.local/ns/shop/sa/cart").from;
    const auto p = policy(AuthzAction::Deny, {r});
    const auto c = toZtunnelPolicy(p);
    REQUIRE(c.effective);
    CHECK(c.stripped_rules == 1);
    CHECK(c.message.find("enforced without the HTTP rules") != std::string::npos);
    // At a waypoint only DELETE from cart is denied; at ztunnel all of cart is.
    CHECK(authorize({&p}, httpFrom("cluster.local/ns/shop/sa/cart", "shop", "GET", "/")).allowed);
    CHECK_FALSE(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/cart", "shop")).allowed);
    CHECK(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/frontend", "shop")).allowed);
  }
  SECTION("DENY with only HTTP parts denies everything at ztunnel") {
    const auto p = policy(AuthzAction::Deny, {httpRule({"DELETE"}, {"/admin"})});
    const auto c = toZtunnelPolicy(p);
    REQUIRE(c.effective);
    CHECK_FALSE(authorize({&*c.effective}, l4From("cluster.local/ns/shop/sa/frontend", "shop")).allowed);
  }
  SECTION("L4-only policies pass unchanged") {
    const auto p = policy(AuthzAction::Allow, {fromPrincipal("a")});
    const auto c = toZtunnelPolicy(p);
    CHECK(c.message.empty());
    CHECK(c.dropped_rules + c.stripped_rules == 0);
  }
  SECTION("AUDIT and CUSTOM are not enforced by ztunnel") {
    const auto c = toZtunnelPolicy(policy(AuthzAction::Custom, {AuthzRule{}}));
    CHECK_FALSE(c.effective);
    CHECK(c.message == "ztunnel does not support the CUSTOM action");
  }
  SECTION("request.* conditions and requestPrincipals count as HTTP") {
    AuthzRule r;
    r.when.push_back({"request.auth.claims[iss]", {"x"}, {}});
    CHECK(ruleHasHttpAttributes(r));
    AuthzRule j;
    AuthzSource s;
    s.request_principals = {"*"};
    j.from.push_back(s);
    CHECK(ruleHasHttpAttributes(j));
    AuthzRule l4;
    l4.when.push_back({"source.ip", {"10.0.0.1"}, {}});
    CHECK_FALSE(ruleHasHttpAttributes(l4));
  }
}

TEST_CASE("STRICT PeerAuthentication is a DENY for peers without identity", "[policy]") {
  PeerAuthentication pa;
  pa.ns = "pay";
  pa.mode = MtlsMode::Strict;
  const auto deny = strictAsDenyPolicy(pa);
  RequestAttrs plaintext;
  plaintext.destination_port = 8080;
  CHECK_FALSE(authorize({&deny}, plaintext).allowed);
  CHECK(authorize({&deny}, l4From("cluster.local/ns/shop/sa/a", "shop")).allowed);
}
