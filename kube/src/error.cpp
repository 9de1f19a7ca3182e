// Printing the cluster clients' errors.
#include "meshtwin/kube/error.hpp"

namespace meshtwin::kube {

std::string format(const Error& e) {
  std::string out = e.verb.empty() ? e.url : e.verb + " " + e.url;
  if (e.status != 0) out += ": " + std::to_string(e.status) + (e.reason.empty() ? "" : " " + e.reason);
  else if (!e.reason.empty()) out += ": " + e.reason;
  if (!e.message.empty()) out += ": " + e.message;
  if (!e.hint.empty()) out += " (" + e.hint + ")";
  return out;
}

}  // namespace meshtwin::kube
