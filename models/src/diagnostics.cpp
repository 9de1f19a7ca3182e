// Diagnostics formatting and "did you mean" suggestions.
#include "meshtwin/models/diagnostics.hpp"

#include <algorithm>
#include <numeric>

namespace meshtwin::models {

std::string format(const Diagnostic& d) {
  std::string out = d.loc.file;
  if (d.loc.line > 0) {
    out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  }
  out += ": ";
  if (!d.object.empty()) out += d.object + ": ";
  out += d.message;
  if (!d.hint.empty()) out += "; " + d.hint;
  return out;
}

void Diagnostics::add(SourceLoc loc, std::string object, std::string message, std::string hint) {
  items_.push_back({std::move(loc), std::move(object), std::move(message), std::move(hint)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.loc.file != b.loc.file) return a.loc.file < b.loc.file;
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.col < b.loc.col;
  });
  return out;
}

namespace {
std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  bool tie = false;
  for (const auto& c : candidates) {
    const auto d = editDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
      tie = false;
    } else if (d == best_d && c != best) {
      tie = true;
    }
  }
  // Two equally close names (zone "d" vs "a", "b", "c"): guessing one would mislead.
  return tie ? std::string() : best;
}

std::string suggestionHint(const std::string& word, const std::vector<std::string>& candidates,
                           const std::string& what) {
  if (candidates.empty()) return "none are defined (" + what + ")";
  const auto close = closestMatch(word, candidates);
  if (!close.empty()) return "did you mean \"" + close + "\"?";
  std::string list;
  const std::size_t shown = std::min<std::size_t>(candidates.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + candidates[i];
  if (candidates.size() > shown) list += ", ... (" + std::to_string(candidates.size()) + " in all)";
  return "known " + what + ": " + list;
}

}  // namespace meshtwin::models
