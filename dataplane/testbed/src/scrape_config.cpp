// The Prometheus scrape configuration of a running testbed: a static target per proxy's metrics port.
#include "meshtwin/testbed/scrape_config.hpp"

#include <fmt/format.h>

#include "context.hpp"
#include "meshtwin/dataplane/identity_files.hpp"

namespace meshtwin::testbed {

namespace {

// A YAML double-quoted scalar (label values are names and addresses; quotes and backslashes escaped).
std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string prometheusScrapeConfig(const std::vector<ScrapeTarget>& targets, std::chrono::seconds interval) {
  const auto s = interval.count() > 0 ? interval.count() : 1;
  std::string out = fmt::format(
      "# The testbed's proxies, as a cluster's Prometheus scrapes Istio's istio-proxy containers.\n"
      "global:\n  scrape_interval: {0}s\n  scrape_timeout: {0}s\n  evaluation_interval: {0}s\n"
      "scrape_configs:\n  - job_name: meshtwin-testbed\n    metrics_path: /stats/prometheus\n"
      "    honor_labels: true\n"
      // No cAdvisor here: a proxy's own process figures, where it exports them, stand for its
      // container's, under the names the import queries.
      "    metric_relabel_configs:\n"
      "      - {{source_labels: [__name__], regex: process_resident_memory_bytes, target_label: __name__, "
      "replacement: container_memory_working_set_bytes}}\n"
      "      - {{source_labels: [__name__], regex: process_cpu_seconds_total, target_label: __name__, "
      "replacement: container_cpu_usage_seconds_total}}\n"
      "    static_configs:\n",
      s);
  for (const auto& t : targets) {
    out += fmt::format(
        "      - targets: [{}]\n        labels: {{namespace: {}, pod: {}, container: \"istio-proxy\", node: {}, "
        "proxy_kind: {}}}\n",
        quoted(t.address), quoted(t.namespace_), quoted(t.pod), quoted(t.node), quoted(t.kind));
  }
  if (targets.empty()) out += "      []\n";
  return out;
}

Result<std::vector<ScrapeTarget>> scrapeTargets(const TestbedOptions& o) {
  auto ctx = detail::openTestbed(o);
  if (!ctx) return ctx.error();
  const auto& c = ctx.value();
  std::vector<ScrapeTarget> out;
  for (const auto& p : c.state.processes) {
    const auto& node = c.layout.nodes.at(p.node).name;
    const auto port = std::to_string(kMetricsPort);
    if (p.role == "ztunnel") {
      out.push_back({c.layout.nodes[p.node].node_ip + ":" + port, "istio-system", "ztunnel-" + node, node, p.role});
    } else if (p.role == "sidecar" || p.role == "waypoint") {
      auto pod = c.pod(p.pod);
      if (!pod) return pod.error();
      const auto slash = p.pod.find('/');
      out.push_back({c.layout.pod_ip[pod.value()] + ":" + port, p.pod.substr(0, slash), p.pod.substr(slash + 1), node,
                     p.role});
    }
  }
  return out;
}

Result<std::vector<ScrapeTarget>> writeScrapeConfig(const TestbedOptions& o, const std::string& file,
                                                    std::chrono::seconds interval) {
  auto targets = scrapeTargets(o);
  if (!targets) return targets.error();
  if (auto w = dataplane::writeFileAtomically(file, prometheusScrapeConfig(targets.value(), interval)); !w) return w.error();
  return targets;
}

}  // namespace meshtwin::testbed
