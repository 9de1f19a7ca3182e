// The scenario's label contract as a Kyverno ClusterPolicy (kyverno.io/v1): every pod of the
// scenario's namespaces must carry the labels cost allocation aggregates by. It is in the
// cluster from the first wave on, with the action the scenario gives for the migration, and
// switches to the action for after the last wave in that wave.
#include <fmt/format.h>

#include "render_internal.hpp"

namespace meshtwin::deploy::detail {

const char* const kLabelPolicyName = "meshtwin-required-labels";

std::optional<nlohmann::json> labelPolicyJson(const models::Scenario& s, std::size_t phase) {
  if (!s.label_policy || phase == 0) return std::nullopt;
  const auto& lp = *s.label_policy;
  const bool last = phase == s.plan.waves.size();
  const auto action = models::toString(last ? lp.after : lp.during);
  nlohmann::json labels = nlohmann::json::object();
  std::string names;
  for (const auto& key : lp.required) {
    labels[key] = "?*";  // Kyverno's pattern for "present and not empty"
    names += (names.empty() ? "" : ", ") + key;
  }
  auto namespaces = nlohmann::json::array();
  for (const auto& ns : s.namespaces) namespaces.push_back(ns);
  nlohmann::json body{
      {"apiVersion", "kyverno.io/v1"},
      {"kind", "ClusterPolicy"},
      {"metadata",
       {{"name", kLabelPolicyName},
        {"annotations",
         {{"policies.kyverno.io/title", "Require cost-allocation labels"},
          {"policies.kyverno.io/category", "Cost"},
          {"policies.kyverno.io/severity", "medium"},
          {"policies.kyverno.io/subject", "Pod"},
          {"policies.kyverno.io/description",
           fmt::format("Cost allocation by label (OpenCost) needs {} on every pod; pods without them land in "
                       "__unallocated__. {} while plan {} rolls out, {} after its last wave.",
                       names, models::toString(lp.during), s.plan.name, models::toString(lp.after))}}}}},
      {"spec",
       {{"background", true},
        {"rules",
         {{{"name", "require-cost-labels"},
           {"match", {{"any", {{{"resources", {{"kinds", {"Pod"}}, {"namespaces", namespaces}}}}}}}},
           {"validate",
            {{"failureAction", action},
             {"message", fmt::format("The label(s) {} are required: cost reports allocate by them.", names)},
             {"pattern", {{"metadata", {{"labels", labels}}}}}}}}}}}}};
  return body;
}

}  // namespace meshtwin::deploy::detail
