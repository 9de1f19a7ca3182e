// The isotope reader: an istio/tools isotope service-graph topology (defaults, services with
// scripts of sleeps, calls and concurrent blocks, entrypoints) into the Draft: a workload and
// a service per isotope service, scripts as call steps, entry points from isEntrypoint.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/importer/draft.hpp"

namespace YAML {
class Node;
}

namespace meshtwin::importer {

struct IsotopeOptions {
  std::string ns = "default";  // namespace of services that name none
};

struct IsotopeError {
  Origin origin;
  std::string object;  // "isotope service frontend"
  std::string message;
  std::string hint;
};
std::string format(const IsotopeError& e);  // "file:line:col: object: message (hint)"

// Reads `text` (from `source`, for messages) into `d`. On any error the Draft is left as it was
// and every error found is returned; assumptions go to `report` only on success.
std::vector<IsotopeError> readIsotope(std::string_view text, const std::string& source, Draft& d, ImportReport& report,
                                      const IsotopeOptions& opts = {});

// Isotope's quantities: sizes as docker/go-units RAMInBytes reads them ("1 KB", "10K", "16mb",
// 1024-based), durations as Go's time.ParseDuration ("10ms", "1.5s", "1m30s", "250us").
std::optional<std::int64_t> isotopeBytes(std::string_view text);
std::optional<std::int64_t> goDurationNs(std::string_view text);

// Parts shared by the reader's source files; not an interface.
namespace detail {

struct IsotopeReader {
  std::string source;
  std::vector<IsotopeError> errors;
  std::vector<Assumption> assumptions;
  std::map<std::string, std::string> namespaces;  // isotope service name -> its namespace
  std::int64_t default_request_bytes = 0;

  [[nodiscard]] Origin at(const YAML::Node& n) const;
  void error(const YAML::Node& n, std::string object, std::string message, std::string hint);
  // A `script:` list as call steps; `owner` is the isotope service it belongs to.
  std::vector<DraftStep> script(const YAML::Node& n, const std::string& owner);
  // A percentage: "10%" or a number in [0, 1].
  std::optional<double> fraction(const YAML::Node& n, const std::string& object, const char* what);
  std::optional<std::int64_t> bytes(const YAML::Node& n, const std::string& object, const char* what);

 private:
  std::optional<DraftStep> command(const YAML::Node& n, const std::string& owner, bool in_block);
  std::optional<DraftCall> call(const YAML::Node& n, const std::string& owner);
  std::optional<std::int64_t> sleep(const YAML::Node& n, const std::string& owner);
  std::optional<DraftStep> block(const YAML::Node& n, const std::string& owner, std::vector<DraftStep>& out);
};

}  // namespace detail

}  // namespace meshtwin::importer
