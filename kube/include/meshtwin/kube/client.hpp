// A Kubernetes REST client in the manner of client-go's RESTClient: get, list (all pages),
// raw discovery reads; Status errors decoded; retries with backoff; kubeconfig auth.
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

  // Not yet: apply (server-side apply, PATCH application/apply-patch+yaml with fieldManager
  // and force), delete, watch. They go through send() like the reads.

 private:
  struct Impl;
  explicit Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  [[nodiscard]] Result<HttpResponse> send(const std::string& method, const std::string& path_and_query, const RequestInfo& info,
                                          const std::string& body = "", const std::string& content_type = "") const;
  [[nodiscard]] Result<nlohmann::json> getJson(const std::string& path_and_query, const RequestInfo& info) const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace meshtwin::kube
