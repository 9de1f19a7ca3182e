// CA and identity directories on disk: round trips through PEM files, file modes, and the
// errors a proxy reports for a directory it cannot use.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "meshtwin/dataplane/identity_files.hpp"
#include "../../support/scratch.hpp"

using namespace meshtwin::dataplane;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using meshtwin::test::TempDir;

namespace {

const UnixTime kT0 = UnixTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 22}} + 14h + 50min;

// A fresh directory per test, removed afterwards.
unsigned modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777U;
}

CertificateAuthority makeCa() {
  auto ca = CertificateAuthority::create({}, kT0 - 24h);
  REQUIRE(ca.ok());
  return std::move(ca).value();
}

IssuedCertificate issue(const CertificateAuthority& ca, const std::string& ns, const std::string& sa) {
  auto c = ca.issueUnbound({ns, sa}, kT0);
  REQUIRE(c.ok());
  return std::move(c).value();
}

}  // namespace

TEST_CASE("a CA directory reads back as the same root, its key private", "[dataplane][identity]") {
  TempDir dir("ca-dir");
  const auto ca = makeCa();
  REQUIRE(writeCaDir(dir.path.string(), ca).ok());
  CHECK(modeOf(dir.path / "root.key") == 0600);
  CHECK(modeOf(dir.path / "root.pem") == 0644);
  auto back = readCaDir(dir.path.string());
  REQUIRE(back.ok());
  CHECK(back->root().serialHex() == ca.root().serialHex());
  // The key read back signs certificates that verify against the original root.
  auto issued = back->issueUnbound({"demo", "client"}, kT0);
  REQUIRE(issued.ok());
  CHECK(verifyPeer({issued->certificate}, ca.root(), kT0).ok());
}

TEST_CASE("a CA directory whose key belongs to another root is refused", "[dataplane][identity]") {
  TempDir a("ca-a"), b("ca-b");
  REQUIRE(writeCaDir(a.path.string(), makeCa()).ok());
  REQUIRE(writeCaDir(b.path.string(), makeCa()).ok());
  fs::copy_file(b.path / "root.key", a.path / "root.key", fs::copy_options::overwrite_existing);
  auto r = readCaDir(a.path.string());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().text(), Catch::Contains("root.key does not belong to root.pem"));
  auto missing = readCaDir((a.path / "nowhere").string());
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().text(), Catch::Contains("meshtwin ca init"));
}

TEST_CASE("an identity directory round-trips every certificate by service account", "[dataplane][identity]") {
  TempDir dir("identity");
  const auto ca = makeCa();
  const auto client = issue(ca, "demo", "client");
  const auto server = issue(ca, "shop", "cart");
  REQUIRE(writeIdentityDir(dir.path.string(), ca.root(), {client, server}).ok());
  CHECK(modeOf(dir.path / "demo" / "client.key") == 0600);
  CHECK(fs::is_regular_file(dir.path / "shop" / "cart.crt"));
  auto id = readIdentityDir(dir.path.string());
  REQUIRE(id.ok());
  CHECK(id->root.serialHex() == ca.root().serialHex());
  REQUIRE(id->certificates.size() == 2);
  const auto& got = id->certificates.at(ServiceAccount{"shop", "cart"});
  CHECK(got.identity.uri() == "spiffe://cluster.local/ns/shop/sa/cart");
  CHECK(got.certificate.serialHex() == server.certificate.serialHex());

  // Rotation rewrites the files in place; a second read sees the new certificate.
  const auto renewed = issue(ca, "shop", "cart");
  REQUIRE(writeIdentityDir(dir.path.string(), ca.root(), {renewed}).ok());
  auto again = readIdentityDir(dir.path.string());
  REQUIRE(again.ok());
  CHECK(again->certificates.at(ServiceAccount{"shop", "cart"}).certificate.serialHex() ==
        renewed.certificate.serialHex());
  CHECK(renewed.certificate.serialHex() != server.certificate.serialHex());
}

TEST_CASE("an identity directory with a misplaced certificate or a foreign key is refused", "[dataplane][identity]") {
  TempDir dir("identity-bad");
  const auto ca = makeCa();
  REQUIRE(writeIdentityDir(dir.path.string(), ca.root(), {issue(ca, "demo", "client"), issue(ca, "demo", "server")}).ok());
  SECTION("a certificate under another service account's name") {
    fs::copy_file(dir.path / "demo" / "server.crt", dir.path / "demo" / "client.crt", fs::copy_options::overwrite_existing);
    auto r = readIdentityDir(dir.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(),
               Catch::Contains("the certificate names spiffe://cluster.local/ns/demo/sa/server, the path names demo/client"));
  }
  SECTION("a key that does not belong to the certificate") {
    fs::copy_file(dir.path / "demo" / "server.key", dir.path / "demo" / "client.key", fs::copy_options::overwrite_existing);
    auto r = readIdentityDir(dir.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(), Catch::Contains("client.key: the key does not belong to client.crt"));
  }
  SECTION("no root") {
    fs::remove(dir.path / "root.pem");
    auto r = readIdentityDir(dir.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(), Catch::Contains("meshtwin ca issue"));
  }
}
