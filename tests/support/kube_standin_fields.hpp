// Field paths of the stand-in API server's server-side apply: the leaves of an object, reading and
// writing a value at a path, and the FieldsV1 form managedFields keep them in.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meshtwin::test::standin {

using FieldPath = std::vector<std::string>;  // {"spec", "replicas"}
using FieldSet = std::set<FieldPath>;

// ".spec.replicas", as the API server prints a path in a conflict.
inline std::string printPath(const FieldPath& path) {
  std::string out;
  for (const auto& key : path) out += "." + key;
  return out;
}

// What apply and update never own: identity, bookkeeping and the status subresource.
inline bool isUnowned(const FieldPath& path) {
  static const std::set<std::string> top{"apiVersion", "kind", "status"};
  static const std::set<std::string> meta{"name",       "namespace",         "uid",          "resourceVersion",
                                          "generation", "managedFields",     "creationTimestamp",
                                          "selfLink",   "deletionTimestamp", "generateName"};
  if (path.empty()) return true;
  if (path.size() == 1 && top.count(path[0]) != 0) return true;
  return path[0] == "status" || (path[0] == "metadata" && path.size() >= 2 && meta.count(path[1]) != 0);
}

namespace detail {
inline void collectLeaves(const nlohmann::json& value, FieldPath& at, std::map<FieldPath, nlohmann::json>& out) {
  // Arrays are atomic leaves here: the real server merges lists of objects by their keys
  // (containers by name, ports by port) and owns each item; the stand-in owns a list as a whole.
  if (!value.is_object() || value.empty()) {
    if (!isUnowned(at)) out.emplace(at, value);
    return;
  }
  for (const auto& [key, child] : value.items()) {
    at.push_back(key);
    if (!isUnowned(at)) collectLeaves(child, at, out);
    at.pop_back();
  }
}
}  // namespace detail

// Every leaf of an object that a manager can own, with its value.
inline std::map<FieldPath, nlohmann::json> leavesOf(const nlohmann::json& object) {
  std::map<FieldPath, nlohmann::json> out;
  FieldPath at;
  if (object.is_object()) detail::collectLeaves(object, at, out);
  return out;
}

inline FieldSet pathsOf(const std::map<FieldPath, nlohmann::json>& leaves) {
  FieldSet out;
  for (const auto& [path, value] : leaves) out.insert(path);
  return out;
}

// One path lies within the other (or they are the same): owning one is owning part of the other.
inline bool overlaps(const FieldPath& a, const FieldPath& b) {
  const std::size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<long>(n), b.begin());
}

inline bool ownsAny(const FieldSet& set, const FieldPath& path) {
  for (const auto& owned : set)
    if (overlaps(owned, path)) return true;
  return false;
}

// A manager owns `path` itself or something within it: what an apply of `path` would conflict with
// (owning a map as a whole, ".", does not own the keys an applier adds to it).
inline bool ownsAtOrBelow(const FieldSet& set, const FieldPath& path) {
  for (const auto& owned : set)
    if (owned.size() >= path.size() && overlaps(owned, path)) return true;
  return false;
}

inline const nlohmann::json* valueAt(const nlohmann::json& object, const FieldPath& path) {
  const nlohmann::json* at = &object;
  for (const auto& key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

inline void setAt(nlohmann::json& object, const FieldPath& path, const nlohmann::json& value) {
  nlohmann::json* at = &object;
  for (const auto& key : path) {
    if (!at->is_object()) *at = nlohmann::json::object();
    at = &(*at)[key];
  }
  *at = value;
}

// Removes the value at `path` and the maps left empty above it (not the top-level ones).
inline void eraseAt(nlohmann::json& object, const FieldPath& path) {
  if (path.empty()) return;
  std::vector<nlohmann::json*> chain{&object};
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    nlohmann::json& parent = *chain.back();
    if (!parent.is_object() || !parent.contains(path[i])) return;
    chain.push_back(&parent[path[i]]);
  }
  if (!chain.back()->is_object()) return;
  chain.back()->erase(path.back());
  for (std::size_t i = chain.size() - 1; i >= 2 && chain[i]->empty(); --i) chain[i - 1]->erase(path[i - 1]);
}

// {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{}}}
inline nlohmann::json toFieldsV1(const FieldSet& set) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& path : set) {
    nlohmann::json* at = &out;
    for (const auto& key : path) at = &(*at)["f:" + key];
    if (at->is_null()) *at = nlohmann::json::object();
  }
  return out;
}

namespace detail {
inline void readFields(const nlohmann::json& node, FieldPath& at, FieldSet& out) {
  bool leaf = node.empty();
  for (const auto& [key, child] : node.items()) {
    if (key == ".") leaf = true;  // the map itself is owned
    else if (key.rfind("f:", 0) == 0 && child.is_object()) {
      at.push_back(key.substr(2));
      readFields(child, at, out);
      at.pop_back();
    } else {
      leaf = true;  // "k:{...}" and "v:..." items: the stand-in owns the whole list
    }
  }
  if (leaf && !at.empty()) out.insert(at);
}
}  // namespace detail

inline FieldSet fromFieldsV1(const nlohmann::json& fields) {
  FieldSet out;
  FieldPath at;
  if (fields.is_object() && !fields.empty()) detail::readFields(fields, at, out);
  return out;
}

}  // namespace meshtwin::test::standin
