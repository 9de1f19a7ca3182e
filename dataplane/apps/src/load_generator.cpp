// The open-loop load generator, on one thread: one coroutine plays a timetable fixed before
// the run starts and hands each request, when due, to a free link (a TCP connection or an
// HBONE tunnel; one loop, templated on the link), opening links while all are busy up to
// --max-connections and queueing the rest for the first link free.
#include "meshtwin/dataplane/apps/load_generator.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/snapshot.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/units.hpp"
#include "command_line.hpp"

namespace meshtwin::dataplane::apps {

namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

double LoadResult::achievedRps() const {
  if (measured.count() <= 0) return 0;
  return static_cast<double>(completed) / std::chrono::duration<double>(measured).count();
}

namespace {

// What one load connection runs over. Both links give an Asio byte stream that Beast reads and
// writes; `open` (re)establishes the link and returns "" or the cause a request that needed
// it counts; `abort` (the grace period is over) fails pending I/O without freeing the stream.

// A TCP connection to --target.
class TcpLink {
 public:
  static constexpr const char* kBroken = "connection";  // the cause's prefix for I/O errors
  TcpLink(asio::io_context& io, tcp::resolver::results_type endpoints, std::optional<asio::ip::address> source)
      : socket_(io), endpoints_(std::move(endpoints)), source_(source) {}
  Task<std::string> open() {
    for (const auto& entry : endpoints_) {
      if (const auto bound = openBound(socket_, entry.endpoint(), source_); !bound.empty()) {
        last_error_ = "bind " + source_->to_string() + ": " + bound;
        continue;
      }
      ErrorCode ec;
      co_await socket_.async_connect(entry.endpoint(), asio::redirect_error(kUseTask, ec));
      if (!ec) {
        socket_.set_option(tcp::no_delay(true), ec);
        co_return std::string();
      }
      last_error_ = ec.message();
    }
    abort();
    co_return "connect: " + last_error_;
  }
  tcp::socket& stream() { return socket_; }
  void abort() {
    ErrorCode ignored;
    socket_.close(ignored);
  }
  [[nodiscard]] bool denied() const { return false; }
  [[nodiscard]] Error failure(const std::string& target) const {
    return Error{"connect", target, last_error_, "is the target listening? (meshtwin-app --port-file)"};
  }

 private:
  tcp::socket socket_;
  tcp::resolver::results_type endpoints_;
  std::optional<asio::ip::address> source_;
  std::string last_error_ = "no address to connect to";
};

// An HBONE tunnel to one pod, from the pool that all links share (as the ztunnel's outbound
// tunnels share one: up to its stream limit per mTLS connection).
class HboneLink {
 public:
  static constexpr const char* kBroken = "tunnel";
  HboneLink(HbonePool& pool, WorkloadIdentity source, HboneTarget target, HboneRequestInfo info)
      : pool_(pool), source_(std::move(source)), target_(std::move(target)), info_(std::move(info)) {}
  Task<std::string> open() {
    abort();
    stream_.reset();
    auto s = co_await pool_.connect(source_, target_, info_);
    if (!s) {
      last_error_ = s.error();
      co_return hboneFailureKind(s.error());
    }
    stream_ = s.value();
    co_return std::string();
  }
  H2Stream& stream() { return *stream_; }
  void abort() {
    if (stream_ && !stream_->closed()) stream_->reset();
  }
  [[nodiscard]] bool denied() const { return last_error_ && last_error_->code == flags::kDeny; }
  [[nodiscard]] Error failure(const std::string&) const {
    return last_error_ ? *last_error_ : Error{"HBONE connect", target_.authority, "not attempted", {}};
  }

 private:
  HbonePool& pool_;
  WorkloadIdentity source_;
  HboneTarget target_;
  HboneRequestInfo info_;
  std::shared_ptr<H2Stream> stream_;
  std::optional<Error> last_error_;
};

template <class Link>
struct Run {
  Run(const LoadOptions& o, asio::io_context& c, std::string req, std::function<std::unique_ptr<Link>()> make,
      std::string target, std::function<void()> rel)
      : options(o), io(c), request(std::move(req)), make_link(std::move(make)), target_name(std::move(target)),
        release(std::move(rel)) {
    for (int k = 0; k < options.connections; ++k) addLink();
  }
  const LoadOptions& options;
  asio::io_context& io;
  std::string request;  // serialised once
  std::function<std::unique_ptr<Link>()> make_link;
  struct Slot {
    std::unique_ptr<Link> link;
    bool open = false;                    // else opened before its next request
    boost::beast::flat_buffer buffer;     // what was read past the last response
  };
  std::deque<Slot> links;  // --connections opened first, more when all are busy (a deque: growing keeps references)
  std::deque<std::size_t> idle;                   // links free; the last freed is used first, as a pool keeps hot ones
  std::deque<SteadyClock::time_point> backlog;    // due while every link was busy, at the limit
  std::size_t running = 0;                        // links serving
  bool timetable_done = false;
  Event* all_done = nullptr;
  std::string target_name;        // for the set-up error
  std::function<void()> release;  // after the grace period and at the end: closes what links share
  SteadyClock::time_point start, measure_from, end;
  bool stopped = false;  // the grace period is over
  std::optional<Error> setup_error;
  LoadResult result;

  void error(SteadyClock::time_point due, const std::string& cause) {
    if (due < measure_from) return;
    ++result.errors;
    ++result.error_causes[cause];
  }

  void abortAll() {
    for (auto& l : links) l.link->abort();
    if (release) release();
  }

  // One request on link k, then the requests that queued while every link was busy.
  Task<void> serve(std::size_t k, SteadyClock::time_point due) {
    Slot& slot = links[k];
    for (;;) {
      if (stopped) {
        error(due, "no response within the grace period");
      } else {
        if (!slot.open) {
          // A failed open is this request's error; the next request on the link tries again.
          const std::string cause = co_await slot.link->open();
          slot.open = cause.empty();
          if (!cause.empty()) error(due, stopped ? std::string("no response within the grace period") : cause);
        }
        if (slot.open) co_await exchange(slot, due);
      }
      if (backlog.empty()) break;
      due = backlog.front();
      backlog.pop_front();
    }
    idle.push_back(k);
  }

  Task<void> exchange(Slot& slot, SteadyClock::time_point due) {
    Link& link = *slot.link;
    auto& buffer = slot.buffer;
    ErrorCode ec;
    co_await asio::async_write(link.stream(), asio::buffer(request), asio::redirect_error(kUseTask, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) co_await http::async_read(link.stream(), buffer, parser, asio::redirect_error(kUseTask, ec));
    const auto done = SteadyClock::now();
    if (ec) {
      error(due, stopped ? "no response within the grace period" : std::string(Link::kBroken) + ": " + ec.message());
      slot.open = false;
      buffer.clear();
      co_return;
    }
    const unsigned status = parser.get().result_int();
    if (status / 100 != 2) {
      error(due, "HTTP " + std::to_string(status));
    } else if (due >= measure_from) {
      ++result.completed;
      result.latency_ns.record(std::chrono::duration_cast<nanoseconds>(done - due).count());
    }
    if (!parser.get().keep_alive()) {
      slot.open = false;
      buffer.clear();
    }
  }

  // The timetable: each request when due goes to the link freed last; when every link is
  // busy, to a new one (up to --max-connections), else it queues for the first link free. Its
  // latency counts from the due time either way.
  Task<void> dispatch() {
    const double period_ns = 1e9 / options.rps;
    std::mt19937_64 rng(options.seed * std::uint64_t{1000003});
    std::exponential_distribution<double> gap_ns(options.rps / 1e9);
    double offset_ns = options.timetable == Timetable::Fixed ? 0.0 : gap_ns(rng);
    asio::steady_timer timer(io);
    auto start_serving = [this](std::size_t k, SteadyClock::time_point due) {
      ++running;
      asio::co_spawn(io, serve(k, due), [this](const std::exception_ptr&) {
        if (--running == 0 && timetable_done) all_done->set();
      });
    };
    for (;;) {
      const auto due = start + nanoseconds(static_cast<std::int64_t>(offset_ns));
      if (due >= end) break;
      offset_ns += options.timetable == Timetable::Fixed ? period_ns : gap_ns(rng);
      if (due >= measure_from) ++result.scheduled;
      if (SteadyClock::now() < due) {
        timer.expires_at(due);
        ErrorCode ec;
        co_await timer.async_wait(asio::redirect_error(kUseTask, ec));
      }
      if (stopped) {
        error(due, "no response within the grace period");
        continue;
      }
      if (!idle.empty()) {
        const auto k = idle.back();
        idle.pop_back();
        start_serving(k, due);
      } else if (links.size() < maxLinks()) {
        addLink();
        start_serving(links.size() - 1, due);
      } else {
        backlog.push_back(due);
      }
    }
    timetable_done = true;
    if (running == 0) all_done->set();
  }

  void addLink() { links.push_back(Slot{make_link(), false, {}}); }

  [[nodiscard]] std::size_t maxLinks() const {
    return static_cast<std::size_t>(std::max(options.connections, options.max_connections));
  }

  // Opens the links (connection set-up is not latency), then plays the timetable over them.
  Task<void> main() {
    const Link* failed = nullptr;
    bool denied = false;
    bool any_open = false;
    for (auto& l : links) {
      const std::string cause = co_await l.link->open();
      l.open = cause.empty();
      any_open = any_open || l.open;
      if (!cause.empty() && !failed) failed = l.link.get();
      denied = denied || l.link->denied();
    }
    if (!any_open && !denied) {
      setup_error = failed->failure(target_name);
      abortAll();
      co_return;
    }
    for (std::size_t k = 0; k < links.size(); ++k) idle.push_back(k);
    start = SteadyClock::now() + std::chrono::milliseconds(1);
    measure_from = start + options.warmup;
    end = measure_from + options.duration;
    asio::steady_timer watchdog(io, end + options.grace);
    watchdog.async_wait([this](const ErrorCode& ec) {
      if (ec) return;
      stopped = true;
      abortAll();
    });
    Event done(io.get_executor());
    all_done = &done;
    asio::co_spawn(io, dispatch(), asio::detached);
    co_await done.wait();
    watchdog.cancel();
    result.connections_used = links.size();
    if (release) release();
  }
};

// Runs the timetable over `links` on `io` (the calling thread).
template <class Link>
Result<LoadResult> runOver(asio::io_context& io, const LoadOptions& options, std::string request,
                           std::function<std::unique_ptr<Link>()> make_link, std::string target_name,
                           std::function<void()> release) {
  Run<Link> run(options, io, std::move(request), std::move(make_link), std::move(target_name), std::move(release));
  asio::co_spawn(io, run.main(), asio::detached);
  io.run();
  if (run.setup_error) return *run.setup_error;
  run.result.measured = options.duration;
  return std::move(run.result);
}

std::string requestText(const LoadOptions& o, const std::string& host) {
  const auto body = static_cast<std::size_t>(o.request_bytes);
  return (body ? "POST " : "GET ") + o.path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: meshtwin-load\r\n" +
         (body ? "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(body) + "\r\n"
               : std::string()) +
         "\r\n" + std::string(body, 'x');
}

// "ns/name" split at the slash; nullopt when it is not of that form.
std::optional<std::pair<std::string, std::string>> splitKey(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size() || key.find('/', slash + 1) != std::string::npos)
    return std::nullopt;
  return std::pair{key.substr(0, slash), key.substr(slash + 1)};
}

Result<bool> validate(const LoadOptions& o) {
  const std::string what = "configure load";
  if (!(o.rps > 0) || !std::isfinite(o.rps)) return Error{what, "--rps", "must be a positive number", {}};
  if (o.connections < 1) return Error{what, "--connections", "must be at least 1", {}};
  if (o.max_connections < 0) return Error{what, "--max-connections", "must not be negative", "0: --connections only"};
  if (o.duration.count() <= 0) return Error{what, "--duration", "must be positive", "e.g. 30s"};
  if (o.warmup.count() < 0) return Error{what, "--warmup", "must not be negative", {}};
  if (o.request_bytes < 0) return Error{what, "--size", "must not be negative", {}};
  if (o.hbone) {
    if (!o.target.empty()) return Error{what, "--target", "not with --hbone", "HBONE mode reaches the service's pods"};
    const auto& h = *o.hbone;
    for (const auto& [flag, value] : {std::pair{"--snapshot", h.snapshot_file}, std::pair{"--identity", h.identity_dir},
                                      std::pair{"--service", h.service}}) {
      if (value.empty()) return Error{what, flag, "required with --hbone", {}};
    }
    if (!splitKey(h.service)) return Error{what, "--service", "'" + h.service + "' is not NS/NAME", "e.g. demo/server"};
    if (!h.as.empty() && !splitKey(h.as)) return Error{what, "--as", "'" + h.as + "' is not NS/SA", "e.g. istio-ingress/gateway"};
  } else if (o.target.empty()) {
    return Error{what, "--target", "required", "or --hbone with --snapshot, --identity and --service"};
  }
  if (!o.source.empty()) {
    ErrorCode ec;
    asio::ip::make_address(o.source, ec);
    if (ec) return Error{what, "--source", "'" + o.source + "' is not an IP address", "e.g. 10.0.0.5"};
  }
  return true;
}

// HBONE mode: where each tunnel goes, round robin over the service's pods in the mesh that the
// snapshot gives an app and an HBONE address.
Result<std::vector<HboneTarget>> hboneTargets(const MeshView& view, const std::string& service) {
  const auto& s = view.scenario;
  const auto key = splitKey(service);
  const auto id = key ? s.findService(key->first, key->second) : std::nullopt;
  if (!id) {
    std::vector<std::string> names;
    for (const auto& svc : s.services) names.push_back(svc.key());
    return Error{"find service", service, "the snapshot's scenario has no such service",
                 models::suggestionHint(service, names, "services")};
  }
  std::vector<HboneTarget> out;
  for (const auto w : s.services[*id].backends) {
    for (const auto p : s.workload_pods[w]) {
      if (view.modeOf(p) == models::MeshMode::None || !view.pod_app[p] || !view.pod_hbone[p]) continue;
      out.push_back(HboneTarget{*view.pod_hbone[p], toString(*view.pod_app[p]), view.identityOf(p)});
    }
  }
  if (out.empty()) {
    return Error{"find endpoints", "service " + service,
                 "no pod of it is in the mesh with an app and an HBONE address in the snapshot",
                 "HBONE reaches ambient and sidecar pods; the snapshot lists their addresses (pod_app, pod_hbone)"};
  }
  return out;
}

Result<LoadResult> runHbone(asio::io_context& io, const LoadOptions& o, std::optional<asio::ip::address> source) {
  const auto& h = *o.hbone;
  auto snapshot = readSnapshotFile(h.snapshot_file);
  if (!snapshot) return snapshot.error();
  auto view = buildMeshView(std::move(snapshot).value());
  if (!view) return view.error();
  auto targets = hboneTargets(*view.value(), h.service);
  if (!targets) return targets.error();
  auto identity = readIdentityDir(h.identity_dir);
  if (!identity) return identity.error();
  std::optional<ServiceAccount> as;
  if (const auto key = splitKey(h.as)) as = ServiceAccount{key->first, key->second};
  auto cert = pickCertificate(identity.value(), as, "meshtwin-load --identity " + h.identity_dir);
  if (!cert) return cert.error();
  auto ctx = makeTlsContext(TlsRole::Client, TlsCredentials{cert.value(), identity->root}, {kAlpnH2}, h.clock);
  if (!ctx) return ctx.error();
  PoolOptions pool_options;
  pool_options.bind_address = source;
  HbonePool pool(io.get_executor(), pool_options);
  pool.setClientContext(cert->identity, ctx.value());
  const auto& scenario = view.value()->scenario;
  const auto key = *splitKey(h.service);  // hboneTargets found it
  const auto& service = scenario.services[*scenario.findService(key.first, key.second)];
  HboneRequestInfo info;
  info.forwarded_for = source ? source->to_string() : std::string("unknown");
  info.host = serviceFqdn(service);
  // Link k tunnels to pod k mod n: round robin, for the links opened later too.
  std::function<std::unique_ptr<HboneLink>()> make = [&, k = std::size_t{0}]() mutable {
    const auto& target = targets.value()[k++ % targets->size()];
    return std::make_unique<HboneLink>(pool, cert->identity, target, info);
  };
  return runOver(io, o, requestText(o, o.host.empty() ? serviceFqdn(service) : o.host), std::move(make),
                 "service " + h.service, [&pool] { pool.closeAll(); });
}

}  // namespace

Result<LoadResult> runLoad(const LoadOptions& options) {
  if (auto v = validate(options); !v) return v.error();
  // The default 50 us timer slack would be added to every measured latency.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  asio::io_context io(1);
  std::optional<asio::ip::address> source;
  if (!options.source.empty()) source = asio::ip::make_address(options.source);
  if (options.hbone) return runHbone(io, options, source);
  const auto colon = options.target.rfind(':');
  if (colon == std::string::npos) {
    return Error{"resolve target", options.target, "not host:port", "e.g. 127.0.0.1:8080"};
  }
  std::string host = options.target.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  tcp::resolver resolver(io);
  ErrorCode ec;
  auto endpoints = resolver.resolve(host, options.target.substr(colon + 1), ec);
  if (ec) return Error{"resolve target", options.target, ec.message(), "check the host name and port"};
  std::function<std::unique_ptr<TcpLink>()> make = [&] { return std::make_unique<TcpLink>(io, endpoints, source); };
  return runOver(io, options, requestText(options, options.host.empty() ? options.target : options.host),
                 std::move(make), options.target, {});
}

namespace {

// "target 127.0.0.1:8080" or "service demo/server over HBONE", and " from IP" with --source.
std::string describeTarget(const LoadOptions& o) {
  std::string out = o.hbone ? "service " + o.hbone->service + " over HBONE" : "target " + o.target;
  if (!o.source.empty()) out += " from " + o.source;
  return out;
}

}  // namespace

nlohmann::json toJson(const LoadOptions& o, const LoadResult& r) {
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  const auto& h = r.latency_ns;
  return {{"target", o.hbone ? o.hbone->service : o.target},
          {"transport", o.hbone ? "hbone" : "tcp"},
          {"source", o.source},
          {"rps_target", o.rps},
          {"connections", o.connections},
          {"max_connections", std::max(o.connections, o.max_connections)},
          {"connections_used", r.connections_used},
          {"request_bytes", o.request_bytes},
          {"duration_s", std::chrono::duration<double>(o.duration).count()},
          {"warmup_s", std::chrono::duration<double>(o.warmup).count()},
          {"timetable", o.timetable == Timetable::Fixed ? "fixed" : "poisson"},
          {"scheduled", r.scheduled},
          {"completed", r.completed},
          {"errors", r.errors},
          {"error_causes", r.error_causes},
          {"achieved_rps", r.achievedRps()},
          {"latency_us",
           {{"min", us(h.min())},
            {"mean", h.mean() / 1e3},
            {"p50", us(h.percentile(50))},
            {"p90", us(h.percentile(90))},
            {"p99", us(h.percentile(99))},
            {"p99.9", us(h.percentile(99.9))},
            {"max", us(h.max())}}}};
}

void printReport(std::ostream& out, const LoadOptions& o, const LoadResult& r) {
  const auto& h = r.latency_ns;
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  out << fmt::format("{}: {} connections (up to {}; {} used), {:.0f} rps {} timetable, {}-byte requests, {:.1f} s measured\n",
                     describeTarget(o), o.connections, std::max(o.connections, o.max_connections), r.connections_used, o.rps, o.timetable == Timetable::Fixed ? "fixed" : "Poisson",
                     o.request_bytes, std::chrono::duration<double>(r.measured).count());
  out << fmt::format("requests: {} due, {} completed, {} errors; achieved {:.1f} rps\n", r.scheduled, r.completed,
                     r.errors, r.achievedRps());
  for (const auto& [cause, n] : r.error_causes) out << fmt::format("  error: {} x {}\n", cause, n);
  out << fmt::format("latency from due time (us): p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}\n",
                     us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.percentile(99.9)),
                     us(h.max()));
}

int runLoadProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App cli{"meshtwin-load: an open-loop HTTP/1.1 load generator. Requests are due on a fixed or Poisson\n"
               "timetable at --rps over keep-alive connections: a request goes, when due, on the connection freed\n"
               "last, or on a new one when all are busy (up to --max-connections), else it waits for the first\n"
               "free; its latency is measured from the due time either way\n"
               "(no coordinated omission). Reports achieved rps, errors and p50/p90/p99/p99.9 in microseconds.\n"
               "With --hbone each connection is instead an HBONE tunnel (HTTP/2 CONNECT over mTLS) with an identity\n"
               "of the mesh straight to a pod of --service, as Istio's ingress gateway reaches ambient pods;\n"
               "failures to open one are counted by cause (\"hbone: 401 DENY\", \"tls: ...\").\n"
               "Exit codes: 0 the run completed (errors are reported), 1 it could not run, 2 bad input.",
               "meshtwin-load"};
  LoadOptions o;
  HboneLoad hbone;
  bool hbone_mode = false;
  std::string size = "1KiB", duration = "30s", warmup = "0s", timetable = "fixed", json_file;
  auto* hbone_flag = cli.add_flag("--hbone", hbone_mode,
                                  "HBONE mode: tunnels to the pods of --service (needs --snapshot, --identity)");
  cli.add_option("--target", o.target, "host:port of the HTTP/1.1 server (or of a proxy in front of it)")
      ->excludes(hbone_flag);
  cli.add_option("--snapshot", hbone.snapshot_file, "HBONE mode: control-plane snapshot (`meshtwin snapshot`)")
      ->needs(hbone_flag);
  cli.add_option("--identity", hbone.identity_dir, "HBONE mode: identity directory (`meshtwin ca issue --out`)")
      ->needs(hbone_flag);
  cli.add_option("--service", hbone.service, "HBONE mode: NS/NAME of the service whose pods are loaded (round robin)")
      ->needs(hbone_flag);
  cli.add_option("--as", hbone.as, "HBONE mode: NS/SA of the identity to use when --identity holds several")
      ->needs(hbone_flag);
  cli.add_option("--source", o.source, "Bind every connection to this local IP (port 0) before connecting");
  cli.add_option("--host", o.host, "Host header (default: --target, or the service's FQDN with --hbone)");
  cli.add_option("--rps", o.rps, "Requests per second over all connections")->capture_default_str();
  cli.add_option("--connections", o.connections, "Keep-alive connections opened before the timetable starts")
      ->capture_default_str();
  cli.add_option("--max-connections", o.max_connections,
                 "When a request is due and every connection is busy, open another, up to this many (0: never; the "
                 "request waits for the first one free, and that wait counts in its latency)")
      ->capture_default_str();
  cli.add_option("--size", size, "Request body (POST), e.g. 1KiB; 0 sends GETs")->capture_default_str();
  cli.add_option("--duration", duration, "Measured time, e.g. 30s")->capture_default_str();
  cli.add_option("--warmup", warmup, "Time sent before measuring, e.g. 2s")->capture_default_str();
  cli.add_option("--timetable", timetable, "fixed (evenly spaced) or poisson (exponential gaps)")
      ->check(CLI::IsMember({"fixed", "poisson"}))
      ->capture_default_str();
  cli.add_option("--seed", o.seed, "Seed of the Poisson timetable")->capture_default_str();
  cli.add_option("--path", o.path, "Request path")->capture_default_str();
  cli.add_option("--json", json_file, "Also write the result as JSON to FILE");
  if (auto rc = parseCommandLine(cli, argc, argv, out, err, "meshtwin-load")) return *rc;
  const auto bytes = models::parseBytes(size);
  const auto dur = models::parseDurationNs(duration);
  const auto warm = models::parseDurationNs(warmup);
  for (const auto& [flag, text, problem] :
       {std::tuple{"--size", size, bytes.ok() ? std::string() : bytes.error()},
        std::tuple{"--duration", duration, dur.ok() ? std::string() : dur.error()},
        std::tuple{"--warmup", warmup, warm.ok() ? std::string() : warm.error()}}) {
    if (!problem.empty()) {
      err << "meshtwin-load: " << Error{std::string("parse ") + flag, text, problem, {}}.text() << "\n";
      return 2;
    }
  }
  o.request_bytes = bytes.value();
  o.duration = nanoseconds(dur.value());
  o.warmup = nanoseconds(warm.value());
  o.timetable = timetable == "poisson" ? Timetable::Poisson : Timetable::Fixed;
  if (hbone_mode) o.hbone = hbone;
  auto r = runLoad(o);
  if (!r) {
    err << "meshtwin-load: " << r.error().text() << "\n";
    return r.error().what == "configure load" ? 2 : 1;
  }
  printReport(out, o, r.value());
  if (!json_file.empty()) {
    if (auto w = writeFileAtomically(json_file, toJson(o, r.value()).dump(2) + "\n"); !w) {
      err << "meshtwin-load: " << w.error().text() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace meshtwin::dataplane::apps
