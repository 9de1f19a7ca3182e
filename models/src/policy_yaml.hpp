// Parsing of Istio security resources (AuthorizationPolicy, PeerAuthentication) written in
// Istio's own YAML shape inside a scenario. Internal to models/.
#pragma once

#include <optional>
#include <variant>

#include "meshtwin/models/policy.hpp"
#include "yaml_reader.hpp"

namespace meshtwin::models::detail {

using IstioResource = std::variant<AuthorizationPolicy, PeerAuthentication>;

// Parses one resource; nullopt (with diagnostics) when it is malformed.
std::optional<IstioResource> parseIstioResource(YamlReader& r, const YAML::Node& n);
std::optional<std::vector<TargetRef>> parseTargetRefs(YamlReader& r, const YAML::Node& list, const std::string& object);

}  // namespace meshtwin::models::detail
