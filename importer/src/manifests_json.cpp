// The JSON path of the manifest reader: exact types from nlohmann, positions from yaml-cpp,
// and a clear error for a kubectl dump that was cut off.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "manifests_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr std::size_t kMaxJsonDepth = 200;

bool isSpace(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

// The brackets a text leaves open, and how deep it nests, strings skipped.
struct Brackets {
  std::vector<std::size_t> open;  // offsets of the unclosed { and [
  std::size_t max_depth = 0;
  bool in_string = false;
};

Brackets scan(std::string_view text) {
  Brackets b;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (b.in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') b.in_string = false;
    } else if (ch == '"') {
      b.in_string = true;
    } else if (ch == '{' || ch == '[') {
      b.open.push_back(i);
      b.max_depth = std::max(b.max_depth, b.open.size());
    } else if ((ch == '}' || ch == ']') && !b.open.empty()) {
      b.open.pop_back();
    }
  }
  return b;
}

// Strictly JSON: a '{' followed by a quoted key or '}', or a '['. Flow-style YAML
// ({apiVersion: v1, ...}) starts with '{' too.
bool strictlyJson(std::string_view text, const std::string& source) {
  if (source.size() >= 5 && source.compare(source.size() - 5, 5, ".json") == 0) return true;
  std::size_t i = 0;
  while (i < text.size() && isSpace(text[i])) ++i;
  if (i < text.size() && text[i] == '[') return true;
  ++i;
  while (i < text.size() && isSpace(text[i])) ++i;
  return i < text.size() && (text[i] == '"' || text[i] == '}');
}

std::string syntaxMessage(const std::string& what) {
  const auto at = what.find("syntax error");
  return "JSON " + (at == std::string::npos ? what : what.substr(at));
}

void truncated(std::string_view text, const std::string& source, const Brackets& b, ManifestRead& out) {
  const Origin outer = originOfOffset(text, b.open.empty() ? 0 : b.open.front(), source);
  const std::string where = b.open.empty() ? std::string()
                                           : fmt::format(": {} object(s) or list(s) are still open, the outermost "
                                                         "from line {}",
                                                         b.open.size(), outer.line);
  out.errors.push_back({originOfOffset(text, text.size(), source),
                        "the JSON ends before it is complete" + where + (b.in_string ? " (it stops inside a string)" : ""),
                        "a truncated kubectl dump? Run `kubectl get ... -o json > file` again and check that it "
                        "finished; nothing was read from this file"});
}

void parseError(std::string_view text, const std::string& source, const nlohmann::json::parse_error& e,
                ManifestRead& out) {
  const Brackets b = scan(text);
  const bool at_end = e.byte >= text.size() ||
                      std::all_of(text.begin() + static_cast<std::ptrdiff_t>(e.byte), text.end(), isSpace);
  if (at_end && (!b.open.empty() || b.in_string)) {
    truncated(text, source, b, out);
    return;
  }
  if (!strictlyJson(text, source)) {
    ManifestRead yaml;
    readYaml(text, source, yaml);
    if (yaml.errors.empty()) {
      out.append(std::move(yaml));
      return;
    }
  }
  out.errors.push_back({originOfOffset(text, e.byte > 0 ? e.byte - 1 : 0, source), syntaxMessage(e.what()),
                        "check for a missing comma, quote or bracket just before this position"});
}

// Where the document starts, and each element of the top-level object's "items" array.
struct ValueStarts {
  std::size_t document = 0;
  std::vector<std::size_t> items;
};

ValueStarts valueStarts(std::string_view text) {
  ValueStarts v;
  std::size_t depth = 0;
  bool in_string = false, escaped = false, in_items = false, expect_item = false;
  std::size_t string_start = 0;
  std::string_view last_key;  // the last string closed at depth 1
  bool seen_document = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') {
        in_string = false;
        if (depth == 1) last_key = text.substr(string_start, i - string_start);
      }
      continue;
    }
    if (isSpace(ch)) continue;
    if (!seen_document) {
      v.document = i;
      seen_document = true;
    }
    if (in_items && depth == 2 && expect_item && ch != ']') {
      v.items.push_back(i);
      expect_item = false;
    }
    switch (ch) {
      case '"':
        in_string = true;
        string_start = i + 1;
        break;
      case '{':
      case '[':
        ++depth;
        if (ch == '[' && depth == 2 && last_key == "items") in_items = expect_item = true;
        break;
      case '}':
      case ']':
        if (depth == 2 && in_items) in_items = false;
        if (depth > 0) --depth;
        break;
      case ',':
        if (depth == 2 && in_items) expect_item = true;
        break;
      default: break;
    }
  }
  return v;
}

// Line and column of increasing offsets, in one pass over the text.
std::vector<Origin> originsOfOffsets(std::string_view text, const std::vector<std::size_t>& offsets,
                                     const std::string& source) {
  std::vector<Origin> out;
  out.reserve(offsets.size());
  std::size_t pos = 0, line = 1, line_start = 0;
  for (const auto off : offsets) {
    for (; pos < off && pos < text.size(); ++pos) {
      if (text[pos] == '\n') {
        ++line;
        line_start = pos + 1;
      }
    }
    out.push_back({source, static_cast<int>(line), static_cast<int>(off - line_start + 1)});
  }
  return out;
}

}  // namespace

bool looksLikeJson(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && isSpace(text[i])) ++i;
  return i < text.size() && (text[i] == '{' || text[i] == '[');
}

Origin originOfOffset(std::string_view text, std::size_t offset, const std::string& source) {
  offset = std::min(offset, text.size());
  const auto head = text.substr(0, offset);
  const auto line = std::count(head.begin(), head.end(), '\n');
  const auto nl = head.rfind('\n');
  const auto col = nl == std::string_view::npos ? offset : offset - nl - 1;
  return {source, static_cast<int>(line) + 1, static_cast<int>(col) + 1};
}

void readJson(std::string_view text, const std::string& source, ManifestRead& out) {
  const Brackets b = scan(text);
  if (b.max_depth > kMaxJsonDepth) {
    out.errors.push_back({originOfOffset(text, 0, source),
                          fmt::format("the JSON nests deeper than {} levels", kMaxJsonDepth),
                          "a Kubernetes object is a few levels deep; is this file a manifest?"});
    return;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    parseError(text, source, e, out);
    return;
  }
  // Positions from one scan of the text (a YAML tree of a 30 MB dump would cost seconds and
  // a gigabyte): where the document and each item of a List's `items` start.
  const auto starts = valueStarts(text);
  const DocPlace at{&source, 0};
  const auto origins = originsOfOffsets(text, starts.items, source);
  collectJsonObjects(std::move(doc), origins, originOfOffset(text, starts.document, source), at, out);
}

}  // namespace meshtwin::importer::detail
