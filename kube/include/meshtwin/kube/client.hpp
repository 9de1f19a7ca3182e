// A Kubernetes REST client in the manner of client-go's RESTClient: get, list (all pages), raw
// discovery reads, server-side apply, merge patch, delete, create and a streamed watch; Status
// errors decoded; retries with backoff; kubeconfig auth.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/kube/backoff.hpp"
#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/exec_credential.hpp"
#include "meshtwin/kube/kubeconfig.hpp"
#include "meshtwin/kube/status.hpp"
#include "meshtwin/kube/watch.hpp"

namespace meshtwin::kube {

// One API resource: {"apps", "v1", "deployments", "Deployment", true}.
struct ResourceType {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "pods"
  std::string kind;      // "Pod"
  bool namespaced = true;

  [[nodiscard]] std::string apiVersion() const;  // "v1", "apps/v1"
  [[nodiscard]] std::string basePath() const;    // "/api/v1", "/apis/apps/v1"
};

// The URL path of a collection (name "") or an object; ns "" is every namespace.
std::string resourcePath(const ResourceType& type, const std::string& ns, const std::string& name = "");

struct ListOptions {
  int limit = 500;  // per page; 0: the server decides (no limit parameter)
  std::string label_selector;
  std::string field_selector;
};

struct ObjectList {
  std::vector<nlohmann::json> items;  // each with apiVersion and kind filled in from the type
  std::string resource_version;       // of the last page: where a watch would start
  int pages = 0;
  int relists = 0;                    // 1 when a continue token expired and the list began again
};

struct ApplyOptions {
  std::string field_manager = "meshtwin";
  bool force = false;    // force=true: take over fields another manager owns
  bool dry_run = false;  // dryRun=All: the server checks and answers, persists nothing
};

struct ClientOptions {
  std::chrono::milliseconds timeout{30000};  // one request: connect, TLS, write, read
  RetryPolicy retry;
  RetryClock clock = RetryClock::real();
  std::uint64_t jitter_seed = 1;
  // Retries, re-lists and the server's Warning headers, for the caller to show.
  std::function<void(const std::string&)> warn;
  ExecCacheOptions exec;
};

// Cheap to copy (copies share the connection settings and the exec credential cache);
// safe to use from several threads.
class Client {
 public:
  // Fails on a bad server URL or certificates that do not load.
  static Result<Client> create(const ClusterAccess& access, ClientOptions options = {});

  [[nodiscard]] Result<nlohmann::json> get(const ResourceType& type, const std::string& ns, const std::string& name) const;

  // Every item across pages, following metadata.continue. When a continue token has expired
  // (410 Gone, reason Expired) the list starts again from the first page, once, and says so
  // through options.warn.
  [[nodiscard]] Result<ObjectList> list(const ResourceType& type, const std::string& ns, const ListOptions& options = {}) const;

  // A GET of a path below the server URL (discovery: "/api", "/apis", "/apis/apps/v1").
  [[nodiscard]] Result<nlohmann::json> rawGet(const std::string& path) const;

  [[nodiscard]] const ClusterAccess& access() const;

  // Writes are retried on 429, 5xx and dropped connections exactly like reads: apply, patch and
  // delete are idempotent. A create retried after a dropped connection may answer 409
  // AlreadyExists (isAlreadyExists) when the first attempt did create the object.

  // Server-side apply: PATCH <object path>?fieldManager=...&force=true|false[&dryRun=All],
  // Content-Type application/apply-patch+yaml, body = the object as JSON (JSON is YAML), with
  // apiVersion and kind filled in from the type when missing. Namespace and name come from the
  // object's metadata (namespace ignored for cluster-scoped types). Returns the object the server
  // answers. A 409 (conflict with another field manager) is an Error with reason "Conflict", its
  // causes (one per field) and a hint naming the fields, their managers and --force-conflicts.
  [[nodiscard]] Result<nlohmann::json> apply(const ResourceType& type, const nlohmann::json& object,
                                             const ApplyOptions& options = {}) const;

  // JSON merge patch (RFC 7386, Content-Type application/merge-patch+json), e.g.
  // {"metadata":{"labels":{"x":null}}} to remove a label another manager set; fieldManager=meshtwin.
  [[nodiscard]] Result<nlohmann::json> mergePatch(const ResourceType& type, const std::string& ns, const std::string& name,
                                                  const nlohmann::json& patch, bool dry_run = false) const;

  // DELETE with body {"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}
  // (+ dryRun=All). true: deleted; false: it was already gone (a 404 naming the object is not an
  // error; a 404 for the path, a type the server does not serve, is).
  [[nodiscard]] Result<bool> remove(const ResourceType& type, const std::string& ns, const std::string& name,
                                    bool dry_run = false) const;

  // POST to a collection (e.g. authorization.k8s.io/v1 selfsubjectaccessreviews, cluster-scoped:
  // ns ""), fieldManager=meshtwin. Returns the server's object.
  [[nodiscard]] Result<nlohmann::json> create(const ResourceType& type, const std::string& ns, const nlohmann::json& object,
                                              bool dry_run = false) const;

  // One watch request (?watch=true&resourceVersion=..&timeoutSeconds=..&allowWatchBookmarks=true),
  // streamed: each event is given to on_event as soon as its line arrives (the API server sends
  // newline-delimited JSON events, chunked, until timeoutSeconds). on_event returns false to stop
  // early. Returns the resourceVersion of the last event seen (BOOKMARKs included), or
  // options.resource_version when none. An ERROR event carrying a Status (e.g. code 410, reason
  // Expired: "too old resource version") is an Error for which isExpired() is true: list again and
  // watch from the list's resourceVersion. A stream that breaks after it began (the connection
  // dropped, the read deadline passed) is not an error: the watch ends there, says so through
  // ClientOptions::warn, and the caller watches again from the returned resourceVersion. The read
  // deadline is timeout_seconds plus the client's timeout. Retried as other reads (isRetryable)
  // only while no stream began: a connection dropped before the answer, 429/5xx.
  [[nodiscard]] Result<std::string> watch(const ResourceType& type, const std::string& ns, const WatchOptions& options,
                                          const std::function<bool(const WatchEvent&)>& on_event) const;

 private:
  struct Impl;
  explicit Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  // One attempt on the wire: HttpClient::send, or HttpClient::stream for a watch.
  using Transport = std::function<Result<HttpResponse>(const HttpClient&, const HttpRequest&)>;
  [[nodiscard]] Result<HttpResponse> send(const std::string& method, const std::string& path_and_query, const RequestInfo& info,
                                          const std::string& body = "", const std::string& content_type = "",
                                          const Transport& transport = {}) const;
  [[nodiscard]] Result<nlohmann::json> getJson(const std::string& path_and_query, const RequestInfo& info) const;
  // send(), then the answer as a JSON object with the type's apiVersion and kind filled in.
  [[nodiscard]] Result<nlohmann::json> sendForObject(const ResourceType& type, const std::string& method,
                                                     const std::string& path_and_query, const RequestInfo& info,
                                                     const std::string& body, const std::string& content_type) const;
  [[nodiscard]] RequestInfo requestInfo(const std::string& verb, const std::string& method, const ResourceType& type,
                                        const std::string& ns, const std::string& name, const std::string& path) const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace meshtwin::kube
