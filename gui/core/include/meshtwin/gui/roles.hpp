// Item-data roles and object keys the gui models share, so a selection in one view (tree,
// topology, findings) can be found in another.
#pragma once

#include <Qt>
#include <string>

namespace meshtwin::gui {

enum Role : int {
  // "zone:eu-west-1a", "node:general-eu-west-1a-0", "pod:frontend-0", "workload:shop/frontend",
  // "waypoint:checkout/checkout-waypoint", "service:shop/cart", "namespace:shop"
  ObjectKeyRole = Qt::UserRole + 1,
  KindRole,       // what a row is: "wave", "change", "gate", "namespace", "workload", ...
  WaveRole,       // index of the wave a plan row belongs to
  IndexRole,      // index of a change or gate inside its wave
  LineRole,       // 1-based source line of a diagnostic
  ColumnRole,     // 1-based source column of a diagnostic
  HighlightRole,  // bool: a compare cell that differs between the plans
};

// The object key of a finding's object ("workload shop/cart" -> "workload:shop/cart"); a
// policy's findings select its namespace.
inline std::string objectKeyOfFinding(const std::string& object) {
  const auto space = object.find(' ');
  if (space == std::string::npos) return {};
  const auto kind = object.substr(0, space);
  const auto name = object.substr(space + 1);
  if (kind == "workload" || kind == "waypoint" || kind == "service" || kind == "namespace") return kind + ":" + name;
  if (kind == "AuthorizationPolicy" || kind == "PeerAuthentication") return "namespace:" + name.substr(0, name.find('/'));
  return {};
}

}  // namespace meshtwin::gui
