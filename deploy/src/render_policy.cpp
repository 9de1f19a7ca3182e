// Istio policies as JSON objects, by way of models::writeScenarioYaml so the shape of an
// AuthorizationPolicy or PeerAuthentication is written in one place only (models/).
#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "meshtwin/models/scenario_writer.hpp"
#include "render_internal.hpp"

namespace meshtwin::deploy::detail {
namespace {

// Every scalar stays a string: Istio's policy fields (ports too) are strings.
nlohmann::json toJson(const YAML::Node& n) {
  if (n.IsMap()) {
    auto j = nlohmann::json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = toJson(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    auto j = nlohmann::json::array();
    for (const auto& x : n) j.push_back(toJson(x));
    return j;
  }
  if (n.IsScalar()) return n.as<std::string>();
  return nullptr;
}

// A scenario holding nothing but this one policy, written and read back.
nlohmann::json onlyPolicy(const models::Scenario& s) {
  const auto root = YAML::Load(models::writeScenarioYaml(s));
  const auto list = root["mesh"]["policies"];
  if (!list || !list.IsSequence() || list.size() != 1) throw std::logic_error("scenario writer wrote no single policy");
  return toJson(list[0]);
}

}  // namespace

nlohmann::json authzPolicyJson(const models::AuthorizationPolicy& p) {
  models::Scenario only;
  only.authz_policies = {p};
  only.authz_initial = {true};
  return onlyPolicy(only);
}

nlohmann::json peerAuthnJson(const models::PeerAuthentication& pa) {
  models::Scenario only;
  only.peer_authns = {pa};
  only.peer_authn_initial = {true};
  return onlyPolicy(only);
}

}  // namespace meshtwin::deploy::detail
