// Parsed documents into Objects: Lists flattened (typed lists give their items apiVersion
// and kind), every object checked for the fields an object cannot be without.
#include "manifests_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr int kMaxListDepth = 8;

std::string stringAt(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The YAML node of a map's member or a sequence's item, when the tree is known.
std::optional<YAML::Node> child(const YAML::Node* node, const char* key) {
  if (!node || !node->IsMap()) return std::nullopt;
  const YAML::Node& map = *node;
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return std::nullopt;
}

std::optional<YAML::Node> item(const std::optional<YAML::Node>& seq, std::size_t i) {
  if (!seq || !seq->IsSequence() || i >= seq->size()) return std::nullopt;
  const YAML::Node& items = *seq;
  return items[i];
}

bool isList(const nlohmann::json& j) {
  const std::string kind = stringAt(j, "kind");
  if (kind.size() < 4 || kind.compare(kind.size() - 4, 4, "List") != 0) return false;
  const auto it = j.find("items");
  return it != j.end() && (it->is_array() || it->is_null());
}

std::string describe(const nlohmann::json& j) {
  const std::string kind = stringAt(j, "kind");
  return kind.empty() ? "document" : kind;
}

class Collector {
 public:
  Collector(const DocPlace& at, ManifestRead& out) : at_(at), out_(out) {}

  void value(nlohmann::json j, const YAML::Node* node, const Origin& origin, int depth) {
    if (!j.is_object()) {
      notAnObject(j, origin);
      return;
    }
    if (isList(j) && depth < kMaxListDepth) {
      list(j, node, origin, depth);
      return;
    }
    object(std::move(j), origin);
  }

 private:
  void notAnObject(const nlohmann::json& j, const Origin& origin) {
    const char* found = j.is_array() ? "a list" : j.is_string() ? "text" : "a single value";
    out_.errors.push_back({origin, std::string("not a Kubernetes object: expected a map with apiVersion, kind and "
                                               "metadata, found ") + found,
                           j.is_array() ? "a top-level list is not a manifest; kubectl writes several objects as "
                                          "`kind: List` with `items:`"
                                        : "is this file a manifest? Give Kubernetes YAML or JSON (kubectl get -o "
                                          "yaml/json, helm template, kustomize build)"});
  }

  void list(const nlohmann::json& j, const YAML::Node* node, const Origin& origin, int depth) {
    const std::string kind = stringAt(j, "kind");
    const std::string api = stringAt(j, "apiVersion");
    // A typed list (DeploymentList) leaves apiVersion and kind out of its items.
    const std::string item_kind = kind == "List" ? std::string() : kind.substr(0, kind.size() - 4);
    const auto& items = j["items"];
    if (!items.is_array()) return;
    const auto items_node = child(node, "items");
    for (std::size_t i = 0; i < items.size(); ++i) {
      nlohmann::json it = items[i];
      const auto n = item(items_node, i);
      const Origin at = n ? originOf(*n, at_) : origin;
      if (it.is_object() && !item_kind.empty()) {
        if (!it.contains("kind")) it["kind"] = item_kind;
        if (!it.contains("apiVersion") && !api.empty()) it["apiVersion"] = api;
      }
      value(std::move(it), n ? &*n : nullptr, at, depth + 1);
    }
  }

  void object(nlohmann::json j, const Origin& origin) {
    Object o;
    o.api_version = stringAt(j, "apiVersion");
    o.kind = stringAt(j, "kind");
    o.origin = origin;
    const auto md = j.find("metadata");
    if (md != j.end() && md->is_object()) {
      o.name = stringAt(*md, "name");
      o.ns = stringAt(*md, "namespace");
    }
    if (!missing(o, j, md != j.end() && md->is_object())) return;
    o.body = std::move(j);
    out_.objects.push_back(std::move(o));
  }

  // False (with an error) when the object lacks apiVersion, kind or metadata.name.
  bool missing(const Object& o, const nlohmann::json& j, bool has_metadata) {
    const std::string what = describe(j) + (o.name.empty() ? std::string() : " " + o.key());
    if (o.kind.empty()) {
      out_.errors.push_back({o.origin, what + ": no \"kind\"", "every object names its kind (Deployment, Service, ...)"});
      return false;
    }
    if (o.api_version.empty()) {
      out_.errors.push_back({o.origin, what + ": no \"apiVersion\"", "e.g. apiVersion: apps/v1 for a Deployment"});
      return false;
    }
    const bool scenario = o.kind == "Scenario" && o.api_version.rfind("meshtwin/", 0) == 0;
    if (o.name.empty() && !scenario) {  // a scenario's own loader says what it lacks
      const bool generated = has_metadata && !stringAt(j["metadata"], "generateName").empty();
      out_.errors.push_back({o.origin, what + ": no metadata.name",
                             generated ? "generateName is resolved by the API server: import what `kubectl get -o "
                                         "yaml` shows for the created object"
                                       : "give metadata.name (and metadata.namespace for namespaced kinds)"});
      return false;
    }
    return true;
  }

  const DocPlace& at_;
  ManifestRead& out_;
};

}  // namespace

void collectJsonObjects(nlohmann::json&& doc, const std::vector<Origin>& item_origins, const Origin& start,
                        const DocPlace& at, ManifestRead& out) {
  if (doc.is_null()) return;
  Collector c(at, out);
  if (!isList(doc) || !doc["items"].is_array() || item_origins.size() != doc["items"].size()) {
    c.value(std::move(doc), nullptr, start, 0);
    return;
  }
  // Each item moved out of the List, not copied: a 10,000-pod dump is held once.
  const std::string kind = stringAt(doc, "kind");
  const std::string api = stringAt(doc, "apiVersion");
  const std::string item_kind = kind == "List" ? std::string() : kind.substr(0, kind.size() - 4);
  auto& items = doc["items"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    nlohmann::json it = std::move(items[i]);
    if (it.is_object() && !item_kind.empty()) {
      if (!it.contains("kind")) it["kind"] = item_kind;
      if (!it.contains("apiVersion") && !api.empty()) it["apiVersion"] = api;
    }
    c.value(std::move(it), nullptr, item_origins[i], 1);
  }
}

void collectObjects(const nlohmann::json& doc, const YAML::Node* node, const DocPlace& at, ManifestRead& out) {
  if (doc.is_null()) return;  // an empty document
  const Origin origin = node ? originOf(*node, at) : originOfMark(YAML::Mark(), at);
  Collector(at, out).value(doc, node, origin, 0);
}

}  // namespace meshtwin::importer::detail
