// Connecting the subcommands that talk to a cluster (import, deploy, rollback): a kube::Client
// from --kubeconfig/--context and a Prometheus client configuration from the --prometheus flags,
// with the messages a person needs when either is wrong.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "meshtwin/kube/client.hpp"
#include "meshtwin/kube/prometheus.hpp"

namespace meshtwin::cli {

struct ClusterFlags {
  std::string kubeconfig, context, ns;
};
struct PrometheusFlags {
  std::string url, token_file, user, password_file;
};

// nullopt after printing why ("meshtwin CMD: kubeconfig: ..."): bad input. Warns on
// insecure-skip-tls-verify; the client's warnings go to `err`.
std::optional<kube::Client> connectCluster(const ClusterFlags& f, const std::string& cmd, std::ostream& err);

// nullopt after printing which file could not be read.
std::optional<kube::PrometheusConfig> prometheusConfig(const PrometheusFlags& f, const std::string& cmd, std::ostream& err);

}  // namespace meshtwin::cli
