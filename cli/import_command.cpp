// `meshtwin import`: read manifests, kubectl dumps, isotope topologies, the live API and
// Prometheus into one meshtwin/v1 scenario, and report what was read, skipped and assumed.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "import_command.hpp"
#include "meshtwin/importer/env_calls.hpp"
#include "meshtwin/importer/isotope.hpp"
#include "meshtwin/importer/manifests.hpp"
#include "meshtwin/importer/objects.hpp"
#include "meshtwin/importer/sources.hpp"

namespace meshtwin::cli {

namespace {

namespace fs = std::filesystem;

// What the local sources hold, read and sorted by format.
struct LocalSources {
  std::vector<importer::Object> objects;
  std::vector<std::pair<std::string, std::string>> isotope;   // source, text
  std::vector<std::pair<std::string, std::string>> scenarios;  // source, text
  std::vector<importer::ReadError> errors;
};

std::optional<std::string> readText(const std::string& path, std::ostream& err) {
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    return s.str();
  }
  // Read at once into its final string: a kubectl dump can be tens of megabytes.
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  std::string text;
  if (f) {
    text.resize(static_cast<std::size_t>(f.tellg()));
    f.seekg(0);
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
  }
  if (!f) {
    err << fmt::format("meshtwin import: cannot read {}: {}\n", path, std::strerror(errno));
    return std::nullopt;
  }
  return text;
}

void addManifests(importer::ManifestRead&& read, LocalSources& into) {
  for (auto& o : read.objects) {
    if (o.api_version == "meshtwin/v1") {
      into.errors.push_back({o.origin, "a meshtwin/v1 scenario inside a set of manifests",
                             "import a scenario on its own (meshtwin import FILE) to rewrite it"});
      continue;
    }
    into.objects.push_back(std::move(o));
  }
  for (auto& e : read.errors) into.errors.push_back(std::move(e));
}

std::optional<LocalSources> readLocal(const std::vector<std::string>& sources, std::ostream& err) {
  LocalSources in;
  std::istringstream no_stdin;
  for (const auto& src : sources) {
    if (src != "-" && !fs::exists(src)) {
      err << fmt::format("meshtwin import: {}: no such file or directory\n", src);
      return std::nullopt;
    }
    if (src != "-" && fs::is_directory(src)) {
      addManifests(importer::readManifestPaths({src}, no_stdin), in);
      continue;
    }
    const auto text = readText(src, err);
    if (!text) return std::nullopt;
    switch (importer::sniffFormat(*text)) {
      case importer::SourceFormat::Manifests: addManifests(importer::readManifests(*text, src), in); break;
      case importer::SourceFormat::Isotope: in.isotope.emplace_back(src, *text); break;
      case importer::SourceFormat::Scenario: in.scenarios.emplace_back(src, *text); break;
    }
  }
  return in;
}

int printErrors(const std::vector<importer::ReadError>& errors, std::ostream& err) {
  for (const auto& e : errors) {
    err << fmt::format("{}: {}{}\n", importer::toString(e.origin), e.message, e.hint.empty() ? "" : " (" + e.hint + ")");
  }
  err << fmt::format("meshtwin import: {} error(s) in the input; nothing written\n", errors.size());
  return kExitBadInput;
}

// Written whole or not at all: a temporary file next to the target, renamed over it.
bool writeAtomically(const std::string& path, const std::string& text, std::ostream& err) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) {
      err << fmt::format("meshtwin import: cannot write {}: {}\n", tmp, std::strerror(errno));
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    err << fmt::format("meshtwin import: cannot write {}: {}\n", path, ec.message());
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

// Scenario to -o, report to stdout (or stderr when the scenario took stdout), JSON report to
// --report; exit 0, or 2 when the result does not load, 3 when a file cannot be written.
int emit(const ImportOptions& opts, const importer::ImportReport& report, const importer::Imported& result,
         std::ostream& out, std::ostream& err) {
  const bool to_stdout = opts.output == "-";
  if (result.yaml.empty()) {  // nothing was made (a scenario source that does not load): nothing is written
    for (const auto& d : result.errors.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin import: {} error(s) in the input; nothing written\n", result.errors.size());
    return kExitBadInput;
  }
  if (to_stdout) out << result.yaml;
  else if (!writeAtomically(opts.output, result.yaml, err)) return kExitRunFailed;
  std::ostream& rep = to_stdout ? err : out;
  const auto json = importer::reportJson(report, result);
  if (opts.json) rep << json.dump(2) << "\n";
  else printImportReport(report, result, rep);
  if (!opts.report_file.empty() && !writeAtomically(opts.report_file, json.dump(2) + "\n", err)) return kExitRunFailed;
  if (!result.ok()) {
    for (const auto& d : result.errors.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin import: the imported scenario does not load ({} error(s)); it was written to {} "
                       "as it is, to be fixed by hand\n",
                       result.errors.size(), to_stdout ? "stdout" : opts.output);
    return kExitBadInput;
  }
  if (!to_stdout) {
    const auto& s = *result.scenario;
    err << fmt::format("meshtwin import: wrote {}: {} workloads, {} services, {} pods, {} waves\n", opts.output,
                       s.workloads.size(), s.services.size(), s.podCount(), s.plan.waves.size());
  }
  return kExitOk;
}

// A meshtwin/v1 scenario on its own: written again in the canonical form, comments kept.
int reimport(const ImportOptions& opts, const std::pair<std::string, std::string>& scenario, std::ostream& out,
             std::ostream& err) {
  importer::ImportReport report;
  report.sources = {scenario.first};
  ++report.kinds["Scenario"].read;
  ++report.kinds["Scenario"].mapped;
  const auto result = importer::reimportScenario(scenario.second, scenario.first);
  return emit(opts, report, result, out, err);
}

}  // namespace

int runImport(const ImportOptions& opts, std::ostream& out, std::ostream& err) {
  if (opts.sources.empty() && !opts.from_cluster) {
    err << "meshtwin import: nothing to import (give manifest files or directories, '-' for stdin, or "
           "--from-cluster)\n";
    return kExitBadInput;
  }
  const auto profile = loadProfileReporting(opts.profile, err);
  if (!profile) return kExitBadInput;
  auto local = readLocal(opts.sources, err);
  if (!local) return kExitBadInput;
  if (!local->errors.empty()) return printErrors(local->errors, err);
  if (!local->scenarios.empty()) {
    if (local->scenarios.size() == 1 && opts.sources.size() == 1 && !opts.from_cluster && opts.prometheus.empty()) {
      return reimport(opts, local->scenarios.front(), out, err);
    }
    err << fmt::format("meshtwin import: {} is a meshtwin/v1 scenario already; it cannot be combined with other "
                       "sources (import it on its own to rewrite it)\n",
                       local->scenarios.front().first);
    return kExitBadInput;
  }
  importer::ImportReport report;
  report.sources = opts.sources;
  if (opts.from_cluster) {
    if (auto code = readClusterSource(opts, local->objects, report, err)) return *code;
  }
  importer::Draft draft;
  for (const auto& [src, text] : local->isotope) {
    const auto errors = importer::readIsotope(text, src, draft, report);
    std::vector<importer::ReadError> as_read;
    for (const auto& e : errors) as_read.push_back({e.origin, e.object + ": " + e.message, e.hint});
    if (!as_read.empty()) return printErrors(as_read, err);
  }
  // Without traffic data the call graph comes from the variables that name Services.
  const auto env = opts.prometheus.empty() ? importer::environmentReferences(local->objects)
                                           : std::vector<importer::EnvReference>{};
  const auto map_errors = importer::mapObjects(std::move(local->objects), *profile, draft, report);
  if (!map_errors.empty()) return printErrors(map_errors, err);
  importer::callsFromEnvironment(env, draft, report);
  if (!opts.prometheus.empty()) {
    if (auto code = readPrometheusSource(opts, *profile, draft, report, err)) return *code;
  }
  importer::ImportOptions finish;
  finish.name = opts.name;
  finish.profile = opts.profile;
  finish.plan = opts.plan != "none";
  const auto result = importer::finishImport(std::move(draft), *profile, finish, report);
  return emit(opts, report, result, out, err);
}

Runner addImportCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = app.add_subcommand(
      "import",
      "Turn what a cluster already has into a meshtwin/v1 scenario: manifests (files, directories, '-'\n"
      "for stdin; Helm or Kustomize output; `kubectl get ... -o json|yaml` dumps), isotope topologies,\n"
      "the live API (--from-cluster, read-only) and Istio's metrics in Prometheus (--prometheus).\n"
      "The report says what was read per kind, what was skipped and why, and every assumption made;\n"
      "a meshtwin/v1 scenario given alone is written again unchanged (docs/import.md).");
  exitCodes(cmd, "0 imported, 2 bad input (file:line:col), 3 the cluster or Prometheus cannot be reached or refuses, "
                 "or a file cannot be written");
  cmd->add_option("SOURCES", o->sources, "Manifest files or directories, '-' for stdin, isotope YAML, or one meshtwin/v1 scenario");
  cmd->add_option("-o,--output", o->output, "Scenario file to write ('-': stdout, the report then goes to stderr)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the import report as JSON (models/schema/import-report.schema.json)");
  cmd->add_option("--report", o->report_file, "Also write the JSON import report to FILE");
  cmd->add_option("--name", o->name, "The scenario's name (default: imported)");
  cmd->add_option("--profile", o->profile, "Cost profile the scenario names (a shipped name or a file)")->capture_default_str();
  cmd->add_option("--plan", o->plan, "namespaces: a starting plan, one wave per namespace in call-graph order; none")
      ->check(CLI::IsMember({"namespaces", "none"}))
      ->capture_default_str();
  auto* live = cmd->add_flag("--from-cluster", o->from_cluster, "Read the objects from the live API (read-only: get, list)");
  cmd->add_option("--kubeconfig", o->kubeconfig, "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")->needs(live);
  cmd->add_option("--context", o->context, "Kubeconfig context (default: its current-context)")->needs(live);
  cmd->add_option("-n,--namespace", o->ns, "Read only this namespace (default: all namespaces)")->needs(live);
  auto* prom = cmd->add_option("--prometheus", o->prometheus, "Prometheus base URL with Istio's metrics, e.g. http://prometheus:9090");
  cmd->add_option("--window", o->window, "Time window of the traffic read from Prometheus")->needs(prom)->capture_default_str();
  cmd->add_option("--step", o->step, "Step of the entry-point load curve")->needs(prom)->capture_default_str();
  cmd->add_option("--at", o->at, "End of the window: RFC 3339 or unix seconds (default: now)")->needs(prom);
  cmd->add_option("--prometheus-token-file", o->prometheus_token_file, "Bearer token for Prometheus, read from FILE")->needs(prom);
  cmd->add_option("--prometheus-user", o->prometheus_user, "Basic-auth user for Prometheus")->needs(prom);
  cmd->add_option("--prometheus-password-file", o->prometheus_password_file, "Basic-auth password, read from FILE")->needs(prom);
  cmd->add_option("--measured-profile", o->measured_profile,
                  "Write the proxies' measured costs from Prometheus as a calibration profile to FILE")
      ->needs(prom);
  return runWhenParsed(cmd, o, runImport, out, err);
}

}  // namespace meshtwin::cli
