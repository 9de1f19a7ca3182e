// Isotope scripts and quantities: `sleep`, `call` and concurrent blocks as call steps; sizes
// the way docker/go-units reads them and durations the way Go's time.ParseDuration does.
#include <cmath>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "meshtwin/importer/isotope.hpp"
#include "meshtwin/models/diagnostics.hpp"

namespace meshtwin::importer {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One Go duration unit at the front of `s`, in ns; consumes it.
std::optional<double> goUnit(std::string_view& s) {
  static const std::pair<std::string_view, double> units[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  for (const auto& [name, f] : units) {
    if (s.substr(0, name.size()) == name) {
      s.remove_prefix(name.size());
      return f;
    }
  }
  return std::nullopt;
}

const char* kCommandsHint = "isotope commands are `sleep: <duration>` and `call: <service>` (or call: {service, size, "
                            "probability}); a nested list runs its commands concurrently";

}  // namespace

std::optional<std::int64_t> isotopeBytes(std::string_view text) {
  static const std::regex re(R"(^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$)");
  const std::string s(trim(text));
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  const double v = std::strtod(m[1].str().c_str(), nullptr);
  double f = 1;
  if (m[3].matched) {
    const std::string units = "kmgtp";
    const auto i = units.find(static_cast<char>(std::tolower(static_cast<unsigned char>(m[3].str()[0]))));
    f = std::pow(1024.0, static_cast<double>(i + 1));
  }
  const double bytes = v * f;
  if (bytes > 9e18) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

std::optional<std::int64_t> goDurationNs(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    std::size_t n = 0;
    while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
    if (n == 0) return std::nullopt;
    const std::string num(s.substr(0, n));
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (*end != '\0') return std::nullopt;
    s.remove_prefix(n);
    const auto f = goUnit(s);
    if (!f) return std::nullopt;
    total += v * *f;
  }
  return std::llround(total);
}

namespace detail {

Origin IsotopeReader::at(const YAML::Node& n) const {
  const auto m = n.Mark();
  if (m.is_null()) return {source, 0, 0};
  return {source, m.line + 1, m.column + 1};
}

void IsotopeReader::error(const YAML::Node& n, std::string object, std::string message, std::string hint) {
  errors.push_back({at(n), std::move(object), std::move(message), std::move(hint)});
}

std::optional<double> IsotopeReader::fraction(const YAML::Node& n, const std::string& object, const char* what) {
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  const bool percent = end && *end == '%' && end[1] == '\0';
  if (percent) v /= 100;
  if (s.empty() || end == s.c_str() || (!percent && *end != '\0') || v < 0 || v > 1) {
    error(n, object, fmt::format("{} \"{}\" is not a percentage", what, s), "give \"0.5%\" or a number from 0 to 1");
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> IsotopeReader::bytes(const YAML::Node& n, const std::string& object, const char* what) {
  const auto v = n.IsScalar() ? isotopeBytes(n.Scalar()) : std::nullopt;
  if (!v) error(n, object, fmt::format("{} \"{}\" is not a size", what, n.IsScalar() ? n.Scalar() : "(not a scalar)"),
                "give bytes or a size such as \"1 KB\", \"16KiB\", \"10k\" (isotope sizes are 1024-based)");
  return v;
}

std::optional<std::int64_t> IsotopeReader::sleep(const YAML::Node& n, const std::string& owner) {
  const auto v = n.IsScalar() ? goDurationNs(n.Scalar()) : std::nullopt;
  if (!v)
    error(n, "isotope service " + owner, "sleep \"" + (n.IsScalar() ? n.Scalar() : std::string("(not a scalar)")) + "\" is not a duration",
          "give a Go duration such as 10ms, 1.5s or 250us (sleep distributions are not read)");
  return v;
}

std::optional<DraftCall> IsotopeReader::call(const YAML::Node& n, const std::string& owner) {
  const std::string obj = "isotope service " + owner;
  DraftCall c;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const auto k = kv.first.Scalar();
      if (k != "service" && k != "size" && k != "probability" && k != "hostname" && k != "call-override")
        error(kv.first, obj, "call has an unknown field \"" + k + "\"", "a call takes service, size, probability (and hostname, call-override)");
    }
    if (const auto s = n["size"]) c.request_bytes = bytes(s, obj, "call size").value_or(0);
    if (const auto p = n["probability"]) c.probability = fraction(p, obj, "call probability").value_or(1.0);
  }
  const YAML::Node name_node = n.IsMap() ? n["service"] : n;  // a copy: yaml-cpp's assignment would overwrite `n`
  if (!name_node || !name_node.IsScalar() || name_node.Scalar().empty()) {
    error(n, obj, "call names no service", "write call: <service> or call: {service: <service>, size: 1KB}");
    return std::nullopt;
  }
  const auto target = name_node.Scalar();
  const auto it = namespaces.find(target);
  if (it == namespaces.end()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : namespaces) names.push_back(k);
    error(name_node, obj, "calls undefined service \"" + target + "\"", models::suggestionHint(target, names, "isotope services"));
    return std::nullopt;
  }
  c.service = it->second == namespaces.at(owner) ? target : target + "." + it->second;
  return c;
}

std::optional<DraftStep> IsotopeReader::command(const YAML::Node& n, const std::string& owner, bool in_block) {
  const std::string obj = "isotope service " + owner;
  if (n.IsSequence()) {
    error(n, obj, "concurrent commands may not be nested", "a step is a command or one list of commands run at once");
    return std::nullopt;
  }
  if (!n.IsMap() || n.size() != 1) {
    error(n, obj, n.IsMap() ? "a command has exactly one key" : "a script step is not a command", kCommandsHint);
    return std::nullopt;
  }
  const auto kv = *n.begin();
  const auto key = kv.first.Scalar();
  if (key == "sleep") {
    if (const auto ns = sleep(kv.second, owner)) return DraftStep{*ns, {}};
    return std::nullopt;
  }
  if (key == "call") {
    if (auto c = call(kv.second, owner)) return DraftStep{0, {*c}};
    return std::nullopt;
  }
  error(kv.first, obj, "unknown command \"" + key + "\"" + (in_block ? " in a concurrent block" : ""), kCommandsHint);
  return std::nullopt;
}

// A concurrent block: its calls made at once. A sleep in it runs beside the calls; the model
// has no such step, so the longest sleep goes before the calls (an upper bound on the block).
std::optional<DraftStep> IsotopeReader::block(const YAML::Node& n, const std::string& owner, std::vector<DraftStep>& out) {
  DraftStep calls;
  std::int64_t longest = -1;
  for (const auto& el : n) {
    const auto s = command(el, owner, true);
    if (!s) continue;
    if (s->calls.empty()) longest = std::max(longest, s->sleep_ns);
    for (const auto& c : s->calls) calls.calls.push_back(c);
  }
  if (longest >= 0 && !calls.calls.empty()) {
    out.push_back(DraftStep{longest, {}});
    assumptions.push_back({"workload " + namespaces.at(owner) + "/" + owner,
                           fmt::format("{}: a sleep runs beside concurrent calls; modelled as a sleep before them (an "
                                       "upper bound on the block's time)",
                                       toString(at(n)))});
  }
  if (calls.calls.empty()) {
    if (longest >= 0) return DraftStep{longest, {}};
    return std::nullopt;
  }
  return calls;
}

std::vector<DraftStep> IsotopeReader::script(const YAML::Node& n, const std::string& owner) {
  std::vector<DraftStep> out;
  if (!n || n.IsNull()) return out;
  if (!n.IsSequence()) {
    error(n, "isotope service " + owner, "script is not a list of commands", "e.g. script: [{sleep: 10ms}, {call: b}]");
    return out;
  }
  for (const auto& step : n) {
    auto s = step.IsSequence() ? block(step, owner, out) : command(step, owner, false);
    if (s) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace detail
}  // namespace meshtwin::importer
