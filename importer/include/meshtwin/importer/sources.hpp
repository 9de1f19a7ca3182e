// What kind of source a file is, from its text: Kubernetes manifests (YAML or JSON), a
// meshtwin/v1 scenario (meshtwin's own output, re-imported) or an isotope topology.
#pragma once

#include <string_view>

namespace meshtwin::importer {

enum class SourceFormat { Manifests, Scenario, Isotope };
const char* toString(SourceFormat f);

// Looks at the first document only; text that is not YAML at all counts as manifests, so
// the manifest reader reports its syntax error with file:line:col.
SourceFormat sniffFormat(std::string_view text);

}  // namespace meshtwin::importer
