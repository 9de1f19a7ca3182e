// The test application's two modes (the fixed-size HTTP/1.1 responder and one pod of a
// scenario's workload) and its program.
#include "meshtwin/dataplane/apps/test_app.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <sys/prctl.h>
#include <ostream>

#include <CLI/CLI.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/units.hpp"
#include "command_line.hpp"

namespace meshtwin::dataplane::apps {

namespace http = boost::beast::http;

Result<std::shared_ptr<TestApp>> TestApp::bind(Executor ex, const tcp::endpoint& at, std::size_t response_bytes) {
  auto acceptor = bindAcceptor(ex, at, "test app");
  if (!acceptor) return acceptor.error();
  // Serialised once: every response is the same, so the app spends its CPU on I/O only.
  std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                         std::to_string(response_bytes) + "\r\n\r\n" + std::string(response_bytes, 'x');
  std::shared_ptr<TestApp> app(new TestApp(std::move(ex), std::move(acceptor).value(), std::move(response)));
  app->address_ = app->acceptor_.local_endpoint();
  return app;
}

void TestApp::start() { asio::co_spawn(ex_, [self = shared_from_this()] { return self->acceptLoop(); }, asio::detached); }

void TestApp::stop() {
  ErrorCode ignored;
  acceptor_.close(ignored);
}

Task<void> TestApp::acceptLoop() {
  auto self = shared_from_this();
  while (acceptor_.is_open()) {
    ErrorCode ec;
    tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec));
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      continue;  // EMFILE and the like: the next accept may succeed
    }
    ++connections_;
    asio::co_spawn(ex_, serve(std::move(s)), asio::detached);
  }
}

Task<void> TestApp::serve(tcp::socket s) {
  auto self = shared_from_this();
  ErrorCode ec;
  s.set_option(tcp::no_delay(true), ec);
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    co_await http::async_read(s, buffer, parser, asio::redirect_error(kUseTask, ec));
    if (ec) break;  // end of stream or a malformed request: close
    ++requests_;
    co_await asio::async_write(s, asio::buffer(response_), asio::redirect_error(kUseTask, ec));
    if (ec || !parser.get().keep_alive()) break;
  }
  s.shutdown(tcp::socket::shutdown_send, ec);
}

// ---- scenario-workload mode ---------------------------------------------------------------

namespace {

// The pod's stream seed from (seed, "ns/pod"), as engine::RngStream(seed, name) derives its
// state: the seed xor an FNV-1a hash of the name, through splitmix64.
std::uint64_t streamSeed(std::uint64_t seed, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  std::uint64_t z = (seed ^ h) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The draws are written out over mt19937_64 (whose sequence the standard fixes) because the
// std:: distributions differ between standard libraries; they are engine::RngStream's.
double uniform(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }  // [0, 1)

double standardNormal(std::mt19937_64& g) {
  // Marsaglia's polar method (the second value is dropped: one draw per request is cheap).
  double u = 0, v = 0, s = 0;
  do {
    u = 2 * uniform(g) - 1;
    v = 2 * uniform(g) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  return u * std::sqrt(-2 * std::log(s) / s);
}

// A lognormal's (mu, sigma) from its mean and 99th percentile. Mirrors
// engine::LogNormal::fromMeanP99 (the data plane does not link sim/): sigma solves
// mean = exp(mu + sigma^2/2), p99 = exp(mu + z99 sigma), the smaller root; nullopt when no
// lognormal has that mean and p99.
struct LogNormalParams {
  double mu = 0;
  double sigma = 0;
};
std::optional<LogNormalParams> logNormalFromMeanP99(double mean, double p99) {
  constexpr double kZ99 = 2.3263478740408408;
  if (!(mean > 0) || !(p99 > mean)) return std::nullopt;
  const double disc = kZ99 * kZ99 - 2 * std::log(p99 / mean);
  if (disc < 0) return std::nullopt;
  LogNormalParams out;
  out.sigma = kZ99 - std::sqrt(disc);
  out.mu = std::log(mean) - out.sigma * out.sigma / 2;
  return out;
}

std::optional<std::string> headerOf(const HttpResponseMsg& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

nlohmann::json latencyJson(const LatencyHistogram& h) {
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  return {{"count", h.count()},        {"mean", h.mean() / 1e3},         {"p50", us(h.percentile(50))},
          {"p90", us(h.percentile(90))}, {"p99", us(h.percentile(99))}, {"p999", us(h.percentile(99.9))},
          {"max", us(h.max())}};
}

std::string locText(const models::SourceLoc& l) {
  return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.col);
}

}  // namespace

// The calls of one script step, made concurrently; the step ends when all have.
struct WorkloadApp::Group {
  explicit Group(Executor ex) : done(std::move(ex)) {}
  std::size_t pending = 0;
  bool failed = false;
  std::string service, cause, detail;  // the first failure to complete
  Event done;
};

Result<models::PodId> WorkloadApp::findWorkloadPod(const MeshView& view, const std::string& pod) {
  const std::string what = "run workload pod";
  auto it = view.pod_by_key.find(pod);
  if (it == view.pod_by_key.end() || view.scenario.pods[it->second].owner != models::Pod::Owner::Workload) {
    std::vector<std::string> pods;
    for (models::PodId p = 0; p < view.scenario.pods.size(); ++p) {
      if (view.scenario.pods[p].owner == models::Pod::Owner::Workload) pods.push_back(view.podKey(p));
    }
    const std::string origin = view.snapshot.scenario_file.empty() ? std::string("the snapshot's scenario")
                                                                    : view.snapshot.scenario_file;
    const std::string cause = it == view.pod_by_key.end() ? "no such pod in " + origin
                                                           : "a waypoint's pod, not a workload's";
    return Error{what, pod, cause,
                 models::suggestionHint(pod, pods, "workload pods (ns/<workload>-<i>)")};
  }
  return it->second;
}

Result<std::shared_ptr<WorkloadApp>> WorkloadApp::create(Executor ex, std::shared_ptr<const MeshView> view,
                                                         const std::string& pod, WorkloadAppOptions options) {
  auto id = findWorkloadPod(*view, pod);
  if (!id) return id.error();
  const models::PodId p = id.value();
  const auto& s = view->scenario;
  const auto& wl = s.workloads[s.pods[p].owner_id];
  if (!view->pod_app[p]) {
    return Error{"run workload pod", pod, "the snapshot gives it no app address (pod_app)",
                 "`meshtwin snapshot --addresses` must list the pod as \"" + pod + "\": \"ip:port\""};
  }
  for (const auto& step : wl.script) {
    for (const auto& c : step.calls) {
      if (view->service_vip[c.service]) continue;
      return Error{"run workload pod", pod,
                   "its script (" + locText(c.loc) + ") calls " + s.services[c.service].key() +
                       ", which has no VIP in the snapshot (service_vip)",
                   "`meshtwin snapshot --addresses` must list every service the workload calls"};
    }
  }
  auto acceptor = bindAcceptor(ex, *view->pod_app[p], "workload pod " + pod);
  if (!acceptor) return acceptor.error();
  std::shared_ptr<WorkloadApp> app(
      new WorkloadApp(std::move(ex), std::move(acceptor).value(), std::move(view), p, options));
  app->address_ = app->acceptor_.local_endpoint();
  return app;
}

WorkloadApp::WorkloadApp(Executor ex, tcp::acceptor a, std::shared_ptr<const MeshView> view, models::PodId pod,
                         WorkloadAppOptions options)
    : ex_(std::move(ex)),
      acceptor_(std::move(a)),
      view_(std::move(view)),
      workload_(view_->scenario.pods[pod].owner_id),
      pod_key_(view_->podKey(pod)),
      source_ip_(view_->pod_app[pod]->address()),
      options_(options),
      rng_(streamSeed(options.seed, pod_key_)),
      free_servers_(std::max(1, workload().concurrency)) {}

void WorkloadApp::start() {
  asio::co_spawn(ex_, [self = shared_from_this()] { return self->acceptLoop(); }, asio::detached);
}

void WorkloadApp::stop() {
  ErrorCode ignored;
  acceptor_.close(ignored);
  for (auto& [vip, sockets] : idle_) {
    for (auto& s : sockets) s->close(ignored);
  }
  idle_.clear();
}

Task<void> WorkloadApp::acceptLoop() {
  auto self = shared_from_this();
  while (acceptor_.is_open()) {
    ErrorCode ec;
    tcp::socket accepted = co_await acceptor_.async_accept(asio::redirect_error(kUseTask, ec));
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      continue;  // EMFILE and the like: the next accept may succeed
    }
    ++connections_;
    auto s = std::make_shared<tcp::socket>(std::move(accepted));
    s->set_option(tcp::no_delay(true), ec);
    const tcp::endpoint peer = s->remote_endpoint(ec);
    // HTTP/1.1 with keep-alive, or h2 with prior knowledge: l7's serveHttp sniffs the preface.
    HttpHandler handler = [self, peer](HttpRequestMsg r) { return self->handle(std::move(r), peer); };
    asio::co_spawn(ex_, serveHttp(std::move(s), std::move(handler)), asio::detached);
  }
}

Task<HttpResponseMsg> WorkloadApp::handle(HttpRequestMsg req, tcp::endpoint peer) {
  auto self = shared_from_this();
  const auto started = std::chrono::steady_clock::now();
  ++in_flight_;
  if (observer_) {
    ReceivedRequest seen{req.method, req.target, {}, req.body.size(), peer};
    if (auto it = req.headers.find(kSourceHeader); it != req.headers.end()) seen.source = it->second;
    observer_(seen);
  }
  HttpResponseMsg res = co_await respond();
  --in_flight_;
  ++requests_;
  if (res.status != 200) ++errors_;
  served_ns_.record(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count());
  co_return res;
}

// The simulator's order (PhaseSim::serve, then ServeFlow): the service time on one of the
// workload's `concurrency` servers (queued when all are busy, 503 past the queue limit), then
// the script step by step; a step's calls are drawn against their probabilities first and
// made together; when one fails the step still waits for the others, the rest of the script
// is skipped and the request fails (here: 503 naming the call). Otherwise 200 with the
// workload's response size.
Task<HttpResponseMsg> WorkloadApp::respond() {
  const auto& wl = workload();
  const auto granted = co_await acquireServer();
  if (!granted) {
    ++rejected_;
    HttpResponseMsg res;
    res.status = 503;
    res.headers.emplace_back(kFailureHeader, "queue_full");
    res.body = "app " + pod_key_ + ": queue full\n";
    co_return res;
  }
  {
    // A timer, not CPU: the testbed runs tens of pods on a few cores.
    const auto nominal = drawServiceTimeNs();
    asio::steady_timer service(ex_, std::chrono::nanoseconds(nominal));
    ErrorCode ec;
    co_await service.async_wait(asio::redirect_error(kUseTask, ec));
    const auto released = std::chrono::steady_clock::now();
    held_ns_.record(std::chrono::duration_cast<std::chrono::nanoseconds>(released - *granted).count());
    nominal_ns_sum_ += static_cast<double>(nominal);
    releaseServer(released);
  }
  for (const auto& step : wl.script) {
    if (step.kind == models::ScriptStep::Kind::Sleep) {
      asio::steady_timer sleep(ex_, std::chrono::nanoseconds(step.sleep_ns));
      ErrorCode ec;
      co_await sleep.async_wait(asio::redirect_error(kUseTask, ec));
      continue;
    }
    std::vector<const models::Call*> made;
    for (const auto& c : step.calls) {
      if (c.probability >= 1.0 || uniform(rng_) < c.probability) made.push_back(&c);
    }
    if (made.empty()) continue;
    auto group = std::make_shared<Group>(ex_);
    group->pending = made.size();
    for (const auto* c : made) asio::co_spawn(ex_, callInGroup(c, group), asio::detached);
    co_await group->done.wait();
    if (group->failed) {
      HttpResponseMsg res;
      res.status = 503;
      res.headers.emplace_back(kFailedCallHeader, group->service);
      res.headers.emplace_back(kFailureHeader, group->cause);
      res.body = pod_key_ + ": call to " + group->service + " failed: " + group->detail + "\n";
      co_return res;
    }
  }
  HttpResponseMsg res;
  res.headers.emplace_back("content-type", "application/octet-stream");
  res.body.assign(static_cast<std::size_t>(std::max<std::int64_t>(wl.response_bytes, 0)), 'x');
  co_return res;
}

struct WorkloadApp::SlotWaiter {
  explicit SlotWaiter(Executor ex) : turn(std::move(ex)) {}
  Event turn;
  std::chrono::steady_clock::time_point granted;
};

Task<std::optional<std::chrono::steady_clock::time_point>> WorkloadApp::acquireServer() {
  if (free_servers_ > 0) {
    --free_servers_;
    co_return std::chrono::steady_clock::now();
  }
  if (waiting_.size() >= options_.queue_limit) co_return std::nullopt;
  auto waiter = std::make_shared<SlotWaiter>(ex_);
  waiting_.push_back(waiter);
  co_await waiter->turn.wait();
  co_return waiter->granted;  // the request that released the server handed it over then
}

void WorkloadApp::releaseServer(std::chrono::steady_clock::time_point now) {
  if (waiting_.empty()) {
    ++free_servers_;
    return;
  }
  auto next = std::move(waiting_.front());
  waiting_.pop_front();
  next->granted = now;
  next->turn.set();
}

Task<void> WorkloadApp::callInGroup(const models::Call* c, std::shared_ptr<Group> group) {
  auto self = shared_from_this();
  CallOutcome o = co_await call(*c);
  if (!o.ok && !group->failed) {
    group->failed = true;
    group->service = view_->scenario.services[c->service].key();
    group->cause = o.cause;
    group->detail = o.detail;
  }
  if (--group->pending == 0) group->done.set();
}

Task<WorkloadApp::CallOutcome> WorkloadApp::call(const models::Call& c) {
  const auto& svc = view_->scenario.services[c.service];
  auto& stats = calls_[svc.key()];
  ++stats.calls;
  HttpRequestMsg req;
  req.method = c.method;
  req.target = c.path;
  req.authority = serviceFqdn(svc) + ":" + std::to_string(svc.ports.empty() ? 80 : svc.ports.front().port);
  req.headers[kSourceHeader] = pod_key_;
  // The loader resolves a call without a size to the caller's requestSize; 0 is kept as a
  // fallback for scenarios built in code.
  const std::int64_t bytes = c.request_bytes > 0 ? c.request_bytes : workload().request_bytes;
  req.body.assign(static_cast<std::size_t>(std::max<std::int64_t>(bytes, 0)), 'x');
  const tcp::endpoint vip = *view_->service_vip[c.service];  // create() checked there is one
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + options_.call_timeout;
  CallOutcome o = co_await exchange(vip, req, deadline);
  if (o.ok) {
    stats.response_bytes += o.response_bytes;
    stats.latency_ns.record(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count());
  } else {
    ++stats.failures[o.cause];
    o.detail = "VIP " + toString(vip) + ": " + o.detail;
  }
  co_return o;
}

Task<WorkloadApp::CallOutcome> WorkloadApp::exchange(const tcp::endpoint& vip, const HttpRequestMsg& req,
                                                     std::chrono::steady_clock::time_point deadline) {
  auto failed = [](std::string cause, std::string detail) {
    CallOutcome o;
    o.cause = std::move(cause);
    o.detail = std::move(detail);
    return o;
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<tcp::socket> s;
    bool reused = false;
    auto& idle = idle_[vip];
    while (!idle.empty() && !s) {
      auto candidate = std::move(idle.back());
      idle.pop_back();
      if (candidate->is_open()) {
        s = std::move(candidate);
        reused = true;
      }
    }
    ErrorCode ec;
    if (!s) {
      // Bound to the pod's own IP before connecting: pods share their node's network
      // namespace, and the node's ztunnel knows the source pod by its address.
      s = std::make_shared<tcp::socket>(ex_);
      s->open(vip.protocol(), ec);
      if (!ec) s->bind(tcp::endpoint(source_ip_, 0), ec);
      if (ec) co_return failed("bind", "bind to the pod's address " + source_ip_.to_string() + ": " + ec.message());
    }
    // The deadline closes the socket; a shared flag says so, since the handler may run after
    // this frame is gone.
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer timer(ex_, deadline);
    timer.async_wait([s, timed_out](ErrorCode e) {
      if (e) return;
      *timed_out = true;
      ErrorCode ignored;
      s->close(ignored);
    });
    if (!reused) {
      co_await s->async_connect(vip, asio::redirect_error(kUseTask, ec));
      if (ec) {
        timer.cancel();
        if (*timed_out) co_return failed("timeout", "no connection within the call timeout");
        co_return failed("connect", "connect: " + ec.message());
      }
      s->set_option(tcp::no_delay(true), ec);
    }
    try {
      HttpResponseMsg res = co_await http1Exchange(*s, req);
      timer.cancel();
      const bool keep = !*timed_out && headerOf(res, "connection") != "close";
      if (keep && idle_[vip].size() < 64) idle_[vip].push_back(s);
      if (res.status < 200 || res.status > 299) {
        std::string detail = "answered " + std::to_string(res.status);
        if (auto call = headerOf(res, kFailedCallHeader)) detail += " (its call to " + *call + " failed)";
        co_return failed("http_" + std::to_string(res.status), detail);
      }
      CallOutcome ok;
      ok.ok = true;
      ok.response_bytes = res.body.size();
      co_return ok;
    } catch (const boost::system::system_error& e) {
      timer.cancel();
      if (*timed_out) co_return failed("timeout", "no answer within the call timeout");
      if (reused) continue;  // the idle connection had gone stale: once more on a fresh one
      co_return failed("reset", std::string("connection lost before the answer: ") + e.what());
    }
  }
  co_return failed("reset", "connection lost before the answer, twice");
}

// As the simulator's PhaseSim::serve draws it: constant, exponential, or lognormal from mean
// and p99 (the mean when no lognormal has that p99).
std::int64_t WorkloadApp::drawServiceTimeNs() {
  const auto& st = workload().service_time;
  double ns = static_cast<double>(st.mean_ns);
  switch (st.kind) {
    case models::ServiceTime::Kind::Constant: break;
    case models::ServiceTime::Kind::Exponential: ns = -ns * std::log(1.0 - uniform(rng_)); break;
    case models::ServiceTime::Kind::LogNormal:
      if (auto ln = logNormalFromMeanP99(ns, static_cast<double>(st.p99_ns)))
        ns = std::exp(ln->mu + ln->sigma * standardNormal(rng_));
      break;
  }
  return static_cast<std::int64_t>(ns);
}

std::string WorkloadApp::statsJson() const {
  nlohmann::json calls = nlohmann::json::object();
  for (const auto& [service, st] : calls_) {
    calls[service] = {{"calls", st.calls},
                      {"failures", st.failures},
                      {"response_bytes", st.response_bytes},
                      {"latency_us", latencyJson(st.latency_ns)}};
  }
  const nlohmann::json j = {{"format", kAppStatsFormat},
                            {"pod", pod_key_},
                            {"workload", workload().key()},
                            {"seed", options_.seed},
                            {"requests", requests_},
                            {"errors", errors_},
                            {"rejected", rejected_},
                            {"latency_us", latencyJson(served_ns_)},
                            {"service_held_us", latencyJson(held_ns_)},
                            {"service_nominal_mean_us",
                             held_ns_.count() ? nominal_ns_sum_ / static_cast<double>(held_ns_.count()) / 1e3 : 0.0},
                            {"calls", calls}};
  return j.dump(2) + "\n";
}

// ---- the program ----------------------------------------------------------------------------

namespace {

int runWorkloadMode(const std::string& snapshot_file, const std::string& pod, std::uint64_t seed,
                    const std::string& stats_file, const std::string& port_file, std::ostream& out, std::ostream& err) {
  auto snapshot = readSnapshotFile(snapshot_file);
  if (!snapshot) {
    err << "meshtwin-app: " << snapshot.error().text() << "\n";
    return 1;
  }
  auto view = buildMeshView(std::move(snapshot).value());
  if (!view) {
    err << "meshtwin-app: " << view.error().text() << "\n";
    return 1;
  }
  if (auto p = WorkloadApp::findWorkloadPod(*view.value(), pod); !p) {
    err << "meshtwin-app: " << p.error().text() << "\n";
    return 2;  // --pod names nothing in the snapshot: a usage error
  }
  // A service time is a timer: the default 50 us timer slack would lengthen every one of
  // them (and the load generator sets its own to 1 ns for the same reason).
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  asio::io_context io(1);
  WorkloadAppOptions options;
  options.seed = seed;
  auto app = WorkloadApp::create(io.get_executor(), view.value(), pod, options);
  if (!app) {
    err << "meshtwin-app: " << app.error().text() << "\n";
    return 1;
  }
  app.value()->start();
  // Signals are caught before the port file says the app is up, so a stop never kills it.
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const ErrorCode&, int) {
    app.value()->stop();
    io.stop();
  });
  if (!port_file.empty()) {
    if (auto r = writeFileAtomically(port_file, toString(app.value()->address()) + "\n"); !r) {
      err << "meshtwin-app: " << r.error().text() << "\n";
      return 1;
    }
  }
  const auto& wl = app.value()->workload();
  out << "meshtwin-app: " << pod << " (workload " << wl.key() << ") listening on " << toString(app.value()->address())
      << ", " << wl.script.size() << " script step(s), " << wl.response_bytes << "-byte responses" << std::endl;
  io.run();
  std::uint64_t calls = 0, failed = 0;
  for (const auto& [service, st] : app.value()->calls()) {
    calls += st.calls;
    for (const auto& [cause, n] : st.failures) failed += n;
  }
  int rc = 0;
  if (!stats_file.empty()) {
    if (auto r = writeFileAtomically(stats_file, app.value()->statsJson()); !r) {
      err << "meshtwin-app: " << r.error().text() << "\n";
      rc = 1;
    }
  }
  out << "meshtwin-app: " << pod << " stopped after " << app.value()->requests() << " request(s) ("
      << app.value()->errors() << " answered 503) on " << app.value()->connections() << " connection(s), " << calls
      << " call(s) (" << failed << " failed)" << std::endl;
  return rc;
}

}  // namespace

int runAppProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App cli{"meshtwin-app: the test application, in one of two modes. Stops on SIGTERM/SIGINT.\n"
               "  Fixed mode (default): an HTTP/1.1 server that answers every request with 200 and a body\n"
               "    of --response-size bytes, keep-alive as the client asks.\n"
               "  Workload mode (--snapshot FILE --pod NS/POD): one pod of a scenario's workload, listening on\n"
               "    the pod's app address in the control-plane snapshot (HTTP/1.1, or h2 with prior knowledge).\n"
               "    Per request, as the simulator: wait the workload's service time (a timer), run its script\n"
               "    (sleeps; calls to the services' VIPs from the snapshot over keep-alive HTTP/1.1, from the\n"
               "    pod's own IP, with the header x-meshtwin-source: NS/POD, each failing after 10 s; a\n"
               "    group's calls at once; each call made with its probability), then answer 200 with the\n"
               "    workload's responseSize, or 503 naming the failed call (x-meshtwin-failed-call).",
               "meshtwin-app"};
  std::string listen = "127.0.0.1:0", size = "1KiB", port_file, snapshot_file, pod, stats_file;
  std::uint64_t seed = 0;
  auto* listen_opt =
      cli.add_option("--listen", listen, "Fixed mode: address to listen on, ip:port (port 0: an ephemeral port)")
          ->capture_default_str();
  auto* size_opt =
      cli.add_option("--response-size", size, "Fixed mode: response body size, e.g. 1KiB, 512B, 1MB")->capture_default_str();
  cli.add_option("--port-file", port_file, "Write the bound address (ip:port) to FILE once listening, atomically");
  auto* snapshot_opt = cli.add_option("--snapshot", snapshot_file,
                                      "Workload mode: the control-plane snapshot (meshtwin snapshot) to run a pod of");
  auto* pod_opt = cli.add_option("--pod", pod, "Workload mode: the pod to be, NS/POD (e.g. shop/cart-0)");
  auto* seed_opt = cli.add_option("--seed", seed,
                                  "Workload mode: seed of the pod's draws (service times, call probabilities); the "
                                  "stream is keyed by the seed and the pod's name")
                       ->capture_default_str();
  auto* stats_opt = cli.add_option("--stats-file", stats_file,
                                   "Workload mode: at a clean stop, write the pod's counts (requests, 503s, per called "
                                   "service: calls, failures by cause, latency percentiles) to FILE as JSON, atomically");
  listen_opt->excludes(snapshot_opt);
  size_opt->excludes(snapshot_opt);
  snapshot_opt->needs(pod_opt);
  pod_opt->needs(snapshot_opt);
  seed_opt->needs(snapshot_opt);
  stats_opt->needs(snapshot_opt);
  if (auto rc = parseCommandLine(cli, argc, argv, out, err, "meshtwin-app")) return *rc;
  if (!snapshot_file.empty()) return runWorkloadMode(snapshot_file, pod, seed, stats_file, port_file, out, err);
  const auto at = parseEndpoint(listen);
  if (!at) {
    err << "meshtwin-app: " << Error{"parse --listen", listen, "not ip:port", "e.g. 127.0.0.1:0"}.text() << "\n";
    return 2;
  }
  const auto bytes = models::parseBytes(size);
  if (!bytes.ok() || bytes.value() < 0) {
    err << "meshtwin-app: " << Error{"parse --response-size", size, bytes.ok() ? "negative" : bytes.error(), {}}.text()
        << "\n";
    return 2;
  }
  asio::io_context io(1);
  auto app = TestApp::bind(io.get_executor(), *at, static_cast<std::size_t>(bytes.value()));
  if (!app) {
    err << "meshtwin-app: " << app.error().text() << "\n";
    return 1;
  }
  app.value()->start();
  if (!port_file.empty()) {
    if (auto r = writeFileAtomically(port_file, toString(app.value()->address()) + "\n"); !r) {
      err << "meshtwin-app: " << r.error().text() << "\n";
      return 1;
    }
  }
  out << "meshtwin-app: listening on " << toString(app.value()->address()) << ", " << bytes.value()
      << "-byte responses" << std::endl;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const ErrorCode&, int) {
    app.value()->stop();
    io.stop();
  });
  io.run();
  out << "meshtwin-app: stopped after " << app.value()->requests() << " request(s) on " << app.value()->connections()
      << " connection(s)" << std::endl;
  return 0;
}

}  // namespace meshtwin::dataplane::apps
