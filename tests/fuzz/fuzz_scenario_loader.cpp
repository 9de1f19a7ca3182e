// libFuzzer harness: any byte string fed to the scenario loader must yield a scenario or
// diagnostics, never a crash, hang or sanitizer report. Also built without libFuzzer as a
// corpus replayer (see replay_main.cpp) so CI runs the harness on every commit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "meshtwin/models/analysis.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/routing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = meshtwin::models::loadScenarioText(text, "fuzz.yaml");
  if (r.ok()) {
    // A scenario that loads must also analyse and route without trouble.
    const auto& s = *r.scenario;
    (void)meshtwin::models::analyze(s);
    const auto m = meshtwin::models::meshStateAt(s, s.plan.waves.size());
    for (std::size_t p = 0; p < s.pods.size() && p < 8; ++p) {
      for (std::size_t sv = 0; sv < s.services.size() && sv < 8; ++sv) (void)meshtwin::models::hopPath(s, m, p, sv, p + sv);
    }
  } else if (r.diagnostics.empty()) {
    __builtin_trap();  // a failed load must say why
  }
  return 0;
}
