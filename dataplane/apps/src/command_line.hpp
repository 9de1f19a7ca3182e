// Parsing a single-command program's line with CLI11, the same way for every program here:
// --help to `out` (exit 0), a parse error to `err` with a pointer to --help (exit 2).
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

namespace meshtwin::dataplane::apps {

// nullopt: parsed, go on; otherwise the exit code to return.
inline std::optional<int> parseCommandLine(CLI::App& cli, int argc, const char* const* argv, std::ostream& out,
                                           std::ostream& err, const std::string& program) {
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      out << cli.help();
      return 0;
    }
    err << program << ": " << e.what() << "\nRun '" << program << " --help' for usage.\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace meshtwin::dataplane::apps
