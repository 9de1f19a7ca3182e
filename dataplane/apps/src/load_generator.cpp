// The open-loop load generator: one coroutine per connection on one thread, each working
// through its share of a timetable fixed before the run starts.
#include "meshtwin/dataplane/apps/load_generator.hpp"

#include <sys/prctl.h>

#include <cmath>
#include <memory>
#include <ostream>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/models/units.hpp"
#include "command_line.hpp"

namespace meshtwin::dataplane::apps {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

double LoadResult::achievedRps() const {
  if (measured.count() <= 0) return 0;
  return static_cast<double>(completed) / std::chrono::duration<double>(measured).count();
}

namespace {

struct Run {
  const LoadOptions& options;
  asio::io_context& io;
  tcp::resolver::results_type endpoints;
  std::string request;  // serialised once
  Clock::time_point start, measure_from, end;
  bool stopped = false;  // the grace period is over
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  LoadResult result;

  void error(Clock::time_point due, const std::string& cause) {
    if (due < measure_from) return;
    ++result.errors;
    ++result.error_causes[cause];
  }

  Task<bool> connect(tcp::socket& s) {
    ErrorCode ec;
    co_await asio::async_connect(s, endpoints, asio::redirect_error(kUseTask, ec));
    if (ec) co_return false;
    s.set_option(tcp::no_delay(true), ec);
    co_return true;
  }

  Task<void> connection(int k) {
    auto sock = sockets[static_cast<std::size_t>(k)];
    const auto conns = static_cast<double>(options.connections);
    const double period_ns = 1e9 / options.rps;  // between two requests of the whole run
    std::mt19937_64 rng(options.seed * std::uint64_t{1000003} + static_cast<std::uint64_t>(k));
    std::exponential_distribution<double> gap_ns(options.rps / conns / 1e9);
    double offset_ns = options.timetable == Timetable::Fixed ? period_ns * k : gap_ns(rng);
    asio::steady_timer timer(io);
    boost::beast::flat_buffer buffer;
    bool open = sock->is_open();
    for (std::int64_t j = 0; !stopped; ++j) {
      const auto due = start + nanoseconds(static_cast<std::int64_t>(offset_ns));
      if (due >= end) break;
      offset_ns += options.timetable == Timetable::Fixed ? period_ns * conns : gap_ns(rng);
      if (due >= measure_from) ++result.scheduled;
      if (Clock::now() < due) {
        timer.expires_at(due);
        ErrorCode ec;
        co_await timer.async_wait(asio::redirect_error(kUseTask, ec));
      }
      if (stopped) {
        error(due, "no response within the grace period");
        break;
      }
      if (!open) {
        sock->close();
        open = co_await connect(*sock);
        buffer.clear();
        if (!open) {
          error(due, "connect failed");
          continue;
        }
      }
      ErrorCode ec;
      co_await asio::async_write(*sock, asio::buffer(request), asio::redirect_error(kUseTask, ec));
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      if (!ec) co_await http::async_read(*sock, buffer, parser, asio::redirect_error(kUseTask, ec));
      const auto done = Clock::now();
      if (ec) {
        error(due, stopped ? "no response within the grace period" : "connection: " + ec.message());
        open = false;
        continue;
      }
      const unsigned status = parser.get().result_int();
      if (status / 100 != 2) {
        error(due, "HTTP " + std::to_string(status));
      } else if (due >= measure_from) {
        ++result.completed;
        result.latency_ns.record(std::chrono::duration_cast<nanoseconds>(done - due).count());
      }
      if (!parser.get().keep_alive()) open = false;
    }
  }
};

Result<bool> validate(const LoadOptions& o) {
  const std::string what = "configure load";
  if (!(o.rps > 0) || !std::isfinite(o.rps)) return Error{what, "--rps", "must be a positive number", {}};
  if (o.connections < 1) return Error{what, "--connections", "must be at least 1", {}};
  if (o.duration.count() <= 0) return Error{what, "--duration", "must be positive", "e.g. 30s"};
  if (o.warmup.count() < 0) return Error{what, "--warmup", "must not be negative", {}};
  if (o.request_bytes < 0) return Error{what, "--size", "must not be negative", {}};
  return true;
}

}  // namespace

Result<LoadResult> runLoad(const LoadOptions& options) {
  if (auto v = validate(options); !v) return v.error();
  // The default 50 us timer slack would be added to every measured latency.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  asio::io_context io(1);
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

  Run run{options, io, endpoints, {}, {}, {}, {}, false, {}, {}};
  const auto body = static_cast<std::size_t>(options.request_bytes);
  run.request = (body ? "POST " : "GET ") + options.path + " HTTP/1.1\r\nHost: " + options.target +
                "\r\nUser-Agent: meshtwin-load\r\n" +
                (body ? "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(body) + "\r\n"
                      : std::string()) +
                "\r\n" + std::string(body, 'x');
  // Connections are set up before the timetable starts: connection set-up is not latency.
  int connected = 0;
  std::string connect_error;
  for (int k = 0; k < options.connections; ++k) {
    auto s = std::make_shared<tcp::socket>(io);
    asio::connect(*s, endpoints, ec);
    if (!ec) {
      s->set_option(tcp::no_delay(true), ec);
      ++connected;
    } else {
      connect_error = ec.message();
      s->close();
    }
    run.sockets.push_back(std::move(s));
  }
  if (connected == 0) {
    return Error{"connect", options.target, connect_error, "is the target listening? (meshtwin-app --port-file)"};
  }
  run.start = Clock::now() + std::chrono::milliseconds(1);
  run.measure_from = run.start + options.warmup;
  run.end = run.measure_from + options.duration;
  asio::steady_timer watchdog(io, run.end + options.grace);
  watchdog.async_wait([&run](const ErrorCode&) {
    run.stopped = true;
    for (auto& s : run.sockets) {
      ErrorCode ignored;
      s->close(ignored);
    }
  });
  int running = options.connections;
  for (int k = 0; k < options.connections; ++k) {
    asio::co_spawn(io, run.connection(k), [&](std::exception_ptr) {
      if (--running == 0) watchdog.cancel();
    });
  }
  io.run();
  run.result.measured = options.duration;
  return std::move(run.result);
}

nlohmann::json toJson(const LoadOptions& o, const LoadResult& r) {
  auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1e3; };
  const auto& h = r.latency_ns;
  return {{"target", o.target},
          {"rps_target", o.rps},
          {"connections", o.connections},
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
  out << fmt::format("target {}: {} connections, {:.0f} rps {} timetable, {}-byte requests, {:.1f} s measured\n",
                     o.target, o.connections, o.rps, o.timetable == Timetable::Fixed ? "fixed" : "Poisson",
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
               "timetable at --rps over --connections keep-alive connections, sent when due even if earlier ones\n"
               "are still unanswered on other connections, and their latency is measured from the due time\n"
               "(no coordinated omission). Reports achieved rps, errors and p50/p90/p99/p99.9 in microseconds.\n"
               "Exit codes: 0 the run completed (errors are reported), 1 it could not run, 2 bad input.",
               "meshtwin-load"};
  LoadOptions o;
  std::string size = "1KiB", duration = "30s", warmup = "0s", timetable = "fixed", json_file;
  cli.add_option("--target", o.target, "host:port of the HTTP/1.1 server (or of a proxy in front of it)")->required();
  cli.add_option("--rps", o.rps, "Requests per second over all connections")->capture_default_str();
  cli.add_option("--connections", o.connections, "Keep-alive connections")->capture_default_str();
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
