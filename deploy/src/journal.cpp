// The deploy journal on disk: JSON lines appended with write(2) and fsync(2), a torn last line
// tolerated, the whole file rewritten through a synced temporary file when a mirror restores it.
#include "meshtwin/deploy/journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace meshtwin::deploy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void writeAll(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(fmt::format("cannot write the journal {}: {}", path, std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

void syncDir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::vector<JournalEntry> parseLines(const std::string& text, const std::string& path, bool& torn) {
  std::vector<JournalEntry> out;
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const bool ends_with_newline = !text.empty() && text.back() == '\n';
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const bool last = i + 1 == lines.size();
    const auto j = json::parse(lines[i], nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (last && !ends_with_newline) {  // a crash between write and the newline: never acted on
        torn = true;
        continue;
      }
      throw std::runtime_error(fmt::format("{}:{}: not a journal entry (a JSON object per line)", path, i + 1));
    }
    try {
      out.push_back(journalEntryFromJson(j));
    } catch (const json::exception& e) {
      throw std::runtime_error(fmt::format("{}:{}: bad journal entry: {}", path, i + 1, e.what()));
    }
  }
  return out;
}

}  // namespace

std::string utcNow() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

json toJson(const JournalEntry& e) {
  json j{{"seq", e.seq}, {"step", e.step}, {"event", e.event}, {"time", e.time}};
  if (e.wave >= 0) j["wave"] = e.wave + 1;
  if (e.event == "end") j["ok"] = e.ok;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.data.is_null()) j["data"] = e.data;
  return j;
}

JournalEntry journalEntryFromJson(const json& j) {
  JournalEntry e;
  e.seq = j.at("seq").get<std::uint64_t>();
  e.step = j.at("step").get<std::string>();
  e.event = j.at("event").get<std::string>();
  e.time = j.value("time", "");
  e.wave = j.contains("wave") ? j.at("wave").get<int>() - 1 : -1;
  e.ok = j.value("ok", true);
  e.detail = j.value("detail", "");
  if (j.contains("data")) e.data = j.at("data");
  return e;
}

Journal Journal::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Journal j;
    j.path_ = path;
    return j;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Journal Journal::parse(const std::string& text, const std::string& path) {
  Journal j;
  j.path_ = path;
  j.entries_ = parseLines(text, path, j.torn_tail_);
  return j;
}

const JournalEntry& Journal::append(JournalEntry e) {
  e.seq = entries_.empty() ? 1 : entries_.back().seq + 1;
  e.time = utcNow();
  const fs::path p(path_);
  const bool created = !fs::exists(p);
  if (created && p.has_parent_path()) fs::create_directories(p.parent_path());
  if (torn_tail_) {  // the torn line must not sit in front of the next one
    rewrite();
    torn_tail_ = false;
  }
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open the journal {}: {}", path_, std::strerror(errno)));
  try {
    writeAll(fd, toJson(e).dump() + "\n", path_);
  } catch (...) {
    ::close(fd);
    throw;
  }
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) throw std::runtime_error(fmt::format("cannot sync the journal {}: {}", path_, std::strerror(errno)));
  if (created) syncDir(p.parent_path());
  entries_.push_back(std::move(e));
  return entries_.back();
}

std::string Journal::text() const {
  std::string out;
  for (const auto& e : entries_) out += toJson(e).dump() + "\n";
  return out;
}

void Journal::rewrite() const {
  const fs::path p(path_);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  try {
    writeAll(fd, text(), tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, p);
  syncDir(p.parent_path());
}

const JournalEntry* Journal::lastEnd(const std::string& s, int wave) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->step == step::kStart) return nullptr;
    if (it->step == s && it->wave == wave && it->event == "end") return &*it;
  }
  return nullptr;
}

json Journal::start() const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->step == step::kStart) return it->data;
  }
  return nullptr;
}

bool Journal::finished() const { return !entries_.empty() && entries_.back().step == step::kFinish; }

std::size_t journalPhase(const Journal& j) {
  std::size_t phase = 0;
  for (const auto& e : j.entries()) {
    if (e.step == step::kStart) phase = e.data.value("from_phase", std::size_t{0});
    if (e.event != "end" || !e.ok || e.wave < 0) continue;
    if (e.step == step::kApply) phase = static_cast<std::size_t>(e.wave) + 1;
    if (e.step == step::kRollback) phase = static_cast<std::size_t>(e.wave);
  }
  return phase;
}

}  // namespace meshtwin::deploy
