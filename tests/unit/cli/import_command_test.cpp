// `meshtwin import` end to end in-process: the shipped test inputs give scenarios that load
// and simulate, the report validates against its schema, re-importing is a no-op, and bad
// input or an unreachable Prometheus get the documented exit codes and messages.
#include <catch2/catch.hpp>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../support/scratch.hpp"
#include "cli_run.hpp"
#include "meshtwin/models/loader.hpp"

using namespace meshtwin::cli::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Every violation of models/schema/import-report.schema.json, one per line; "" when valid.
std::string schemaErrors(const nlohmann::json& doc) {
  const auto schema_doc = nlohmann::json::parse(slurp("models/schema/import-report.schema.json"));
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter doc_adapter(doc);
  if (validator.validate(schema, doc_adapter, &results)) return "";
  std::string out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    std::string path;
    for (const auto& p : e.context) path += p;
    out += path + ": " + e.description + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("import: a meshtwin/v1 scenario alone is written again, and its own output is a no-op") {
  meshtwin::test::TempDir dir("import-reimport");
  const auto first = cli({"import", "scenarios/default.yaml", "-o", dir / "a.yaml"});
  INFO(first.err);
  REQUIRE(first.rc == 0);
  const auto again = cli({"import", dir / "a.yaml", "-o", dir / "b.yaml"});
  REQUIRE(again.rc == 0);
  CHECK(slurp(dir / "a.yaml") == slurp(dir / "b.yaml"));
  // The header comment of the shipped file is kept.
  CHECK(slurp(dir / "a.yaml").rfind("# meshtwin default scenario", 0) == 0);
  CHECK(meshtwin::models::loadScenarioFile(dir / "b.yaml").ok());
}

TEST_CASE("import: the JSON report follows its schema") {
  meshtwin::test::TempDir dir("import-schema");
  const auto r = cli({"import", "scenarios/default.yaml", "-o", dir / "s.yaml", "--json"});
  REQUIRE(r.rc == 0);
  const auto report = nlohmann::json::parse(r.out);
  CHECK(schemaErrors(report) == "");
  CHECK(report["ok"] == true);
  // A broken report is caught: the validator is not a formality.
  auto broken = report;
  broken["kinds"] = nlohmann::json::array({{{"kind", "Deployment"}, {"read", -1}}});
  CHECK(schemaErrors(broken) != "");
}

TEST_CASE("import: bad input exits 2 and says why") {
  meshtwin::test::TempDir dir("import-bad");
  auto r = cli({"import"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "nothing to import"));
  r = cli({"import", "no/such/file.yaml"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "no/such/file.yaml: no such file or directory"));
  r = cli({"import", "scenarios/default.yaml", "scenarios/eks-1000.yaml", "-o", dir / "x.yaml"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "is a meshtwin/v1 scenario already; it cannot be combined"));
  CHECK_FALSE(fs::exists(dir / "x.yaml"));
  // A scenario that does not load: its errors, and no file at all.
  std::ofstream(dir / "broken.yaml") << "apiVersion: meshtwin/v1\nkind: Scenario\nmetadata: {name: b}\nworkloads: 3\n";
  r = cli({"import", dir / "broken.yaml", "-o", dir / "y.yaml"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "broken.yaml:"));
  CHECK_FALSE(fs::exists(dir / "y.yaml"));
  r = cli({"import", "scenarios/default.yaml", "--plan", "greedy"});
  CHECK(r.rc == 2);
  r = cli({"import", "scenarios/default.yaml", "--profile", "no-such-profile"});
  CHECK(r.rc == 2);
}

TEST_CASE("import: Prometheus that cannot be reached exits 3 with the URL; a bad window exits 2") {
  meshtwin::test::TempDir dir("import-prom");
  std::ofstream(dir / "svc.yaml") << "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: app}\n"
                                     "spec: {selector: {app: api}, ports: [{name: http, port: 80}]}\n---\n"
                                     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: app}\n"
                                     "spec: {replicas: 2, selector: {matchLabels: {app: api}}, template: {metadata: "
                                     "{labels: {app: api}}, spec: {containers: [{name: api, image: x}]}}}\n";
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto r = cli({"import", dir / "svc.yaml", "--prometheus", "http://127.0.0.1:1", "-o", dir / "s.yaml"});
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "http://127.0.0.1:1"));
  CHECK_FALSE(fs::exists(dir / "s.yaml"));
  r = cli({"import", dir / "svc.yaml", "--prometheus", "http://127.0.0.1:1", "--window", "soon"});
  CHECK(r.rc == 2);
  CHECK(contains(r.err, "--window soon"));
}
