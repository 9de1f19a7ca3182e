// The test application the benchmarks and the testbed put behind the proxies, in two modes:
// TestApp, an HTTP/1.1 server (Boost.Beast) that answers every request with 200 and a body
// of a fixed size; and WorkloadApp, one pod of a scenario's workload, which waits the
// workload's service time, runs its script (sleeps and calls to other services' VIPs) and
// answers with its response size, as the simulator's app replica does.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "meshtwin/dataplane/apps/latency_histogram.hpp"
#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/l7.hpp"
#include "meshtwin/dataplane/snapshot.hpp"

namespace meshtwin::dataplane::apps {

class TestApp : public std::enable_shared_from_this<TestApp> {
 public:
  static Result<std::shared_ptr<TestApp>> bind(Executor ex, const tcp::endpoint& at, std::size_t response_bytes);
  void start();
  void stop();  // stops accepting; open connections finish their current exchange
  [[nodiscard]] tcp::endpoint address() const { return address_; }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }
  [[nodiscard]] std::uint64_t connections() const { return connections_; }

 private:
  TestApp(Executor ex, tcp::acceptor a, std::string response)
      : ex_(std::move(ex)), acceptor_(std::move(a)), response_(std::move(response)) {}
  Task<void> acceptLoop();
  Task<void> serve(tcp::socket s);

  Executor ex_;
  tcp::acceptor acceptor_;
  std::string response_;  // status line, headers and body, serialised once
  tcp::endpoint address_;
  std::uint64_t requests_ = 0;
  std::uint64_t connections_ = 0;
};

// ---- scenario-workload mode ---------------------------------------------------------------

inline constexpr const char* kSourceHeader = "x-meshtwin-source";         // "ns/pod" of the caller
inline constexpr const char* kFailedCallHeader = "x-meshtwin-failed-call";  // "ns/service" on a 503
inline constexpr const char* kFailureHeader = "x-meshtwin-failure";         // the failure's cause on a 503
inline constexpr const char* kAppStatsFormat = "meshtwin.app-stats/v1";

struct WorkloadAppOptions {
  // The draws (service times, call probabilities) come from a stream keyed by (seed, pod):
  // each pod draws its own, and the same seed repeats a run.
  std::uint64_t seed = 0;
  std::chrono::milliseconds call_timeout{10'000};  // a call slower than this fails ("timeout")
  // Requests waiting for one of the workload's `concurrency` servers before a 503; the
  // simulator's SimOptions::app_queue_limit.
  std::size_t queue_limit = 1024;
};

// What a pod saw of its calls to one service. Causes: "connect", "bind", "timeout", "reset",
// "http_<status>" (the callee answered other than 2xx).
struct CallStats {
  std::uint64_t calls = 0;
  std::map<std::string, std::uint64_t> failures;  // by cause
  std::uint64_t response_bytes = 0;               // bodies of successful calls
  LatencyHistogram latency_ns;                    // successful calls, as the simulator's edges
};

// One request as the pod received it (for tests and logs).
struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string source;  // the x-meshtwin-source header, "" when absent
  std::size_t body_bytes = 0;
  tcp::endpoint peer;
};

class WorkloadApp : public std::enable_shared_from_this<WorkloadApp> {
 public:
  // The workload pod `pod` ("ns/pod") of the view; an Error that names it and lists the
  // pods there are when it is not one.
  static Result<models::PodId> findWorkloadPod(const MeshView& view, const std::string& pod);
  // Binds the pod's app address from the snapshot (port 0: an ephemeral one). Errors: not a
  // workload pod, no app address, a called service without a VIP, an address not bindable.
  static Result<std::shared_ptr<WorkloadApp>> create(Executor ex, std::shared_ptr<const MeshView> view,
                                                     const std::string& pod, WorkloadAppOptions options = {});
  void start();
  void stop();  // stops accepting and drops idle upstream connections; requests under way finish

  [[nodiscard]] tcp::endpoint address() const { return address_; }
  [[nodiscard]] const std::string& pod() const { return pod_key_; }
  [[nodiscard]] const models::Workload& workload() const { return view_->scenario.workloads[workload_]; }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }  // answered
  [[nodiscard]] std::uint64_t errors() const { return errors_; }      // answered with 503
  [[nodiscard]] std::uint64_t inFlight() const { return in_flight_; }
  [[nodiscard]] std::uint64_t connections() const { return connections_; }
  [[nodiscard]] const std::map<std::string, CallStats>& calls() const { return calls_; }  // by "ns/service"
  // The stats file's JSON (kAppStatsFormat).
  [[nodiscard]] std::string statsJson() const;
  // Called on the io thread as each request arrives, before its service time.
  void onRequest(std::function<void(const ReceivedRequest&)> observer) { observer_ = std::move(observer); }

 private:
  struct CallOutcome {
    bool ok = false;
    std::string cause;   // when failed
    std::string detail;  // when failed: for the 503's body
    std::size_t response_bytes = 0;
  };
  struct Group;
  WorkloadApp(Executor ex, tcp::acceptor a, std::shared_ptr<const MeshView> view, models::PodId pod,
              WorkloadAppOptions options);
  Task<void> acceptLoop();
  Task<HttpResponseMsg> handle(HttpRequestMsg req, tcp::endpoint peer);
  Task<HttpResponseMsg> respond();
  struct SlotWaiter;
  // A server for this request: when it got one (for a request that queued, the instant the
  // previous holder released it), or nullopt when the queue is full.
  Task<std::optional<std::chrono::steady_clock::time_point>> acquireServer();
  void releaseServer(std::chrono::steady_clock::time_point now);
  Task<void> callInGroup(const models::Call* call, std::shared_ptr<Group> group);
  Task<CallOutcome> call(const models::Call& c);
  Task<CallOutcome> exchange(const tcp::endpoint& vip, const HttpRequestMsg& req,
                             std::chrono::steady_clock::time_point deadline);
  std::int64_t drawServiceTimeNs();

  Executor ex_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const MeshView> view_;
  std::size_t workload_;
  std::string pod_key_;
  asio::ip::address source_ip_;  // outbound sockets bind here: the node's ztunnel knows pods by IP
  WorkloadAppOptions options_;
  tcp::endpoint address_;
  std::mt19937_64 rng_;
  int free_servers_;
  std::deque<std::shared_ptr<SlotWaiter>> waiting_;  // for a server, first come first served
  std::map<tcp::endpoint, std::vector<std::shared_ptr<tcp::socket>>> idle_;  // keep-alive, by VIP
  std::map<std::string, CallStats> calls_;
  LatencyHistogram served_ns_;
  // How long each request held its server (granted -> released, the hand-over to a queued
  // request included) against the service time drawn for it: what the scenario asked of
  // the slot and what the testbed delivered (timer wake-up, scheduling on a shared host).
  LatencyHistogram held_ns_;
  double nominal_ns_sum_ = 0;
  std::uint64_t requests_ = 0, errors_ = 0, rejected_ = 0, in_flight_ = 0, connections_ = 0;
  std::function<void(const ReceivedRequest&)> observer_;
};

// `meshtwin-app`: the program around TestApp or WorkloadApp (--help for its options).
int runAppProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace meshtwin::dataplane::apps
