// An open-loop HTTP/1.1 load generator: request i is due at a time fixed in advance (a fixed
// or Poisson timetable at the target rate), whether or not earlier requests have answered,
// and its latency is measured from that due time. A slow response therefore delays and
// charges the requests queued behind it instead of silently lowering the rate (no
// coordinated omission, as in wrk2). The requests go over plain TCP to --target, or (HBONE
// mode) each connection is an HBONE tunnel to a pod of a service, opened with an identity of
// the mesh the way Istio's ingress gateway reaches ambient pods; the timetable, the latency
// and the error causes are the same for both.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "meshtwin/dataplane/apps/latency_histogram.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/tls.hpp"

namespace meshtwin::dataplane::apps {

enum class Timetable { Fixed, Poisson };

// HBONE mode: connection k is a CONNECT tunnel (HTTP/2 over mTLS) to pod k mod n of the
// service's pods that the snapshot gives an app and an HBONE address (round robin), with
// :authority the pod's app address and the peer verified as the pod's identity.
struct HboneLoad {
  std::string snapshot_file;  // `meshtwin snapshot`: the service's pods and where they listen
  std::string identity_dir;   // `meshtwin ca issue`: the identity the tunnels are opened with
  std::string service;        // "ns/name"
  std::string as;             // "ns/sa": the identity of identity_dir to use; "": its only one
  dataplane::Clock clock = systemNow;  // when peer certificates are verified (tests fix it)
};

struct LoadOptions {
  std::string target;              // host:port (TCP mode)
  std::optional<HboneLoad> hbone;  // HBONE mode, instead of `target`
  std::string source;  // local IP every connection binds (port 0) before connecting; "": any
  std::string host;    // Host header; "": `target`, or in HBONE mode the service's FQDN
  double rps = 1000;   // over all connections
  int connections = 4;      // opened before the timetable starts
  // While every connection is busy a due request opens another, up to this many in all; at
  // the limit (or with 0) it waits for the first connection free, and the wait is latency.
  // A client that queues behind its own connections measures itself, not the system.
  int max_connections = 0;
  std::int64_t request_bytes = 1024;  // POST body; 0 sends a GET
  std::chrono::nanoseconds duration = std::chrono::seconds(30);  // measured
  std::chrono::nanoseconds warmup{0};                             // sent, not measured
  Timetable timetable = Timetable::Fixed;
  std::uint64_t seed = 1;  // Poisson gaps
  std::string path = "/";
  // How long after the last due time unanswered requests are waited for; then they count
  // as errors ("no response").
  std::chrono::nanoseconds grace = std::chrono::seconds(2);
};

struct LoadResult {
  std::uint64_t scheduled = 0;  // due in the measured window
  std::uint64_t completed = 0;  // of those, answered with a 2xx
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_causes;
  std::chrono::nanoseconds measured{0};  // the measured window's length
  std::size_t connections_used = 0;      // links at the end: --connections and those opened while all were busy
  LatencyHistogram latency_ns;           // due time -> complete response
  [[nodiscard]] double achievedRps() const;
};

// Runs the load on the calling thread and returns when every connection is done. The
// connections are opened before the timetable starts; when none opens, the run fails with
// the reason, unless the destination answered the tunnels (an HBONE CONNECT denied by policy):
// then every request counts that answer as its error, as it would an HTTP status.
Result<LoadResult> runLoad(const LoadOptions& options);

nlohmann::json toJson(const LoadOptions& options, const LoadResult& result);
void printReport(std::ostream& out, const LoadOptions& options, const LoadResult& result);

// `meshtwin-load`: the program around runLoad (--help for its options).
int runLoadProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace meshtwin::dataplane::apps
