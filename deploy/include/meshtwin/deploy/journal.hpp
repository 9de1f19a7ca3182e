// The deploy journal: one JSON line per step event, written and synced to disk before and
// after every step, so `meshtwin deploy --resume` knows exactly what was done after a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meshtwin::deploy {

inline constexpr const char* kJournalSchema = "meshtwin.deploy.journal/v1";

// Steps of a rollout, in the order they run for a wave.
namespace step {
inline constexpr const char* kStart = "start";        // the journal's first line: plan, scenario, target
inline constexpr const char* kPreflight = "preflight";
inline constexpr const char* kDryRun = "dry-run";
inline constexpr const char* kApply = "apply";
inline constexpr const char* kReady = "ready";
inline constexpr const char* kGate = "gate";
inline constexpr const char* kRollback = "rollback";        // apply the wave's way back
inline constexpr const char* kRollbackReady = "rollback-ready";
inline constexpr const char* kFinish = "finish";      // the last line: done, rolled-back or failed
}  // namespace step

struct JournalEntry {
  std::uint64_t seq = 0;
  std::string step;
  int wave = -1;       // 0-based; -1 for steps of the whole plan
  std::string event;   // "begin" | "end"
  bool ok = true;      // on "end"
  std::string detail;  // a line for people
  nlohmann::json data; // gates measured, the start's plan facts, ...
  std::string time;    // RFC 3339, UTC
};

nlohmann::json toJson(const JournalEntry& e);
JournalEntry journalEntryFromJson(const nlohmann::json& j);  // throws nlohmann::json::exception on a bad line

class Journal {
 public:
  // Reads `path` when it exists. A last line cut short by a crash is dropped (torn_tail then
  // says so); a bad line before the last is an error (std::runtime_error naming the line).
  static Journal open(const std::string& path);
  // A journal from the text a mirror kept (same rules); writes go nowhere until saveAs().
  static Journal parse(const std::string& text, const std::string& path);

  // Appends one entry (seq and time filled in), writes it and fsyncs the file before it
  // returns; throws std::runtime_error when the disk refuses.
  const JournalEntry& append(JournalEntry e);
  // Writes every entry to the journal's path (a temporary file synced and renamed over it).
  void rewrite() const;

  [[nodiscard]] const std::vector<JournalEntry>& entries() const { return entries_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool tornTail() const { return torn_tail_; }
  [[nodiscard]] std::string text() const;
  [[nodiscard]] bool empty() const { return entries_.empty(); }

  // The last "end" of (step, wave) after the latest start, or nullptr.
  [[nodiscard]] const JournalEntry* lastEnd(const std::string& step, int wave) const;
  // The last entry (nullptr when empty).
  [[nodiscard]] const JournalEntry* last() const { return entries_.empty() ? nullptr : &entries_.back(); }
  // The start line's data (plan, scenario_sha256, waves), or null.
  [[nodiscard]] nlohmann::json start() const;
  // Whether the journal ends with a finish entry.
  [[nodiscard]] bool finished() const;

 private:
  std::string path_;
  std::vector<JournalEntry> entries_;
  bool torn_tail_ = false;
};

// The phase the target is at by the journal: the number of waves applied and not rolled back
// (0: the state before the plan). A step begun but not ended leaves the phase it began in.
std::size_t journalPhase(const Journal& j);

// RFC 3339 UTC with milliseconds, e.g. "2026-12-04T03:31:42.123Z".
std::string utcNow();

}  // namespace meshtwin::deploy
