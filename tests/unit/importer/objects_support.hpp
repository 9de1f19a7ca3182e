// Shared by the object-mapping tests: manifests text mapped into a Draft, and look-ups in
// the report (assumptions, skip reasons) and in notes.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "meshtwin/importer/manifests.hpp"
#include "meshtwin/importer/objects.hpp"

namespace meshtwin::importer::test {

struct Mapped {
  Draft draft;
  ImportReport report;
  std::vector<ReadError> errors;
};

// A profile whose sidecar requests 100m, so annotations that differ from it are noticed.
inline models::Profile sidecarProfile() {
  models::Profile p;
  p.sidecar.resources.cpu_request_millicores = 100;
  return p;
}

inline Mapped mapYaml(const std::string& yaml, const models::Profile& profile = {}, const MapOptions& options = {}) {
  const auto read = readManifests(yaml, "test.yaml");
  REQUIRE(read.errors.empty());
  Mapped m;
  m.errors = mapObjects(read.objects, profile, m.draft, m.report, options);
  return m;
}

inline bool assumed(const ImportReport& r, const std::string& text) {
  for (const auto& a : r.assumptions) {
    if ((a.object + ": " + a.message).find(text) != std::string::npos) return true;
  }
  return false;
}

inline bool noted(const std::vector<std::string>& notes, const std::string& text) {
  for (const auto& n : notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

inline std::string skipReason(const ImportReport& r, const std::string& ref) {
  for (const auto& s : r.skipped) {
    if (s.object == ref) return s.reason;
  }
  return {};
}

}  // namespace meshtwin::importer::test
