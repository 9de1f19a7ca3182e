// What the files of Client share: its connection state (Client::Impl) and small helpers for
// building requests and reading answers.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>

#include "auth.hpp"
#include "meshtwin/kube/client.hpp"
#include "meshtwin/kube/url.hpp"

namespace meshtwin::kube {

struct Client::Impl {
  ClusterAccess access;
  Url server;
  ClientOptions options;
  Authenticator auth;
  HttpClient http;  // with the kubeconfig's own TLS settings
  std::mutex mu;
  std::optional<std::pair<std::string, HttpClient>> exec_http;  // for a certificate an exec plugin issued
  std::atomic<std::uint64_t> requests{0};

  Impl(ClusterAccess a, Url s, ClientOptions o, HttpClient h)
      : access(std::move(a)), server(std::move(s)), options(std::move(o)), auth(access, options.exec), http(std::move(h)) {}

  void warn(const std::string& message) const {
    if (options.warn) options.warn(message);
  }

  Result<HttpClient> httpFor(const Credentials& creds) {
    if (creds.client_cert_pem.empty()) return http;
    std::lock_guard lock(mu);
    if (exec_http && exec_http->first == creds.client_cert_pem) return exec_http->second;
    TlsOptions tls = access.tls();
    tls.client_cert_pem = creds.client_cert_pem;
    tls.client_key_pem = creds.client_key_pem;
    auto made = HttpClient::create(tls, options.timeout);
    if (!made) return made.error();
    exec_http.emplace(creds.client_cert_pem, *made);
    return *made;
  }
};

inline Error protocolError(const RequestInfo& info, int status, std::string message) {
  return Error{Error::Kind::Protocol, status, info.verb, info.url, "", std::move(message),
               "the server is not a Kubernetes API server, or a proxy in between changed the answer"};
}

inline void fillTypeMeta(nlohmann::json& item, const ResourceType& type) {
  if (!item.is_object()) return;
  if (!item.contains("apiVersion")) item["apiVersion"] = type.apiVersion();
  if (!item.contains("kind") && !type.kind.empty()) item["kind"] = type.kind;
}

inline std::string withQuery(const std::string& path, const QueryParams& params) {
  return params.empty() ? path : path + "?" + encodeQuery(params);
}

}  // namespace meshtwin::kube
