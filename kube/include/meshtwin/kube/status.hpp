// Kubernetes error answers: a `Status` body (or a bare HTTP status) decoded into Error, the
// typed checks client-go offers (NotFound, Forbidden, Gone, ...) and the RBAC hint for a 403.
#pragma once

#include <string>

#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/http_client.hpp"

namespace meshtwin::kube {

// What a request was about, for error messages and hints.
struct RequestInfo {
  std::string verb;      // Kubernetes verb: "get", "list", "watch", "patch", ...; "" for raw paths
  std::string method;    // HTTP method
  std::string url;
  std::string group;     // API group, "" for the core group
  std::string resource;  // plural, "" for discovery
  std::string ns;        // "" for cluster-scoped or all namespaces
  std::string name;
};

// An error answer into Error{Kind::Http, status, verb, url, reason, message, hint, causes,
// details_name}. Reads a Kubernetes Status when the body is one; otherwise the reason is derived
// from the code. A 409 from server-side apply gets a hint naming the fields, their managers and
// --force-conflicts.
Error decodeStatus(const HttpResponse& response, const RequestInfo& info);

// "Forbidden", "NotFound", ... as the API server names the reason for an HTTP status.
std::string reasonForCode(int status);

// The RBAC rule that would grant `info` (a Role in the namespace, or a ClusterRole).
std::string rbacHint(const RequestInfo& info);

[[nodiscard]] bool isNotFound(const Error& e);
[[nodiscard]] bool isForbidden(const Error& e);
[[nodiscard]] bool isUnauthorized(const Error& e);
// 409: a server-side apply conflict (causes name the fields), a stale update, or AlreadyExists.
[[nodiscard]] bool isConflict(const Error& e);
// 409 reason AlreadyExists: a create of an object that is there.
[[nodiscard]] bool isAlreadyExists(const Error& e);
// 410 Gone, or reason Expired: a continue token or resourceVersion too old.
[[nodiscard]] bool isExpired(const Error& e);
[[nodiscard]] bool isTooManyRequests(const Error& e);

}  // namespace meshtwin::kube
