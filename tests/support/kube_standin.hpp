// A stand-in Kubernetes API server for tests (no real one can run here): discovery, get and
// paginated lists of objects it holds (managedFields kept), bearer-token and client-certificate
// listeners on 127.0.0.1, and faults on request: 403, 410 Expired, 429 with Retry-After, 5xx.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube_standin_http.hpp"
#include "kube_standin_pki.hpp"
#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/url.hpp"

namespace meshtwin::test {

class KubeApiStandin {
 public:
  struct Seen {
    std::string method, target, authorization, client_cn;
    int status = 0;
  };

  explicit KubeApiStandin(const TestPki& pki)
      : bearer_(handlerFor(false), StandinTls{pki.server_cert_pem, pki.server_key_pem, ""}),
        mtls_(handlerFor(true), StandinTls{pki.server_cert_pem, pki.server_key_pem, pki.client_ca_pem}) {}

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
    auto& r = resources_[group_version + "/" + resource];
    r.kind = kind;
    r.namespaced = namespaced;
    r.group_version = group_version;
    r.resource = resource;
  }

  // The object's apiVersion names the group/version; kept as given, managedFields included.
  void addObject(const std::string& resource, nlohmann::json object) {
    std::lock_guard lock(mu_);
    auto& r = resources_.at(object.at("apiVersion").get<std::string>() + "/" + resource);
    object["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
    if (!object["metadata"].contains("uid")) object["metadata"]["uid"] = "uid-" + std::to_string(resource_version_);
    r.objects.push_back(std::move(object));
    std::sort(r.objects.begin(), r.objects.end(), [](const auto& a, const auto& b) { return keyOf(a) < keyOf(b); });
  }

  // Answers 403 to `verb` ("get", "list") on `resource` for everyone.
  void forbid(const std::string& resource, const std::string& verb) {
    std::lock_guard lock(mu_);
    forbidden_.insert(verb + " " + resource);
  }

  // The next `count` requests whose path contains `path_part` get `status` (with
  // Retry-After when retry_after_s >= 0).
  void failNext(int status, int count, int retry_after_s = -1, const std::string& path_part = "") {
    std::lock_guard lock(mu_);
    for (int i = 0; i < count; ++i) faults_.push_back(Fault{status, retry_after_s, path_part});
  }

  // The next `count` requests that carry a continue token get 410 Gone, reason Expired.
  void expireNextContinue(int count = 1) {
    std::lock_guard lock(mu_);
    expire_continues_ += count;
  }

  [[nodiscard]] std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  void clearSeen() {
    std::lock_guard lock(mu_);
    seen_.clear();
  }

 private:
  struct Resource {
    std::string group_version, resource, kind;
    bool namespaced = true;
    std::vector<nlohmann::json> objects;
  };
  struct Fault {
    int status;
    int retry_after_s;
    std::string path_part;
  };
  struct Route {
    std::string group_version, resource, ns, name;
    bool found = false;
  };

  static std::string keyOf(const nlohmann::json& o) {
    const auto& m = o.at("metadata");
    return m.value("namespace", "") + "/" + m.value("name", "");
  }

  static StandinResponse status(int code, const std::string& reason, const std::string& message,
                                nlohmann::json details = nlohmann::json::object()) {
    const nlohmann::json body{{"kind", "Status"},   {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                              {"status", "Failure"}, {"message", message}, {"reason", reason},
                              {"details", details},  {"code", code}};
    return StandinResponse{code, body.dump(), "application/json", {}};
  }

  StandinHandler handlerFor(bool mtls) {
    return [this, mtls](const StandinRequest& r) {
      std::lock_guard lock(mu_);
      StandinResponse res = answer(r, mtls);
      seen_.push_back(Seen{r.method, r.target, r.header("authorization"), r.client_cn, res.status});
      return res;
    };
  }

  StandinResponse answer(const StandinRequest& r, bool mtls) {
    const std::string user = mtls ? r.client_cn : "system:serviceaccount:default:meshtwin";
    if (!mtls && !tokens_.empty()) {
      const std::string auth = r.header("authorization");
      if (auth.rfind("Bearer ", 0) != 0 || tokens_.count(auth.substr(7)) == 0) return status(401, "Unauthorized", "Unauthorized");
    }
    const auto q = r.target.find('?');
    const std::string path = r.target.substr(0, q);
    const auto params = kube::decodeQuery(q == std::string::npos ? "" : r.target.substr(q + 1));
    for (auto it = faults_.begin(); it != faults_.end(); ++it)
      if (path.find(it->path_part) != std::string::npos) {
        const Fault f = *it;
        faults_.erase(it);
        return fault(f);
      }
    if (r.method != "GET") return status(405, "MethodNotAllowed", "the stand-in serves GET only");
    return route(path, params, user);
  }

  static StandinResponse fault(const Fault& f) {
    StandinResponse res = f.status == 429 ? status(429, "TooManyRequests", "Too many requests, please try again later.")
                          : f.status == 503 ? status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
                                            : status(f.status, "InternalError", "Internal error occurred: etcdserver: request timed out");
    if (f.retry_after_s >= 0) res.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
    return res;
  }

  static std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    std::stringstream in(path);
    for (std::string seg; std::getline(in, seg, '/');)
      if (!seg.empty()) out.push_back(kube::percentDecode(seg, false));
    return out;
  }

  StandinResponse route(const std::string& path, const kube::QueryParams& params, const std::string& user) {
    const auto seg = split(path);
    if (seg == std::vector<std::string>{"api"}) return ok({{"kind", "APIVersions"}, {"versions", {"v1"}}});
    if (seg == std::vector<std::string>{"apis"}) return groupList();
    const bool core = !seg.empty() && seg[0] == "api";
    const std::size_t base = core ? 2 : 3;
    if (seg.size() < base || (seg[0] != "api" && seg[0] != "apis")) return notFoundPath();
    const std::string gv = core ? seg[1] : seg[1] + "/" + seg[2];
    if (seg.size() == base) return resourceList(gv);
    const std::vector<std::string> rest(seg.begin() + static_cast<long>(base), seg.end());
    Route rt{gv, "", "", "", false};
    if (rest.size() >= 3 && rest[0] == "namespaces") rt = Route{gv, rest[2], rest[1], rest.size() == 4 ? rest[3] : "", rest.size() <= 4};
    else if (rest.size() <= 2) rt = Route{gv, rest[0], "", rest.size() == 2 ? rest[1] : "", true};
    const auto it = resources_.find(gv + "/" + rt.resource);
    if (!rt.found || it == resources_.end()) return notFoundPath();
    const std::string verb = rt.name.empty() ? "list" : "get";
    if (forbidden_.count(verb + " " + rt.resource) != 0) return forbidden(verb, it->second, rt.ns, user);
    return rt.name.empty() ? list(it->second, rt.ns, params) : get(it->second, rt.ns, rt.name);
  }

  static StandinResponse ok(const nlohmann::json& body) { return StandinResponse{200, body.dump(), "application/json", {}}; }

  static StandinResponse notFoundPath() { return status(404, "NotFound", "the server could not find the requested resource"); }

  static std::string groupOf(const std::string& gv) {
    const auto slash = gv.find('/');
    return slash == std::string::npos ? "" : gv.substr(0, slash);
  }

  StandinResponse forbidden(const std::string& verb, const Resource& r, const std::string& ns, const std::string& user) {
    const std::string where = ns.empty() ? "at the cluster scope" : "in the namespace \"" + ns + "\"";
    return status(403, "Forbidden",
                  r.resource + " is forbidden: User \"" + user + "\" cannot " + verb + " resource \"" + r.resource +
                      "\" in API group \"" + groupOf(r.group_version) + "\" " + where,
                  {{"group", groupOf(r.group_version)}, {"kind", r.resource}});
  }

  StandinResponse groupList() const {
    std::map<std::string, std::set<std::string>> groups;
    for (const auto& [key, r] : resources_) {
      const auto g = groupOf(r.group_version);
      if (!g.empty()) groups[g].insert(r.group_version);
    }
    nlohmann::json list{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", nlohmann::json::array()}};
    for (const auto& [g, versions] : groups) {
      nlohmann::json group{{"name", g}, {"versions", nlohmann::json::array()}};
      for (const auto& gv : versions) group["versions"].push_back({{"groupVersion", gv}, {"version", gv.substr(g.size() + 1)}});
      group["preferredVersion"] = group["versions"][0];
      list["groups"].push_back(group);
    }
    return ok(list);
  }

  StandinResponse resourceList(const std::string& gv) const {
    nlohmann::json list{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", nlohmann::json::array()}};
    for (const auto& [key, r] : resources_)
      if (r.group_version == gv)
        list["resources"].push_back({{"name", r.resource}, {"kind", r.kind}, {"namespaced", r.namespaced},
                                     {"verbs", {"get", "list", "watch", "patch"}}});
    if (list["resources"].empty()) return notFoundPath();
    return ok(list);
  }

  StandinResponse get(const Resource& r, const std::string& ns, const std::string& name) const {
    for (const auto& o : r.objects)
      if (o["metadata"].value("name", "") == name && (!r.namespaced || o["metadata"].value("namespace", "") == ns)) return ok(o);
    return status(404, "NotFound", r.resource + " \"" + name + "\" not found",
                  {{"name", name}, {"group", groupOf(r.group_version)}, {"kind", r.resource}});
  }

  static std::string param(const kube::QueryParams& params, const std::string& key) {
    for (const auto& [k, v] : params)
      if (k == key) return v;
    return "";
  }

  // "a=b,c=d" equality selectors, enough for the tests.
  static bool matches(const nlohmann::json& o, const std::string& selector) {
    std::stringstream in(selector);
    for (std::string term; std::getline(in, term, ',');) {
      const auto eq = term.find('=');
      const auto labels = o["metadata"].value("labels", nlohmann::json::object());
      if (eq == std::string::npos || labels.value(term.substr(0, eq), "\x01") != term.substr(eq + 1)) return false;
    }
    return true;
  }

  StandinResponse list(const Resource& r, const std::string& ns, const kube::QueryParams& params) {
    std::vector<const nlohmann::json*> all;
    const std::string selector = param(params, "labelSelector");
    for (const auto& o : r.objects)
      if ((ns.empty() || o["metadata"].value("namespace", "") == ns) && matches(o, selector)) all.push_back(&o);
    std::size_t start = 0;
    const std::string token = param(params, "continue");
    if (!token.empty()) {
      if (expire_continues_ > 0) {
        --expire_continues_;
        return status(410, "Expired",
                      "The provided continue parameter is too old to display a consistent list result. You can start a new "
                      "list without the continue parameter.");
      }
      const auto decoded = nlohmann::json::parse(kube::base64Decode(token).value_or(""), nullptr, false);
      if (!decoded.is_object()) return status(400, "BadRequest", "continue key is not valid: illegal base64 data");
      start = decoded.value("start", std::size_t{0});
    }
    const std::string limit_text = param(params, "limit");
    const std::size_t limit = limit_text.empty() ? all.size() : std::stoul(limit_text);
    nlohmann::json body{{"kind", r.kind + "List"}, {"apiVersion", r.group_version},
                        {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}}, {"items", nlohmann::json::array()}};
    for (std::size_t i = start; i < all.size() && i < start + limit; ++i) {
      nlohmann::json item = *all[i];
      item.erase("apiVersion");  // as the real API server: items of a list carry no TypeMeta
      item.erase("kind");
      body["items"].push_back(std::move(item));
    }
    if (start + limit < all.size()) {
      const nlohmann::json next{{"v", "meta.k8s.io/v1"}, {"rv", resource_version_}, {"start", start + limit}};
      body["metadata"]["continue"] = kube::base64Encode(next.dump());
      body["metadata"]["remainingItemCount"] = all.size() - start - limit;
    }
    return ok(body);
  }

  mutable std::mutex mu_;
  std::map<std::string, Resource> resources_;
  std::set<std::string> tokens_;
  std::set<std::string> forbidden_;
  std::deque<Fault> faults_;
  int expire_continues_ = 0;
  long resource_version_ = 1000;
  std::vector<Seen> seen_;
  StandinHttpServer bearer_;  // last: stopped first, while the state above is alive
  StandinHttpServer mtls_;
};

}  // namespace meshtwin::test
