// Reading Kubernetes manifests (multi-document YAML, JSON, kubectl `List` dumps) into Objects
// that carry the file:line:col they came from. Pure functions of their input, except
// readManifestPaths, which reads the files and directories it is given.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/importer/draft.hpp"

namespace meshtwin::importer {

// A problem with the input, where it is, and what to do about it.
struct ReadError {
  Origin origin;
  std::string message;  // names the object or document: "Deployment shop/cart: ..."
  std::string hint;     // "" when there is nothing more to say
};
// "file:line:col: message (hint)" on one line.
std::string toString(const ReadError& e);

struct ManifestRead {
  std::vector<Object> objects;  // in input order; List items flattened
  std::vector<ReadError> errors;
  void append(ManifestRead&& other);
};

// Multi-document YAML (Helm or Kustomize output; `---` separators, empty documents ignored)
// or JSON (one object, or a List / *List whose items are flattened; items of a typed list
// such as DeploymentList get the list's apiVersion and kind). A meshtwin/v1 Scenario
// document comes back as an Object of kind Scenario. `source` names the text in origins.
ManifestRead readManifests(std::string_view text, const std::string& source);

// Each path is a file, a directory (every *.yaml, *.yml and *.json under it, recursively,
// sorted by path; names starting with '.' are passed over) or "-" for `stdin_stream`.
// Paths that cannot be read are errors.
ManifestRead readManifestPaths(const std::vector<std::string>& paths, std::istream& stdin_stream);

}  // namespace meshtwin::importer
