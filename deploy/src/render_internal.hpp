// Internal to deploy/'s rendering: the objects meshtwin wants in the cluster at one phase of
// a plan, before the plan and wave labels are added. Waves are diffs of consecutive phases.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::deploy::detail {

struct DesiredObject {
  nlohmann::json body;  // without meshtwin's labels
  std::string file;
  // Owned objects are created and deleted by meshtwin; the others (Namespace, Deployment,
  // Service) exist without it and only carry fields it applies.
  bool owned = false;
};
// Keyed by "<apply order>/<kind>/<namespace>/<name>", so iteration is apply order.
using DesiredSet = std::map<std::string, DesiredObject>;

// One set per phase: baseline (the cluster as the scenario describes it), then after each wave.
std::vector<DesiredSet> desiredPhases(const models::Scenario& s);

// Istio's YAML shape of a policy as models/ writes it (writeScenarioYaml), as JSON.
nlohmann::json authzPolicyJson(const models::AuthorizationPolicy& p);
nlohmann::json peerAuthnJson(const models::PeerAuthentication& pa);

// The scenario's labelPolicy as a Kyverno ClusterPolicy at `phase` (render_label_policy.cpp):
// none before the first wave or without a labelPolicy.
extern const char* const kLabelPolicyName;
std::optional<nlohmann::json> labelPolicyJson(const models::Scenario& s, std::size_t phase);

}  // namespace meshtwin::deploy::detail
