// Decoding Kubernetes Status answers into Error, with hints per reason.
#include "meshtwin/kube/status.hpp"

#include <nlohmann/json.hpp>

namespace meshtwin::kube {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A string member, or "" when absent or not a string (a Status from a proxy may be anything).
std::string text(const nlohmann::json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// `conflict with "kubectl-client-side-apply" using apps/v1` to kubectl-client-side-apply.
std::string managerOf(const std::string& cause_message) {
  const auto open = cause_message.find('"');
  const auto close = open == std::string::npos ? open : cause_message.find('"', open + 1);
  return close == std::string::npos ? "" : cause_message.substr(open + 1, close - open - 1);
}

std::string conflictHint(const Error& e) {
  std::string fields;
  for (const auto& c : e.causes) {
    if (c.reason != "FieldManagerConflict") continue;
    const std::string manager = managerOf(c.message);
    fields += (fields.empty() ? "" : ", ") + c.field + (manager.empty() ? "" : " (owned by " + quoted(manager) + ")");
  }
  if (fields.empty()) {
    if (e.reason == "AlreadyExists")
      return "the object exists already (a create retried after a dropped connection may have made it the first time)";
    return "the object changed since it was read: read it again and retry";
  }
  return "another field manager owns " + fields +
         ": run again with --force-conflicts to take the fields over, or remove them from the other manager's configuration";
}

std::string hintFor(const Error& e, const RequestInfo& info) {
  switch (e.status) {
    case 401:
      return "the server rejected the credentials: the token or client certificate is expired or unknown; "
             "check the kubeconfig user (or run its exec plugin by hand)";
    case 403:
      return rbacHint(info);
    case 404:
      // A missing object (the Status names it): the message says it all.
      if (!info.resource.empty() && !info.name.empty() && e.details_name == info.name) return "";
      if (!info.ns.empty() && e.details_name == info.ns && e.message.find("namespaces") == 0)
        return "the namespace " + info.ns + " does not exist: create it first";
      return info.resource.empty() ? "the server does not serve this path"
                                   : "the server does not serve " + info.resource + " in " +
                                         (info.group.empty() ? "the core group" : "group " + info.group) +
                                         ": is the CRD installed? (kubectl api-resources)";
    case 409:
      return conflictHint(e);
    case 410:
      return "the list or watch is too old for the server; start it again";
    case 429:
      return "the server is throttling this client (API Priority and Fairness); try again later";
    default:
      return e.status >= 500 ? "the API server failed; its logs may say why" : "";
  }
}

}  // namespace

std::string reasonForCode(int status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return status >= 500 ? "InternalError" : "Unknown";
  }
}

std::string rbacHint(const RequestInfo& info) {
  if (info.resource.empty())
    return "the user may not read this path: a ClusterRole with nonResourceURLs [" + quoted(info.url) + "] would grant it";
  const std::string verb = info.verb.empty() ? "get" : info.verb;
  const std::string rule = "{apiGroups: [" + quoted(info.group) + "], resources: [" + quoted(info.resource) +
                           "], verbs: [" + quoted(verb) + "]}";
  const std::string can_i = "kubectl auth can-i " + verb + " " + info.resource +
                            (info.group.empty() ? "" : "." + info.group) +
                            (info.ns.empty() ? " --all-namespaces" : " -n " + info.ns);
  if (info.ns.empty())
    return "the user may not " + verb + " " + info.resource + " at cluster scope: a ClusterRole with rule " + rule +
           " and a ClusterRoleBinding to the user would grant it (check: " + can_i + ")";
  return "the user may not " + verb + " " + info.resource + " in namespace " + info.ns + ": a Role in " + info.ns +
         " (or a ClusterRole) with rule " + rule + " and a RoleBinding to the user would grant it (check: " + can_i + ")";
}

Error decodeStatus(const HttpResponse& response, const RequestInfo& info) {
  Error e{Error::Kind::Http, response.status, info.verb.empty() ? info.method : info.verb, info.url, "", "", ""};
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && text(doc, "kind") == "Status") {
    e.reason = text(doc, "reason");
    e.message = text(doc, "message");
    const auto details = doc.find("details");
    if (details != doc.end() && details->is_object()) {
      e.details_name = text(*details, "name");
      const auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array())
        for (const auto& c : *causes)
          if (c.is_object()) e.causes.push_back(Error::Cause{text(c, "reason"), text(c, "message"), text(c, "field")});
    }
  } else if (!response.body.empty()) {
    e.message = response.body.size() > 300 ? response.body.substr(0, 300) + "..." : response.body;
  }
  if (e.reason.empty()) e.reason = reasonForCode(response.status);
  e.hint = hintFor(e, info);
  return e;
}

bool isNotFound(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 404 || e.reason == "NotFound"); }
bool isForbidden(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 403 || e.reason == "Forbidden"); }
bool isUnauthorized(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 401 || e.reason == "Unauthorized"); }
bool isConflict(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 409 || e.reason == "Conflict"); }
bool isAlreadyExists(const Error& e) { return e.kind == Error::Kind::Http && e.reason == "AlreadyExists"; }
bool isExpired(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 410 || e.reason == "Expired"); }
bool isTooManyRequests(const Error& e) { return e.kind == Error::Kind::Http && (e.status == 429 || e.reason == "TooManyRequests"); }

}  // namespace meshtwin::kube
