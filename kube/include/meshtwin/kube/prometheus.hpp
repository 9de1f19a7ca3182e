// A client of the Prometheus HTTP API (/api/v1/query and /api/v1/query_range): the answer's
// `data` as JSON plus the warnings Prometheus sent with it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/http_client.hpp"

namespace meshtwin::kube {

struct PrometheusConfig {
  std::string url;             // "http://prometheus:9090", a base path is kept ("https://host/prometheus")
  std::string bearer_token;    // Authorization: Bearer, when set
  std::string basic_user;      // Authorization: Basic, when set (and no bearer token)
  std::string basic_password;
  std::string ca_pem;          // https: trusted CAs; empty: the system's
  bool insecure_skip_verify = false;
  std::chrono::milliseconds timeout{30000};
};

struct PromAnswer {
  nlohmann::json data;                // {"resultType": "vector"|"matrix"|"scalar"|"string", "result": ...}
  std::vector<std::string> warnings;  // the response's "warnings" (and Prometheus 3 "infos")
};

// Errors: Kind::Http with reason = errorType ("bad_data", "execution", "timeout", ...) and
// message = error when Prometheus says status "error"; Kind::Unreachable or Kind::Protocol
// otherwise. Safe to use from several threads.
class PrometheusClient {
 public:
  explicit PrometheusClient(PrometheusConfig config);

  // An instant query at `at` (the server's "now" when absent).
  [[nodiscard]] Result<PromAnswer> query(const std::string& promql,
                                         std::optional<std::chrono::system_clock::time_point> at = std::nullopt) const;

  // A range query over [start, end] every `step`.
  [[nodiscard]] Result<PromAnswer> queryRange(const std::string& promql, std::chrono::system_clock::time_point start,
                                              std::chrono::system_clock::time_point end,
                                              std::chrono::milliseconds step) const;

  [[nodiscard]] const PrometheusConfig& config() const { return config_; }

 private:
  [[nodiscard]] Result<PromAnswer> post(const std::string& endpoint, const std::string& form) const;

  PrometheusConfig config_;
  std::optional<HttpClient> http_;
  std::optional<Error> setup_error_;  // a bad CA PEM, reported by every call
};

// Unix seconds with milliseconds, as the API takes times and steps: "1700000000.250".
std::string prometheusTime(std::chrono::system_clock::time_point t);
std::string prometheusDuration(std::chrono::milliseconds d);

}  // namespace meshtwin::kube
