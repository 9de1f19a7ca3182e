// Telling the import's source formats apart by their first document.
#include "meshtwin/importer/sources.hpp"

#include <yaml-cpp/yaml.h>

#include <string>

namespace meshtwin::importer {

const char* toString(SourceFormat f) {
  switch (f) {
    case SourceFormat::Manifests: return "manifests";
    case SourceFormat::Scenario: return "meshtwin/v1 scenario";
    case SourceFormat::Isotope: return "isotope topology";
  }
  return "?";
}

SourceFormat sniffFormat(std::string_view text) {
  // JSON is a kubectl dump or a manifest; only the first YAML document is parsed.
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || text[start] == '{' || text[start] == '[') return SourceFormat::Manifests;
  YAML::Node first;
  try {
    first = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    return SourceFormat::Manifests;
  }
  if (!first.IsMap()) return SourceFormat::Manifests;
  // isotope files may carry their own header: apiVersion v1alpha1, kind MockServiceGraph.
  const auto kind = first["kind"];
  if (kind && kind.IsScalar() && kind.Scalar() == "MockServiceGraph") return SourceFormat::Isotope;
  const auto api = first["apiVersion"];
  if (api && api.IsScalar()) {
    return api.Scalar() == "meshtwin/v1" ? SourceFormat::Scenario : SourceFormat::Manifests;
  }
  // isotope: a `services:` list of entries with a `name`, no apiVersion or kind.
  const auto services = first["services"];
  if (!first["kind"] && services && services.IsSequence()) return SourceFormat::Isotope;
  return SourceFormat::Manifests;
}

}  // namespace meshtwin::importer
