// `meshtwin render` in-process: the wave directories it writes, --wave by number and by
// name, and its bad-input and write-failure exit codes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_run.hpp"

namespace fs = std::filesystem;
using meshtwin::cli::test::cli;
using meshtwin::cli::test::contains;

namespace {

const std::string kDefault = "scenarios/default.yaml";

void enterSourceDir() {
  if (!fs::is_regular_file(kDefault)) fs::current_path(MESHTWIN_SOURCE_DIR);
}

fs::path freshDir(const std::string& name) {
  const auto d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  return d;
}

}  // namespace

TEST_CASE("render: every wave of the default scenario gets a directory", "[cli][render]") {
  enterSourceDir();
  const auto dir = freshDir("meshtwin-render-cli-all");
  const auto r = cli({"render", kDefault, "-o", dir.string()});
  INFO(r.err);
  REQUIRE(r.rc == meshtwin::cli::kExitOk);
  for (const auto* wave : {"01-wave-1-data", "02-wave-2-checkout", "03-wave-3-rest"}) {
    CHECK(fs::is_regular_file(dir / wave / "kustomization.yaml"));
    CHECK(contains(r.out, (dir / wave).string()));
  }
  CHECK(contains(r.out, "4 object(s)"));  // with the Kyverno label policy
  CHECK(contains(r.out, "9 object(s)"));
  CHECK(contains(r.out, "16 object(s)"));
  CHECK(fs::is_regular_file(dir / "02-wave-2-checkout" / "gateway-checkout-checkout-waypoint.yaml"));
  std::ifstream in(dir / "02-wave-2-checkout" / "gateway-checkout-checkout-waypoint.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(contains(text, "gatewayClassName: istio-waypoint\n"));
  CHECK(contains(text, "protocol: HBONE\n"));
  fs::remove_all(dir);
}

TEST_CASE("render: --wave takes a number or a name", "[cli][render]") {
  enterSourceDir();
  const auto dir = freshDir("meshtwin-render-cli-one");
  REQUIRE(cli({"render", kDefault, "--wave", "2", "-o", dir.string()}).rc == meshtwin::cli::kExitOk);
  CHECK(fs::is_directory(dir / "02-wave-2-checkout"));
  CHECK_FALSE(fs::exists(dir / "01-wave-1-data"));
  REQUIRE(cli({"render", kDefault, "--wave", "wave-3-rest", "-o", dir.string()}).rc == meshtwin::cli::kExitOk);
  CHECK(fs::is_directory(dir / "03-wave-3-rest"));
  fs::remove_all(dir);
}

TEST_CASE("render: a wave the plan lacks exits 2 and lists the waves", "[cli][render]") {
  enterSourceDir();
  const auto dir = freshDir("meshtwin-render-cli-bad");
  for (const auto* bad : {"4", "0", "wave-9"}) {
    const auto r = cli({"render", kDefault, "--wave", bad, "-o", dir.string()});
    CHECK(r.rc == meshtwin::cli::kExitBadInput);
    CHECK(contains(r.err, std::string("no wave ") + bad));
    CHECK(contains(r.err, "1 wave-1-data, 2 wave-2-checkout, 3 wave-3-rest"));
  }
  CHECK_FALSE(fs::exists(dir));
  CHECK(cli({"render", kDefault, "--wave", "1", "--all", "-o", dir.string()}).rc == meshtwin::cli::kExitBadInput);
}

TEST_CASE("render: a scenario that does not load exits 2 with its diagnostics", "[cli][render]") {
  enterSourceDir();
  fs::path bad;
  for (const auto& e : fs::directory_iterator("tests/data/bad")) {
    if (e.path().extension() == ".yaml") {
      bad = e.path();
      break;
    }
  }
  REQUIRE_FALSE(bad.empty());
  const auto r = cli({"render", bad.string(), "-o", freshDir("meshtwin-render-cli-x").string()});
  CHECK(r.rc == meshtwin::cli::kExitBadInput);
  CHECK(contains(r.err, "error(s) in " + bad.string()));
}

TEST_CASE("render: an output directory that cannot be written exits 3", "[cli][render]") {
  enterSourceDir();
  const auto file = freshDir("meshtwin-render-cli-file");
  std::ofstream(file) << "not a directory\n";
  const auto r = cli({"render", kDefault, "-o", file.string()});
  CHECK(r.rc == meshtwin::cli::kExitRunFailed);
  CHECK(contains(r.err, "meshtwin render: cannot create"));
  fs::remove(file);
}

TEST_CASE("render: --schemas validates every object; an object that breaks its schema exits 1", "[cli][render]") {
  enterSourceDir();
  const auto out = freshDir("meshtwin-render-cli-schemas");
  auto r = cli({"render", kDefault, "-o", out.string(), "--schemas", "tests/data/schemas"});
  INFO(r.err);
  CHECK(r.rc == meshtwin::cli::kExitOk);
  // A schema directory whose Gateway schema demands what the renderer does not write.
  const auto strict = freshDir("meshtwin-render-cli-strict-schemas");
  fs::create_directories(strict);
  std::ofstream(strict / "gateway.yaml") << R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gateways.gateway.networking.k8s.io}
spec:
  group: gateway.networking.k8s.io
  names: {kind: Gateway, plural: gateways}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            spec:
              type: object
              required: [addresses]
)";
  r = cli({"render", kDefault, "-o", out.string(), "--schemas", strict.string()});
  CHECK(r.rc == meshtwin::cli::kExitFindings);
  CHECK(contains(r.err, "Missing required property 'addresses'"));
  CHECK(contains(r.err, "no schema for"));  // every other kind is absent from that directory
  fs::remove_all(out);
  fs::remove_all(strict);
}
