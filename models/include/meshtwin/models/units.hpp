// Parsing of the quantities a scenario is written in: durations, byte sizes, CPU, memory,
// bandwidth, percentages. Each parser returns the value in the unit its name says, or an
// error text that says what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace meshtwin::models {

template <typename T>
struct Parsed {
  std::variant<T, std::string> v;  // value, or what is wrong
  [[nodiscard]] bool ok() const { return v.index() == 0; }
  [[nodiscard]] const T& value() const { return std::get<0>(v); }
  [[nodiscard]] const std::string& error() const { return std::get<1>(v); }
};

// "250us", "1.5ms", "2s", "5m", "1h", "100ns". A bare number is rejected: a duration needs a unit.
Parsed<std::int64_t> parseDurationNs(std::string_view text);
// "512B", "1KB" (1000), "1KiB" (1024), "1.5 MiB", "2MB", "1GiB". A bare integer means bytes.
Parsed<std::int64_t> parseBytes(std::string_view text);
// Kubernetes memory quantity: "128Mi", "1Gi", "512M", "1e9", "1024".
Parsed<std::int64_t> parseMemoryBytes(std::string_view text);
// Kubernetes CPU quantity: "250m", "0.5", "2" -> millicores.
Parsed<std::int64_t> parseCpuMillicores(std::string_view text);
// "10Gbps", "500Mbps", "1e9bps" -> bits per second.
Parsed<double> parseBandwidthBps(std::string_view text);
// "25%" -> 0.25; "0.1%" -> 0.001. A bare number must be in [0, 1] and is a fraction.
Parsed<double> parseFraction(std::string_view text);
// An int or a percentage of `total`, Kubernetes IntOrString style (for maxSurge etc.).
struct IntOrPercent {
  bool is_percent = false;
  double percent = 0;  // 0..100 when is_percent
  std::int64_t count = 0;
};
Parsed<IntOrPercent> parseIntOrPercent(std::string_view text);

// Pretty printers used by tables and round trips.
std::string formatDurationNs(std::int64_t ns);
std::string formatBytes(std::int64_t bytes);
std::string formatCpuMillicores(std::int64_t millicores);

}  // namespace meshtwin::models
