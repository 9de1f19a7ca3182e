// The report as XML: JUnit for CI systems (a test case per gate), and the escaping that XML
// and HTML renderings of reports share.
#include <fmt/format.h>

#include "meshtwin/models/report.hpp"

namespace meshtwin::models {

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JUnit XML as CI systems read it: a test suite per scenario, a test case per gate of
// each wave (classname = the phase after that wave).
std::string toJunitXml(const Report& r) {
  std::size_t tests = 0, failures = 0;
  for (const auto& p : r.phases) {
    tests += p.gates.size();
    for (const auto& g : p.gates) failures += g.holds ? 0 : 1;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites tests=\"{}\" failures=\"{}\">\n", tests, failures);
  x += fmt::format("  <testsuite name=\"meshtwin simulate {}\" tests=\"{}\" failures=\"{}\">\n", xmlEscape(r.scenario), tests,
                   failures);
  for (const auto& p : r.phases) {
    for (const auto& g : p.gates) {
      x += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xmlEscape(p.name), xmlEscape(g.description));
      if (g.holds) {
        x += "/>\n";
      } else {
        x += fmt::format(">\n      <failure message=\"measured {:.4g} {}, threshold {:.4g} {}\"/>\n    </testcase>\n", g.value,
                         xmlEscape(g.unit), g.threshold, xmlEscape(g.unit));
      }
    }
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace meshtwin::models
