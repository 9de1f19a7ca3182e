// Pins the exact stderr of `meshtwin check` for every broken scenario in tests/data/bad/:
// each NAME.yaml has a NAME.expected holding the diagnostic lines and the summary line, with
// the path as run from the repository root. A changed message shows up here as a line diff.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace {

// Repo-relative on purpose: the diagnostics name the file as it was given.
const fs::path kBadDir = "tests/data/bad";

// Tests run from the repository root; fall back to it when started elsewhere.
void enterSourceDir() {
  if (!fs::is_directory(kBadDir)) fs::current_path(MESHTWIN_SOURCE_DIR);
}

std::vector<fs::path> filesWithExtension(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) out.push_back(dir / entry.path().filename());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A line diff (longest common subsequence): "  " same, "- " only expected, "+ " only actual.
std::string lineDiff(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  const std::size_t n = expected.size(), m = actual.size();
  std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::string out;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] == actual[j]) {
      out += "  " + expected[i++] + "\n";
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + expected[i++] + "\n";
    } else {
      out += "+ " + actual[j++] + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every broken scenario is rejected with exactly its expected diagnostics", "[cli][check][bad-scenarios]") {
  enterSourceDir();
  for (const auto& yaml : filesWithExtension(kBadDir, ".yaml")) {
    DYNAMIC_SECTION(yaml.generic_string()) {
      std::ostringstream out, err;
      const int rc = meshtwin::cli::runCheck({yaml.generic_string(), "table", "high"}, out, err);
      {
        INFO("a broken scenario must exit 2 (bad input); stdout:\n" << out.str() << "stderr:\n" << err.str());
        REQUIRE(rc == meshtwin::cli::kExitBadInput);
        CHECK(out.str().empty());
      }

      auto expected_path = yaml;
      expected_path.replace_extension(".expected");
      REQUIRE(fs::is_regular_file(expected_path));
      const auto expected = readFile(expected_path);
      if (err.str() != expected) {
        FAIL_CHECK("stderr differs from " << expected_path.generic_string() << " (- expected, + actual):\n"
                                          << lineDiff(splitLines(expected), splitLines(err.str())));
      }
    }
  }
}

TEST_CASE("the bad-scenario corpus pairs every .yaml with an .expected file", "[cli][check][bad-scenarios]") {
  enterSourceDir();
  const auto yamls = filesWithExtension(kBadDir, ".yaml");
  const auto expecteds = filesWithExtension(kBadDir, ".expected");
  CHECK(yamls.size() >= 20);

  std::set<std::string> yaml_stems, expected_stems;
  for (const auto& p : yamls) yaml_stems.insert(p.stem().string());
  for (const auto& p : expecteds) expected_stems.insert(p.stem().string());
  for (const auto& stem : yaml_stems) {
    INFO(stem << ".yaml has no " << stem << ".expected");
    CHECK(expected_stems.count(stem) == 1);
  }
  for (const auto& stem : expected_stems) {
    INFO(stem << ".expected has no " << stem << ".yaml");
    CHECK(yaml_stems.count(stem) == 1);
  }

  // Each case says on its first line what is wrong with it.
  for (const auto& p : yamls) {
    const auto lines = splitLines(readFile(p));
    INFO(p.generic_string() << " must start with a comment saying what is wrong");
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.front().substr(0, 2) == "# ");
  }
}
