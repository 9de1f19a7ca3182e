// libFuzzer harness: any byte string fed to the manifest reader, and whatever objects it
// yields to the object mapping, must give objects, errors or skips, never a crash, hang or
// sanitizer report; every object read is counted as mapped or skipped. Also builds without
// libFuzzer as a corpus replayer (with replay_main.cpp), like fuzz_scenario_loader.cpp.
#include <cstddef>
#include <cstdint>
#include <string>

#include "meshtwin/importer/manifests.hpp"
#include "meshtwin/importer/objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto read = meshtwin::importer::readManifests(text, "fuzz.yaml");
  meshtwin::models::Profile profile;
  profile.sidecar.resources.cpu_request_millicores = 100;
  meshtwin::importer::Draft draft;
  meshtwin::importer::ImportReport report;
  (void)meshtwin::importer::mapObjects(read.objects, profile, draft, report);
  std::size_t counted = 0;
  for (const auto& [kind, c] : report.kinds) {
    if (c.read != c.mapped + c.skipped) __builtin_trap();  // an object neither mapped nor skipped
    counted += static_cast<std::size_t>(c.read);
  }
  if (counted != read.objects.size()) __builtin_trap();
  for (const auto& e : read.errors) {
    if (e.message.empty()) __builtin_trap();  // an error must say what is wrong
  }
  return 0;
}
