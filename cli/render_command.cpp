// `meshtwin render`: a scenario's plan as per-wave kustomize directories of Kubernetes, Istio
// and Gateway API objects (deploy/'s renderer), one line per wave written.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>

#include "cli.hpp"
#include "meshtwin/deploy/render.hpp"
#include "meshtwin/deploy/schemas.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::cli {
namespace {

// Every object of `w` against `set`: one line per error, "wave file object path: message".
std::size_t reportSchemaErrors(const deploy::SchemaSet& set, const deploy::RenderedWave& w, std::ostream& err) {
  std::size_t n = 0;
  for (const auto& o : w.objects) {
    for (const auto& e : set.validate(o.body)) {
      err << fmt::format("{}/{}: {}: {}: {}\n", deploy::waveDirName(w), o.file, e.object, e.path, e.message);
      ++n;
    }
  }
  return n;
}

}  // namespace

int runRender(const RenderOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin render: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  const auto& s = *loaded.scenario;
  std::vector<deploy::RenderedWave> waves;
  if (!opts.wave.empty()) {
    const auto k = findWave(s.plan, opts.wave);
    if (!k) {
      err << fmt::format("meshtwin render: no wave {} in plan {} (waves: {})\n", opts.wave, s.plan.name,
                         waveList(s.plan));
      return kExitBadInput;
    }
    waves.push_back(deploy::renderWave(s, *k));
  } else {
    waves = deploy::renderPlan(s);
  }
  std::optional<deploy::SchemaSet> schemas;
  if (!opts.schemas.empty()) {
    auto set = deploy::SchemaSet::load(opts.schemas);
    if (!set) {
      err << "meshtwin render: --schemas: " << deploy::format(set.error()) << "\n";
      return kExitBadInput;
    }
    schemas = std::move(*set);
  }
  std::size_t invalid = 0;
  for (const auto& w : waves) {
    if (schemas) invalid += reportSchemaErrors(*schemas, w, err);
    try {
      const auto dir = deploy::writeWave(w, opts.out_dir);
      out << fmt::format("{}  {} object(s){}\n", dir.string(), w.objects.size(),
                         w.deletions.empty() && w.label_removals.empty()
                             ? ""
                             : fmt::format(", {} deletion(s), {} label removal(s)", w.deletions.size(),
                                           w.label_removals.size()));
    } catch (const std::exception& e) {
      err << "meshtwin render: " << e.what() << "\n";
      return kExitRunFailed;
    }
  }
  if (invalid > 0) {
    err << fmt::format("meshtwin render: {} schema error(s) against {} (the files are written, to be looked at)\n",
                       invalid, opts.schemas);
    return kExitFindings;
  }
  return kExitOk;
}

Runner addRenderCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto o = std::make_shared<RenderOptions>();
  auto* cmd = app.add_subcommand("render", "Render the plan's waves as kustomize directories of Kubernetes objects.");
  exitCodes(cmd, "0 rendered, 1 an object does not match --schemas, 2 bad input (the scenario, --wave, --schemas), "
                 "3 a file could not be written");
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (meshtwin/v1 YAML), e.g. scenarios/default.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  auto* wave = cmd->add_option("--wave", o->wave, "One wave: its number (1-based) or its name");
  cmd->add_flag("--all", o->all, "Every wave (the default)")->excludes(wave);
  cmd->add_option("-o,--output-dir", o->out_dir, "Directory to write NN-<wave>/ directories into")->required();
  cmd->add_option("--schemas", o->schemas,
                  "Validate every object against the schemas in DIR: CRD YAML (Istio, Gateway API) and Kubernetes "
                  "OpenAPI v3 JSON, e.g. tests/data/schemas")
      ->check(CLI::ExistingDirectory);
  return runWhenParsed(cmd, o, runRender, out, err);
}

}  // namespace meshtwin::cli
