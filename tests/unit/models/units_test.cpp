// Quantity parsers: accepted syntaxes, units, and the errors for what they reject.
#include <catch2/catch.hpp>

#include "meshtwin/models/units.hpp"

using namespace meshtwin::models;

TEST_CASE("durations need a unit", "[units]") {
  CHECK(parseDurationNs("250us").value() == 250'000);
  CHECK(parseDurationNs("1.5ms").value() == 1'500'000);
  CHECK(parseDurationNs("2s").value() == 2'000'000'000);
  CHECK(parseDurationNs("5m").value() == 300'000'000'000);
  CHECK(parseDurationNs("1h").value() == 3'600'000'000'000);
  CHECK(parseDurationNs(" 10 ms ").value() == 10'000'000);
  CHECK(parseDurationNs("100ns").value() == 100);
  CHECK_FALSE(parseDurationNs("10").ok());
  CHECK(parseDurationNs("10").error().find("has no unit") != std::string::npos);
  CHECK(parseDurationNs("10 parsec").error().find("unknown unit \"parsec\"") != std::string::npos);
  CHECK_FALSE(parseDurationNs("-5ms").ok());
  CHECK_FALSE(parseDurationNs("ms").ok());
  CHECK_FALSE(parseDurationNs("").ok());
}

TEST_CASE("byte sizes: SI and IEC units, bare bytes", "[units]") {
  CHECK(parseBytes("512").value() == 512);
  CHECK(parseBytes("512B").value() == 512);
  CHECK(parseBytes("1KB").value() == 1000);
  CHECK(parseBytes("1 KB").value() == 1000);
  CHECK(parseBytes("1KiB").value() == 1024);
  CHECK(parseBytes("1.5MiB").value() == 1'572'864);
  CHECK(parseBytes("2GB").value() == 2'000'000'000);
  CHECK_FALSE(parseBytes("1 KBytes").ok());
}

TEST_CASE("Kubernetes quantities", "[units]") {
  CHECK(parseCpuMillicores("250m").value() == 250);
  CHECK(parseCpuMillicores("0.5").value() == 500);
  CHECK(parseCpuMillicores("2").value() == 2000);
  CHECK_FALSE(parseCpuMillicores("2 cores").ok());
  CHECK(parseMemoryBytes("128Mi").value() == 134'217'728);
  CHECK(parseMemoryBytes("1Gi").value() == 1'073'741'824);
  CHECK(parseMemoryBytes("512M").value() == 512'000'000);
  CHECK(parseMemoryBytes("1e9").value() == 1'000'000'000);
  CHECK_FALSE(parseMemoryBytes("1GB").ok());
}

TEST_CASE("bandwidth, fractions and counts-or-percentages", "[units]") {
  CHECK(parseBandwidthBps("10Gbps").value() == Approx(10e9));
  CHECK_FALSE(parseBandwidthBps("0Gbps").ok());
  CHECK_FALSE(parseBandwidthBps("10").ok());
  CHECK(parseFraction("25%").value() == Approx(0.25));
  CHECK(parseFraction("0.1%").value() == Approx(0.001));
  CHECK(parseFraction("0.5").value() == Approx(0.5));
  CHECK_FALSE(parseFraction("150%").ok());
  CHECK_FALSE(parseFraction("2").ok());
  const auto p = parseIntOrPercent("25%").value();
  CHECK(p.is_percent);
  CHECK(p.percent == Approx(25));
  const auto c = parseIntOrPercent("2").value();
  CHECK_FALSE(c.is_percent);
  CHECK(c.count == 2);
  CHECK_FALSE(parseIntOrPercent("1.5").ok());
}

TEST_CASE("formatters round-trip common values", "[units]") {
  CHECK(formatDurationNs(250'000) == "250us");
  CHECK(formatDurationNs(1'500'000) == "1.5ms");
  CHECK(formatDurationNs(300'000'000'000) == "5m");
  CHECK(formatBytes(134'217'728) == "128MiB");
  CHECK(formatBytes(1536) == "1.5KiB");
  CHECK(formatBytes(100) == "100B");
  CHECK(formatCpuMillicores(2000) == "2");
  CHECK(formatCpuMillicores(250) == "250m");
}
