// The manifest reader's parts, shared by its files: YAML to JSON, documents to Objects, and
// the JSON path with its truncation check.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "meshtwin/importer/manifests.hpp"

namespace meshtwin::importer::detail {

// Where a document starts in the whole text, so marks of a document parsed alone can be
// turned into positions in the file.
struct DocPlace {
  const std::string* source = nullptr;
  int first_line = 0;  // 0-based line of the document's first line in the text
};
Origin originOf(const YAML::Node& n, const DocPlace& at);
Origin originOfMark(const YAML::Mark& m, const DocPlace& at);

// A YAML tree as JSON: plain scalars resolved as YAML 1.2's core schema does (null, true /
// false, integers, floats), quoted ones kept as strings. `budget` counts nodes converted,
// so aliases cannot expand a small text into a huge tree; nullopt and `error` set when the
// budget or the nesting limit is exceeded, or a key is not a scalar.
struct Conversion {
  std::size_t budget = 0;
  std::string error;
  YAML::Mark error_mark;
};
std::optional<nlohmann::json> yamlToJson(const YAML::Node& n, Conversion& c, int depth = 0);

// One parsed document (its JSON and, when known, its YAML tree for positions) into Objects:
// Lists flattened, every object checked for apiVersion, kind and metadata.name.
void collectObjects(const nlohmann::json& doc, const YAML::Node* node, const DocPlace& at, ManifestRead& out);
// The JSON path's: a document whose positions come from a scan of the text, not a YAML tree;
// `item_origins` holds one origin per item of a List (else the document starts at `start`).
void collectJsonObjects(nlohmann::json&& doc, const std::vector<Origin>& item_origins, const Origin& start,
                        const DocPlace& at, ManifestRead& out);

// Multi-document YAML.
void readYaml(std::string_view text, const std::string& source, ManifestRead& out);
// Does the text start like JSON ('{' or '[' first)?
bool looksLikeJson(std::string_view text);
// The JSON path: parsed with nlohmann (exact types, clear errors, truncation found), then
// with yaml-cpp only for the positions of the objects.
void readJson(std::string_view text, const std::string& source, ManifestRead& out);

// 1-based line and column of a byte offset.
Origin originOfOffset(std::string_view text, std::size_t offset, const std::string& source);

}  // namespace meshtwin::importer::detail
