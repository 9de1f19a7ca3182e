// A stand-in Kubernetes API server for tests (no real one can run here), answering as the real
// one does: discovery, get, paginated lists, server-side apply with managedFields, merge patch,
// delete, create, SelfSubjectAccessReview, streamed watches with resourceVersions; bearer-token and
// client-certificate listeners on 127.0.0.1; scripted controllers; faults on request (403, 410,
// 429 with Retry-After, 5xx, dropped connections). The parts: kube_standin_{store,verbs,apply,
// fields,watch,controllers,status,http}.hpp.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube_standin_controllers.hpp"
#include "kube_standin_http.hpp"
#include "kube_standin_pki.hpp"
#include "kube_standin_store.hpp"
#include "kube_standin_verbs.hpp"
#include "kube_standin_watch.hpp"
#include "meshtwin/kube/url.hpp"

namespace meshtwin::test {

class KubeApiStandin {
 public:
  struct Seen {
    std::string method, target, authorization, client_cn;
    int status = 0;  // 0: the connection was dropped without an answer
  };
  static constexpr int kDropConnection = 0;  // failNext status: close the connection after reading the request

  explicit KubeApiStandin(const TestPki& pki)
      : bearer_(handlerFor(false), StandinTls{pki.server_cert_pem, pki.server_key_pem, ""}),
        mtls_(handlerFor(true), StandinTls{pki.server_cert_pem, pki.server_key_pem, pki.client_ca_pem}) {
    store_.on_generation = [this](const standin::StoredResource& r, const nlohmann::json& o) { scheduleControllers(r, o); };
  }
  // Controllers first (a running one finishes), then the listeners, then the state they used.
  ~KubeApiStandin() {
    timer_.stop();
    bearer_.stop();
    mtls_.stop();
  }
  KubeApiStandin(const KubeApiStandin&) = delete;
  KubeApiStandin& operator=(const KubeApiStandin&) = delete;

  // The listener that takes bearer tokens; the one that requires a client certificate.
  [[nodiscard]] std::string url() const { return bearer_.url(); }
  [[nodiscard]] std::string mtlsUrl() const { return mtls_.url(); }
  [[nodiscard]] int failedHandshakes() const { return bearer_.failedHandshakes() + mtls_.failedHandshakes(); }

  // Requests on url() must carry "Authorization: Bearer <token>" (any of them); none set: any.
  void acceptToken(const std::string& token) {
    std::lock_guard lock(mu_);
    tokens_.insert(token);
  }
  void revokeTokens() {
    std::lock_guard lock(mu_);
    tokens_.clear();
    tokens_.insert("\x01revoked");
  }

  void addResource(const std::string& group_version, const std::string& resource, const std::string& kind, bool namespaced) {
    std::lock_guard lock(mu_);
    store_.addResource(group_version, resource, kind, namespaced);
  }

  // The object's apiVersion names the group/version; kept as given, managedFields included, with
  // a resourceVersion, a uid and generation 1 when it has none; watches see it ADDED.
  void addObject(const std::string& resource, nlohmann::json object) {
    std::lock_guard lock(mu_);
    auto& r = store_.resources().at(object.at("apiVersion").get<std::string>() + "/" + resource);
    if (!object["metadata"].contains("uid")) object["metadata"]["uid"] = "uid-" + std::to_string(store_.resourceVersion() + 1);
    store_.put(r, std::move(object));
  }

  // The object as stored now (resource: "deployments"; ns "" when cluster-scoped), if there is one.
  [[nodiscard]] std::optional<nlohmann::json> object(const std::string& resource, const std::string& ns, const std::string& name) const {
    std::lock_guard lock(mu_);
    for (const auto& [key, r] : store_.resources()) {
      if (r.resource != resource) continue;
      const auto it = r.objects.find(standin::objectKey(r.namespaced ? ns : "", name));
      if (it != r.objects.end()) return it->second;
    }
    return std::nullopt;
  }

  // The newest resourceVersion: what a list would answer now.
  [[nodiscard]] std::string resourceVersion() const {
    std::lock_guard lock(mu_);
    return std::to_string(store_.resourceVersion());
  }

  // Answers 403 to `verb` ("get", "list", "watch", "patch", "delete", "create") on `resource` for
  // everyone; SelfSubjectAccessReviews of it answer allowed: false.
  void forbid(const std::string& resource, const std::string& verb) {
    std::lock_guard lock(mu_);
    forbidden_.insert(verb + " " + resource);
  }

  // The next `count` requests whose path contains `path_part` and whose method is `method` (""
  // any) get `status` (with Retry-After when retry_after_s >= 0); status kDropConnection: the
  // connection is closed after the request is read, with no answer.
  void failNext(int status, int count, int retry_after_s = -1, const std::string& path_part = "", const std::string& method = "") {
    std::lock_guard lock(mu_);
    for (int i = 0; i < count; ++i) faults_.push_back(Fault{status, retry_after_s, path_part, method});
  }

  // The next `count` requests that carry a continue token get 410 Gone, reason Expired.
  void expireNextContinue(int count = 1) {
    std::lock_guard lock(mu_);
    expire_continues_ += count;
  }

  // Watches from a resourceVersion older than `rv` get an ERROR event, 410 Expired, as after an
  // etcd compaction; compactHistory() does it for every resourceVersion before now.
  void expireWatchesBefore(const std::string& rv) {
    std::lock_guard lock(mu_);
    store_.expireBefore(std::stol(rv));
  }
  void compactHistory() {
    std::lock_guard lock(mu_);
    store_.expireBefore(store_.resourceVersion());
  }
  // Every open watch stream breaks off: its connection closes in the middle of the body.
  void breakWatches() {
    std::lock_guard lock(mu_);
    ++store_.watch_breaks;
  }
  // Events kept per resource for watches (1000 unless set); older ones expire.
  void keepWatchHistory(std::size_t events) {
    std::lock_guard lock(mu_);
    store_.history_limit = events;
  }

  // A scripted controller: `after` each create or spec change (a new metadata.generation) of an
  // object of `resource` ("deployments"), `mutate` runs on the object as it is then (on a thread of
  // the stand-in's own); when that changes it, the resourceVersion moves and watches see MODIFIED.
  // Meant for status: a spec change there does not run the controllers again.
  void reconcile(const std::string& resource, std::chrono::milliseconds after, std::function<void(nlohmann::json&)> mutate) {
    std::lock_guard lock(mu_);
    controllers_.push_back(Controller{resource, after, std::make_shared<std::function<void(nlohmann::json&)>>(std::move(mutate))});
  }
  // kube-controller-manager's rollout: status.observedGeneration, replicas, updated, ready and
  // available replicas = spec.replicas (default 1), conditions Available and Progressing.
  void runDeploymentController(std::chrono::milliseconds after) { reconcile("deployments", after, standin::deploymentRolledOut); }
  // A Gateway controller: conditions Accepted and Programmed, True, with observedGeneration.
  void runGatewayController(std::chrono::milliseconds after) { reconcile("gateways", after, standin::gatewayProgrammed); }

  [[nodiscard]] std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  void clearSeen() {
    std::lock_guard lock(mu_);
    seen_.clear();
  }

 private:
  struct Fault {
    int status;
    int retry_after_s;
    std::string path_part, method;
  };
  struct Route {
    std::string group_version, resource, ns, name;
    bool found = false;
  };
  struct Controller {
    std::string resource;
    std::chrono::milliseconds after;
    std::shared_ptr<std::function<void(nlohmann::json&)>> mutate;
  };

  StandinHandler handlerFor(bool mtls) {
    return [this, mtls](const StandinRequest& r) {
      std::lock_guard lock(mu_);
      StandinResponse res = answer(r, mtls);
      seen_.push_back(Seen{r.method, r.target, r.header("authorization"), r.client_cn, res.drop ? 0 : res.status});
      return res;
    };
  }

  StandinResponse answer(const StandinRequest& r, bool mtls) {
    const std::string user = mtls ? r.client_cn : "system:serviceaccount:default:meshtwin";
    if (!mtls && !tokens_.empty()) {
      const std::string auth = r.header("authorization");
      if (auth.rfind("Bearer ", 0) != 0 || tokens_.count(auth.substr(7)) == 0) return standin::status(401, "Unauthorized", "Unauthorized");
    }
    const auto q = r.target.find('?');
    const std::string path = r.target.substr(0, q);
    const auto params = kube::decodeQuery(q == std::string::npos ? "" : r.target.substr(q + 1));
    for (auto it = faults_.begin(); it != faults_.end(); ++it)
      if (path.find(it->path_part) != std::string::npos && (it->method.empty() || it->method == r.method)) {
        const Fault f = *it;
        faults_.erase(it);
        return fault(f);
      }
    return route(r, path, params, user);
  }

  static StandinResponse fault(const Fault& f) {
    if (f.status == kDropConnection) {
      StandinResponse dropped;
      dropped.drop = true;
      return dropped;
    }
    StandinResponse res =
        f.status == 429   ? standin::status(429, "TooManyRequests", "Too many requests, please try again later.")
        : f.status == 503 ? standin::status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
                          : standin::status(f.status, "InternalError", "Internal error occurred: etcdserver: request timed out");
    if (f.retry_after_s >= 0) res.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
    return res;
  }

  static std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    std::string::size_type start = 0;
    while (start <= path.size()) {
      const auto end = std::min(path.find('/', start), path.size());
      if (end > start) out.push_back(kube::percentDecode(path.substr(start, end - start), false));
      start = end + 1;
    }
    return out;
  }

  // "get", "list", "watch", "patch", "delete", "create"; "" for what the stand-in does not serve.
  static std::string verbOf(const StandinRequest& r, const Route& rt, const kube::QueryParams& params) {
    const std::string watch = standin::param(params, "watch");
    if (r.method == "GET") return !rt.name.empty() ? "get" : (watch == "true" || watch == "1") ? "watch" : "list";
    if (r.method == "PATCH" && !rt.name.empty()) return "patch";
    if (r.method == "DELETE" && !rt.name.empty()) return "delete";
    if (r.method == "POST" && rt.name.empty()) return "create";
    return "";
  }

  StandinResponse route(const StandinRequest& r, const std::string& path, const kube::QueryParams& params, const std::string& user) {
    const auto seg = split(path);
    const bool discovery = seg == std::vector<std::string>{"api"} || seg == std::vector<std::string>{"apis"} ||
                           (seg.size() == 2 && seg[0] == "api") || (seg.size() == 3 && seg[0] == "apis");
    const auto not_allowed = [] {
      return standin::status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    };
    if (discovery && r.method != "GET") return not_allowed();
    if (seg == std::vector<std::string>{"api"}) return standin::ok({{"kind", "APIVersions"}, {"versions", {"v1"}}});
    if (seg == std::vector<std::string>{"apis"}) return standin::groupList(store_);
    const bool core = !seg.empty() && seg[0] == "api";
    const std::size_t base = core ? 2 : 3;
    if (seg.size() < base || (seg[0] != "api" && seg[0] != "apis")) return standin::notFoundPath();
    const std::string gv = core ? seg[1] : seg[1] + "/" + seg[2];
    if (seg.size() == base) return standin::resourceList(store_, gv);
    const std::vector<std::string> rest(seg.begin() + static_cast<long>(base), seg.end());
    Route rt{gv, "", "", "", false};
    if (rest.size() >= 3 && rest[0] == "namespaces") rt = Route{gv, rest[2], rest[1], rest.size() == 4 ? rest[3] : "", rest.size() <= 4};
    else if (rest.size() <= 2) rt = Route{gv, rest[0], "", rest.size() == 2 ? rest[1] : "", true};
    if (!rt.found) return standin::notFoundPath();
    const std::string verb = verbOf(r, rt, params);
    const bool access_review = gv == "authorization.k8s.io/v1" && rt.resource == "selfsubjectaccessreviews";
    if (access_review && verb == "create") {  // served by every API server, without discovery here
      if (forbidden_.count("create selfsubjectaccessreviews") != 0)
        return standin::forbidden("create", rt.resource, "authorization.k8s.io", "", "", user);
      return standin::accessReview(r, forbidden_, user);
    }
    standin::StoredResource* resource = store_.find(gv, rt.resource);
    if (resource == nullptr) return standin::notFoundPath();
    if (verb.empty()) return not_allowed();
    if (forbidden_.count(verb + " " + rt.resource) != 0)
      return standin::forbidden(verb, rt.resource, resource->group(), rt.ns, rt.name, user);
    const standin::Call call{store_, *resource, rt.ns, rt.name, params, r};
    if (verb == "get") return standin::getObject(call);
    if (verb == "list") return standin::listObjects(call, expire_continues_);
    if (verb == "watch") return watch(call);
    if (verb == "delete") return standin::deleteObject(call);
    if (verb == "create") return standin::createObject(call);
    const std::string type = r.header("content-type").substr(0, r.header("content-type").find(';'));
    if (type == "application/apply-patch+yaml") return standin::applyObject(call);
    if (type == "application/merge-patch+json") return standin::mergePatchObject(call);
    return standin::status(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types include: "
                           "application/merge-patch+json, application/apply-patch+yaml");
  }

  StandinResponse watch(const standin::Call& c) {
    const std::string rv = standin::param(c.params, "resourceVersion");
    long from = -1;
    if (!rv.empty() && rv != "0") {
      if (rv.find_first_not_of("0123456789") != std::string::npos || rv.size() > 18)
        return standin::badRequest("resourceVersion: Invalid value: \"" + rv + "\": invalid resource version");
      from = std::stol(rv);
    }
    const std::string timeout = standin::param(c.params, "timeoutSeconds");
    const long seconds = timeout.empty() || timeout.find_first_not_of("0123456789") != std::string::npos || timeout.size() > 6
                             ? 1800
                             : std::stol(timeout);
    standin::WatchFilter filter{c.ns, standin::param(c.params, "labelSelector"), standin::param(c.params, "fieldSelector")};
    StandinResponse res;
    res.stream = std::make_shared<standin::WatchStream>(mu_, store_, c.r.group_version + "/" + c.r.resource, from, std::move(filter),
                                                        std::chrono::steady_clock::now() + std::chrono::seconds(seconds),
                                                        standin::param(c.params, "allowWatchBookmarks") == "true");
    return res;
  }

  // Called with mu_ held, from a write (not from a controller's own).
  void scheduleControllers(const standin::StoredResource& r, const nlohmann::json& o) {
    if (in_controller_) return;
    const std::string resource_key = r.group_version + "/" + r.resource;
    const std::string object_key = store_.keyOf(r, o);
    for (const auto& c : controllers_)
      if (c.resource == r.resource)
        timer_.after(c.after, [this, resource_key, object_key, mutate = c.mutate] { runController(resource_key, object_key, *mutate); });
  }

  void runController(const std::string& resource_key, const std::string& object_key, const std::function<void(nlohmann::json&)>& mutate) {
    std::lock_guard lock(mu_);
    auto& r = store_.resources().at(resource_key);
    const auto it = r.objects.find(object_key);
    if (it == r.objects.end()) return;  // deleted meanwhile
    nlohmann::json next = it->second;
    mutate(next);
    for (const char* key : {"name", "namespace", "uid", "resourceVersion", "generation", "managedFields"})
      if (it->second["metadata"].contains(key)) next["metadata"][key] = it->second["metadata"][key];
    if (next == it->second) return;
    in_controller_ = true;
    store_.put(r, std::move(next));
    in_controller_ = false;
  }

  mutable std::mutex mu_;
  standin::StandinStore store_;
  std::set<std::string> tokens_;
  std::set<std::string> forbidden_;
  std::deque<Fault> faults_;
  int expire_continues_ = 0;
  std::vector<Controller> controllers_;
  bool in_controller_ = false;
  std::vector<Seen> seen_;
  standin::StandinTimer timer_;  // after the state its jobs use, so it stops first
  StandinHttpServer bearer_;     // last: stopped first, while the state above is alive
  StandinHttpServer mtls_;
};

}  // namespace meshtwin::test
