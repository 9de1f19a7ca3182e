// `meshtwin import`'s parts shared by its files: the report printer and the remote sources
// (the live API and Prometheus), each wiring a kube/ client into an importer/ reader.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "meshtwin/importer/draft.hpp"
#include "meshtwin/importer/finish.hpp"

namespace meshtwin::cli {

// "a, b, c (+4 more)"
std::string listed(const std::vector<std::string>& items, std::size_t max);
void printImportReport(const importer::ImportReport& r, const importer::Imported& result, std::ostream& out);

// --from-cluster: the objects of the live API, appended to `objects`; an exit code after
// printing why when it fails (2 bad kubeconfig, 3 unreachable or refused).
std::optional<int> readClusterSource(const ImportOptions& opts, std::vector<importer::Object>& objects,
                                     importer::ImportReport& report, std::ostream& err);
// --prometheus: the traffic and measured costs, applied to the Draft (and the measured
// profile written when asked); an exit code after printing why when it fails.
std::optional<int> readPrometheusSource(const ImportOptions& opts, const models::Profile& profile,
                                        importer::Draft& draft, importer::ImportReport& report, std::ostream& err);

}  // namespace meshtwin::cli
