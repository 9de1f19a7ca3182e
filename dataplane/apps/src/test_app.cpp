// The fixed-size HTTP/1.1 responder and its program.
#include "meshtwin/dataplane/apps/test_app.hpp"

#include <csignal>
#include <ostream>

#include <CLI/CLI.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "meshtwin/dataplane/hbone.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
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

int runAppProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App cli{"meshtwin-app: the test application. An HTTP/1.1 server that answers every request with\n"
               "200 and a body of --response-size bytes, keep-alive as the client asks. Stops on SIGTERM/SIGINT.",
               "meshtwin-app"};
  std::string listen = "127.0.0.1:0", size = "1KiB", port_file;
  cli.add_option("--listen", listen, "Address to listen on, ip:port (port 0: an ephemeral port)")->capture_default_str();
  cli.add_option("--response-size", size, "Response body size, e.g. 1KiB, 512B, 1MB")->capture_default_str();
  cli.add_option("--port-file", port_file, "Write the bound address (ip:port) to FILE once listening, atomically");
  if (auto rc = parseCommandLine(cli, argc, argv, out, err, "meshtwin-app")) return *rc;
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
