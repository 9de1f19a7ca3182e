// The Kubernetes REST client: request building, auth, retries, Status decoding, pagination.
// The writes are in client_write.cpp, the watch in client_watch.cpp.
#include "meshtwin/kube/client.hpp"

#include "client_impl.hpp"

namespace meshtwin::kube {

namespace {

constexpr int kMaxPages = 100000;  // 50 million objects at the default limit: a bound, not a plan

// A Warning header value, `299 - "message"`, to its message.
std::string warningText(const std::string& value) {
  const auto open = value.find('"');
  const auto close = value.rfind('"');
  if (open == std::string::npos || close <= open) return value;
  return value.substr(open + 1, close - open - 1);
}

QueryParams listParams(const ListOptions& options, const std::string& continue_token) {
  QueryParams params;
  if (options.limit > 0) params.emplace_back("limit", std::to_string(options.limit));
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  if (!continue_token.empty()) params.emplace_back("continue", continue_token);
  return params;
}

}  // namespace

std::string ResourceType::apiVersion() const { return group.empty() ? version : group + "/" + version; }

std::string ResourceType::basePath() const { return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version; }

std::string resourcePath(const ResourceType& type, const std::string& ns, const std::string& name) {
  std::string path = type.basePath();
  if (type.namespaced && !ns.empty()) path += "/namespaces/" + percentEncode(ns);
  path += "/" + type.resource;
  if (!name.empty()) path += "/" + percentEncode(name);
  return path;
}

Result<Client> Client::create(const ClusterAccess& access, ClientOptions options) {
  auto server = parseUrl(access.server);
  if (!server) return server.error();
  auto http = HttpClient::create(access.tls(), options.timeout);
  if (!http) {
    Error e = http.error();
    e.url = access.server;
    e.message = "cluster \"" + access.cluster + "\": " + e.message;
    return e;
  }
  return Client(std::make_shared<Impl>(access, std::move(*server), std::move(options), std::move(*http)));
}

const ClusterAccess& Client::access() const { return impl_->access; }

Result<HttpResponse> Client::send(const std::string& method, const std::string& path_and_query, const RequestInfo& info,
                                  const std::string& body, const std::string& content_type, const Transport& transport) const {
  Impl& impl = *impl_;
  HttpRequest req{method, impl.server.origin() + impl.server.path + path_and_query, {}, body};
  for (int auth_try = 0; auth_try < 2; ++auth_try) {
    auto creds = impl.auth.credentials();
    if (!creds) return creds.error();
    auto http = impl.httpFor(*creds);
    if (!http) return http.error();
    req.headers = {{"Accept", "application/json"}, {"User-Agent", "meshtwin/kube"}};
    if (!creds->authorization.empty()) req.headers.push_back({"Authorization", creds->authorization});
    if (!content_type.empty()) req.headers.push_back({"Content-Type", content_type});
    Backoff backoff(impl.options.retry, impl.options.jitter_seed + impl.requests.fetch_add(1));
    auto outcome = runWithRetries(backoff, impl.options.clock, [&] { return transport ? transport(*http, req) : http->send(req); },
                                  [&](const std::string& m) { impl.warn(method + " " + req.url + ": " + m); });
    if (!outcome.last) return outcome.last.error();
    const HttpResponse& res = *outcome.last;
    if (res.status == 401 && auth_try == 0 && impl.auth.onUnauthorized()) {
      impl.warn(method + " " + req.url + ": 401 Unauthorized, running the exec plugin again");
      continue;
    }
    for (const auto& h : res.headers)
      if (h.name == "Warning" || h.name == "warning") impl.warn("server warning: " + warningText(h.value));
    if (res.status < 400) return *outcome.last;
    Error e = decodeStatus(res, info);
    if (outcome.attempts > 1) e.message += " (after " + std::to_string(outcome.attempts) + " attempts)";
    if (outcome.out_of_time) e.message += " (gave up: the next wait would pass the retry time budget)";
    return e;
  }
  return protocolError(info, 401, "unreachable: the retry after 401 returned");
}

Result<nlohmann::json> Client::getJson(const std::string& path_and_query, const RequestInfo& info) const {
  auto res = send("GET", path_and_query, info);
  if (!res) return res.error();
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return protocolError(info, res->status, "the answer is not a JSON object");
  return doc;
}

RequestInfo Client::requestInfo(const std::string& verb, const std::string& method, const ResourceType& type, const std::string& ns,
                                const std::string& name, const std::string& path) const {
  return RequestInfo{verb, method, impl_->access.server + path, type.group, type.resource, type.namespaced ? ns : "", name};
}

Result<nlohmann::json> Client::sendForObject(const ResourceType& type, const std::string& method, const std::string& path_and_query,
                                             const RequestInfo& info, const std::string& body, const std::string& content_type) const {
  auto res = send(method, path_and_query, info, body, content_type);
  if (!res) return res.error();
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return protocolError(info, res->status, "the answer is not a JSON object");
  fillTypeMeta(doc, type);
  return doc;
}

Result<nlohmann::json> Client::get(const ResourceType& type, const std::string& ns, const std::string& name) const {
  const std::string path = resourcePath(type, ns, name);
  auto doc = getJson(path, requestInfo("get", "GET", type, ns, name, path));
  if (doc) fillTypeMeta(*doc, type);
  return doc;
}

Result<nlohmann::json> Client::rawGet(const std::string& path) const {
  const std::string p = path.empty() || path.front() != '/' ? "/" + path : path;
  return getJson(p, RequestInfo{"get", "GET", impl_->access.server + p, "", "", "", ""});
}

Result<ObjectList> Client::list(const ResourceType& type, const std::string& ns, const ListOptions& options) const {
  const std::string path = resourcePath(type, ns);
  const RequestInfo info = requestInfo("list", "GET", type, ns, "", path);
  ObjectList out;
  std::string next;
  for (int page = 0; page < kMaxPages; ++page) {
    auto doc = getJson(withQuery(path, listParams(options, next)), info);
    if (!doc && isExpired(doc.error()) && !next.empty() && out.relists == 0) {
      impl_->warn("list " + type.resource + ": the continue token expired (410 " + doc.error().reason + ") after " +
                  std::to_string(out.items.size()) + " items; listing again from the start");
      out = ObjectList{{}, "", 0, 1};
      next.clear();
      continue;
    }
    if (!doc) return doc.error();
    auto items = doc->find("items");
    if (items != doc->end() && !items->is_null() && !items->is_array())
      return protocolError(info, 200, "the list's items are not an array");
    if (items != doc->end() && items->is_array())
      for (auto& item : *items) {
        fillTypeMeta(item, type);
        out.items.push_back(std::move(item));
      }
    ++out.pages;
    const auto& meta = doc->value("metadata", nlohmann::json::object());
    out.resource_version = meta.value("resourceVersion", "");
    next = meta.value("continue", "");
    if (next.empty()) return out;
  }
  return protocolError(info, 200, "more than " + std::to_string(kMaxPages) + " pages: the server keeps sending continue tokens");
}

}  // namespace meshtwin::kube
