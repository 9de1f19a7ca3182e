// objectYaml: JSON to deterministic block YAML for rendered manifests (keys sorted by
// nlohmann::json's map, strings quoted whenever YAML 1.1 or 1.2 could read them otherwise).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "meshtwin/deploy/render.hpp"

namespace meshtwin::deploy {
namespace {

// Words a YAML 1.1 reader (kubectl's, yaml-cpp) takes as booleans or null.
bool reservedWord(std::string_view s) {
  static constexpr std::array<std::string_view, 22> words{"true", "false", "yes", "no",  "on",   "off",
                                                          "y",    "n",     "null", "~",  "TRUE", "FALSE",
                                                          "True", "False", "Yes",  "No", "YES",  "NO",
                                                          "On",   "Off",   "Null", "NULL"};
  return std::find(words.begin(), words.end(), s) != words.end();
}

// A plain scalar only for plain-looking text: a letter, '_' or '/' first, then letters,
// digits and ._/- (no ':', '#', spaces or anything YAML gives a meaning).
bool plainSafe(std::string_view s) {
  if (s.empty() || reservedWord(s)) return false;
  const auto first = static_cast<unsigned char>(s.front());
  if (!std::isalpha(first) && s.front() != '_' && s.front() != '/') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '.' || c == '_' || c == '/' || c == '-';
  });
}

std::string scalarString(const std::string& s) {
  if (plainSafe(s)) return s;
  return nlohmann::json(s).dump();  // a JSON string is a YAML double-quoted scalar
}

// Text with newlines as a literal block when it reads back exactly ("|" keeps one final
// newline, "|-" none); nullopt when it would not (leading spaces, trailing blanks, tabs).
bool blockable(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.find('\t') != std::string::npos || s.find('\r') != std::string::npos)
    return false;
  if (s.front() == ' ' || s.front() == '\n') return false;
  if (s.size() >= 2 && s[s.size() - 1] == '\n' && s[s.size() - 2] == '\n') return false;
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    if (end > start && s[end - 1] == ' ') return false;
    start = end + 1;
  }
  return true;
}

std::string block(const std::string& s, int indent) {
  const bool final_newline = s.back() == '\n';
  std::string out = final_newline ? "|\n" : "|-\n";
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::size_t start = 0;
  const std::size_t stop = final_newline ? s.size() - 1 : s.size();
  while (start <= stop) {
    auto end = s.find('\n', start);
    if (end == std::string::npos || end > stop) end = stop;
    const auto line = s.substr(start, end - start);
    out += (line.empty() ? "" : pad + line) + "\n";
    start = end + 1;
  }
  return out;
}

// A scalar or empty collection on the same line; nullopt-like "" for nested collections.
bool inlineValue(const nlohmann::json& v) {
  return !(v.is_object() || v.is_array()) || v.empty();
}

std::string inlineText(const nlohmann::json& v, int indent) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return blockable(s) ? block(s, indent) : scalarString(s);
  }
  return v.dump();  // numbers, booleans, null
}

void emit(const nlohmann::json& v, int indent, std::string& out);

// "key: value" or "key:\n" + the nested collection.
void emitEntry(const std::string& lead, const nlohmann::json& v, int indent, std::string& out) {
  if (inlineValue(v)) {
    const auto text = inlineText(v, indent + 2);
    out += lead + " " + text + (text.back() == '\n' ? "" : "\n");
    return;
  }
  out += lead + "\n";
  emit(v, v.is_array() ? indent : indent + 2, out);
}

void emit(const nlohmann::json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [k, x] : v.items()) emitEntry(pad + scalarString(k) + ":", x, indent, out);
    return;
  }
  for (const auto& x : v) {
    if (x.is_object() && !x.empty()) {
      // "- first: ..." then the other keys aligned under it.
      bool first = true;
      for (const auto& [k, y] : x.items()) {
        const std::string lead = (first ? pad + "- " : pad + "  ") + scalarString(k) + ":";
        emitEntry(lead, y, indent + 2, out);
        first = false;
      }
    } else if (inlineValue(x)) {
      const auto text = inlineText(x, indent + 2);
      out += pad + "- " + text + (text.back() == '\n' ? "" : "\n");
    } else {
      out += pad + "-\n";
      emit(x, indent + 2, out);
    }
  }
}

}  // namespace

std::string objectYaml(const nlohmann::json& j) {
  std::string out;
  if (inlineValue(j)) return inlineText(j, 0) + "\n";
  emit(j, 0, out);
  return out;
}

}  // namespace meshtwin::deploy
