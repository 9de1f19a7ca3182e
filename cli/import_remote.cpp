// `meshtwin import`'s remote sources: the live API (--from-cluster) through kube::Client and
// Istio's metrics (--prometheus) through kube::PrometheusClient, each handed to an importer/
// reader; client errors become exit 3, bad flags and unusable answers exit 2.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "cluster_access.hpp"
#include "import_command.hpp"
#include "meshtwin/importer/cluster.hpp"
#include "meshtwin/importer/prometheus.hpp"
#include "meshtwin/kube/client.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::cli {

namespace {

// --at: unix seconds, or RFC 3339 in UTC ("2026-12-03T10:00:00Z"); "" is now.
std::optional<std::int64_t> parseAt(const std::string& at) {
  using std::chrono::system_clock;
  if (at.empty()) return std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch()).count();
  char* end = nullptr;
  const auto secs = std::strtoll(at.c_str(), &end, 10);
  if (end != at.c_str() && *end == '\0') return secs;
  std::tm tm{};
  std::istringstream in(at);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  std::string rest;
  in >> rest;
  if (!rest.empty() && rest != "Z") return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<importer::TrafficWindow> trafficWindow(const ImportOptions& o, std::ostream& err) {
  importer::TrafficWindow w;
  w.url = o.prometheus;
  const auto window = models::parseDurationNs(o.window);
  const auto step = models::parseDurationNs(o.step);
  const auto at = parseAt(o.at);
  if (!window.ok() || window.value() < 60'000'000'000) {
    err << fmt::format("meshtwin import: --window {}: must be a duration of 1m or more, e.g. 1h\n", o.window);
    return std::nullopt;
  }
  if (!step.ok() || step.value() < 1'000'000'000 || step.value() > window.value()) {
    err << fmt::format("meshtwin import: --step {}: must be a duration from 1s to the window, e.g. 1m\n", o.step);
    return std::nullopt;
  }
  if (!at) {
    err << fmt::format("meshtwin import: --at {}: use unix seconds or RFC 3339 in UTC, e.g. 2026-12-03T10:00:00Z\n", o.at);
    return std::nullopt;
  }
  w.window_ns = window.value();
  w.step_ns = step.value();
  w.eval_unix_s = *at;
  return w;
}

// 401 and 403 are the caller's rights, not the cluster's health: say what would grant them.
void explainRefusal(const kube::Error& e, std::ostream& err) {
  if (e.status == 403) {
    err << "meshtwin import: the import needs get and list on these resources; a ClusterRole that grants them "
           "(bind it to the user or service account of the kubeconfig):\n"
        << importer::importClusterRole();
  } else if (e.status == 401) {
    err << "meshtwin import: the API did not accept the kubeconfig's credentials (expired token or certificate?)\n";
  }
}

}  // namespace

std::optional<int> readClusterSource(const ImportOptions& opts, std::vector<importer::Object>& objects,
                                     importer::ImportReport& report, std::ostream& err) {
  const auto client = connectCluster(ClusterFlags{opts.kubeconfig, opts.context, opts.ns}, "import", err);
  if (!client) return kExitBadInput;
  const auto* access = &client->access();
  err << fmt::format("meshtwin import: reading {} of context {} ({})\n", opts.ns.empty() ? "all namespaces" : "namespace " + opts.ns,
                     access->context, access->server);
  const auto read = importer::readCluster(*client, opts.ns, [&err](const std::string& line) {
    err << "meshtwin import:   " << line << "\n";
  });
  if (!read) {
    err << "meshtwin import: " << kube::format(read.error()) << "\n";
    explainRefusal(read.error(), err);
    return read.error().kind == kube::Error::Kind::Config ? kExitBadInput : kExitRunFailed;
  }
  for (const auto& n : read->notes) report.assume("cluster " + access->context, n);
  report.sources.push_back(fmt::format("cluster {} ({}), {}", access->context, access->server,
                                       opts.ns.empty() ? "all namespaces" : "namespace " + opts.ns));
  objects.insert(objects.end(), read->objects.begin(), read->objects.end());
  return std::nullopt;
}

std::optional<int> readPrometheusSource(const ImportOptions& opts, const models::Profile& profile,
                                        importer::Draft& draft, importer::ImportReport& report, std::ostream& err) {
  const auto window = trafficWindow(opts, err);
  if (!window) return kExitBadInput;
  const auto config =
      prometheusConfig(PrometheusFlags{opts.prometheus, opts.prometheus_token_file, opts.prometheus_user, opts.prometheus_password_file},
                       "import", err);
  if (!config) return kExitBadInput;
  const kube::PrometheusClient client(*config);
  err << fmt::format("meshtwin import: reading {} of Istio metrics from {}\n", opts.window, opts.prometheus);
  const auto traffic = importer::fetchTraffic(*window, importer::queryThrough(client));
  if (!traffic) {
    if (traffic.isClientError()) {
      const auto& e = traffic.clientError();
      err << "meshtwin import: Prometheus: " << kube::format(e) << "\n";
      // Prometheus refused the query itself (400 bad_data, 422 execution): the input is wrong,
      // not the server; anything else (unreachable, 401/403, 5xx, timeouts) is exit 3.
      const bool query_refused = e.kind == kube::Error::Kind::Http && (e.status == 400 || e.status == 422);
      return query_refused ? kExitBadInput : kExitRunFailed;
    }
    err << "meshtwin import: " << importer::format(traffic.readError()) << "\n";
    return kExitBadInput;
  }
  for (const auto& w : traffic->warnings) err << "meshtwin import: warning: " << w << "\n";
  report.sources.push_back(fmt::format("Prometheus {} ({} to {}, step {})", opts.prometheus, opts.window,
                                       traffic->evaluated_at, opts.step));
  draft.header.push_back(fmt::format("Traffic: Prometheus {}, the {} before {}, step {}.", opts.prometheus,
                                     opts.window, traffic->evaluated_at, opts.step));
  importer::applyTraffic(*traffic, draft, report);
  if (!opts.measured_profile.empty()) {
    std::ofstream f(opts.measured_profile);
    f << importer::measuredProfileYaml(*traffic, profile);
    if (!f) {
      err << fmt::format("meshtwin import: cannot write {}\n", opts.measured_profile);
      return kExitRunFailed;
    }
    err << fmt::format("meshtwin import: wrote the measured proxy costs to {}\n", opts.measured_profile);
  }
  return std::nullopt;
}

}  // namespace meshtwin::cli
