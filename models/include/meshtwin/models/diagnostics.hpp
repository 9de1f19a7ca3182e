// Diagnostics: problems found in user input, each with where, what and a hint.
#pragma once

#include <string>
#include <vector>

namespace meshtwin::models {

// 1-based position in a source file; line 0 means "the file as a whole".
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

// One problem in the input, printed as `file:line:col: <object>: <what>; <hint>`.
struct Diagnostic {
  SourceLoc loc;
  std::string object;   // e.g. "workload shop/frontend"
  std::string message;  // what is wrong
  std::string hint;     // how to fix it (may be empty)
};

std::string format(const Diagnostic& d);

// Collects every problem instead of stopping at the first.
class Diagnostics {
 public:
  void add(SourceLoc loc, std::string object, std::string message, std::string hint = {});
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
  // Sorted by file, line, column; stable for equal positions.
  [[nodiscard]] std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> items_;
};

// "did you mean" support: the closest candidate within a small edit distance, or "".
std::string closestMatch(const std::string& word, const std::vector<std::string>& candidates);
// A hint listing candidates, with a "did you mean" when one is close.
std::string suggestionHint(const std::string& word, const std::vector<std::string>& candidates,
                           const std::string& what);

}  // namespace meshtwin::models
