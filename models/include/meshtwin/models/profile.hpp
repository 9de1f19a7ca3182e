// Component cost profiles: how much CPU, memory and latency each proxy costs, as data with
// provenance. A profile names where every number comes from (published, derived from a
// published figure, measured on a host, or assumed) so reports can say what they rest on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"

namespace meshtwin::models {

enum class Basis { Published, Derived, Measured, Assumption };
const char* toString(Basis b);

struct ParamSource {
  Basis basis = Basis::Assumption;
  std::string ref;   // citation, or the calibration run
  std::string note;  // how it was derived
};

struct ResourceDefaults {
  std::int64_t cpu_request_millicores = 0;
  std::int64_t cpu_limit_millicores = 0;
  std::int64_t memory_request_bytes = 0;
  std::int64_t memory_limit_bytes = 0;
};

// Cost model of one proxy kind.
struct ComponentProfile {
  int worker_threads = 2;
  std::int64_t cpu_per_request_ns = 0;     // CPU time per request (or per stream at L4)
  std::int64_t cpu_per_kib_ns = 0;         // CPU time per KiB moved (request + response)
  std::int64_t cpu_per_connection_ns = 0;  // CPU time to set up a connection (TLS handshake)
  std::int64_t memory_base_bytes = 0;
  std::int64_t memory_per_connection_bytes = 0;
  std::int64_t memory_per_endpoint_bytes = 0;  // configuration held per known endpoint
  // Time a message spends passing the proxy beyond its CPU work (waking a worker, socket
  // hand-offs), per direction; it delays, it does not occupy a worker. Lognormal with this
  // mean and p99 (p99 0: constant). 0 in published profiles; `meshtwin calibrate` measures it.
  std::int64_t latency_per_pass_ns = 0;
  std::int64_t latency_per_pass_p99_ns = 0;
  ResourceDefaults resources;
};

struct NetworkProfile {
  std::int64_t hbone_overhead_bytes_per_stream = 0;  // CONNECT headers, frames
  double tls_overhead_fraction = 0;                  // record headers and tags per byte
  // Bytes a request or response message adds on the wire beyond its payload (HTTP headers,
  // TCP/IP headers and ACKs); 0 in published profiles.
  std::int64_t message_overhead_bytes = 0;
};

// What the testbed's own processes cost beside the proxies, for predicting a testbed run: they
// share the host's vCPUs with the proxies, so on a busy host their CPU is queueing the model
// must see. 0 in published profiles (a cluster's apps are the scenario's workloads, and its
// ingress runs elsewhere); `meshtwin calibrate` measures them.
struct TestbedProfile {
  std::int64_t app_cpu_per_request_ns = 0;      // the test app's CPU per request served (parsing, sockets, its calls)
  std::int64_t ingress_cpu_per_request_ns = 0;  // the load generator's CPU per entry request (HBONE client)
};

struct PricingProfile {
  // OpenCost splits a node's price into vCPU and GiB with the ratio of these defaults.
  double cpu_usd_per_vcpu_hour = 0.031611;
  double ram_usd_per_gib_hour = 0.004237;
};

// A published or measured observation the model is checked against.
struct Anchor {
  std::string component;  // sidecar | ztunnel | waypoint | path:<name>
  std::string metric;     // cpu_millicores | memory_bytes | latency_p50_ns | ...
  double value = 0;
  std::string conditions;  // e.g. "1000 rps, 1 KB, 2 workers"
  std::string ref;
};

struct Provenance {
  std::string kind;  // published | measured | mixed
  std::string source;
  std::string version;
  std::string date;
  std::string host;
  std::string commit;
  std::string notes;
};

struct Profile {
  std::string name;
  std::string file;  // where it was loaded from ("<embedded>/name.yaml" for shipped ones)
  Provenance provenance;
  ComponentProfile sidecar, ztunnel, waypoint;
  NetworkProfile network;
  TestbedProfile testbed;
  PricingProfile pricing;
  std::vector<Anchor> anchors;
  std::map<std::string, ParamSource> sources;  // "sidecar.cpuPerRequest" -> its source
};

// Loads a profile by name (a shipped profile such as "istio-1.24-published") or by path
// (relative paths resolve against `base_dir`). Problems go to `diags`.
Profile loadProfile(const std::string& name_or_path, const std::string& base_dir, Diagnostics& diags);
Profile loadProfileText(const std::string& text, const std::string& file, Diagnostics& diags);
// Names of the profiles compiled into the binary.
std::vector<std::string> shippedProfiles();

}  // namespace meshtwin::models
