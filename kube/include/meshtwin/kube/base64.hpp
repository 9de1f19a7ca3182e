// Base64 (RFC 4648, standard alphabet) for kubeconfig *-data fields, ExecCredential and
// basic auth.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshtwin::kube {

std::string base64Encode(std::string_view bytes);
// Ignores whitespace (kubeconfigs wrap long values); nullopt on any other non-alphabet byte.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace meshtwin::kube
