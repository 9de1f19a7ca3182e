// The OpenAPI v3 -> JSON Schema (draft 4) rewrite: inline "#/components/schemas/..." $refs and
// turn the Kubernetes words valijson does not know (nullable, int-or-string) into JSON Schema.
#include <regex>
#include <set>
#include <stdexcept>

#include "schemas_internal.hpp"

namespace meshtwin::deploy::detail {
namespace {

using nlohmann::json;

constexpr const char* refPrefix = "#/components/schemas/";

// Keywords whose value is one subschema, and those whose value is a list or a map of them.
// Everything else (default, enum, example, x-kubernetes-*) is data and left alone.
const char* const oneSchema[] = {"additionalProperties", "not", "items", "additionalItems"};
const char* const schemaList[] = {"allOf", "anyOf", "oneOf"};
const char* const schemaMap[] = {"properties", "patternProperties", "definitions"};

template <class F>
void forEachSubschema(json& node, F&& f) {
  for (const char* k : oneSchema) {
    auto it = node.find(k);
    if (it == node.end()) continue;
    if (it->is_object()) f(*it);
    else if (it->is_array()) for (auto& s : *it) f(s);  // items: [a, b] (tuple form)
  }
  for (const char* k : schemaList) {
    auto it = node.find(k);
    if (it != node.end() && it->is_array()) for (auto& s : *it) f(s);
  }
  for (const char* k : schemaMap) {
    auto it = node.find(k);
    if (it != node.end() && it->is_object()) for (auto& [name, s] : it->items()) f(s);
  }
}

class Inliner {
 public:
  explicit Inliner(const json& components) : components_(components) {}

  // The schema with every $ref replaced by what it names, rewritten.
  json build(const json& schema) {
    json out = schema;
    inlineRefs(out);
    rewrite(out);
    return out;
  }

 private:
  void inlineRefs(json& node) {
    if (!node.is_object()) return;
    auto ref = node.find("$ref");
    if (ref != node.end() && ref->is_string()) {
      const std::string target = ref->get<std::string>();
      if (target.rfind(refPrefix, 0) != 0) throw std::runtime_error("$ref outside this file: " + target);
      const std::string name = target.substr(std::char_traits<char>::length(refPrefix));
      auto found = components_.find(name);
      if (found == components_.end()) throw std::runtime_error("$ref to a missing schema: " + target);
      if (stack_.count(name) != 0) {  // recursive type: accept anything below here
        node = json::object();
        return;
      }
      stack_.insert(name);
      json resolved = *found;
      inlineRefs(resolved);
      stack_.erase(name);
      node = std::move(resolved);  // OpenAPI 3.0: keywords beside $ref are ignored
      return;
    }
    forEachSubschema(node, [this](json& s) { inlineRefs(s); });
  }

  // nullable, int-or-string, patterns, formats.
  void rewrite(json& node) {
    if (!node.is_object()) return;
    forEachSubschema(node, [this](json& s) { rewrite(s); });
    const bool intOrString = node.value("x-kubernetes-int-or-string", false) ||
                             (node.contains("format") && node["format"] == "int-or-string");
    if (intOrString) {
      node.erase("type");
      node.erase("format");
      if (!node.contains("anyOf")) node["anyOf"] = json::array({{{"type", "integer"}}, {{"type", "string"}}});
    }
    auto pattern = node.find("pattern");
    if (pattern != node.end() && (!pattern->is_string() || !compiles(pattern->get<std::string>()))) {
      node.erase(pattern);  // an RE2 pattern ECMAScript cannot read: not checked
    }
    if (node.value("nullable", false)) {
      node.erase("nullable");
      auto type = node.find("type");
      if (type != node.end() && type->is_string()) {
        *type = json::array({*type, "null"});
        auto values = node.find("enum");
        if (values != node.end() && values->is_array()) values->push_back(nullptr);
      } else if (type == node.end()) {
        json inner = std::move(node);
        node = json{{"anyOf", json::array({{{"type", "null"}}, std::move(inner)})}};
      }
    }
  }

  bool compiles(const std::string& pattern) {
    auto it = patterns_.find(pattern);
    if (it != patterns_.end()) return it->second;
    bool ok = true;
    try {
      std::regex re(pattern);
    } catch (const std::regex_error&) {
      ok = false;
    }
    patterns_.emplace(pattern, ok);
    return ok;
  }

  const json& components_;
  std::set<std::string> stack_;
  std::map<std::string, bool> patterns_;
};

}  // namespace

json toJsonSchema(const SchemaSource& source) {
  static const json none = json::object();
  if (source.components) {
    Inliner inliner(*source.components);
    return inliner.build(source.components->at(source.name));
  }
  Inliner inliner(none);
  return inliner.build(source.crd);
}

}  // namespace meshtwin::deploy::detail
