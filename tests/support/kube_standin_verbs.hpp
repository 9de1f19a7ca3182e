// The stand-in API server's verbs on one resource: get, list (paginated), server-side apply, merge
// patch, delete and create, each with dryRun=All; SelfSubjectAccessReview; discovery documents.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube_standin_apply.hpp"
#include "kube_standin_status.hpp"
#include "kube_standin_store.hpp"
#include "meshtwin/kube/base64.hpp"

namespace meshtwin::test::standin {

// One request on one resource (and object, when named).
struct Call {
  StandinStore& store;
  StoredResource& r;
  std::string ns, name;
  const kube::QueryParams& params;
  const StandinRequest& request;

  [[nodiscard]] std::string key() const { return objectKey(r.namespaced ? ns : "", name); }
  [[nodiscard]] nlohmann::json* live() const {
    const auto it = r.objects.find(key());
    return it == r.objects.end() ? nullptr : &it->second;
  }
  [[nodiscard]] bool dryRun() const { return param(params, "dryRun") == "All"; }
};

inline std::optional<StandinResponse> badDryRun(const Call& c) {
  const std::string v = param(c.params, "dryRun");
  if (v.empty() || v == "All") return std::nullopt;
  return status(400, "BadRequest", "dryRun: Unsupported value: \"" + v + "\": supported values: \"All\"");
}

inline std::optional<nlohmann::json> parseBody(const Call& c) {
  auto doc = nlohmann::json::parse(c.request.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  if (!doc.contains("metadata") || !doc["metadata"].is_object()) doc["metadata"] = nlohmann::json::object();
  return doc;
}

inline StandinResponse getObject(const Call& c) {
  const auto* o = c.live();
  return o != nullptr ? ok(*o) : notFound(c.r.resource, c.r.group(), c.name);
}

// Pages by limit and continue (base64 of {"start": n}); `expire_continues` > 0 answers the next
// continue with 410 Expired.
inline StandinResponse listObjects(const Call& c, int& expire_continues) {
  std::vector<const nlohmann::json*> all;
  const std::string selector = param(c.params, "labelSelector");
  const std::string fields = param(c.params, "fieldSelector");
  for (const auto& [key, o] : c.r.objects)
    if ((c.ns.empty() || textOf(o["metadata"], "namespace") == c.ns) && labelsMatch(o, selector) && fieldsMatch(o, fields))
      all.push_back(&o);
  std::size_t start = 0;
  const std::string token = param(c.params, "continue");
  if (!token.empty()) {
    if (expire_continues > 0) {
      --expire_continues;
      return status(410, "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new "
                    "list without the continue parameter.");
    }
    const auto decoded = nlohmann::json::parse(kube::base64Decode(token).value_or(""), nullptr, false);
    if (!decoded.is_object()) return badRequest("continue key is not valid: illegal base64 data");
    start = decoded.value("start", std::size_t{0});
  }
  const std::string limit_text = param(c.params, "limit");
  const std::size_t limit = limit_text.empty() ? all.size() : std::stoul(limit_text);
  const long rv = c.store.resourceVersion();
  nlohmann::json body{{"kind", c.r.kind + "List"}, {"apiVersion", c.r.group_version},
                      {"metadata", {{"resourceVersion", std::to_string(rv)}}}, {"items", nlohmann::json::array()}};
  for (std::size_t i = start; i < all.size() && i < start + limit; ++i) {
    nlohmann::json item = *all[i];
    item.erase("apiVersion");  // as the real API server: items of a list carry no TypeMeta
    item.erase("kind");
    body["items"].push_back(std::move(item));
  }
  if (start + limit < all.size()) {
    const nlohmann::json next{{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start + limit}};
    body["metadata"]["continue"] = kube::base64Encode(next.dump());
    body["metadata"]["remainingItemCount"] = all.size() - start - limit;
  }
  return ok(body);
}

// PATCH application/apply-patch+yaml: an upsert; 201 when it created the object.
inline StandinResponse applyObject(const Call& c) {
  if (auto bad = badDryRun(c)) return *bad;
  const std::string manager = param(c.params, "fieldManager");
  if (manager.empty()) return badRequest("fieldManager is required for apply requests");
  auto body = parseBody(c);
  if (!body) return badRequest("error decoding YAML: the body is not a JSON object");
  const std::string body_name = textOf((*body)["metadata"], "name");
  if (body_name != c.name)
    return badRequest("the name of the object (" + body_name + ") does not match the name on the URL (" + c.name + ")");
  const std::string body_ns = textOf((*body)["metadata"], "namespace");
  if (c.r.namespaced && !body_ns.empty() && body_ns != c.ns)
    return badRequest("the namespace of the provided object does not match the namespace sent on the request");
  if (textOf(*body, "kind") != c.r.kind || textOf(*body, "apiVersion") != c.r.group_version)
    return badRequest("the API version in the data (" + textOf(*body, "apiVersion") + ") and kind (" + textOf(*body, "kind") +
                      ") do not match the URL (" + c.r.group_version + ", " + c.r.kind + ")");
  const nlohmann::json* live = c.live();
  auto result = serverSideApply(live, *body, manager, param(c.params, "force") == "true", c.store.now());
  if (!result.conflicts.empty()) return applyConflict(result.conflicts, c.r.resource, c.r.group(), c.name);
  if (live != nullptr && !result.changed) return ok(*live);  // a no-op: nothing written, no new resourceVersion
  auto& meta = result.object["metadata"];
  meta["name"] = c.name;
  if (c.r.namespaced) meta["namespace"] = c.ns;
  if (live == nullptr) {
    meta["uid"] = c.store.newUid();
    meta["creationTimestamp"] = c.store.now();
  }
  return ok(c.store.put(c.r, std::move(result.object), c.dryRun()), live == nullptr ? 201 : 200);
}

// PATCH application/merge-patch+json: an Update by the fieldManager (or the User-Agent's name).
inline StandinResponse mergePatchObject(const Call& c) {
  if (auto bad = badDryRun(c)) return *bad;
  const nlohmann::json* live = c.live();
  if (live == nullptr) return notFound(c.r.resource, c.r.group(), c.name);
  const auto patch = nlohmann::json::parse(c.request.body, nullptr, false);
  if (patch.is_discarded() || !patch.is_object()) return badRequest("error decoding the merge patch: the body is not a JSON object");
  auto result = recordUpdate(live, mergePatched(*live, patch), managerOf(c.request, c.params), c.store.now());
  if (!result.changed) return ok(*live);
  return ok(c.store.put(c.r, std::move(result.object), c.dryRun()));
}

// DELETE: 200 with a Success Status naming what went (background propagation: at once).
inline StandinResponse deleteObject(const Call& c) {
  if (auto bad = badDryRun(c)) return *bad;
  if (c.live() == nullptr) return notFound(c.r.resource, c.r.group(), c.name);
  if (!c.request.body.empty()) {
    const auto options = nlohmann::json::parse(c.request.body, nullptr, false);
    if (!options.is_object()) return badRequest("error decoding DeleteOptions: the body is not a JSON object");
    const std::string policy = textOf(options, "propagationPolicy");
    static const std::set<std::string> policies{"", "Background", "Foreground", "Orphan"};
    if (policies.count(policy) == 0) return status(422, "Invalid", "propagationPolicy: Unsupported value: \"" + policy + "\"");
  }
  const auto gone = c.store.erase(c.r, c.key(), c.dryRun());
  nlohmann::json d = details(c.name, c.r.group(), c.r.resource);
  d["uid"] = textOf(gone["metadata"], "uid");
  return ok({{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()}, {"status", "Success"}, {"details", d}});
}

// POST to the collection: 201, or 409 AlreadyExists. The object's fields become the
// fieldManager's (operation Update); status is not the client's to set.
inline StandinResponse createObject(const Call& c) {
  if (auto bad = badDryRun(c)) return *bad;
  auto body = parseBody(c);
  if (!body) return badRequest("error decoding the object: the body is not a JSON object");
  auto& meta = (*body)["metadata"];
  std::string name = textOf(meta, "name");
  if (name.empty() && !textOf(meta, "generateName").empty()) name = textOf(meta, "generateName") + c.store.newUid().substr(31);
  if (name.empty())
    return status(422, "Invalid", c.r.kind + " is invalid: metadata.name: Required value: name or generateName is required");
  const std::string body_ns = textOf(meta, "namespace");
  if (c.r.namespaced && !body_ns.empty() && body_ns != c.ns)
    return badRequest("the namespace of the provided object does not match the namespace sent on the request");
  const Call named{c.store, c.r, c.ns, name, c.params, c.request};
  if (named.live() != nullptr) return alreadyExists(c.r.resource, c.r.group(), name);
  meta["name"] = name;
  if (c.r.namespaced) meta["namespace"] = c.ns;
  else meta.erase("namespace");
  meta.erase("resourceVersion");
  meta["uid"] = c.store.newUid();
  meta["creationTimestamp"] = c.store.now();
  body->erase("status");
  (*body)["apiVersion"] = c.r.group_version;
  (*body)["kind"] = c.r.kind;
  auto result = recordUpdate(nullptr, std::move(*body), managerOf(c.request, c.params), c.store.now());
  return ok(c.store.put(c.r, std::move(result.object), c.dryRun()), 201);
}

// SelfSubjectAccessReview: may the caller do spec.resourceAttributes.verb on that resource?
// Denied when the stand-in forbids that verb on that resource ("verb resource" in `forbidden`).
inline StandinResponse accessReview(const StandinRequest& request, const std::set<std::string>& forbidden, const std::string& user) {
  auto review = nlohmann::json::parse(request.body, nullptr, false);
  const auto* attrs = review.is_object() ? valueAt(review, {"spec", "resourceAttributes"}) : nullptr;
  if (attrs == nullptr || !attrs->is_object())
    return status(422, "Invalid", "SelfSubjectAccessReview is invalid: spec.resourceAttributes: Required value");
  const std::string verb = textOf(*attrs, "verb");
  const std::string resource = textOf(*attrs, "resource");
  const std::string group = textOf(*attrs, "group");
  const bool allowed = forbidden.count(verb + " " + resource) == 0;
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["status"] = {{"allowed", allowed}};
  review["status"]["reason"] =
      allowed ? "RBAC: allowed by ClusterRoleBinding \"meshtwin\" of ClusterRole \"meshtwin\" to User \"" + user + "\""
              : "no RBAC rule lets User \"" + user + "\" " + verb + " resource \"" + resource + "\" in API group \"" + group + "\"";
  return ok(review, 201);
}

inline StandinResponse groupList(const StandinStore& store) {
  std::map<std::string, std::set<std::string>> groups;
  for (const auto& [key, r] : store.resources())
    if (!r.group().empty()) groups[r.group()].insert(r.group_version);
  nlohmann::json list{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", nlohmann::json::array()}};
  for (const auto& [g, versions] : groups) {
    nlohmann::json group{{"name", g}, {"versions", nlohmann::json::array()}};
    for (const auto& gv : versions) group["versions"].push_back({{"groupVersion", gv}, {"version", gv.substr(g.size() + 1)}});
    group["preferredVersion"] = group["versions"][0];
    list["groups"].push_back(group);
  }
  return ok(list);
}

inline StandinResponse resourceList(const StandinStore& store, const std::string& gv) {
  nlohmann::json list{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", nlohmann::json::array()}};
  for (const auto& [key, r] : store.resources())
    if (r.group_version == gv)
      list["resources"].push_back({{"name", r.resource}, {"kind", r.kind}, {"namespaced", r.namespaced},
                                   {"verbs", {"create", "delete", "get", "list", "patch", "watch"}}});
  if (list["resources"].empty()) return notFoundPath();
  return ok(list);
}

}  // namespace meshtwin::test::standin
