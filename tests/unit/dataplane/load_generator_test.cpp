// The load generator against the test app and against servers that misbehave, on 127.0.0.1
// port 0: the timetable's request count, errors by cause, and latency measured from the due
// time (a stalled server charges every request queued behind it, unless the generator may
// open another connection).
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "meshtwin/dataplane/admin.hpp"
#include "meshtwin/dataplane/apps/load_generator.hpp"
#include "meshtwin/dataplane/apps/test_app.hpp"

using namespace meshtwin::dataplane;
using namespace meshtwin::dataplane::apps;
using namespace std::chrono_literals;
namespace http = boost::beast::http;

namespace {

// An io_context on a background thread for the servers under test.
struct ServerThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  void join() {
    if (!thread.joinable()) return;
    work.reset();
    io.stop();
    thread.join();
  }
  ~ServerThread() { join(); }
};

// Declared after a test's sockets, so the thread stops before they are destroyed.
struct JoinFirst {
  ServerThread& server;
  ~JoinFirst() { server.join(); }
};

const tcp::endpoint kAny{asio::ip::make_address("127.0.0.1"), 0};

// Answers like the test app on `s`, but holds its first response back for `stall`.
Task<void> serveStallingFirst(tcp::socket s, std::chrono::milliseconds stall) {
  boost::beast::flat_buffer buffer;
  bool first = stall.count() > 0;
  for (;;) {
    http::request<http::string_body> req;
    ErrorCode ec;
    co_await http::async_read(s, buffer, req, asio::redirect_error(kUseTask, ec));
    if (ec) co_return;
    if (first) {
      asio::steady_timer t(s.get_executor(), stall);
      co_await t.async_wait(kUseTask);
      first = false;
    }
    static const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    co_await asio::async_write(s, asio::buffer(kResponse), asio::redirect_error(kUseTask, ec));
    if (ec) co_return;
  }
}

// One connection, whose first response stalls.
Task<void> stallingServer(tcp::acceptor& acceptor, std::chrono::milliseconds stall) {
  tcp::socket s = co_await acceptor.async_accept(kUseTask);
  co_await serveStallingFirst(std::move(s), stall);
}

// Every connection it accepts is served; only the first connection's first response stalls.
Task<void> acceptingServer(tcp::acceptor& acceptor, std::chrono::milliseconds stall) {
  for (auto first_stall = stall;; first_stall = 0ms) {
    ErrorCode ec;
    tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(kUseTask, ec));
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serveStallingFirst(std::move(s), first_stall), asio::detached);
  }
}

}  // namespace

TEST_CASE("the test app answers with a body of the configured size", "[dataplane][apps]") {
  ServerThread server;
  auto app = TestApp::bind(server.io.get_executor(), kAny, 1024);
  REQUIRE(app.ok());
  app.value()->start();
  const auto reply = httpGet(app.value()->address(), "/anything");
  REQUIRE(reply.ok());
  CHECK(reply->status == 200);
  CHECK(reply->body.size() == 1024);
}

TEST_CASE("a fixed timetable sends rps x duration requests over keep-alive connections", "[dataplane][apps]") {
  ServerThread server;
  auto app = TestApp::bind(server.io.get_executor(), kAny, 512);
  REQUIRE(app.ok());
  app.value()->start();
  LoadOptions o;
  o.target = toString(app.value()->address());
  o.rps = 400;
  o.connections = 2;
  o.request_bytes = 1024;
  o.warmup = 100ms;
  o.duration = 250ms;
  auto r = runLoad(o);
  REQUIRE(r.ok());
  // Due in the window [warmup, warmup + duration): 100 requests, give or take rounding at an edge.
  CHECK(r->scheduled >= 99);
  CHECK(r->scheduled <= 101);
  CHECK(r->errors == 0);
  CHECK(r->completed == r->scheduled);
  CHECK(r->latency_ns.count() == r->completed);
  CHECK(r->latency_ns.min() > 0);
  CHECK(app.value()->connections() == 2);                  // keep-alive: no reconnects
  CHECK(app.value()->requests() >= r->completed + 39);     // the warm-up's 40 were sent too
  const auto j = toJson(o, r.value());
  CHECK(j.at("latency_us").contains("p99.9"));
  CHECK(j.at("errors") == 0);
  std::ostringstream report;
  printReport(report, o, r.value());
  CHECK_THAT(report.str(), Catch::Contains("latency from due time (us): p50"));
}

TEST_CASE("latency is measured from the due time: a stall charges the requests queued behind it",
          "[dataplane][apps]") {
  ServerThread server;
  tcp::acceptor acceptor(server.io, kAny);
  JoinFirst join_first{server};
  asio::co_spawn(server.io, stallingServer(acceptor, 200ms), asio::detached);
  LoadOptions o;
  o.target = toString(acceptor.local_endpoint());
  o.rps = 100;
  o.connections = 1;
  o.duration = 400ms;
  auto r = runLoad(o);
  REQUIRE(r.ok());
  CHECK(r->errors == 0);
  REQUIRE(r->completed >= 30);
  // 20 requests fall due during the 200 ms stall; each waits for it from its own due time,
  // so at least 10% of 40 requests took over 100 ms. Measured from the send instead, only the
  // first one would be slow and p90 would be a loopback round trip.
  CHECK(r->latency_ns.percentile(90) >= 100'000'000);
  CHECK(r->latency_ns.max() >= 200'000'000);
}

TEST_CASE("with --max-connections a request due while every connection is busy opens another",
          "[dataplane][apps]") {
  ServerThread server;
  tcp::acceptor acceptor(server.io, kAny);
  JoinFirst join_first{server};
  asio::co_spawn(server.io, acceptingServer(acceptor, 200ms), asio::detached);
  LoadOptions o;
  o.target = toString(acceptor.local_endpoint());
  o.rps = 100;
  o.connections = 1;
  o.max_connections = 8;
  o.duration = 400ms;
  auto r = runLoad(o);
  REQUIRE(r.ok());
  CHECK(r->errors == 0);
  REQUIRE(r->completed >= 30);
  // The same stall as above holds only its own request: the 20 due behind it go on a second
  // connection (the one stalled is busy), so p90 is a loopback round trip.
  CHECK(r->connections_used >= 2);
  CHECK(r->connections_used <= 8);
  CHECK(r->latency_ns.percentile(90) < 100'000'000);
  CHECK(r->latency_ns.max() >= 200'000'000);
}

TEST_CASE("unanswered requests and refused connections are errors with their cause", "[dataplane][apps]") {
  SECTION("a server that reads and never answers") {
    ServerThread server;
    tcp::acceptor acceptor(server.io, kAny);
    std::vector<std::shared_ptr<tcp::socket>> held;
    JoinFirst join_first{server};
    asio::co_spawn(server.io, [&]() -> Task<void> {
      for (;;) held.push_back(std::make_shared<tcp::socket>(co_await acceptor.async_accept(kUseTask)));
    }, asio::detached);
    LoadOptions o;
    o.target = toString(acceptor.local_endpoint());
    o.rps = 50;
    o.connections = 1;
    o.duration = 100ms;
    o.grace = 50ms;
    auto r = runLoad(o);
    REQUIRE(r.ok());
    CHECK(r->completed == 0);
    CHECK(r->errors == r->scheduled);
    CHECK(r->error_causes.count("no response within the grace period") == 1);
  }
  SECTION("nothing listening") {
    asio::io_context io;
    tcp::acceptor probe(io, kAny);
    const auto at = probe.local_endpoint();
    probe.close();
    LoadOptions o;
    o.target = toString(at);
    o.duration = 100ms;
    auto r = runLoad(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().text(), Catch::Contains("connect: " + toString(at)));
  }
}

TEST_CASE("meshtwin-load and meshtwin-app refuse bad options with the flag's name", "[dataplane][apps]") {
  std::ostringstream out, err;
  const char* load[] = {"meshtwin-load", "--target", "127.0.0.1:1", "--size", "lots"};
  CHECK(runLoadProgram(5, load, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("parse --size: lots:"));
  const char* rate[] = {"meshtwin-load", "--target", "127.0.0.1:1", "--rps", "0"};
  CHECK(runLoadProgram(5, rate, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("configure load: --rps: must be a positive number"));
  const char* app[] = {"meshtwin-app", "--listen", "localhost"};
  CHECK(runAppProgram(3, app, out, err) == 2);
  CHECK_THAT(err.str(), Catch::Contains("parse --listen: localhost: not ip:port"));
  const char* help[] = {"meshtwin-load", "--help"};
  CHECK(runLoadProgram(2, help, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("no coordinated omission"));
}
