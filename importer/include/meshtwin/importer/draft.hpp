// The importer's working model: what the readers (manifests, live API, Prometheus, isotope)
// learn about a cluster, before it becomes a meshtwin/v1 scenario. Every field a reader does
// not know stays unset, so the finishing step can say which default it assumed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::importer {

// Where an object came from: "manifests/shop.yaml", line and column 1-based (0 = unknown).
struct Origin {
  std::string source;
  int line = 0;
  int column = 0;
};
std::string toString(const Origin& o);  // "file:line:col", or "file" when the line is unknown

// One Kubernetes object as read from a manifest, a kubectl dump or the live API. `body` is
// the whole object (apiVersion, kind, metadata, spec, ...) as JSON.
struct Object {
  std::string api_version;  // "apps/v1"
  std::string kind;         // "Deployment"
  std::string ns;           // "" for cluster-scoped objects
  std::string name;
  nlohmann::json body;
  Origin origin;
  [[nodiscard]] std::string key() const { return ns.empty() ? name : ns + "/" + name; }
  [[nodiscard]] std::string ref() const { return kind + " " + key(); }  // "Deployment shop/cart"
};

// One step of a call script (meshtwin/v1 `script`): a sleep, one call, or calls made at once.
struct DraftCall {
  std::string service;  // "cart.shop" or "cart" (same namespace)
  std::int64_t request_bytes = 0;  // 0 = the workload's requestSize
  double probability = 1.0;        // 0..1
  std::string method = "GET";
  std::string path = "/";
};
struct DraftStep {
  std::int64_t sleep_ns = 0;     // a sleep when `calls` is empty
  std::vector<DraftCall> calls;  // one call, or several made concurrently
};

struct DraftWorkload {
  std::string ns, name;
  std::string kind = "Deployment";  // the owning kind it came from (Deployment, StatefulSet, ...)
  std::string service_account;      // "" = the workload's name
  std::optional<int> replicas;
  std::map<std::string, std::string> labels;  // pod labels, plus the namespace's owner labels
  std::optional<std::int64_t> cpu_request_m, cpu_limit_m, memory_request_bytes, memory_limit_bytes;
  std::optional<models::MeshMode> mode;  // set when the workload itself says (inject annotation, istio-proxy container)
  std::optional<models::ServiceTime> service_time;
  std::optional<std::int64_t> request_bytes, response_bytes;
  std::optional<int> concurrency;
  std::vector<DraftStep> script;
  std::set<std::string> l7;  // meshtwin/v1 l7 feature names ("retries", "l7Authz", ...)
  std::vector<std::string> notes;  // provenance, one phrase each ("from Deployment shop/cart")
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

struct DraftService {
  std::string ns, name;
  std::vector<std::string> workloads;  // backends, by workload name in ns
  std::vector<models::ServicePort> ports;
  std::vector<std::string> notes;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

struct DraftPool {
  std::string name;
  std::string instance_type;
  std::int64_t cpu_millicores = 0;
  std::int64_t memory_bytes = 0;
  std::optional<double> price_usd_per_hour;  // unset: the profile's price for the instance type, or an assumption
  int count_per_zone = 0;
  std::vector<std::string> zones;  // empty = all
  std::vector<std::string> notes;
};

struct DraftEntryPoint {
  std::string name;
  std::string service;  // "frontend.shop"
  std::string path = "/";
  std::vector<double> rps;        // one value per step; one value = constant
  std::int64_t step_ns = 0;       // duration of each value
  std::vector<std::string> zones;  // where clients enter (empty = all)
  std::vector<std::string> notes;
};

struct DraftWaypoint {
  std::string ns, name;
  std::string traffic = "service";  // istio.io/waypoint-for
  int replicas = 1;
  std::optional<models::Hpa> hpa;
  std::vector<std::string> notes;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

// istio.io/use-waypoint on a namespace (target "ns") or a service (target "ns/name").
struct DraftBinding {
  std::string scope = "namespace";  // namespace | service
  std::string target;
  std::string waypoint;  // a waypoint's name in the target's namespace, or "none"
};

struct Draft {
  std::string name = "imported";
  std::string description;
  std::string profile = "istio-1.24-published";
  std::vector<std::string> zones;
  std::vector<DraftPool> pools;
  std::vector<DraftWorkload> workloads;
  std::vector<DraftService> services;
  std::vector<DraftEntryPoint> entry_points;
  models::MeshMode default_mode = models::MeshMode::None;
  std::map<std::string, models::MeshMode> namespace_modes;
  std::map<std::string, models::MeshMode> workload_modes;  // "ns/name"
  std::vector<DraftWaypoint> waypoints;                    // existing waypoints (Gateway class istio-waypoint)
  std::vector<DraftBinding> bindings;
  std::vector<nlohmann::json> policies;  // Istio AuthorizationPolicy / PeerAuthentication, as meshtwin/v1 mesh.policies takes them
  std::vector<nlohmann::json> routes;    // Gateway API HTTPRoutes (GAMMA), as mesh.routes takes them
  std::vector<std::string> header;       // lines of the header comment (sources, counts)

  [[nodiscard]] DraftWorkload* findWorkload(const std::string& in_ns, const std::string& workload);
  [[nodiscard]] DraftService* findService(const std::string& in_ns, const std::string& service);
};

// What an import did, per kind and per object, for the report.
struct KindCount {
  int read = 0;
  int mapped = 0;
  int skipped = 0;
};
struct Skipped {
  std::string object;  // "ConfigMap shop/settings"
  std::string reason;  // "not modelled"
  Origin origin;
};
struct Assumption {
  std::string object;   // "workload shop/cart"
  std::string message;  // "no CPU request: profile default 100m used"
};
struct ImportReport {
  std::vector<std::string> sources;
  std::map<std::string, KindCount> kinds;  // by kind
  std::vector<Skipped> skipped;
  std::vector<Assumption> assumptions;
  void assume(std::string object, std::string message) { assumptions.push_back({std::move(object), std::move(message)}); }
  void skip(const Object& o, std::string reason) {
    ++kinds[o.kind].skipped;
    skipped.push_back({o.ref(), std::move(reason), o.origin});
  }
};

}  // namespace meshtwin::importer
