// `meshtwin check` in-process: exit codes against --fail-on, the JSON output's shape, and the
// command line's help and error paths. Inputs live in tests/data, never in /tmp.
#include <catch2/catch.hpp>

#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "cli.hpp"

namespace fs = std::filesystem;
using meshtwin::cli::CheckOptions;
using meshtwin::cli::kExitBadInput;
using meshtwin::cli::kExitFindings;
using meshtwin::cli::kExitOk;
using meshtwin::cli::runCheck;

namespace {

const std::string kSmoke = "tests/data/good/smoke.yaml";

// Tests run from the repository root; fall back to it when started elsewhere.
void enterSourceDir() {
  if (!fs::is_regular_file(kSmoke)) fs::current_path(MESHTWIN_SOURCE_DIR);
}

struct Run {
  int rc = -1;
  std::string out, err;
};

Run check(const CheckOptions& opts) {
  std::ostringstream out, err;
  Run r;
  r.rc = runCheck(opts, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

template <std::size_t N>
Run cli(const char* const (&argv)[N]) {
  std::ostringstream out, err;
  Run r;
  r.rc = meshtwin::cli::run(static_cast<int>(N), argv, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("check on the valid smoke scenario: --fail-on decides between 0 and 1", "[cli][check]") {
  enterSourceDir();

  SECTION("--fail-on high: the high findings fail the check") {
    const auto r = check({kSmoke, "table", "high"});
    INFO(r.out << r.err);
    CHECK(r.rc == kExitFindings);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "scenario smoke (" + kSmoke + "): 3 zones, 3 nodes, 3 workloads"));
    CHECK(contains(r.out, "SEVERITY"));
    CHECK(contains(r.out, "--fail-on high -> exit 1"));
  }
  SECTION("--fail-on never: findings are printed but the check passes") {
    const auto r = check({kSmoke, "table", "never"});
    INFO(r.out << r.err);
    CHECK(r.rc == kExitOk);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "--fail-on never -> exit 0"));
  }
}

TEST_CASE("check -o json writes a parseable report of the findings", "[cli][check][json]") {
  enterSourceDir();
  const auto r = check({kSmoke, "json", "high"});
  INFO(r.out << r.err);
  REQUIRE(r.rc == kExitFindings);
  CHECK(r.err.empty());

  nlohmann::json j;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(r.out));
  CHECK(j.at("ok") == true);
  CHECK(j.at("exitCode") == kExitFindings);
  CHECK(j.at("failOn") == "high");
  CHECK(j.at("scenario").at("name") == "smoke");
  CHECK(j.at("scenario").at("waves") == 2);

  const auto& findings = j.at("findings");
  REQUIRE(findings.is_array());
  REQUIRE_FALSE(findings.empty());
  const std::set<std::string> severities{"critical", "high", "medium", "low", "info"};
  const std::set<std::string> phases{"baseline", "w1", "w2"};
  bool has_high = false;
  for (const auto& f : findings) {
    INFO(f.dump());
    REQUIRE(f.at("severity").is_string());
    CHECK(severities.count(f.at("severity").get<std::string>()) == 1);
    has_high = has_high || f.at("severity") == "high";
    REQUIRE(f.at("code").is_string());
    CHECK_FALSE(f.at("code").get<std::string>().empty());
    REQUIRE(f.at("object").is_string());
    CHECK_FALSE(f.at("object").get<std::string>().empty());
    REQUIRE(f.at("phases").is_array());
    CHECK_FALSE(f.at("phases").empty());
    for (const auto& p : f.at("phases")) CHECK(phases.count(p.get<std::string>()) == 1);
  }
  CHECK(has_high);
  // The summary counts add up to the findings.
  int total = 0;
  for (const auto& [severity, count] : j.at("summary").items()) total += count.get<int>();
  CHECK(total == static_cast<int>(findings.size()));

  SECTION("--fail-on never makes the same report exit 0") {
    const auto never = check({kSmoke, "json", "never"});
    CHECK(never.rc == kExitOk);
    CHECK(nlohmann::json::parse(never.out).at("exitCode") == kExitOk);
  }
}

TEST_CASE("check -o json on bad input reports the errors as JSON and exits 2", "[cli][check][json]") {
  enterSourceDir();
  const std::string bad = "tests/data/bad/unknown-service.yaml";
  const auto r = check({bad, "json", "high"});
  REQUIRE(r.rc == kExitBadInput);
  nlohmann::json j;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(r.out));
  CHECK(j.at("ok") == false);
  REQUIRE(j.at("errors").size() == 1);
  const auto& e = j.at("errors").at(0);
  CHECK(e.at("file") == bad);
  CHECK(e.at("line") == 14);
  CHECK(e.at("column") == 15);
  CHECK(e.at("object") == "workload shop/front");
  // The human-readable lines still go to stderr.
  CHECK(contains(r.err, bad + ":14:15: workload shop/front: unknown service \"carts\""));
}

TEST_CASE("check on a file that does not exist exits 2 and names the file", "[cli][check]") {
  enterSourceDir();
  const auto r = check({"tests/data/good/no-such-file.yaml", "table", "high"});
  CHECK(r.rc == kExitBadInput);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "tests/data/good/no-such-file.yaml: scenario: cannot open the file"));
  CHECK(contains(r.err, "meshtwin check: 1 error(s) in tests/data/good/no-such-file.yaml"));
}

TEST_CASE("the meshtwin command line: help, bad options, and dispatch to check", "[cli]") {
  enterSourceDir();

  SECTION("check --help prints the usage and exits 0") {
    const char* const argv[] = {"meshtwin", "check", "--help"};
    const auto r = cli(argv);
    INFO(r.out << r.err);
    CHECK(r.rc == kExitOk);
    CHECK(contains(r.out, "Usage: meshtwin check [OPTIONS] SCENARIO"));
    CHECK(contains(r.out, "--fail-on"));
    CHECK(contains(r.out, "--output"));
    CHECK(r.err.empty());
  }
  SECTION("an unknown option exits 2 and says what was wrong") {
    const char* const argv[] = {"meshtwin", "check", "--no-such-option", "tests/data/good/smoke.yaml"};
    const auto r = cli(argv);
    INFO(r.out << r.err);
    CHECK(r.rc == kExitBadInput);
    CHECK(contains(r.err, "--no-such-option"));
    CHECK(contains(r.err, "meshtwin --help"));
  }
  SECTION("a value outside the allowed set exits 2") {
    const char* const argv[] = {"meshtwin", "check", "--fail-on", "sometimes", "tests/data/good/smoke.yaml"};
    const auto r = cli(argv);
    CHECK(r.rc == kExitBadInput);
    CHECK(contains(r.err, "sometimes"));
  }
  SECTION("no subcommand exits 2") {
    const char* const argv[] = {"meshtwin"};
    CHECK(cli(argv).rc == kExitBadInput);
  }
  SECTION("check with options runs the check") {
    const char* const argv[] = {"meshtwin", "check", "--fail-on", "never", "-o", "json", "tests/data/good/smoke.yaml"};
    const auto r = cli(argv);
    INFO(r.out << r.err);
    CHECK(r.rc == kExitOk);
    CHECK(nlohmann::json::parse(r.out).at("ok") == true);
  }
}
