// ExecCredential parsing and caching, and RFC 3339 times.
#include "meshtwin/kube/exec_credential.hpp"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace meshtwin::kube {

namespace {

Error execError(const ExecConfig& config, std::string message, std::string hint = "") {
  return Error{Error::Kind::Config, 0, "exec", config.command, "ExecCredential", std::move(message), std::move(hint)};
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// The zone suffix at `at`: "Z" or "+hh:mm"/"-hh:mm", as seconds east of UTC.
bool zoneOffset(std::string_view s, std::size_t at, long& offset) {
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    offset = 0;
    return true;
  }
  int hh = 0, mm = 0;
  if (at + 6 != s.size() || (s[at] != '+' && s[at] != '-') || s[at + 3] != ':' || !digits(s, at + 1, 2, hh) ||
      !digits(s, at + 4, 2, mm))
    return false;
  offset = (s[at] == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
  return true;
}

}  // namespace

Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view s) {
  const Error bad{Error::Kind::Protocol, 0, "", "", "", "\"" + std::string(s) + "\" is not an RFC 3339 time",
                  "expected e.g. 2024-05-01T12:00:00Z"};
  std::tm tm{};
  int year = 0, month = 0;
  if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, tm.tm_mday) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, tm.tm_hour) ||
      s[13] != ':' || !digits(s, 14, 2, tm.tm_min) || s[16] != ':' || !digits(s, 17, 2, tm.tm_sec))
    return bad;
  std::size_t at = 19;
  long millis = 0;
  if (s[at] == '.') {
    long scale = 100;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) millis += (s[at] - '0') * scale;
  }
  long offset = 0;
  if (!zoneOffset(s, at, offset) || month < 1 || month > 12) return bad;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  const std::time_t utc = ::timegm(&tm);
  return std::chrono::system_clock::from_time_t(utc - offset) + std::chrono::milliseconds(millis);
}

std::string execInfo(const ExecConfig& config) {
  nlohmann::json spec{{"interactive", false}};
  if (config.provide_cluster_info && !config.cluster.is_null()) spec["cluster"] = config.cluster;
  return nlohmann::json{{"apiVersion", config.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}.dump();
}

Result<ExecCredential> parseExecCredential(std::string_view json, const ExecConfig& config) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return execError(config, "the plugin's output is not JSON", "run the command by hand to see what it prints");
  if (doc.value("kind", "") != "ExecCredential") return execError(config, "the plugin's output is not an ExecCredential");
  if (doc.value("apiVersion", "") != config.api_version)
    return execError(config, "the plugin answered apiVersion \"" + doc.value("apiVersion", "") + "\", the kubeconfig asked for \"" +
                                 config.api_version + "\"",
                     "set users[].user.exec.apiVersion to what the plugin speaks");
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) return execError(config, "the ExecCredential has no status");
  ExecCredential out;
  out.token = status->value("token", "");
  out.client_certificate_pem = status->value("clientCertificateData", "");
  out.client_key_pem = status->value("clientKeyData", "");
  if (out.client_certificate_pem.empty() != out.client_key_pem.empty())
    return execError(config, "the ExecCredential has only one of clientCertificateData and clientKeyData");
  if (out.token.empty() && out.client_certificate_pem.empty())
    return execError(config, "the ExecCredential has neither a token nor a client certificate");
  const std::string expiry = status->value("expirationTimestamp", "");
  if (!expiry.empty()) {
    auto t = parseRfc3339(expiry);
    if (!t) return execError(config, "expirationTimestamp: " + t.error().message);
    out.expiration = *t;
  }
  return out;
}

ExecCredentialCache::ExecCredentialCache(ExecConfig config, ExecCacheOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

Result<ExecCredential> ExecCredentialCache::get() {
  std::lock_guard lock(mu_);
  // client-go treats a credential as expired once now is past expirationTimestamp.
  if (cached_ && (!cached_->expiration || options_.now() < *cached_->expiration)) return *cached_;
  cached_.reset();
  ++runs_;
  auto out = runExecPlugin(config_, options_.timeout, options_.stderr_sink);
  if (!out) return out.error();
  auto cred = parseExecCredential(*out, config_);
  if (!cred) return cred.error();
  cached_ = *cred;
  return *cred;
}

void ExecCredentialCache::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

int ExecCredentialCache::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

}  // namespace meshtwin::kube
