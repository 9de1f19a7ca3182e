// The meshtwin app: every subcommand registered from its own file, parsed with CLI11, and the
// one parsed run; help, version and parse errors answered here.
#include "cli.hpp"
#include "deploy_command.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace meshtwin::cli {

namespace {

// The innermost parsed subcommand (`meshtwin ca issue --help`), or the app itself.
const CLI::App* innermostParsed(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands()) {
    while (!sub->get_subcommands().empty()) sub = sub->get_subcommands().front();
    return sub;
  }
  return &app;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "meshtwin: a digital twin for planning Istio sidecar -> ambient migrations.\n"
      "Describe a cluster and a migration plan in a scenario file (docs/scenario.md), or\n"
      "`import` one from manifests, a kubectl dump, the live API and Prometheus (docs/import.md);\n"
      "meshtwin checks it and predicts what every wave does to cost, latency and errors.\n"
      "For the embedded data plane it also keeps the mesh's CA (`ca`) and writes the\n"
      "control-plane snapshot the proxies run on (`snapshot`), and runs a scenario's data plane\n"
      "on this machine to measure it (`testbed`), fits the simulator's profile from it (`calibrate`)\n"
      "and publishes the simulator's error against it (`validate`). A validated plan is rendered to\n"
      "Kubernetes objects per wave (`render`) and rolled out behind gates (`deploy`, `rollback`).",
      "meshtwin"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("meshtwin ") + MESHTWIN_VERSION);
  exitCodes(&app, "0 success, 1 findings (a gate, a figure, a finding at --fail-on), 2 bad input, 3 a run failed; "
                  "each subcommand's --help says which it uses");

  const Runner runners[] = {
      addCheckCommand(app, out, err),     addSimulateCommand(app, out, err),  addCaCommands(app, out, err),
      addSnapshotCommand(app, out, err),  addTestbedCommands(app, out, err),  addCalibrateCommand(app, out, err),
      addValidateCommand(app, out, err),  addImportCommand(app, out, err),    addRenderCommand(app, out, err),
      addDeployCommands(app, out, err),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Subcommand help (`meshtwin check --help`) arrives here too, as a success.
    if (e.get_exit_code() == 0) {
      out << innermostParsed(app)->help();
      return kExitOk;
    }
    err << "meshtwin: " << e.what() << "\n" << "Run 'meshtwin --help' for usage.\n";
    return kExitBadInput;
  }
  for (const auto& r : runners) {
    if (auto rc = r()) return *rc;
  }
  return kExitBadInput;
}

}  // namespace meshtwin::cli
