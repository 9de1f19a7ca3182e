// readManifestPaths: files, directories (recursive, sorted, hidden ones passed over), "-" for
// standard input, unreadable paths; and the test data of tests/data/import as read.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "meshtwin/importer/manifests.hpp"

namespace fs = std::filesystem;
using meshtwin::importer::readManifestPaths;

namespace {

void enterSourceDir() {
  if (!fs::is_directory("tests/data/import")) fs::current_path(MESHTWIN_SOURCE_DIR);
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string ns(const std::string& name) { return "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + name + "}\n"; }

}  // namespace

TEST_CASE("a directory is read recursively, its manifests sorted by path", "[importer][manifests]") {
  const auto dir = fs::temp_directory_path() / "meshtwin-manifests-dir-test";
  fs::remove_all(dir);
  write(dir / "b.yaml", ns("b"));
  write(dir / "a" / "z.yml", ns("az"));
  write(dir / "a.json", R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "json"}})");
  write(dir / "README.md", "not a manifest");
  write(dir / ".git" / "x.yaml", ns("hidden"));
  write(dir / ".hidden.yaml", ns("hidden2"));
  std::istringstream none;
  const auto r = readManifestPaths({dir.string()}, none);
  fs::remove_all(dir);
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 3);
  CHECK(r.objects[0].name == "json");  // .../a.json ('.' sorts before '/')
  CHECK(r.objects[1].name == "az");    // .../a/z.yml
  CHECK(r.objects[2].name == "b");
  CHECK(r.objects[2].origin.source.find("b.yaml") != std::string::npos);
}

TEST_CASE("a dash reads standard input, missing paths and empty directories are errors", "[importer][manifests]") {
  const auto empty = fs::temp_directory_path() / "meshtwin-manifests-empty-test";
  fs::create_directories(empty);
  std::istringstream in(ns("from-stdin"));
  const auto r = readManifestPaths({"-", "/nonexistent/meshtwin/manifests.yaml", empty.string()}, in);
  fs::remove_all(empty);
  REQUIRE(r.objects.size() == 1);
  CHECK(r.objects[0].name == "from-stdin");
  CHECK(r.objects[0].origin.source == "<stdin>");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].message.find("cannot read /nonexistent/meshtwin/manifests.yaml") != std::string::npos);
  CHECK_FALSE(r.errors[0].hint.empty());
  CHECK(r.errors[1].message.find("no manifests in") != std::string::npos);
}

TEST_CASE("the shop test data reads without errors", "[importer][manifests]") {
  enterSourceDir();
  std::istringstream none;
  const auto r = readManifestPaths({"tests/data/import/shop"}, none);
  REQUIRE(r.errors.empty());
  std::set<std::string> kinds;
  for (const auto& o : r.objects) {
    kinds.insert(o.kind);
    CHECK(o.origin.line > 0);
    CHECK(o.origin.source.rfind("tests/data/import/shop/", 0) == 0);
  }
  for (const auto* k : {"Namespace", "Deployment", "StatefulSet", "Service", "HorizontalPodAutoscaler",
                        "PodDisruptionBudget", "VirtualService", "DestinationRule", "AuthorizationPolicy",
                        "PeerAuthentication", "Gateway", "HTTPRoute", "ConfigMap", "Secret"}) {
    CHECK(kinds.count(k) == 1);
  }
  CHECK(r.objects.front().origin.source == "tests/data/import/shop/00-namespaces.yaml");
}

TEST_CASE("the kubectl dump reads as its List's items", "[importer][manifests]") {
  enterSourceDir();
  std::istringstream none;
  const auto r = readManifestPaths({"tests/data/import/kubectl-dump.json"}, none);
  REQUIRE(r.errors.empty());
  CHECK(r.objects.size() == 54);
  for (const auto& o : r.objects) CHECK(o.origin.line > 1);
}

TEST_CASE("the broken inputs of tests/data/bad/import give errors where they are broken", "[importer][manifests]") {
  enterSourceDir();
  std::istringstream none;
  const auto truncated = readManifestPaths({"tests/data/bad/import/truncated.json"}, none);
  CHECK(truncated.objects.empty());
  REQUIRE(truncated.errors.size() == 1);
  CHECK(truncated.errors[0].message.find("ends before it is complete") != std::string::npos);
  const auto template_text = readManifestPaths({"tests/data/bad/import/not-yaml.yaml"}, none);
  REQUIRE(template_text.errors.size() == 1);
  CHECK(template_text.errors[0].origin.source == "tests/data/bad/import/not-yaml.yaml");
  CHECK(template_text.errors[0].origin.line >= 5);  // where yaml-cpp gives up on the {{ ... }}
  CHECK(template_text.errors[0].hint.find("helm template") != std::string::npos);
}
