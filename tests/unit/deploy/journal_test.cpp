// The deploy journal: entries survive a reopen in order, a line torn by a crash is dropped
// and the next append starts on a clean line, a bad line in the middle is an error naming
// it, and the phase follows applies and rollbacks.
#include <catch2/catch.hpp>

#include <fstream>

#include "../../support/scratch.hpp"
#include "meshtwin/deploy/journal.hpp"

using namespace meshtwin::deploy;
using meshtwin::test::TempDir;

namespace {

JournalEntry entry(const char* step, int wave, const char* event, bool ok = true) {
  return JournalEntry{0, step, wave, event, ok, "", nullptr, ""};
}

}  // namespace

TEST_CASE("journal entries survive a reopen, numbered and in order", "[journal]") {
  TempDir dir("journal-reopen");
  const auto path = dir / "state/journal.jsonl";
  {
    auto j = Journal::open(path);
    REQUIRE(j.empty());
    j.append(JournalEntry{0, step::kStart, -1, "begin", true, "deploy", {{"command", "deploy"}, {"from_phase", 0}}, ""});
    j.append(entry(step::kApply, 0, "begin"));
    j.append(entry(step::kApply, 0, "end"));
  }
  const auto j = Journal::open(path);
  REQUIRE(j.entries().size() == 3);
  CHECK(j.entries()[2].seq == 3);
  CHECK(j.entries()[1].wave == 0);
  CHECK(j.start().value("command", "") == "deploy");
  REQUIRE(j.lastEnd(step::kApply, 0) != nullptr);
  CHECK(j.lastEnd(step::kApply, 1) == nullptr);
  CHECK(journalPhase(j) == 1);
  CHECK_FALSE(j.finished());
}

TEST_CASE("a journal line torn by a crash is dropped, and the next entry starts on its own line", "[journal]") {
  TempDir dir("journal-torn");
  const auto path = dir / "journal.jsonl";
  {
    auto j = Journal::open(path);
    j.append(JournalEntry{0, step::kStart, -1, "begin", true, "", {{"command", "deploy"}}, ""});
    j.append(entry(step::kApply, 0, "begin"));
  }
  std::ofstream(path, std::ios::app) << R"({"seq":3,"step":"apply","eve)";
  auto j = Journal::open(path);
  CHECK(j.tornTail());
  REQUIRE(j.entries().size() == 2);
  CHECK(j.last()->event == "begin");  // the apply began and never ended: it runs again
  j.append(entry(step::kApply, 0, "end"));
  const auto again = Journal::open(path);
  CHECK_FALSE(again.tornTail());
  REQUIRE(again.entries().size() == 3);
  CHECK(again.entries()[2].seq == 3);
}

TEST_CASE("a bad journal line before the last is an error naming the file and line", "[journal]") {
  TempDir dir("journal-bad");
  const auto path = dir / "journal.jsonl";
  std::ofstream(path) << "{\"seq\":1,\"step\":\"start\",\"event\":\"begin\"}\nnot json\n{\"seq\":3,\"step\":\"apply\",\"event\":\"begin\"}\n";
  try {
    (void)Journal::open(path);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("journal.jsonl:2"));
  }
}

TEST_CASE("the journal's phase follows applies and rollbacks from the start's phase", "[journal]") {
  TempDir dir("journal-phase");
  auto j = Journal::open(dir / "journal.jsonl");
  j.append(JournalEntry{0, step::kStart, -1, "begin", true, "", {{"command", "deploy"}, {"from_phase", 1}}, ""});
  CHECK(journalPhase(j) == 1);
  j.append(entry(step::kApply, 1, "begin"));
  CHECK(journalPhase(j) == 1);  // begun, not ended
  j.append(entry(step::kApply, 1, "end"));
  CHECK(journalPhase(j) == 2);
  j.append(entry(step::kGate, 1, "end", false));
  CHECK(journalPhase(j) == 2);  // a failed gate changes nothing by itself
  j.append(entry(step::kRollback, 1, "end"));
  CHECK(journalPhase(j) == 1);
  j.append(JournalEntry{0, step::kFinish, -1, "end", false, "rolled back", {{"exit_code", 1}}, ""});
  CHECK(j.finished());
}
