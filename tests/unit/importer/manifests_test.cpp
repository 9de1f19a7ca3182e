// The manifest reader on text: multi-document YAML with positions, JSON and kubectl Lists,
// typed scalars, and the errors a broken or cut-off input gives.
#include <catch2/catch.hpp>

#include <string>

#include "meshtwin/importer/manifests.hpp"

using meshtwin::importer::ManifestRead;
using meshtwin::importer::readManifests;

namespace {

bool anyErrorContains(const ManifestRead& r, const std::string& text) {
  for (const auto& e : r.errors) {
    if (meshtwin::importer::toString(e).find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("multi-document YAML gives one object per document with its line and column", "[importer][manifests]") {
  const std::string text =
      "# Source: shop/templates/ns.yaml\n"     // 1
      "---\n"                                   // 2
      "apiVersion: v1\n"                        // 3
      "kind: Namespace\n"                       // 4
      "metadata: {name: shop}\n"                // 5
      "---\n"                                   // 6
      "---\n"                                   // 7  an empty document
      "# only a comment\n"                      // 8
      "---\n"                                   // 9
      "  apiVersion: apps/v1\n"                 // 10 indented: column 3
      "  kind: Deployment\n"                    // 11
      "  metadata:\n"                           // 12
      "    name: cart\n"                        // 13
      "    namespace: shop\n"                   // 14
      "...\n"                                   // 15
      "--- {apiVersion: v1, kind: Service, metadata: {name: cart, namespace: shop}}\n";  // 16
  const auto r = readManifests(text, "shop.yaml");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 3);
  CHECK(r.objects[0].ref() == "Namespace shop");
  CHECK(r.objects[0].origin.source == "shop.yaml");
  CHECK(r.objects[0].origin.line == 3);
  CHECK(r.objects[0].origin.column == 1);
  CHECK(r.objects[1].ref() == "Deployment shop/cart");
  CHECK(r.objects[1].api_version == "apps/v1");
  CHECK(r.objects[1].origin.line == 10);
  CHECK(r.objects[1].origin.column == 3);
  CHECK(r.objects[2].ref() == "Service shop/cart");
  CHECK(r.objects[2].origin.line == 16);
  CHECK(r.objects[2].origin.column == 5);
}

TEST_CASE("YAML scalars keep their types, quoted ones stay text", "[importer][manifests]") {
  const auto r = readManifests(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: b}\n"
      "spec:\n  replicas: 3\n  paused: false\n  ratio: 0.5\n  empty:\n  version: \"2\"\n  tilde: ~\n  word: yes\n",
      "a.yaml");
  REQUIRE(r.objects.size() == 1);
  const auto& spec = r.objects[0].body["spec"];
  CHECK(spec["replicas"].is_number_integer());
  CHECK(spec["replicas"].get<int>() == 3);
  CHECK(spec["paused"].is_boolean());
  CHECK(spec["ratio"].is_number_float());
  CHECK(spec["empty"].is_null());
  CHECK(spec["version"].is_string());
  CHECK(spec["tilde"].is_null());
  CHECK(spec["word"] == "yes");  // YAML 1.2: only true/false are booleans
}

TEST_CASE("a YAML syntax error names its file, line and column with a hint", "[importer][manifests]") {
  const auto r = readManifests(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Service\nmetadata:\n"
      "  name: broken\n  labels: [a, b\n",
      "svc.yaml");
  REQUIRE(r.objects.size() == 1);  // the document before the broken one still reads
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].origin.source == "svc.yaml");
  CHECK(r.errors[0].origin.line >= 9);
  CHECK(r.errors[0].message.find("YAML syntax error") != std::string::npos);
  CHECK_FALSE(r.errors[0].hint.empty());
}

TEST_CASE("an unrendered Helm template is a syntax error that says to run helm template", "[importer][manifests]") {
  const auto r = readManifests("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"
                               "  labels:\n    {{- include \"x\" . | nindent 4 }}\n",
                               "tpl.yaml");
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors[0].hint.find("helm template") != std::string::npos);
}

TEST_CASE("documents that are not objects, or lack kind, apiVersion or name, are errors", "[importer][manifests]") {
  const auto r = readManifests(
      "just some prose, not a manifest\n---\n- a\n- b\n---\napiVersion: v1\nmetadata: {name: x}\n---\n"
      "kind: Pod\nmetadata: {name: y}\n---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\n",
      "odd.yaml");
  CHECK(r.objects.empty());
  REQUIRE(r.errors.size() == 5);
  CHECK(r.errors[0].message.find("found text") != std::string::npos);
  CHECK(r.errors[1].message.find("found a list") != std::string::npos);
  CHECK(r.errors[2].message.find("no \"kind\"") != std::string::npos);
  CHECK(r.errors[3].message.find("no \"apiVersion\"") != std::string::npos);
  CHECK(r.errors[4].message.find("metadata.name") != std::string::npos);
  CHECK(r.errors[4].hint.find("generateName") != std::string::npos);
  CHECK(r.errors[2].origin.line == 6);
}

TEST_CASE("a JSON List is flattened, items placed at their lines", "[importer][manifests]") {
  const std::string text = R"({
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3}
        }
    ]
})";
  const auto r = readManifests(text, "dump.json");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].ref() == "Namespace shop");
  CHECK(r.objects[0].origin.line == 5);
  CHECK(r.objects[1].ref() == "Deployment shop/web");
  CHECK(r.objects[1].origin.line == 6);
  CHECK(r.objects[1].origin.column == 9);
  CHECK(r.objects[1].body["spec"]["replicas"].get<int>() == 3);
}

TEST_CASE("items of a typed list get the list's apiVersion and kind", "[importer][manifests]") {
  const auto r = readManifests(R"({"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [
      {"metadata": {"name": "a", "namespace": "x"}},
      {"metadata": {"name": "b", "namespace": "x"}}]})",
                               "deploys.json");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[1].kind == "Deployment");
  CHECK(r.objects[1].api_version == "apps/v1");
  CHECK(r.objects[1].body["kind"] == "Deployment");
}

TEST_CASE("a YAML List (kubectl get -o yaml) is flattened too", "[importer][manifests]") {
  const auto r = readManifests("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
                               "  metadata: {name: a, namespace: x}\n- apiVersion: v1\n  kind: Service\n"
                               "  metadata: {name: b, namespace: x}\nmetadata: {resourceVersion: \"\"}\n",
                               "list.yaml");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[1].origin.line == 7);
}

TEST_CASE("a truncated kubectl dump is a clear error that reads nothing", "[importer][manifests]") {
  const std::string text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"apiVersion\": "
                           "\"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}},\n    {\"apiVersion\": \"v1\", "
                           "\"kind\": \"Pod\", \"metadata\": {\"na";
  const auto r = readManifests(text, "dump.json");
  CHECK(r.objects.empty());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("ends before it is complete") != std::string::npos);
  CHECK(r.errors[0].message.find("the outermost from line 1") != std::string::npos);
  CHECK(r.errors[0].message.find("inside a string") != std::string::npos);
  CHECK(r.errors[0].hint.find("truncated") != std::string::npos);
  CHECK(r.errors[0].origin.line == 6);
}

TEST_CASE("a JSON syntax error gives its position", "[importer][manifests]") {
  const auto r = readManifests("{\"apiVersion\": \"v1\",\n \"kind\": \"Namespace\"\n \"metadata\": {}}", "ns.json");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].origin.line == 3);
  CHECK(r.errors[0].message.find("JSON syntax error") != std::string::npos);
}

TEST_CASE("flow-style YAML that starts with a brace still reads as YAML", "[importer][manifests]") {
  const auto r = readManifests("{apiVersion: v1, kind: Namespace, metadata: {name: flow}}\n", "flow.yaml");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 1);
  CHECK(r.objects[0].name == "flow");
}

TEST_CASE("a meshtwin scenario comes back as an object of kind Scenario", "[importer][manifests]") {
  const auto r = readManifests("apiVersion: meshtwin/v1\nkind: Scenario\nmetadata: {name: online-shop}\nprofile: x\n",
                               "scenario.yaml");
  REQUIRE(r.objects.size() == 1);
  CHECK(r.objects[0].kind == "Scenario");
  CHECK(r.objects[0].api_version == "meshtwin/v1");
  CHECK(r.objects[0].ns.empty());
}

TEST_CASE("aliases cannot expand a small text into a huge tree", "[importer][manifests]") {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    const auto p = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + "," + p + "," + p + "," + p + "," + p +
            "," + p + "," + p + "," + p + "," + p + "," + p + "]\n";
  }
  const auto r = readManifests(text, "bomb.yaml");
  CHECK(r.objects.empty());
  CHECK(anyErrorContains(r, "aliases"));
}

TEST_CASE("deep nesting is refused, not recursed into", "[importer][manifests]") {
  CHECK(anyErrorContains(readManifests(std::string(5000, '[') + std::string(5000, ']'), "deep.json"), "nests deeper"));
  CHECK_FALSE(readManifests("a: " + std::string(3000, '[') + std::string(3000, ']') + "\n", "deep.yaml").errors.empty());
}

TEST_CASE("a byte order mark and Windows line ends are read", "[importer][manifests]") {
  const auto r = readManifests("\xEF\xBB\xBF" "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: win\r\n---\r\n"
                               "apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: two}\r\n",
                               "win.yaml");
  REQUIRE(r.errors.empty());
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].name == "win");
  CHECK(r.objects[1].origin.line == 6);
}
