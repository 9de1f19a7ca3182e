// Calls read from the manifests alone: the environment variables a workload's containers
// carry that name a Service ("PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550",
// "DB_URL=postgres://db.data.svc:5432/app"), for imports without traffic data.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/importer/draft.hpp"

namespace meshtwin::importer {

// One environment variable of a workload's pod template (or a bare Pod's containers).
struct EnvReference {
  std::string kind, ns, name;  // the object it is on: Deployment shop/cart
  std::string var, value;
};

// Every plain `env[].value` of the pod templates of Deployments, StatefulSets, DaemonSets,
// ReplicaSets and Pods, in object and container order. Read before the objects are mapped.
std::vector<EnvReference> environmentReferences(const std::vector<Object>& objects);

// The host a value names, if any: "svc", "svc.ns", "svc.ns.svc[.cluster.local]", with or
// without a scheme, port, credentials and path; "" for values that are not an address.
std::string hostOf(const std::string& value);

// For each workload with no calls yet, one call per Service its variables name (in their
// order, each Service once, never its own); a workload no Service selects (a load generator,
// a job) becomes a traffic origin instead: an entry point on each Service it calls. Each
// call is stated as an assumption, since how often it happens is not in the manifests.
void callsFromEnvironment(const std::vector<EnvReference>& refs, Draft& d, ImportReport& report);

}  // namespace meshtwin::importer
