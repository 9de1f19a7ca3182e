// `meshtwin ca init|issue` and `meshtwin snapshot` in-process: files written, node-bound
// issuance against the scenario's placement, phases by number and by wave name, addresses
// merged, versions bumped on rewrite, and the errors for bad input. Outputs go to a fresh
// temporary directory; inputs live in tests/data.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/models/loader.hpp"
#include "../../support/scratch.hpp"

namespace fs = std::filesystem;
using meshtwin::cli::kExitBadInput;
using meshtwin::cli::kExitOk;
namespace dp = meshtwin::dataplane;

using meshtwin::test::TempDir;

using namespace meshtwin::cli::test;

namespace {

const std::string kSmoke = "tests/data/good/smoke.yaml";

void enterSourceDir() {
  if (!fs::is_regular_file(kSmoke)) fs::current_path(MESHTWIN_SOURCE_DIR);
}

}  // namespace

TEST_CASE("ca init writes a root and refuses to replace it without --force", "[cli][ca]") {
  TempDir dir("ca-init");
  const auto first = cli({"ca", "init", dir / "ca"});
  REQUIRE(first.rc == kExitOk);
  CHECK(contains(first.out, "CA root written"));
  auto ca = dp::readCaDir(dir / "ca");
  REQUIRE(ca.ok());
  const auto serial = ca->root().serialHex();

  const auto again = cli({"ca", "init", dir / "ca"});
  CHECK(again.rc == kExitBadInput);
  CHECK(contains(again.err, "it already holds a root key; every identity issued from it would stop verifying"));
  CHECK(dp::readCaDir(dir / "ca")->root().serialHex() == serial);

  REQUIRE(cli({"ca", "init", "--force", dir / "ca"}).rc == kExitOk);
  CHECK(dp::readCaDir(dir / "ca")->root().serialHex() != serial);
}

TEST_CASE("ca issue gives a node exactly the service accounts of its pods", "[cli][ca]") {
  enterSourceDir();
  TempDir dir("ca-issue");
  REQUIRE(cli({"ca", "init", dir / "ca"}).rc == kExitOk);
  const auto loaded = meshtwin::models::loadScenarioFile(kSmoke);
  REQUIRE(loaded.ok());
  const auto by_node = dp::serviceAccountsByNode(*loaded.scenario);
  REQUIRE(by_node.size() >= 2);
  for (const auto& [node, accounts] : by_node) {
    const auto out = dir / ("id-" + node);
    const auto r = cli({"ca", "issue", kSmoke, "--ca", dir / "ca", "--node", node, "--out", out});
    REQUIRE(r.rc == kExitOk);
    CHECK(contains(r.out, "certificate(s) for node " + node));
    auto id = dp::readIdentityDir(out);
    REQUIRE(id.ok());
    std::set<dp::ServiceAccount> got;
    for (const auto& [sa, cert] : id->certificates) {
      got.insert(sa);
      // Issued now, by the CA on disk, for the SPIFFE identity the path names.
      CHECK(dp::verifyPeer({cert.certificate}, id->root, dp::systemNow()).ok());
    }
    CHECK(got == accounts);
  }
}

TEST_CASE("ca issue refuses a node the scenario does not have, with a did-you-mean", "[cli][ca]") {
  enterSourceDir();
  TempDir dir("ca-issue-bad");
  REQUIRE(cli({"ca", "init", dir / "ca"}).rc == kExitOk);
  const auto r = cli({"ca", "issue", kSmoke, "--ca", dir / "ca", "--node", "general-a-9", "--out", dir / "id"});
  CHECK(r.rc == kExitBadInput);
  CHECK(contains(r.err, "issue certificates: node general-a-9: the scenario " + kSmoke +
                            " has no such node; did you mean \"general-a-0\"?"));
  CHECK_FALSE(fs::exists(dir / "id"));
  const auto no_ca = cli({"ca", "issue", kSmoke, "--ca", dir / "missing", "--node", "general-a-0", "--out", dir / "id"});
  CHECK(no_ca.rc == kExitBadInput);
  CHECK(contains(no_ca.err, "read CA directory"));
  CHECK(contains(no_ca.err, "meshtwin ca init"));
}

TEST_CASE("snapshot writes the phase asked for, by number or wave name", "[cli][snapshot]") {
  enterSourceDir();
  TempDir dir("snapshot");
  const auto file = dir / "snap.json";
  REQUIRE(cli({"snapshot", kSmoke, "--phase", "w1", "-o", file}).rc == kExitOk);
  auto s = dp::readSnapshotFile(file);
  REQUIRE(s.ok());
  CHECK(s->phase == 1);
  CHECK(s->version == 1);
  CHECK(s->scenario_file == kSmoke);
  auto view = dp::buildMeshView(s.value());
  REQUIRE(view.ok());
  CHECK(view.value()->state.phase_name == "w1");

  // Rewriting the file bumps the version so running proxies apply it.
  const auto r = cli({"snapshot", kSmoke, "--phase", "2", "-o", file});
  REQUIRE(r.rc == kExitOk);
  CHECK(contains(r.out, "snapshot version 2 written to " + file));
  CHECK(dp::readSnapshotFile(file)->phase == 2);
  REQUIRE(cli({"snapshot", kSmoke, "--phase", "baseline", "--snapshot-version", "40", "-o", file}).rc == kExitOk);
  CHECK(dp::readSnapshotFile(file)->version == 40);
  CHECK(dp::readSnapshotFile(file)->phase == 0);

  const auto bad_wave = cli({"snapshot", kSmoke, "--phase", "w22", "-o", file});
  CHECK(bad_wave.rc == kExitBadInput);
  CHECK(contains(bad_wave.err, "select phase: w22: no such wave in the plan; did you mean \"w2\"?"));
  CHECK(contains(cli({"snapshot", kSmoke, "--phase", "w3", "-o", file}).err, "known phases: baseline, w1, w2"));
  const auto bad_number = cli({"snapshot", kSmoke, "--phase", "3", "-o", file});
  CHECK(bad_number.rc == kExitBadInput);
  CHECK(contains(bad_number.err, "the plan has 2 wave(s), so phases run from 0 to 2"));
}

TEST_CASE("snapshot merges an addresses file and refuses what a proxy would refuse", "[cli][snapshot]") {
  enterSourceDir();
  TempDir dir("snapshot-addr");
  const auto loaded = meshtwin::models::loadScenarioFile(kSmoke);
  REQUIRE(loaded.ok());
  const auto& sc = *loaded.scenario;
  const std::string pod = sc.workloads[sc.pods[0].owner_id].ns + "/" + sc.pods[0].name;
  {
    std::ofstream f(dir / "addr.json");
    f << R"({"pod_app": {")" << pod << R"(": "127.0.0.1:8080"}, "pod_hbone": {")" << pod
      << R"(": "127.0.0.1:15008"}, "service_vip": {"shop/cart": "10.96.0.10:80"}})";
  }
  const auto file = dir / "snap.json";
  const auto r = cli({"snapshot", kSmoke, "--addresses", dir / "addr.json", "-o", file});
  REQUIRE(r.rc == kExitOk);
  CHECK(contains(r.out, "1 pod address(es), 1 HBONE endpoint(s), 1 service VIP(s)"));
  auto s = dp::readSnapshotFile(file);
  REQUIRE(s.ok());
  CHECK(s->pod_app.at(pod) == "127.0.0.1:8080");
  CHECK(s->service_vip.at("shop/cart") == "10.96.0.10:80");

  {
    std::ofstream f(dir / "bad.json");
    f << R"({"pod_app": {"shop/nobody-0": "127.0.0.1:1"}})";
  }
  const auto unknown_pod = cli({"snapshot", kSmoke, "--addresses", dir / "bad.json", "-o", file});
  CHECK(unknown_pod.rc == kExitBadInput);
  CHECK(contains(unknown_pod.err, "pod_app[shop/nobody-0]: no such pod in the scenario"));
  {
    std::ofstream f(dir / "typo.json");
    f << R"({"pod_apps": {}})";
  }
  const auto typo = cli({"snapshot", kSmoke, "--addresses", dir / "typo.json", "-o", file});
  CHECK(typo.rc == kExitBadInput);
  CHECK(contains(typo.err, "pod_apps: unknown field; did you mean \"pod_app\"?"));
  CHECK(dp::readSnapshotFile(file)->version == 1);  // a refused snapshot leaves the file alone
}

TEST_CASE("ca and snapshot explain themselves in --help", "[cli][ca][snapshot]") {
  const auto top = cli({"--help"});
  CHECK(top.rc == kExitOk);
  CHECK(contains(top.out, "snapshot"));
  CHECK(contains(top.out, "certificate authority"));
  const auto issue = cli({"ca", "issue", "--help"});
  CHECK(issue.rc == kExitOk);
  CHECK(contains(issue.out, "Node-bound issuance"));
  const auto snap = cli({"snapshot", "--help"});
  CHECK(snap.rc == kExitOk);
  CHECK(contains(snap.out, "--addresses"));
  CHECK(contains(snap.out, "a wave's name"));
}
