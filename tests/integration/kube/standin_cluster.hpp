// Shared set-up of the kube/ integration tests: a stand-in API server with a few resource
// types, objects with managedFields, and client options that record warnings and sleeps.
#pragma once

#include <algorithm>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "../../support/kube_standin.hpp"
#include "meshtwin/kube/client.hpp"

namespace meshtwin::test {

inline const kube::ResourceType kPods{"", "v1", "pods", "Pod", true};
inline const kube::ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const kube::ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const kube::ResourceType kVirtualServices{"networking.istio.io", "v1", "virtualservices", "VirtualService", true};
inline const kube::ResourceType kGateways{"gateway.networking.k8s.io", "v1", "gateways", "Gateway", true};
inline const kube::ResourceType kAccessReviews{"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false};

// A Deployment as meshtwin would apply it (no status, no managedFields).
inline nlohmann::json deploymentObject(const std::string& ns, const std::string& name, int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", name}}}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", name}, {"image", "registry.example/" + name + ":1.0"}}}}}}}}}}};
}

// The managedFields entry `kubectl apply` (client-side) leaves: an Update owning these fields.
inline nlohmann::json kubectlEntry(const nlohmann::json& fields_v1) {
  return {{"manager", "kubectl-client-side-apply"}, {"operation", "Update"}, {"apiVersion", "apps/v1"},
          {"fieldsType", "FieldsV1"}, {"fieldsV1", fields_v1}};
}

inline nlohmann::json podObject(const std::string& ns, const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"labels", {{"app", app}}},
            {"managedFields",
             {{{"manager", "kube-controller-manager"},
               {"operation", "Update"},
               {"apiVersion", "v1"},
               {"fieldsType", "FieldsV1"},
               {"fieldsV1", {{"f:metadata", {{"f:labels", {{"f:app", nlohmann::json::object()}}}}}}}}}}}},
          {"spec", {{"containers", {{{"name", "app"}, {"image", "registry.example/" + app + ":1.0"}}}}}}};
}

struct StandinCluster {
  TestPki pki = makeTestPki();
  KubeApiStandin api{pki};

  StandinCluster() {
    api.addResource("v1", "pods", "Pod", true);
    api.addResource("v1", "namespaces", "Namespace", false);
    api.addResource("apps/v1", "deployments", "Deployment", true);
    api.addResource("networking.istio.io/v1", "virtualservices", "VirtualService", true);
  }

  // n pods spread over namespaces shop, pay, ops.
  void addPods(int n) {
    const char* spaces[] = {"shop", "pay", "ops"};
    for (int i = 0; i < n; ++i) {
      const std::string ns = spaces[i % 3];
      api.addObject("pods", podObject(ns, "pod-" + std::to_string(i), i % 2 == 0 ? "web" : "worker"));
    }
  }

  [[nodiscard]] kube::ClusterAccess access(const std::string& token = "") const {
    kube::ClusterAccess a;
    a.context = "stand-in";
    a.cluster = "stand-in";
    a.server = api.url();
    a.ca_pem = pki.ca_pem;
    a.token = token;
    return a;
  }
};

// Client options that record what the client says and how long it would wait, and sleep
// for real only briefly.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> warnings;
  std::vector<std::chrono::milliseconds> sleeps;

  kube::ClientOptions options() {
    kube::ClientOptions o;
    o.timeout = std::chrono::seconds(10);
    o.retry.initial_backoff = std::chrono::milliseconds(20);
    o.retry.max_backoff = std::chrono::seconds(2);
    o.retry.max_total = std::chrono::seconds(20);
    o.warn = [this](const std::string& m) {
      std::lock_guard lock(mu);
      warnings.push_back(m);
    };
    o.clock.sleep = [this](std::chrono::milliseconds d) {
      {
        std::lock_guard lock(mu);
        sleeps.push_back(d);
      }
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d, std::chrono::milliseconds(100)));
    };
    return o;
  }
  [[nodiscard]] bool warned(const std::string& part) {
    std::lock_guard lock(mu);
    return std::any_of(warnings.begin(), warnings.end(), [&](const auto& w) { return w.find(part) != std::string::npos; });
  }
};

inline int countSeen(const KubeApiStandin& api, const std::string& part) {
  const auto seen = api.seen();
  return static_cast<int>(std::count_if(seen.begin(), seen.end(), [&](const auto& s) { return s.target.find(part) != std::string::npos; }));
}

}  // namespace meshtwin::test
