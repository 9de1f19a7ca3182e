// The stand-in API server's answers in the real one's words: Status bodies for NotFound,
// AlreadyExists, Forbidden, apply conflicts and bad requests, and small request helpers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube_standin_apply.hpp"
#include "kube_standin_http.hpp"
#include "meshtwin/kube/url.hpp"

namespace meshtwin::test::standin {

inline nlohmann::json statusObject(int code, const std::string& reason, const std::string& message,
                                   nlohmann::json details = nlohmann::json::object()) {
  nlohmann::json body{{"kind", "Status"},       {"apiVersion", "v1"},  {"metadata", nlohmann::json::object()},
                      {"status", "Failure"},    {"message", message}, {"reason", reason},
                      {"details", std::move(details)}, {"code", code}};
  if (body["details"].empty()) body.erase("details");
  return body;
}

inline StandinResponse status(int code, const std::string& reason, const std::string& message,
                              nlohmann::json details = nlohmann::json::object()) {
  return StandinResponse{code, statusObject(code, reason, message, std::move(details)).dump(), "application/json", {}};
}

inline StandinResponse ok(const nlohmann::json& body, int code = 200) {
  return StandinResponse{code, body.dump(), "application/json", {}};
}

inline StandinResponse notFoundPath() { return status(404, "NotFound", "the server could not find the requested resource"); }

inline StandinResponse badRequest(const std::string& message) { return status(400, "BadRequest", message); }

inline std::string groupOf(const std::string& group_version) {
  const auto slash = group_version.find('/');
  return slash == std::string::npos ? "" : group_version.substr(0, slash);
}

// "deployments.apps", "pods": how the server names a resource in its messages.
inline std::string qualified(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}

inline nlohmann::json details(const std::string& name, const std::string& group, const std::string& resource) {
  nlohmann::json d{{"group", group}, {"kind", resource}};
  if (!name.empty()) d["name"] = name;
  return d;
}

inline StandinResponse notFound(const std::string& resource, const std::string& group, const std::string& name) {
  return status(404, "NotFound", qualified(resource, group) + " \"" + name + "\" not found", details(name, group, resource));
}

inline StandinResponse alreadyExists(const std::string& resource, const std::string& group, const std::string& name) {
  return status(409, "AlreadyExists", qualified(resource, group) + " \"" + name + "\" already exists", details(name, group, resource));
}

inline StandinResponse forbidden(const std::string& verb, const std::string& resource, const std::string& group, const std::string& ns,
                                 const std::string& name, const std::string& user) {
  const std::string where = ns.empty() ? "at the cluster scope" : "in the namespace \"" + ns + "\"";
  const std::string what = qualified(resource, group) + (name.empty() ? "" : " \"" + name + "\"");
  return status(403, "Forbidden",
                what + " is forbidden: User \"" + user + "\" cannot " + verb + " resource \"" + resource + "\" in API group \"" +
                    group + "\" " + where,
                details(name, group, resource));
}

// 409 as the API server words an apply conflict: one line for one field, else grouped by manager.
inline StandinResponse applyConflict(const std::vector<FieldConflict>& conflicts, const std::string& resource, const std::string& group,
                                     const std::string& name) {
  nlohmann::json d = details(name, group, resource);
  d["causes"] = nlohmann::json::array();
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const auto& c : conflicts) {
    d["causes"].push_back({{"reason", "FieldManagerConflict"}, {"message", "conflict with " + c.manager}, {"field", printPath(c.path)}});
    by_manager[c.manager].push_back(printPath(c.path));
  }
  std::string message;
  if (conflicts.size() == 1) {
    message = "Apply failed with 1 conflict: conflict with " + conflicts[0].manager + ": " + printPath(conflicts[0].path);
  } else {
    message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
    bool first = true;
    for (const auto& [manager, paths] : by_manager) {
      message += (first ? "" : "\n") + std::string("conflicts with ") + manager + ":";
      for (const auto& p : paths) message += "\n- " + p;
      first = false;
    }
  }
  return status(409, "Conflict", message, d);
}

inline std::string param(const kube::QueryParams& params, const std::string& key) {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return "";
}

// The manager a write is recorded under: fieldManager, else the User-Agent's first word ("kubectl"
// for "kubectl/v1.30.0 (linux/amd64)"), as the API server does.
inline std::string managerOf(const StandinRequest& r, const kube::QueryParams& params) {
  const std::string given = param(params, "fieldManager");
  if (!given.empty()) return given;
  const std::string agent = r.header("user-agent");
  const std::string first = agent.substr(0, agent.find_first_of("/ "));
  return first.empty() ? "unknown" : first;
}

// "a=b,c=d" equality selectors, enough for the tests.
inline bool labelsMatch(const nlohmann::json& o, const std::string& selector) {
  const auto* labels = valueAt(o, {"metadata", "labels"});
  std::string::size_type start = 0;
  while (start < selector.size()) {
    const auto end = std::min(selector.find(',', start), selector.size());
    const std::string term = selector.substr(start, end - start);
    start = end + 1;
    const auto eq = term.find('=');
    if (eq == std::string::npos || labels == nullptr || !labels->is_object()) return false;
    const auto it = labels->find(term.substr(0, eq));
    if (it == labels->end() || !it->is_string() || it->get<std::string>() != term.substr(eq + 1)) return false;
  }
  return true;
}

// metadata.name=x,metadata.namespace=y field selectors.
inline bool fieldsMatch(const nlohmann::json& o, const std::string& selector) {
  std::string::size_type start = 0;
  while (start < selector.size()) {
    const auto end = std::min(selector.find(',', start), selector.size());
    const std::string term = selector.substr(start, end - start);
    start = end + 1;
    const auto eq = term.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = term.substr(0, eq);
    const std::string want = term.substr(eq + 1);
    const auto* meta = valueAt(o, {"metadata"});
    if (key == "metadata.name" && (meta == nullptr || textOf(*meta, "name") != want)) return false;
    if (key == "metadata.namespace" && (meta == nullptr || textOf(*meta, "namespace") != want)) return false;
  }
  return true;
}

}  // namespace meshtwin::test::standin
