// `meshtwin ca init` and `meshtwin ca issue`: a CA directory, and a node's identity directory
// with the certificates of the service accounts that have a pod on that node.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <vector>

#include "cli.hpp"
#include "meshtwin/dataplane/identity_files.hpp"
#include "meshtwin/dataplane/tls.hpp"
#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/loader.hpp"

namespace meshtwin::cli {

namespace fs = std::filesystem;
using dataplane::Error;

namespace {

int fail(std::ostream& err, const char* command, const Error& e) {
  err << "meshtwin " << command << ": " << e.text() << "\n";
  return kExitBadInput;
}

}  // namespace

int runCaInit(const CaInitOptions& opts, std::ostream& out, std::ostream& err) {
  const auto key_path = fs::path(opts.dir) / dataplane::kRootKeyFile;
  std::error_code ec;
  if (!opts.force && fs::exists(key_path, ec)) {
    return fail(err, "ca init",
                Error{"create CA", opts.dir, "it already holds a root key",
                      "every identity issued from it would stop verifying; pass --force to replace it"});
  }
  dataplane::CaOptions ca_opts;
  ca_opts.trust_domain = opts.trust_domain;
  auto ca = dataplane::CertificateAuthority::create(ca_opts, dataplane::systemNow());
  if (!ca) return fail(err, "ca init", ca.error());
  if (auto r = dataplane::writeCaDir(opts.dir, ca.value()); !r) return fail(err, "ca init", r.error());
  out << fmt::format("CA root written: {} (certificate), {} (key, mode 0600); valid until {}\n",
                     (fs::path(opts.dir) / dataplane::kRootCertFile).string(), key_path.string(),
                     dataplane::formatUtc(ca->root().notAfter()));
  return kExitOk;
}

int runCaIssue(const CaIssueOptions& opts, std::ostream& out, std::ostream& err) {
  const auto loaded = models::loadScenarioFile(opts.scenario);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.items()) err << models::format(d) << "\n";
    err << fmt::format("meshtwin ca issue: {} error(s) in {}\n", loaded.diagnostics.size(), opts.scenario);
    return kExitBadInput;
  }
  const auto& scenario = *loaded.scenario;
  std::vector<std::string> nodes;
  for (const auto& n : scenario.nodes) nodes.push_back(n.name);
  if (std::find(nodes.begin(), nodes.end(), opts.node) == nodes.end()) {
    return fail(err, "ca issue",
                Error{"issue certificates", "node " + opts.node, "the scenario " + opts.scenario + " has no such node",
                      models::suggestionHint(opts.node, nodes, "nodes")});
  }
  dataplane::CaOptions ca_opts;
  ca_opts.trust_domain = opts.trust_domain;
  auto ca = dataplane::readCaDir(opts.ca_dir, ca_opts);
  if (!ca) return fail(err, "ca issue", ca.error());
  ca->setNodeWorkloads(scenario);
  const auto by_node = dataplane::serviceAccountsByNode(scenario);
  const auto now = dataplane::systemNow();
  std::vector<dataplane::IssuedCertificate> issued;
  if (auto it = by_node.find(opts.node); it != by_node.end()) {
    for (const auto& sa : it->second) {
      auto c = ca->issue(opts.node, sa, now);
      if (!c) return fail(err, "ca issue", c.error());
      issued.push_back(std::move(c).value());
    }
  }
  if (auto r = dataplane::writeIdentityDir(opts.out_dir, ca->root(), issued); !r) return fail(err, "ca issue", r.error());
  out << fmt::format("{} certificate(s) for node {} written to {}:\n", issued.size(), opts.node, opts.out_dir);
  for (const auto& c : issued) {
    const auto& sa = c.identity.service_account;
    out << fmt::format("  {}/{}.crt  {}  until {}\n", sa.ns, sa.name, c.identity.uri(),
                       dataplane::formatUtc(c.certificate.notAfter()));
  }
  if (issued.empty()) out << "  (no workload pod is placed on this node; only root.pem was written)\n";
  return kExitOk;
}

Runner addCaCommands(CLI::App& app, std::ostream& out, std::ostream& err) {
  auto* ca = app.add_subcommand("ca", "The mesh's certificate authority for the embedded data plane (dataplane/ca).");
  ca->require_subcommand(1);
  auto init = std::make_shared<CaInitOptions>();
  auto* init_cmd = ca->add_subcommand(
      "init", "Create a CA: an ECDSA P-256 root, written as DIR/root.pem (certificate) and DIR/root.key (0600).\n"
              "Refuses to replace an existing root key unless --force.");
  exitCodes(init_cmd, "0 created, 2 not created (bad input, a root already there without --force, a write failed)");
  init_cmd->add_option("DIR", init->dir, "Directory for the CA's files (created if missing)")->required();
  init_cmd->add_option("--trust-domain", init->trust_domain, "SPIFFE trust domain")->capture_default_str();
  init_cmd->add_flag("--force", init->force, "Replace an existing root (every issued identity stops verifying)");
  auto issue = std::make_shared<CaIssueOptions>();
  auto* issue_cmd = ca->add_subcommand(
      "issue",
      "Node-bound issuance: a node's proxy gets certificates only for the service accounts that have a\n"
      "pod placed on that node in the scenario. Writes OUT/root.pem and OUT/<ns>/<sa>.crt + .key (0600),\n"
      "each file replaced atomically, so a running proxy picks up the new certificates on reload (rotation).");
  exitCodes(issue_cmd, "0 issued, 2 not issued (bad input, an unreadable CA, a write failed)");
  issue_cmd->add_option("SCENARIO", issue->scenario, "Scenario file (meshtwin/v1 YAML)")->required()->check(CLI::ExistingFile);
  // No existence check: a missing CA directory gets ca issue's own message, which names `ca init`.
  issue_cmd->add_option("--ca", issue->ca_dir, "CA directory written by `meshtwin ca init`")->required();
  issue_cmd->add_option("--node", issue->node, "The scenario's node, e.g. p-a-0")->required();
  issue_cmd->add_option("--out", issue->out_dir, "Identity directory for the node's proxy")->required();
  issue_cmd->add_option("--trust-domain", issue->trust_domain, "SPIFFE trust domain")->capture_default_str();
  return [init_cmd, issue_cmd, init, issue, &out, &err]() -> std::optional<int> {
    if (init_cmd->parsed()) return runCaInit(*init, out, err);
    if (issue_cmd->parsed()) return runCaIssue(*issue, out, err);
    return std::nullopt;
  };
}

}  // namespace meshtwin::cli
