// The import report as the table `meshtwin import` prints: kinds read, mapped and skipped,
// the assumptions grouped by what was assumed, the starting plan and check's findings.
#include <fmt/format.h>

#include <map>
#include <ostream>

#include "import_command.hpp"

namespace meshtwin::cli {

namespace {

void printKinds(const importer::ImportReport& r, std::ostream& out) {
  int read = 0, mapped = 0, skipped = 0;
  out << fmt::format("{:<28} {:>6} {:>7} {:>8}\n", "KIND", "READ", "MAPPED", "SKIPPED");
  for (const auto& [kind, c] : r.kinds) {
    out << fmt::format("{:<28} {:>6} {:>7} {:>8}\n", kind, c.read, c.mapped, c.skipped);
    read += c.read;
    mapped += c.mapped;
    skipped += c.skipped;
  }
  out << fmt::format("{:<28} {:>6} {:>7} {:>8}\n", "total", read, mapped, skipped);
}

void printSkipped(const importer::ImportReport& r, std::ostream& out) {
  if (r.skipped.empty()) return;
  // One line per reason, the objects listed (the JSON report has each with its origin).
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& s : r.skipped) by_reason[s.reason].push_back(s.object);
  out << fmt::format("\nskipped ({}):\n", r.skipped.size());
  for (const auto& [reason, objects] : by_reason) {
    out << fmt::format("  {} ({}): {}\n", reason, objects.size(), listed(objects, 6));
  }
}

void printAssumptions(const importer::ImportReport& r, std::ostream& out) {
  if (r.assumptions.empty()) return;
  std::map<std::string, std::vector<std::string>> by_message;
  for (const auto& a : r.assumptions) by_message[a.message].push_back(a.object);
  out << fmt::format("\nassumptions ({}):\n", r.assumptions.size());
  for (const auto& [message, objects] : by_message) out << fmt::format("  {}: {}\n", listed(objects, 4), message);
}

void printFindings(const importer::Imported& result, std::ostream& out) {
  if (result.findings.empty()) {
    out << "\nfindings: none\n";
    return;
  }
  out << fmt::format("\nfindings ({}), as `meshtwin check` gives them:\n", result.findings.size());
  for (const auto& f : result.findings) {
    out << fmt::format("  {:<8} {}: {}\n", models::toString(f.severity), f.object, f.message);
  }
}

}  // namespace

std::string listed(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" (+{} more)", items.size() - max);
  return out;
}

void printImportReport(const importer::ImportReport& r, const importer::Imported& result, std::ostream& out) {
  out << fmt::format("meshtwin import: {}\n\n", listed(r.sources, 8));
  printKinds(r, out);
  printSkipped(r, out);
  printAssumptions(r, out);
  if (!result.plan_reasons.empty()) {
    out << fmt::format("\nstarting plan ({} waves, one namespace each, callees first):\n", result.plan_reasons.size());
    for (const auto& p : result.plan_reasons) out << "  " << p << "\n";
  }
  printFindings(result, out);
}

}  // namespace meshtwin::cli
