// Quantity parsers for scenario files.
#include "meshtwin/models/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace meshtwin::models {
namespace {

struct NumberAndSuffix {
  double number = 0;
  std::string_view suffix;
  bool ok = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "1.5 MiB" into 1.5 and "MiB". Accepts an exponent ("1e9") and a space before the unit.
NumberAndSuffix split(std::string_view text) {
  text = trim(text);
  std::size_t i = 0;
  auto digit = [&](std::size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const std::size_t digits_start = i;
  while (digit(i)) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (digit(i)) ++i;
  }
  if (i == digits_start) return {};
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E') &&
      (digit(i + 1) || ((i + 1 < text.size()) && (text[i + 1] == '-' || text[i + 1] == '+') && digit(i + 2)))) {
    i += 2;
    while (digit(i)) ++i;
  }
  NumberAndSuffix r;
  const std::string num(text.substr(0, i));
  char* end = nullptr;
  r.number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(r.number)) return {};
  r.suffix = trim(text.substr(i));
  r.ok = true;
  return r;
}

template <typename T>
Parsed<T> fail(std::string msg) {
  return Parsed<T>{std::variant<T, std::string>(std::in_place_index<1>, std::move(msg))};
}
template <typename T>
Parsed<T> good(T v) {
  return Parsed<T>{std::variant<T, std::string>(std::in_place_index<0>, v)};
}

struct Unit {
  std::string_view name;
  double factor;
};

Parsed<std::int64_t> scaled(std::string_view text, const NumberAndSuffix& ns, double factor,
                            const char* what) {
  const double v = ns.number * factor;
  if (v < 0) return fail<std::int64_t>(std::string(what) + " \"" + std::string(text) + "\" is negative");
  if (v > 9.0e18) return fail<std::int64_t>(std::string(what) + " \"" + std::string(text) + "\" is too large");
  return good<std::int64_t>(static_cast<std::int64_t>(std::llround(v)));
}

template <std::size_t N>
Parsed<std::int64_t> withUnits(std::string_view text, const std::array<Unit, N>& units,
                               const char* what, const char* expected, bool bare_allowed,
                               double bare_factor) {
  const auto ns = split(text);
  if (!ns.ok) return fail<std::int64_t>("cannot parse " + std::string(what) + " \"" + std::string(text) + "\"; expected " + expected);
  if (ns.suffix.empty()) {
    if (!bare_allowed)
      return fail<std::int64_t>(std::string(what) + " \"" + std::string(text) + "\" has no unit; expected " + expected);
    return scaled(text, ns, bare_factor, what);
  }
  for (const auto& u : units) {
    if (u.name == ns.suffix) return scaled(text, ns, u.factor, what);
  }
  return fail<std::int64_t>("unknown unit \"" + std::string(ns.suffix) + "\" in " + what + " \"" +
                            std::string(text) + "\"; expected " + expected);
}

}  // namespace

Parsed<std::int64_t> parseDurationNs(std::string_view text) {
  static constexpr std::array<Unit, 6> units{{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
                                              {"m", 60e9}, {"h", 3600e9}}};
  return withUnits(text, units, "duration", "a number with ns, us, ms, s, m or h (e.g. 250us, 1.5s)",
                   false, 0);
}

Parsed<std::int64_t> parseBytes(std::string_view text) {
  static constexpr std::array<Unit, 10> units{{{"B", 1},
                                              {"KB", 1e3},
                                              {"MB", 1e6},
                                              {"GB", 1e9},
                                              {"KiB", 1024.0},
                                              {"MiB", 1048576.0},
                                              {"GiB", 1073741824.0},
                                              {"kB", 1e3},
                                              {"TB", 1e12},
                                              {"TiB", 1099511627776.0}}};
  return withUnits(text, units, "size", "a number with B, kB/KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)",
                   true, 1);
}

Parsed<std::int64_t> parseMemoryBytes(std::string_view text) {
  static constexpr std::array<Unit, 8> units{{{"k", 1e3},
                                              {"M", 1e6},
                                              {"G", 1e9},
                                              {"T", 1e12},
                                              {"Ki", 1024.0},
                                              {"Mi", 1048576.0},
                                              {"Gi", 1073741824.0},
                                              {"Ti", 1099511627776.0}}};
  return withUnits(text, units, "memory quantity", "a Kubernetes quantity such as 128Mi, 1Gi or 512M",
                   true, 1);
}

Parsed<std::int64_t> parseCpuMillicores(std::string_view text) {
  static constexpr std::array<Unit, 1> units{{{"m", 1}}};
  return withUnits(text, units, "CPU quantity", "cores (0.5, 2) or millicores (250m)", true, 1000);
}

Parsed<double> parseBandwidthBps(std::string_view text) {
  static constexpr std::array<Unit, 4> units{{{"bps", 1}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}}};
  const auto r = withUnits(text, units, "bandwidth", "a number with bps, Kbps, Mbps or Gbps (e.g. 10Gbps)",
                           false, 0);
  if (!r.ok()) return fail<double>(r.error());
  if (r.value() == 0) return fail<double>("bandwidth \"" + std::string(text) + "\" must be above zero");
  return good<double>(static_cast<double>(r.value()));
}

Parsed<double> parseFraction(std::string_view text) {
  const auto ns = split(text);
  if (!ns.ok) return fail<double>("cannot parse \"" + std::string(text) + "\"; expected a percentage such as 25% or a fraction in [0, 1]");
  double v = ns.number;
  if (ns.suffix == "%") {
    v /= 100.0;
  } else if (!ns.suffix.empty()) {
    return fail<double>("unexpected \"" + std::string(ns.suffix) + "\" in \"" + std::string(text) + "\"; expected a percentage such as 25%");
  }
  if (ns.suffix.empty() && v > 1 && v <= 100)
    return fail<double>("\"" + std::string(text) + "\" is read as a fraction of 1; write " + std::string(text) + "% for a percentage");
  if (v < 0 || v > 1) return fail<double>("\"" + std::string(text) + "\" is outside 0%..100%");
  return good<double>(v);
}

Parsed<IntOrPercent> parseIntOrPercent(std::string_view text) {
  const auto ns = split(text);
  IntOrPercent r;
  if (!ns.ok) return fail<IntOrPercent>("cannot parse \"" + std::string(text) + "\"; expected a count (1) or a percentage (25%)");
  if (ns.suffix == "%") {
    if (ns.number < 0 || ns.number > 100) return fail<IntOrPercent>("\"" + std::string(text) + "\" is outside 0%..100%");
    r.is_percent = true;
    r.percent = ns.number;
    return good(r);
  }
  if (!ns.suffix.empty() || ns.number != std::floor(ns.number) || ns.number < 0)
    return fail<IntOrPercent>("\"" + std::string(text) + "\" is not a count or a percentage; expected e.g. 1 or 25%");
  r.count = static_cast<std::int64_t>(ns.number);
  return good(r);
}

namespace {
std::string trimmedNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

std::string formatDurationNs(std::int64_t ns) {
  const auto a = ns < 0 ? -ns : ns;
  if (a == 0) return "0s";
  if (a % 3600'000'000'000 == 0) return std::to_string(ns / 3600'000'000'000) + "h";
  if (a % 60'000'000'000 == 0) return std::to_string(ns / 60'000'000'000) + "m";
  if (a >= 1'000'000'000) return trimmedNumber(static_cast<double>(ns) / 1e9) + "s";
  if (a >= 1'000'000) return trimmedNumber(static_cast<double>(ns) / 1e6) + "ms";
  if (a >= 1'000) return trimmedNumber(static_cast<double>(ns) / 1e3) + "us";
  return std::to_string(ns) + "ns";
}

std::string formatBytes(std::int64_t bytes) {
  static constexpr std::array<std::pair<std::int64_t, const char*>, 3> units{
      {{1073741824, "GiB"}, {1048576, "MiB"}, {1024, "KiB"}}};
  for (const auto& [f, name] : units) {
    if (bytes >= f && bytes % f == 0) return std::to_string(bytes / f) + name;
  }
  for (const auto& [f, name] : units) {
    if (bytes >= f) return trimmedNumber(static_cast<double>(bytes) / static_cast<double>(f)) + name;
  }
  return std::to_string(bytes) + "B";
}

std::string formatCpuMillicores(std::int64_t m) {
  if (m % 1000 == 0) return std::to_string(m / 1000);
  return std::to_string(m) + "m";
}

}  // namespace meshtwin::models
