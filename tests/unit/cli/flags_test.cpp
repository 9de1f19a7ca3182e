// The command line's habits: the version line, numbers out of range refused naming the flag,
// and every subcommand's --help listing its exit codes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli_run.hpp"

using namespace meshtwin::cli;

using namespace meshtwin::cli::test;

TEST_CASE("meshtwin --version prints one line that ends with a newline", "[cli][flags]") {
  const auto r = cli({"--version"});
  CHECK(r.rc == kExitOk);
  CHECK(r.out == std::string("meshtwin ") + MESHTWIN_VERSION + "\n");
}

TEST_CASE("numbers out of range exit 2 with a message naming the flag", "[cli][flags]") {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Case> cases{
      {{"simulate", "scenarios/default.yaml", "--seed", "-1"}, "--seed"},
      {{"simulate", "scenarios/default.yaml", "--replications", "0"}, "--replications"},
      {{"snapshot", "scenarios/default.yaml", "-o", "/tmp/x.json", "--snapshot-version", "-3"}, "--snapshot-version"},
      {{"validate", "scenarios/validation/chain.yaml", "--utilization", "1.5"}, "--utilization"},
      {{"validate", "scenarios/validation/chain.yaml", "--loads", "-1"}, "--loads"},
      {{"validate", "scenarios/validation/chain.yaml", "--tol-cpu", "-0.1"}, "--tol-cpu"},
      {{"validate", "scenarios/validation/chain.yaml", "--phases", "0"}, "--phases"},
      {{"calibrate", "--handshakes", "5"}, "--handshakes"},
      {{"testbed", "measure", "--connections", "0"}, "--connections"},
      {{"testbed", "up", "scenarios/default.yaml", "--phase", "-1"}, "--phase"},
      {{"testbed", "apply-wave", "0"}, "N"},
  };
  for (const auto& c : cases) {
    const auto r = cli(c.args);
    INFO(c.flag << ": " << r.err);
    CHECK(r.rc == kExitBadInput);
    CHECK(contains(r.err, c.flag));
    CHECK(r.out.empty());
  }
}

TEST_CASE("a scenario file that does not exist is refused before anything runs", "[cli][flags]") {
  const auto r = cli({"simulate", "no/such/scenario.yaml"});
  CHECK(r.rc == kExitBadInput);
  CHECK(contains(r.err, "no/such/scenario.yaml"));
}

TEST_CASE("every subcommand's --help lists its exit codes", "[cli][flags]") {
  const std::vector<std::vector<std::string>> commands{
      {"check"},          {"simulate"},           {"ca", "init"},        {"ca", "issue"},       {"snapshot"},
      {"testbed", "up"},  {"testbed", "down"},    {"testbed", "status"}, {"testbed", "measure"},
      {"testbed", "apply-wave"},                  {"testbed", "enroll"}, {"testbed", "unenroll"},
      {"calibrate"},      {"validate"},
  };
  for (auto args : commands) {
    std::string name;
    for (const auto& a : args) name += a + " ";
    args.push_back("--help");
    const auto r = cli(args);
    INFO(name << "\n" << r.out << r.err);
    CHECK(r.rc == kExitOk);
    CHECK(contains(r.out, "Usage: meshtwin " + name.substr(0, name.size() - 1)));
    CHECK(contains(r.out, "Exit codes: 0 "));
  }
  const auto top = cli({"--help"});
  CHECK(contains(top.out, "Exit codes: 0 "));
}
