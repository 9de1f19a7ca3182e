// Typed access to a yaml-cpp tree that records every problem with its file:line:col and
// keeps going, so one load reports all errors. Internal to models/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::models::detail {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] Diagnostics& diags() { return diags_; }
  [[nodiscard]] SourceLoc loc(const YAML::Node& n) const;
  void error(const YAML::Node& at, const std::string& object, std::string msg, std::string hint = {});
  void error(const SourceLoc& at, const std::string& object, std::string msg, std::string hint = {});

  // Shape checks. `what` names the expected thing in messages ("a map of fields").
  bool isMap(const YAML::Node& n, const std::string& object, const char* field);
  bool isSeq(const YAML::Node& n, const std::string& object, const char* field);
  // Reports unknown and duplicate keys with a "did you mean". Returns false on any.
  bool checkKeys(const YAML::Node& map, const std::string& object, std::initializer_list<std::string_view> allowed);

  // Field readers: nullopt when absent (reporting if `required`) or malformed (reported).
  std::optional<std::string> str(const YAML::Node& map, const char* key, const std::string& object, bool required = false);
  std::optional<std::string> scalar(const YAML::Node& n, const std::string& object, const char* field);
  std::optional<std::int64_t> integer(const YAML::Node& map, const char* key, const std::string& object,
                                      std::int64_t min, std::int64_t max, bool required = false);
  std::optional<double> number(const YAML::Node& map, const char* key, const std::string& object, double min,
                               double max, bool required = false);
  std::optional<bool> boolean(const YAML::Node& map, const char* key, const std::string& object);
  std::optional<std::vector<std::string>> strings(const YAML::Node& map, const char* key, const std::string& object);
  std::optional<std::map<std::string, std::string>> stringMap(const YAML::Node& map, const char* key,
                                                              const std::string& object);

  // A quantity parsed with one of the units.hpp parsers.
  template <typename T>
  std::optional<T> quantity(const YAML::Node& map, const char* key, const std::string& object,
                            Parsed<T> (*parse)(std::string_view), bool required = false) {
    const auto text = str(map, key, object, required);
    if (!text) return std::nullopt;
    const auto r = parse(*text);
    if (!r.ok()) {
      error(map[key], object, std::string(key) + ": " + r.error());
      return std::nullopt;
    }
    return r.value();
  }

 private:
  std::string file_;
  Diagnostics& diags_;
};

}  // namespace meshtwin::models::detail
