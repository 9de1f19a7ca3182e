// The cli tests' way in: `meshtwin ARGS...` run in-process, its exit code and both streams.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace meshtwin::cli::test {

struct Run {
  int rc = -1;
  std::string out, err;
};

inline Run cli(std::vector<std::string> args) {
  args.insert(args.begin(), "meshtwin");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Run r;
  r.rc = run(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace meshtwin::cli::test
