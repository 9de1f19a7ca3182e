// YamlReader: typed, error-collecting access to yaml-cpp nodes.
#include "yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace meshtwin::models::detail {

SourceLoc YamlReader::loc(const YAML::Node& n) const {
  if (!n.IsDefined() || n.Mark().is_null()) return {file_, 0, 0};
  return {file_, n.Mark().line + 1, n.Mark().column + 1};
}

void YamlReader::error(const YAML::Node& at, const std::string& object, std::string msg, std::string hint) {
  diags_.add(loc(at), object, std::move(msg), std::move(hint));
}

void YamlReader::error(const SourceLoc& at, const std::string& object, std::string msg, std::string hint) {
  diags_.add(at, object, std::move(msg), std::move(hint));
}

namespace {
std::string shortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

const char* kindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "empty";
    default: return "undefined";
  }
}
}  // namespace

bool YamlReader::isMap(const YAML::Node& n, const std::string& object, const char* field) {
  if (n.IsMap()) return true;
  error(n, object, std::string(field) + " must be a map of fields, not " + kindName(n),
        "write it as `key: value` lines indented under " + std::string(field));
  return false;
}

bool YamlReader::isSeq(const YAML::Node& n, const std::string& object, const char* field) {
  if (n.IsSequence()) return true;
  error(n, object, std::string(field) + " must be a list, not " + kindName(n), "start each item with `- `");
  return false;
}

bool YamlReader::checkKeys(const YAML::Node& map, const std::string& object,
                           std::initializer_list<std::string_view> allowed) {
  bool ok = true;
  std::set<std::string> seen;
  const std::vector<std::string> names(allowed.begin(), allowed.end());
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, object, "a field name must be a plain string");
      ok = false;
      continue;
    }
    const auto key = it->first.Scalar();
    if (!seen.insert(key).second) {
      error(it->first, object, "field \"" + key + "\" is given twice", "keep one; YAML keeps only one of the two values");
      ok = false;
    }
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      error(it->first, object, "unknown field \"" + key + "\"", suggestionHint(key, names, "fields"));
      ok = false;
    }
  }
  return ok;
}

std::optional<std::string> YamlReader::scalar(const YAML::Node& n, const std::string& object, const char* field) {
  if (!n.IsScalar()) {
    error(n, object, std::string(field) + " must be a single value, not " + kindName(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> YamlReader::str(const YAML::Node& map, const char* key, const std::string& object,
                                           bool required) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) error(map, object, std::string("missing required field \"") + key + "\"");
    return std::nullopt;
  }
  return scalar(n, object, key);
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& map, const char* key, const std::string& object,
                                                std::int64_t min, std::int64_t max, bool required) {
  const auto text = str(map, key, object, required);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  const auto* b = text->data();
  const auto* e = b + text->size();
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range) {
    error(map[key], object, std::string(key) + ": " + *text + " is out of range",
          "allowed: " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  if (ec != std::errc() || p != e) {
    error(map[key], object, std::string(key) + ": \"" + *text + "\" is not a whole number");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(map[key], object,
          std::string(key) + ": " + *text + " is out of range",
          "allowed: " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<double> YamlReader::number(const YAML::Node& map, const char* key, const std::string& object,
                                         double min, double max, bool required) {
  const auto text = str(map, key, object, required);
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(v)) {
    error(map[key], object, std::string(key) + ": \"" + *text + "\" is not a number");
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(map[key], object, std::string(key) + ": " + *text + " is out of range",
          "allowed: " + shortNumber(min) + " to " + shortNumber(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& map, const char* key, const std::string& object) {
  const auto text = str(map, key, object);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  error(map[key], object, std::string(key) + ": \"" + *text + "\" is not true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::strings(const YAML::Node& map, const char* key,
                                                            const std::string& object) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!isSeq(n, object, key)) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (auto s = scalar(item, object, key)) out.push_back(*s);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> YamlReader::stringMap(const YAML::Node& map, const char* key,
                                                                       const std::string& object) {
  const YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!isMap(n, object, key)) return std::nullopt;
  std::map<std::string, std::string> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    auto k = scalar(it->first, object, key);
    auto v = scalar(it->second, object, key);
    if (k && v) out[*k] = *v;
  }
  return out;
}

}  // namespace meshtwin::models::detail
