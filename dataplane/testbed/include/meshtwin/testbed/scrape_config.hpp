// A Prometheus scrape configuration for a running testbed: one static target per proxy's metrics endpoint.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "meshtwin/testbed/testbed.hpp"

namespace meshtwin::testbed {

// One proxy's metrics endpoint and the labels a cluster's Prometheus would give its series
// (Kubernetes service discovery): the pod, its namespace, the istio-proxy container.
struct ScrapeTarget {
  std::string address;    // "ip:15020", reachable from the fabric namespace
  std::string namespace_; // the pod's namespace; "istio-system" for a ztunnel
  std::string pod;        // the pod's name; "ztunnel-<node>" for a ztunnel
  std::string node;       // the scenario's node
  std::string kind;       // sidecar | ztunnel | waypoint
};

// Pure: prometheus.yml with one job, metrics_path /stats/prometheus, a static_configs entry per
// target carrying its labels, scraped every `interval`.
std::string prometheusScrapeConfig(const std::vector<ScrapeTarget>& targets, std::chrono::seconds interval);

// The targets of the testbed's proxies as its state file records them now (ztunnels, sidecars,
// waypoints). The addresses live in the node namespaces: a Prometheus started in the fabric
// namespace (Layout::fabric_netns) reaches every one of them.
Result<std::vector<ScrapeTarget>> scrapeTargets(const TestbedOptions& o);

// scrapeTargets, then prometheusScrapeConfig written to `file`.
Result<std::vector<ScrapeTarget>> writeScrapeConfig(const TestbedOptions& o, const std::string& file,
                                                    std::chrono::seconds interval);

}  // namespace meshtwin::testbed
