// Readers of schema files: CRD YAML (spec.versions[].schema.openAPIV3Schema) and Kubernetes
// OpenAPI v3 JSON (components.schemas with x-kubernetes-group-version-kind).
#include <cstdint>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "schemas_internal.hpp"

namespace meshtwin::deploy::detail {
namespace {

using nlohmann::json;

// A YAML 1.2 core-schema scalar as JSON: quoted or !!str is a string; plain null/bool/int/float
// are those; anything else is a string.
json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return s;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex floating(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, integer)) {
    try {
      return static_cast<std::int64_t>(std::stoll(s));
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (std::regex_match(s, floating)) return std::stod(s);
  return s;
}

json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return out;
    }
    default:
      return nullptr;
  }
}

SchemaLoadError fileError(const std::filesystem::path& file, std::string what) {
  return SchemaLoadError{file.string(), std::move(what)};
}

}  // namespace

std::optional<SchemaLoadError> readCrdFile(const std::filesystem::path& file, Sources& out) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(file.string());
  } catch (const YAML::Exception& e) {
    return fileError(file, fmt::format("not YAML: {}", e.what()));
  }
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const YAML::Node& doc = docs[i];
    if (!doc.IsMap() || !doc["kind"] || doc["kind"].Scalar() != "CustomResourceDefinition") continue;
    const std::string where = fmt::format("document {} (line {})", i + 1, doc.Mark().line + 1);
    const YAML::Node spec = doc["spec"];
    if (!spec || !spec["group"] || !spec["names"] || !spec["names"]["kind"] || !spec["versions"] ||
        !spec["versions"].IsSequence()) {
      return fileError(file, where + ": a CustomResourceDefinition without spec.group, spec.names.kind or spec.versions");
    }
    const std::string group = spec["group"].Scalar();
    const std::string kind = spec["names"]["kind"].Scalar();
    for (const auto& version : spec["versions"]) {
      if (!version["name"]) return fileError(file, where + ": " + kind + ": a version without a name");
      const YAML::Node schema = version["schema"] ? version["schema"]["openAPIV3Schema"] : YAML::Node();
      if (!schema || !schema.IsMap()) continue;  // no schema for this version: nothing to check
      const std::string key = schemaKey(group + "/" + version["name"].Scalar(), kind);
      if (out.count(key) != 0) continue;
      SchemaSource source;
      source.file = file.string();
      source.crd = yamlToJson(schema);
      out.emplace(key, std::move(source));
    }
  }
  return std::nullopt;
}

std::optional<SchemaLoadError> readOpenApiFile(const std::filesystem::path& file, Sources& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fileError(file, "cannot be read");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    return fileError(file, fmt::format("not JSON: {}", e.what()));
  }
  const auto components = doc.find("components");
  if (components == doc.end() || !components->is_object() || !components->contains("schemas") ||
      !(*components)["schemas"].is_object()) {
    return fileError(file, "no components.schemas: not an OpenAPI v3 document");
  }
  auto schemas = std::make_shared<const json>(std::move((*components)["schemas"]));
  for (const auto& [name, schema] : schemas->items()) {
    const auto gvks = schema.find("x-kubernetes-group-version-kind");
    if (gvks == schema.end() || !gvks->is_array()) continue;
    for (const auto& gvk : *gvks) {
      const std::string group = gvk.value("group", "");
      const std::string version = gvk.value("version", "");
      const std::string kind = gvk.value("kind", "");
      if (version.empty() || kind.empty()) {
        return fileError(file, name + ": x-kubernetes-group-version-kind without version or kind");
      }
      const std::string key = schemaKey(group.empty() ? version : group + "/" + version, kind);
      if (out.count(key) != 0) continue;
      out.emplace(key, SchemaSource{file.string(), schemas, name, json()});
    }
  }
  return std::nullopt;
}

}  // namespace meshtwin::deploy::detail
