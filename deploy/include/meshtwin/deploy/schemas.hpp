// Schema validation of rendered Kubernetes / Istio / Gateway API objects against their upstream
// schemas (CRD openAPIV3Schema and Kubernetes OpenAPI v3), checked by valijson.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace meshtwin::deploy {

// One thing wrong with one object: which object ("Gateway shop/waypoint"), where in it (a JSON
// pointer, "/spec/listeners/0/port"; "" for the object itself) and what.
struct SchemaError {
  std::string object;
  std::string path;
  std::string message;
};

// Why a schema directory could not be loaded: the file (or the directory) and what.
struct SchemaLoadError {
  std::string file;
  std::string what;
};
// "tests/data/schemas/istio-crds.yaml: yaml-cpp: error at line 3, column 1: ..."
std::string format(const SchemaLoadError& e);

class SchemaSetResult;

// The schemas of a directory laid out like shared/schemas (see its SOURCE.txt): CRD YAML files
// (*.yaml, *.yml: every CustomResourceDefinition's spec.versions[].schema.openAPIV3Schema) and
// Kubernetes OpenAPI v3 JSON files (*.json: components.schemas carrying
// x-kubernetes-group-version-kind), keyed by apiVersion and kind. The valijson schema of a kind
// is built on its first validate() and kept; copies of a SchemaSet share that cache. validate()
// may be called from several threads.
class SchemaSet {
 public:
  static SchemaSetResult load(const std::string& dir);

  // Is there a schema for this apiVersion ("v1", "gateway.networking.k8s.io/v1") and kind?
  [[nodiscard]] bool has(const std::string& apiVersion, const std::string& kind) const;
  // Every apiVersion+kind of the set, as "apiVersion kind", sorted.
  [[nodiscard]] std::vector<std::string> kinds() const;
  // What is wrong with the object; empty when it matches its schema. An object whose
  // apiVersion/kind has no schema here is one error ("no schema for ... in DIR").
  [[nodiscard]] std::vector<SchemaError> validate(const nlohmann::json& object) const;

  struct Impl;

 private:
  explicit SchemaSet(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};


// A SchemaSet or why there is none.
class SchemaSetResult {
 public:
  SchemaSetResult(SchemaSet set);        // NOLINT(google-explicit-constructor)
  SchemaSetResult(SchemaLoadError e);    // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  SchemaSet& operator*() { return std::get<0>(v_); }
  const SchemaSet& operator*() const { return std::get<0>(v_); }
  SchemaSet* operator->() { return &std::get<0>(v_); }
  const SchemaSet* operator->() const { return &std::get<0>(v_); }
  [[nodiscard]] const SchemaLoadError& error() const { return std::get<1>(v_); }

 private:
  std::variant<SchemaSet, SchemaLoadError> v_;
};

}  // namespace meshtwin::deploy
