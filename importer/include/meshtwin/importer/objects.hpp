// Mapping Kubernetes, Istio and Gateway API objects into the importer's Draft: workloads,
// services, nodes, waypoints, policies, routes and the L7 features the mesh uses.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/importer/draft.hpp"
#include "meshtwin/importer/manifests.hpp"
#include "meshtwin/models/profile.hpp"

namespace meshtwin::importer {

struct MapOptions {
  // Namespace labels copied onto the namespace's workloads that do not set them (kept for
  // the cost report), beside team, cost-center, environment, owner, app.kubernetes.io/part-of.
  std::vector<std::string> owner_labels;
  // Istio's root namespace: policies and Telemetry there without a selector are mesh-wide.
  std::string root_namespace = "istio-system";
};

// The owner labels copied by default.
const std::vector<std::string>& defaultOwnerLabels();

// Maps every object into `draft` and counts it in report.kinds: each object read is either
// mapped (it became part of the Draft, and says so in a note "from Deployment shop/cart") or
// skipped with a reason. The result does not depend on the order of `objects`: they are
// taken kind by kind (Namespaces and Nodes first, Istio resources last), then by namespace
// and name. Objects given twice (same kind, namespace and name) keep the later one, with an
// assumption naming both origins. Returns the errors in the input (an unknown apiVersion of
// a known kind, a malformed quantity): those objects are skipped, the rest still maps.
// `objects` is taken by value: move a large dump in rather than copying it.
std::vector<ReadError> mapObjects(std::vector<Object> objects, const models::Profile& profile, Draft& draft,
                                  ImportReport& report, const MapOptions& options = {});

}  // namespace meshtwin::importer
