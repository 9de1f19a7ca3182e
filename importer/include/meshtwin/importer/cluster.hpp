// The live API as an import source: every kind the importer maps, listed read-only through
// kube::Client (all namespaces or one), as Objects the manifest mapping takes unchanged.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "meshtwin/importer/draft.hpp"
#include "meshtwin/kube/client.hpp"

namespace meshtwin::importer {

// A resource the import reads. Istio and Gateway API groups may not be served (their CRDs
// not installed): those are optional, and the served version is found by discovery.
struct ImportedResource {
  kube::ResourceType type;  // version = the preferred one when several are known
  bool optional = false;    // a CRD: a 404 on its group means "not installed", not an error
};
const std::vector<ImportedResource>& importedResources();

struct ClusterRead {
  std::vector<Object> objects;     // sorted by kind, namespace, name
  std::vector<std::string> notes;  // "networking.istio.io is not served: VirtualService ... not read"
};

// Lists every imported resource in `ns` ("" = all namespaces; Namespaces and Nodes are
// cluster-scoped: with a namespace, only that Namespace is read, and Nodes when allowed).
// `progress` gets one line per resource listed. A 403 comes back as the client's Error.
kube::Result<ClusterRead> readCluster(const kube::Client& client, const std::string& ns,
                                      const std::function<void(const std::string&)>& progress = {});

// The RBAC a read-only import needs, as a ClusterRole manifest (get and list on every
// imported resource), printed when the API answers 403.
std::string importClusterRole();

}  // namespace meshtwin::importer
