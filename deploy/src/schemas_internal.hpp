// Internals of SchemaSet shared by its files: where each kind's schema comes from, the readers
// of the two kinds of schema files, and the OpenAPI v3 -> JSON Schema rewrite valijson needs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "meshtwin/deploy/schemas.hpp"

namespace meshtwin::deploy::detail {

// Where the schema of one apiVersion+kind is.
struct SchemaSource {
  std::string file;
  // Kubernetes OpenAPI: the file's components.schemas (shared by its kinds) and the name of
  // this kind's schema in it. Null for a CRD.
  std::shared_ptr<const nlohmann::json> components;
  std::string name;
  // CRD: the version's openAPIV3Schema.
  nlohmann::json crd;
};

// Keyed by schemaKey(apiVersion, kind).
using Sources = std::map<std::string, SchemaSource>;

inline std::string schemaKey(const std::string& apiVersion, const std::string& kind) {
  return apiVersion + " " + kind;
}

// Every CustomResourceDefinition of a (multi-document) YAML file into `out`; the first source
// of a key wins.
std::optional<SchemaLoadError> readCrdFile(const std::filesystem::path& file, Sources& out);
// Every components.schemas entry with x-kubernetes-group-version-kind of an OpenAPI v3 file.
std::optional<SchemaLoadError> readOpenApiFile(const std::filesystem::path& file, Sources& out);

// The JSON Schema (draft 4) valijson gets for one source: "#/components/schemas/..." $refs
// inlined (a recursive one becomes {}), nullable, int-or-string and patterns std::regex cannot
// compile rewritten. Throws std::runtime_error on a $ref that does not resolve.
nlohmann::json toJsonSchema(const SchemaSource& source);

}  // namespace meshtwin::deploy::detail
