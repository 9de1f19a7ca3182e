// The Prometheus HTTP API client: form-encoded POSTs to /api/v1/query(_range) and the
// decoding of their JSON envelope.
#include "meshtwin/kube/prometheus.hpp"

#include <fmt/format.h>

#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/url.hpp"

namespace meshtwin::kube {

namespace {

// A token read from a file usually ends in a newline, which must not reach the header.
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::string snippet(const std::string& body) { return body.size() > 200 ? body.substr(0, 200) + "..." : body; }

std::string hintFor(int status, const std::string& error_type) {
  if (status == 401 || status == 403) return "check the Prometheus bearer token or basic-auth user";
  if (status == 404) return "no Prometheus API at this URL: check the base path (e.g. /prometheus)";
  if (error_type == "bad_data") return "check the PromQL syntax and the time range";
  if (error_type == "timeout") return "the query ran too long: narrow the selector or the range";
  return "";
}

void collectStrings(const nlohmann::json& doc, const char* key, std::vector<std::string>& out) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return;
  for (const auto& w : *it) out.push_back(w.is_string() ? w.get<std::string>() : w.dump());
}

Result<PromAnswer> decode(const HttpResponse& res, const std::string& url) {
  auto doc = nlohmann::json::parse(res.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    Error err{Error::Kind::Protocol, res.status, "POST", url, "", "not a Prometheus API answer: " + snippet(res.body),
              hintFor(res.status, "")};
    if (res.status >= 400) err.kind = Error::Kind::Http;
    return err;
  }
  const std::string status = doc.value("status", "");
  if (status == "error") {
    const std::string type = doc.value("errorType", "");
    return Error{Error::Kind::Http, res.status, "POST", url, type, doc.value("error", ""), hintFor(res.status, type)};
  }
  if (status != "success" || !doc.contains("data"))
    return Error{Error::Kind::Protocol, res.status, "POST", url, "", "no \"status\": \"success\" with \"data\"", ""};
  PromAnswer answer;
  answer.data = std::move(doc["data"]);
  collectStrings(doc, "warnings", answer.warnings);
  collectStrings(doc, "infos", answer.warnings);
  return answer;
}

}  // namespace

std::string prometheusTime(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const long long whole = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  return fmt::format("{}.{:03}", whole, ms - whole * 1000);
}

std::string prometheusDuration(std::chrono::milliseconds d) {
  return fmt::format("{}.{:03}", d.count() / 1000, d.count() % 1000);
}

PrometheusClient::PrometheusClient(PrometheusConfig config) : config_(std::move(config)) {
  auto http = HttpClient::create(TlsOptions{config_.ca_pem, config_.insecure_skip_verify, "", "", ""}, config_.timeout);
  if (http) http_ = std::move(*http);
  else setup_error_ = http.error();
}

Result<PromAnswer> PrometheusClient::query(const std::string& promql,
                                           std::optional<std::chrono::system_clock::time_point> at) const {
  QueryParams form{{"query", promql}};
  if (at) form.emplace_back("time", prometheusTime(*at));
  return post("query", encodeQuery(form));
}

Result<PromAnswer> PrometheusClient::queryRange(const std::string& promql, std::chrono::system_clock::time_point start,
                                                std::chrono::system_clock::time_point end,
                                                std::chrono::milliseconds step) const {
  if (step.count() <= 0)
    return Error{Error::Kind::Config, 0, "POST", config_.url, "", "query_range step must be positive", ""};
  return post("query_range", encodeQuery({{"query", promql},
                                          {"start", prometheusTime(start)},
                                          {"end", prometheusTime(end)},
                                          {"step", prometheusDuration(step)}}));
}

Result<PromAnswer> PrometheusClient::post(const std::string& endpoint, const std::string& form) const {
  if (setup_error_) return *setup_error_;
  auto base = parseUrl(config_.url);
  if (!base) return base.error();
  HttpRequest req;
  req.method = "POST";
  req.url = base->origin() + base->path + "/api/v1/" + endpoint;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  if (!config_.bearer_token.empty()) req.headers.push_back({"Authorization", "Bearer " + trimmed(config_.bearer_token)});
  else if (!config_.basic_user.empty())
    req.headers.push_back({"Authorization", "Basic " + base64Encode(config_.basic_user + ":" + trimmed(config_.basic_password))});
  req.body = form;
  auto res = http_->send(req);
  if (!res) return res.error();
  return decode(*res, req.url);
}

}  // namespace meshtwin::kube
