// The Kubernetes REST client's writes: server-side apply, JSON merge patch, delete and create.
#include "client_impl.hpp"

namespace meshtwin::kube {

namespace {

constexpr const char* kFieldManager = "meshtwin";

void addDryRun(QueryParams& params, bool dry_run) {
  if (dry_run) params.emplace_back("dryRun", "All");
}

Error badObject(const RequestInfo& info, std::string message, std::string hint) {
  return Error{Error::Kind::Config, 0, info.verb, info.url, "Invalid", std::move(message), std::move(hint)};
}

std::string metadataText(const nlohmann::json& object, const char* key) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  const auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<nlohmann::json> Client::apply(const ResourceType& type, const nlohmann::json& object, const ApplyOptions& options) const {
  const std::string name = metadataText(object, "name");
  const std::string ns = type.namespaced ? metadataText(object, "namespace") : "";
  const std::string path = resourcePath(type, ns, name);
  const RequestInfo info = requestInfo("patch", "PATCH", type, ns, name, path);
  if (!object.is_object() || name.empty())
    return badObject(info, "apply " + type.resource + ": the object has no metadata.name", "every applied object needs a name");
  if (type.namespaced && ns.empty())
    return badObject(info, "apply " + type.resource + " \"" + name + "\": the object has no metadata.namespace",
                     type.kind + " is namespaced: set metadata.namespace");
  if (options.field_manager.empty())
    return badObject(info, "apply " + type.resource + " \"" + name + "\": no field manager",
                     "server-side apply needs a field manager name");
  nlohmann::json body = object;
  fillTypeMeta(body, type);
  QueryParams params{{"fieldManager", options.field_manager}, {"force", options.force ? "true" : "false"}};
  addDryRun(params, options.dry_run);
  return sendForObject(type, "PATCH", withQuery(path, params), info, body.dump(), "application/apply-patch+yaml");
}

Result<nlohmann::json> Client::mergePatch(const ResourceType& type, const std::string& ns, const std::string& name,
                                          const nlohmann::json& patch, bool dry_run) const {
  const std::string path = resourcePath(type, ns, name);
  const RequestInfo info = requestInfo("patch", "PATCH", type, ns, name, path);
  if (name.empty()) return badObject(info, "patch " + type.resource + ": no object name", "a merge patch names one object");
  QueryParams params{{"fieldManager", kFieldManager}};
  addDryRun(params, dry_run);
  return sendForObject(type, "PATCH", withQuery(path, params), info, patch.dump(), "application/merge-patch+json");
}

Result<bool> Client::remove(const ResourceType& type, const std::string& ns, const std::string& name, bool dry_run) const {
  const std::string path = resourcePath(type, ns, name);
  const RequestInfo info = requestInfo("delete", "DELETE", type, ns, name, path);
  if (name.empty()) return badObject(info, "delete " + type.resource + ": no object name", "a delete names one object");
  QueryParams params;
  addDryRun(params, dry_run);
  const nlohmann::json body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  auto res = send("DELETE", withQuery(path, params), info, body.dump(), "application/json");
  if (res) return true;
  // Gone already when the Status names the object; a 404 for the path (the type is not served) stays an error.
  if (isNotFound(res.error()) && res.error().details_name == name) return false;
  return res.error();
}

Result<nlohmann::json> Client::create(const ResourceType& type, const std::string& ns, const nlohmann::json& object, bool dry_run) const {
  const std::string path = resourcePath(type, ns);
  const RequestInfo info = requestInfo("create", "POST", type, ns, "", path);
  if (!object.is_object()) return badObject(info, "create " + type.resource + ": the object is not a JSON object", "");
  nlohmann::json body = object;
  fillTypeMeta(body, type);
  QueryParams params{{"fieldManager", kFieldManager}};
  addDryRun(params, dry_run);
  return sendForObject(type, "POST", withQuery(path, params), info, body.dump(), "application/json");
}

}  // namespace meshtwin::kube
