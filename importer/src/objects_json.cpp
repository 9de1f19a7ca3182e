// Field access on objects as JSON for the mapping: a missing field or an odd type is an
// empty value, never an exception, so any input maps or is reported.
#include <cmath>

#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

const nlohmann::json* get(const nlohmann::json& j, Path path) {
  const nlohmann::json* at = &j;
  for (const auto key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::optional<std::string> scalar(const nlohmann::json* v) {
  if (!v) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number()) return v->dump();
  return std::nullopt;
}

std::string str(const nlohmann::json& j, Path path) { return scalar(get(j, path)).value_or(""); }

std::optional<std::int64_t> integer(const nlohmann::json& j, Path path) {
  const auto* v = get(j, path);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return v->get<std::int64_t>();
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (v->is_string()) {
    const auto s = v->get<std::string>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t out = 0;
    for (std::size_t i = (s[0] == '-') ? 1 : 0; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      out = out * 10 + (s[i] - '0');
    }
    if (s == "-") return std::nullopt;
    return s[0] == '-' ? -out : out;
  }
  return std::nullopt;
}

Labels labels(const nlohmann::json& j, Path path) {
  Labels out;
  const auto* v = get(j, path);
  if (!v || !v->is_object()) return out;
  for (const auto& [k, val] : v->items()) {
    if (auto s = scalar(&val)) out[k] = *s;
  }
  return out;
}

std::vector<std::string> strings(const nlohmann::json& j, Path path) {
  std::vector<std::string> out;
  const auto* v = get(j, path);
  if (!v) return out;
  if (!v->is_array()) {
    if (auto s = scalar(v)) out.push_back(*s);
    return out;
  }
  for (const auto& item : *v) {
    if (auto s = scalar(&item)) out.push_back(*s);
  }
  return out;
}

const nlohmann::json& items(const nlohmann::json& j, Path path) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto* v = get(j, path);
  return v && v->is_array() ? *v : empty;
}

bool has(const nlohmann::json& j, Path path) {
  const auto* v = get(j, path);
  return v && !v->is_null() && !(v->is_object() && v->empty()) && !(v->is_array() && v->empty());
}

bool selects(const Labels& pod, const Labels& selector) {
  for (const auto& [k, v] : selector) {
    const auto it = pod.find(k);
    if (it == pod.end() || it->second != v) return false;
  }
  return true;
}

std::string labelText(const Labels& l) {
  std::string out;
  for (const auto& [k, v] : l) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

std::string listText(const std::vector<std::string>& v, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) out += (i == 0 ? "" : ", ") + v[i];
  if (v.size() > max) out += " and " + std::to_string(v.size() - max) + " more";
  return out;
}

void addNote(std::vector<std::string>& notes, std::string note) {
  for (const auto& n : notes) {
    if (n == note) return;
  }
  notes.push_back(std::move(note));
}

}  // namespace meshtwin::importer::detail
