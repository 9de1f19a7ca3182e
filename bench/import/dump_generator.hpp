// A generated `kubectl get all,ns,nodes,hpa,pdb -A -o json`-style dump of a cluster of any
// size, with Istio and Gateway API objects, for the import benchmark. Deterministic.
#pragma once

#include <nlohmann/json.hpp>

namespace meshtwin::bench {

struct DumpShape {
  int namespaces = 50;
  int deployments_per_namespace = 20;
  int replicas = 10;  // per Deployment: 50 x 20 x 10 = 10,000 pods
  int zones = 3;
  int node_vcpu = 16;
};

// The dump as one List; `pods()` of the result is namespaces x deployments x replicas.
nlohmann::json generateDump(const DumpShape& shape);

}  // namespace meshtwin::bench
