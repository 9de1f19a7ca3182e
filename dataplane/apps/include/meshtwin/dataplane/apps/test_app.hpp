// The test application the benchmarks and the testbed put behind the proxies: an HTTP/1.1
// server (Boost.Beast) that answers every request with 200 and a body of a fixed size,
// keeping connections alive as the client asks.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/ca.hpp"

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

// `meshtwin-app`: the program around TestApp (--help for its options).
int runAppProgram(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace meshtwin::dataplane::apps
