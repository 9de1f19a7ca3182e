// readManifests: multi-document YAML split at its `---` lines, so one broken document does
// not hide the others and every position is a position in the file; JSON goes its own way.
#include <yaml-cpp/yaml.h>

#include "manifests_internal.hpp"

namespace meshtwin::importer {

namespace {

struct Chunk {
  std::string text;
  int first_line = 0;
};

// "---" or "..." at column 0, alone or followed by a space, a tab or a comment.
bool isMarker(std::string_view line, std::string_view marker) {
  if (line.substr(0, 3) != marker) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

// Documents at their column-0 markers. YAML forbids such a line inside a scalar, so the
// split is the parser's own. A marker's rest ("--- |", "--- {a: 1}") stays in its document.
std::vector<Chunk> splitDocuments(std::string_view text) {
  std::vector<Chunk> out(1);
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = text.find('\n', pos);
    const auto line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (isMarker(line, "---")) {
      out.push_back({"   " + std::string(line.substr(3)) + "\n", line_no});
    } else if (isMarker(line, "...")) {
      out.push_back({"", line_no + 1});
    } else {
      out.back().text.append(line).append("\n");
    }
    ++line_no;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string lineAt(const std::string& text, int line) {
  std::size_t pos = 0;
  for (int i = 0; i < line && pos != std::string::npos; ++i) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos || pos >= text.size()) return {};
  return text.substr(pos, text.find('\n', pos) - pos);
}

std::string syntaxHint(const Chunk& c, const YAML::Mark& m) {
  if (c.text.find("{{") != std::string::npos) {
    return "this looks like an unrendered Helm template ({{ ... }}): run `helm template` and import its output";
  }
  if (!m.is_null() && lineAt(c.text, m.line).find('\t') != std::string::npos) {
    return "YAML does not allow tabs for indentation: indent with spaces";
  }
  return "check indentation and quoting near this position, and for an unclosed [ or { or quote earlier in the "
         "document";
}

void readDocument(const Chunk& c, const std::string& source, ManifestRead& out) {
  const detail::DocPlace at{&source, c.first_line};
  YAML::Node node;
  try {
    node = YAML::Load(c.text);
  } catch (const YAML::Exception& e) {
    out.errors.push_back({detail::originOfMark(e.mark, at), "YAML syntax error: " + e.msg, syntaxHint(c, e.mark)});
    return;
  }
  if (!node.IsDefined() || node.IsNull()) return;  // an empty document, or only comments
  try {
    detail::Conversion conv;
    conv.budget = 20 * c.text.size() + 10'000;
    const auto j = detail::yamlToJson(node, conv);
    if (!j) {
      out.errors.push_back({detail::originOfMark(conv.error_mark, at), conv.error,
                            "a manifest is a plain map of fields; check for anchors (&) and aliases (*) that repeat "
                            "large parts"});
      return;
    }
    detail::collectObjects(*j, &node, at, out);
  } catch (const YAML::Exception& e) {
    // yaml-cpp can still throw on shapes not foreseen here; an input error, not a crash.
    out.errors.push_back({detail::originOfMark(e.mark, at), "malformed document: " + e.msg, {}});
  }
}

}  // namespace

namespace detail {

void readYaml(std::string_view text, const std::string& source, ManifestRead& out) {
  for (const auto& chunk : splitDocuments(text)) readDocument(chunk, source, out);
}

}  // namespace detail

ManifestRead readManifests(std::string_view text, const std::string& source) {
  ManifestRead out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  if (detail::looksLikeJson(text)) {
    detail::readJson(text, source, out);
  } else {
    detail::readYaml(text, source, out);
  }
  return out;
}

}  // namespace meshtwin::importer
