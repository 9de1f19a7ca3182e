// YAML trees as JSON, with scalars typed as YAML 1.2's core schema types them, and marks
// turned into file positions.
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "manifests_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

constexpr int kMaxDepth = 200;

bool isNull(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> boolOf(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

// [-+]?[0-9]+ as an integer; values past int64 become unsigned or, failing that, nullopt.
std::optional<nlohmann::json> integerOf(const std::string& s) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (!allDigits(digits)) return std::nullopt;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const char* last = s.data() + s.size();
  std::int64_t v = 0;
  if (auto [p, ec] = std::from_chars(first, last, v); ec == std::errc() && p == last) return nlohmann::json(v);
  std::uint64_t u = 0;
  if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc() && p == last) return nlohmann::json(u);
  return std::nullopt;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? as a finite double.
std::optional<nlohmann::json> floatOf(const std::string& s) {
  std::string_view t = s;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  const auto e = t.find_first_of("eE");
  std::string_view mantissa = t.substr(0, e);
  const auto dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if ((!whole.empty() && !allDigits(whole)) || (!frac.empty() && !allDigits(frac))) return std::nullopt;
  if (e != std::string_view::npos) {
    std::string_view exp = t.substr(e + 1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    if (!allDigits(exp)) return std::nullopt;
  }
  const double v = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return nlohmann::json(v);
}

nlohmann::json scalarToJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  // yaml-cpp tags quoted scalars "!"; explicit !!str keeps text as well.
  if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return s;
  if (auto b = boolOf(s)) return *b;
  if (auto i = integerOf(s)) return *i;
  if (auto f = floatOf(s)) return *f;
  return s;
}

}  // namespace

Origin originOfMark(const YAML::Mark& m, const DocPlace& at) {
  Origin o;
  if (at.source) o.source = *at.source;
  if (m.is_null()) return o;
  o.line = at.first_line + m.line + 1;
  o.column = m.column + 1;
  return o;
}

Origin originOf(const YAML::Node& n, const DocPlace& at) {
  if (!n.IsDefined()) return originOfMark(YAML::Mark::null_mark(), at);
  return originOfMark(n.Mark(), at);
}

std::optional<nlohmann::json> yamlToJson(const YAML::Node& n, Conversion& c, int depth) {
  if (c.budget == 0 || depth > kMaxDepth) {
    c.error = c.budget == 0 ? "the document expands (through YAML aliases) beyond what a manifest holds"
                            : "the document nests deeper than " + std::to_string(kMaxDepth) + " levels";
    c.error_mark = n.Mark();
    return std::nullopt;
  }
  --c.budget;
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      if (n.Tag() != "!" && isNull(n.Scalar())) return nlohmann::json(nullptr);
      return scalarToJson(n);
    case YAML::NodeType::Sequence: {
      auto out = nlohmann::json::array();
      for (const auto& item : n) {
        auto v = yamlToJson(item, c, depth + 1);
        if (!v) return std::nullopt;
        out.push_back(std::move(*v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      auto out = nlohmann::json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          c.error = "a map key is not a plain value (a list or map used as a key)";
          c.error_mark = kv.first.Mark();
          return std::nullopt;
        }
        auto v = yamlToJson(kv.second, c, depth + 1);
        if (!v) return std::nullopt;
        out[kv.first.Scalar()] = std::move(*v);  // a repeated key: the later value wins
      }
      return out;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nlohmann::json(nullptr);
}

}  // namespace meshtwin::importer::detail
