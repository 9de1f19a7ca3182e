// A loopback HTTP/1.1 server for stand-in tests: plain or TLS, optionally requiring a client
// certificate; each request goes to a handler function, whose answer may be streamed (a watch) or
// no answer at all (a dropped connection). Built on Boost.Beast in kube_standin_http.cpp, which a
// test folder compiles once (see tests/integration/kube/).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshtwin::test {

struct StandinRequest {
  std::string method;
  std::string target;  // path?query as sent
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string client_cn;                       // the client certificate's CN, when one was shown

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// A body produced over time, such as a watch: sent with chunked transfer encoding, a chunk each
// time pull() has something, until it says the body is complete.
class StandinStream {
 public:
  struct Piece {
    std::string data;
    bool done = false;   // the body ends after this piece
    bool abort = false;  // with done: close the connection instead, the body unfinished
  };
  virtual ~StandinStream() = default;
  // On the server's thread, every few milliseconds until done; must not block.
  virtual Piece pull() = 0;
};

struct StandinResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<StandinStream> stream = nullptr;  // set: the body comes from it, not from `body`
  bool drop = false;  // close the connection without answering (the client sees a reset)
};

using StandinHandler = std::function<StandinResponse(const StandinRequest&)>;

struct StandinTls {
  std::string cert_pem, key_pem;
  std::string client_ca_pem;  // non-empty: a client certificate signed by it is required
};

// Binds 127.0.0.1 port 0 and serves on a thread of its own until destroyed.
class StandinHttpServer {
 public:
  explicit StandinHttpServer(StandinHandler handler, std::optional<StandinTls> tls = std::nullopt);
  ~StandinHttpServer();  // stop(), then what the connections held is freed
  StandinHttpServer(const StandinHttpServer&) = delete;
  StandinHttpServer& operator=(const StandinHttpServer&) = delete;

  // Serves no more: the server thread ends and no handler runs after this returns. Idempotent.
  void stop();

  [[nodiscard]] unsigned short port() const;
  [[nodiscard]] std::string url() const;  // http(s)://127.0.0.1:<port>
  [[nodiscard]] int requests() const;
  // Handshakes that failed (a client that did not trust us, or showed no certificate).
  [[nodiscard]] int failedHandshakes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshtwin::test
