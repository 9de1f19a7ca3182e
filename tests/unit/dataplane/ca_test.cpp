// The workload CA over real OpenSSL: issuance, SPIFFE SAN, chain verification at explicit
// clock times, backdating, expiry, rotation, node-bound issuance and PEM round trips.
#include <catch2/catch.hpp>

#include <openssl/x509v3.h>

#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/models/scenario.hpp"

using namespace meshtwin::dataplane;
using namespace std::chrono_literals;

namespace {

// 2026-11-22T14:50:00Z: every test uses explicit times, never the wall clock.
const UnixTime kT0 = UnixTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 22}} + 14h + 50min;

CertificateAuthority makeCa(const CaOptions& options = {}) {
  auto ca = CertificateAuthority::create(options, kT0 - 24h);
  REQUIRE(ca.ok());
  return std::move(ca).value();
}

IssuedCertificate issue(const CertificateAuthority& ca, const std::string& ns, const std::string& sa,
                        UnixTime now = kT0) {
  auto issued = ca.issueUnbound(ServiceAccount{ns, sa}, now);
  REQUIRE(issued.ok());
  return std::move(issued).value();
}

}  // namespace

TEST_CASE("time and duration formatting", "[dataplane][ca]") {
  CHECK(formatUtc(kT0) == "2026-11-22T14:50:00Z");
  CHECK(formatDuration(552s) == "9m12s");
  CHECK(formatDuration(0s) == "0s");
  CHECK(formatDuration(3605s) == "1h0m5s");
  CHECK(formatDuration(24h + 3h) == "1d3h0m0s");
}

TEST_CASE("SPIFFE URIs parse and print", "[dataplane][ca]") {
  const auto id = parseSpiffeUri("spiffe://cluster.local/ns/shop/sa/web");
  REQUIRE(id.ok());
  CHECK(id->trust_domain == "cluster.local");
  CHECK(id->service_account == ServiceAccount{"shop", "web"});
  CHECK(id->uri() == "spiffe://cluster.local/ns/shop/sa/web");
  CHECK_FALSE(parseSpiffeUri("https://cluster.local/ns/shop/sa/web").ok());
  CHECK_FALSE(parseSpiffeUri("spiffe://cluster.local/ns/shop").ok());
  CHECK_FALSE(parseSpiffeUri("spiffe://cluster.local/ns//sa/web").ok());
  CHECK_FALSE(parseSpiffeUri("spiffe://cluster.local/ns/shop/sa/web/x").ok());
}

TEST_CASE("the root is a self-signed P-256 CA with keyCertSign", "[dataplane][ca]") {
  const auto ca = makeCa();
  X509* root = ca.root().native();
  CHECK(X509_check_ca(root) != 0);
  CHECK((X509_get_extension_flags(root) & EXFLAG_SS) != 0);
  CHECK((X509_get_key_usage(root) & KU_KEY_CERT_SIGN) != 0);
  CHECK(EVP_PKEY_get_base_id(ca.rootKey().native()) == EVP_PKEY_EC);
  CHECK(ca.root().notBefore() == kT0 - 24h - 5min);
}

TEST_CASE("a workload certificate carries one SPIFFE URI SAN, both EKUs, and verifies against the root",
          "[dataplane][ca]") {
  const auto ca = makeCa();
  const auto issued = issue(ca, "shop", "web");
  const Certificate& cert = issued.certificate;

  CHECK(cert.uriSans() == std::vector<std::string>{"spiffe://cluster.local/ns/shop/sa/web"});
  CHECK(issued.identity.uri() == "spiffe://cluster.local/ns/shop/sa/web");
  const auto flags = X509_get_extension_flags(cert.native());
  CHECK((flags & EXFLAG_XKUSAGE) != 0);
  CHECK((X509_get_extended_key_usage(cert.native()) & XKU_SSL_SERVER) != 0);
  CHECK((X509_get_extended_key_usage(cert.native()) & XKU_SSL_CLIENT) != 0);
  CHECK(X509_check_ca(cert.native()) == 0);
  CHECK(EVP_PKEY_get_base_id(issued.key.native()) == EVP_PKEY_EC);
  CHECK(X509_check_private_key(cert.native(), issued.key.native()) == 1);
  // Default TTL 24 h, NotBefore backdated 5 min.
  CHECK(cert.notBefore() == kT0 - 5min);
  CHECK(cert.notAfter() == kT0 + 24h);
  // Random 128-bit serials: 32 hex digits (a leading zero nibble would print 31), distinct.
  const auto other = issue(ca, "shop", "web");
  CHECK(cert.serialHex().size() >= 31);
  CHECK(cert.serialHex() != other.certificate.serialHex());

  const auto id = verifyPeer({cert}, ca.root(), kT0);
  REQUIRE(id.ok());
  CHECK(id->uri() == "spiffe://cluster.local/ns/shop/sa/web");
}

TEST_CASE("trust domain and TTL are configurable", "[dataplane][ca]") {
  CaOptions options;
  options.trust_domain = "prod.example";
  options.workload_ttl = 1h;
  options.backdate = 1min;
  const auto ca = makeCa(options);
  const auto issued = issue(ca, "pay", "api");
  CHECK(issued.certificate.uriSans() == std::vector<std::string>{"spiffe://prod.example/ns/pay/sa/api"});
  CHECK(issued.certificate.notAfter() - issued.certificate.notBefore() == 61min);
}

TEST_CASE("a certificate from another root does not verify", "[dataplane][ca]") {
  const auto ca = makeCa();
  const auto other = makeCa();
  const auto issued = issue(other, "shop", "web");
  const auto id = verifyPeer({issued.certificate}, ca.root(), kT0);
  REQUIRE_FALSE(id.ok());
  CHECK_THAT(id.error().text(), Catch::StartsWith("verify peer certificate: certificate for "
                                                  "spiffe://cluster.local/ns/shop/sa/web: chain does not verify: "));
  CHECK_FALSE(verifyPeer({}, ca.root(), kT0).ok());
}

TEST_CASE("a node whose clock is before NotBefore gets an error that names its clock", "[dataplane][ca]") {
  const auto ca = makeCa();
  // Issued at 15:00:00, NotBefore 14:55:00; the node's clock reads 14:45:48.
  const auto issued = issue(ca, "shop", "web", kT0 + 10min);
  const auto node_clock = kT0 - 4min - 12s;
  const auto id = verifyPeer({issued.certificate}, ca.root(), node_clock);
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().text() ==
        "verify peer certificate: certificate for spiffe://cluster.local/ns/shop/sa/web: not yet valid: NotBefore "
        "2026-11-22T14:55:00Z is 9m12s after this node's clock (2026-11-22T14:45:48Z); check the node's clock (NTP)");
  // One second at NotBefore is enough.
  CHECK(verifyPeer({issued.certificate}, ca.root(), kT0 + 5min).ok());
  CHECK_FALSE(verifyPeer({issued.certificate}, ca.root(), kT0 + 5min - 1s).ok());
}

TEST_CASE("backdating lets a node 2 minutes behind verify; 10 minutes behind fails", "[dataplane][ca]") {
  const auto ca = makeCa();
  const auto issued = issue(ca, "shop", "web", kT0);
  CHECK(verifyPeer({issued.certificate}, ca.root(), kT0 - 2min).ok());
  const auto late = verifyPeer({issued.certificate}, ca.root(), kT0 - 10min);
  REQUIRE_FALSE(late.ok());
  CHECK_THAT(late.error().text(), Catch::Contains("not yet valid") && Catch::Contains("is 5m0s after this node's clock"));

  SECTION("without backdating even 2 minutes fail") {
    CaOptions options;
    options.backdate = 0s;
    const auto strict = makeCa(options);
    const auto fresh = issue(strict, "shop", "web", kT0);
    CHECK_FALSE(verifyPeer({fresh.certificate}, strict.root(), kT0 - 2min).ok());
  }
}

TEST_CASE("an expired certificate fails with the times and the node's clock", "[dataplane][ca]") {
  const auto ca = makeCa();
  const auto issued = issue(ca, "shop", "web", kT0);
  // OpenSSL counts the NotAfter second itself as expired.
  CHECK(verifyPeer({issued.certificate}, ca.root(), kT0 + 24h - 1s).ok());
  CHECK_FALSE(verifyPeer({issued.certificate}, ca.root(), kT0 + 24h).ok());
  const auto id = verifyPeer({issued.certificate}, ca.root(), kT0 + 24h + 90s);
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().text() ==
        "verify peer certificate: certificate for spiffe://cluster.local/ns/shop/sa/web: expired: NotAfter "
        "2026-11-23T14:50:00Z is 1m30s before this node's clock (2026-11-23T14:51:30Z); check the node's clock "
        "(NTP), then whether the peer renews its certificate");
}

TEST_CASE("rotation is due at half the lifetime and re-issues for the same identity", "[dataplane][ca]") {
  auto ca = makeCa();
  ca.setNodeWorkloads("n-a-0", {ServiceAccount{"shop", "web"}});
  auto first = ca.issue("n-a-0", ServiceAccount{"shop", "web"}, kT0);
  REQUIRE(first.ok());
  const Certificate& cert = first->certificate;
  // Lifetime 24h05m from NotBefore 14:45:00: half is 12h02m30s later.
  const auto due = kT0 - 5min + 12h + 2min + 30s;
  CHECK(rotationTime(cert) == due);
  CHECK_FALSE(needsRotation(cert, kT0));
  CHECK_FALSE(needsRotation(cert, due - 1s));
  CHECK(needsRotation(cert, due));
  CHECK(needsRotation(cert, kT0 + 48h));
  CHECK(rotationTime(cert, RotationPolicy{80}) > due);

  const auto early = ca.renewIfDue("n-a-0", cert, due - 1s);
  REQUIRE(early.ok());
  CHECK_FALSE(early->has_value());

  const auto renewed = ca.renewIfDue("n-a-0", cert, due);
  REQUIRE(renewed.ok());
  REQUIRE(renewed->has_value());
  const auto& next = renewed->value();
  CHECK(next.identity == first->identity);
  CHECK(next.certificate.notBefore() == due - 5min);
  CHECK(next.certificate.serialHex() != cert.serialHex());
  CHECK(verifyPeer({next.certificate}, ca.root(), due).ok());

  // The pod moved away: renewal on the old node is refused.
  ca.setNodeWorkloads("n-a-0", {});
  CHECK_FALSE(ca.renewIfDue("n-a-0", cert, due).ok());
}

TEST_CASE("node-bound issuance refuses service accounts with no pod on the node", "[dataplane][ca]") {
  auto ca = makeCa();
  ca.setNodeWorkloads("n-a-0", {ServiceAccount{"shop", "web"}, ServiceAccount{"shop", "db"}});
  ca.setNodeWorkloads("n-a-1", {ServiceAccount{"shop", "cart"}});

  const auto ok = ca.issue("n-a-1", ServiceAccount{"shop", "cart"}, kT0);
  REQUIRE(ok.ok());
  CHECK(ok->identity.uri() == "spiffe://cluster.local/ns/shop/sa/cart");

  const auto refused = ca.issue("n-a-0", ServiceAccount{"shop", "cart"}, kT0);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().text(),
             Catch::StartsWith("issue certificate: node n-a-0: service account shop/cart has no pod on this node; ") &&
                 Catch::Contains("here: shop/db, shop/web"));

  const auto unknown = ca.issue("n-b-9", ServiceAccount{"shop", "web"}, kT0);
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().text(), Catch::StartsWith("issue certificate: node n-b-9: unknown node"));

  CHECK_FALSE(ca.issueUnbound(ServiceAccount{"shop", "a/b"}, kT0).ok());
}

TEST_CASE("node workloads come from a scenario's placement", "[dataplane][ca]") {
  namespace models = meshtwin::models;
  models::Scenario s;
  s.nodes = {models::Node{"n-a-0", 0, 0}, models::Node{"n-a-1", 0, 0}, models::Node{"n-b-0", 0, 1}};
  models::Workload web;
  web.ns = "shop";
  web.name = "web";
  web.service_account = "web";
  models::Workload cart;
  cart.ns = "shop";
  cart.name = "cart";
  cart.service_account = "cart-sa";
  s.workloads = {web, cart};
  models::Waypoint wp;
  wp.ns = "shop";
  wp.name = "shop-wp";
  s.waypoints = {wp};
  s.pods = {models::Pod{"web-0", models::Pod::Owner::Workload, 0, 0},
            models::Pod{"web-1", models::Pod::Owner::Workload, 0, 1},
            models::Pod{"cart-0", models::Pod::Owner::Workload, 1, 1},
            models::Pod{"wp-0", models::Pod::Owner::Waypoint, 0, 2}};

  const auto by_node = serviceAccountsByNode(s);
  CHECK(by_node.at("n-a-0") == std::set<ServiceAccount>{{"shop", "web"}});
  CHECK(by_node.at("n-a-1") == std::set<ServiceAccount>{{"shop", "web"}, {"shop", "cart-sa"}});
  // A waypoint pod runs as the waypoint's own service account.
  CHECK(by_node.at("n-b-0") == std::set<ServiceAccount>{{"shop", "shop-wp"}});

  auto ca = makeCa();
  ca.setNodeWorkloads(s);
  CHECK(ca.issue("n-a-1", ServiceAccount{"shop", "cart-sa"}, kT0).ok());
  CHECK_FALSE(ca.issue("n-a-0", ServiceAccount{"shop", "cart-sa"}, kT0).ok());
  CHECK_FALSE(ca.issue("n-b-0", ServiceAccount{"shop", "web"}, kT0).ok());
  CHECK(ca.issue("n-b-0", ServiceAccount{"shop", "shop-wp"}, kT0).ok());
}

TEST_CASE("certificates and keys survive a PEM round trip", "[dataplane][ca]") {
  const auto ca = makeCa();
  const auto issued = issue(ca, "shop", "web");

  const auto cert_pem = issued.certificate.toPem();
  const auto key_pem = issued.key.toPem();
  REQUIRE(cert_pem.ok());
  REQUIRE(key_pem.ok());
  CHECK_THAT(cert_pem.value(), Catch::StartsWith("-----BEGIN CERTIFICATE-----"));
  CHECK_THAT(key_pem.value(), Catch::StartsWith("-----BEGIN PRIVATE KEY-----"));

  const auto cert = Certificate::fromPem(cert_pem.value());
  const auto key = PrivateKey::fromPem(key_pem.value());
  REQUIRE(cert.ok());
  REQUIRE(key.ok());
  CHECK(X509_cmp(cert->native(), issued.certificate.native()) == 0);
  CHECK(X509_check_private_key(cert->native(), key->native()) == 1);

  // A chain bundle, and a CA restored from its root PEM that still issues verifiable certificates.
  const auto root_pem = ca.root().toPem();
  const auto root_key_pem = ca.rootKey().toPem();
  REQUIRE(root_pem.ok());
  REQUIRE(root_key_pem.ok());
  const auto chain = Certificate::chainFromPem(cert_pem.value() + root_pem.value());
  REQUIRE(chain.ok());
  CHECK(chain->size() == 2);
  const auto root = Certificate::fromPem(root_pem.value());
  REQUIRE(root.ok());
  CHECK(verifyPeer(chain.value(), root.value(), kT0).ok());

  auto restored = CertificateAuthority::fromRoot(root.value(), PrivateKey::fromPem(root_key_pem.value()).value(), {});
  REQUIRE(restored.ok());
  const auto again = restored->issueUnbound(ServiceAccount{"shop", "db"}, kT0);
  REQUIRE(again.ok());
  CHECK(verifyPeer({again->certificate}, ca.root(), kT0).ok());

  // Mismatched key, garbage PEM: errors with OpenSSL's text.
  CHECK_FALSE(CertificateAuthority::fromRoot(root.value(), issued.key, {}).ok());
  const auto garbage = Certificate::fromPem("not a certificate");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.error().text(), Catch::StartsWith("read certificate: PEM: PEM_read_bio_X509 failed: error:"));
  CHECK_FALSE(PrivateKey::fromPem("nope").ok());
}
