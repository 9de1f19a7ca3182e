// The RBAC decision cache's key, looked up with string views. Internal to sim/mesh.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::sim::detail {

// The RBAC decision cache's key: client workload and mode (-1: an entry request),
// destination workload and mode, waypoint (-1: none), service, method and path. Looked up
// on every call with string views (no string is built); stored with its own strings.
struct AuthzKeyView {
  std::int64_t src_workload = -1;
  int src_mode = 0;
  std::size_t dst_workload = 0;
  int dst_mode = 0;
  std::int64_t waypoint = -1;
  models::ServiceId service = 0;
  std::string_view method, path;
  bool operator==(const AuthzKeyView&) const = default;
};
struct AuthzKey {
  AuthzKeyView ids;  // method and path unset: they are the strings below
  std::string method, path;
  [[nodiscard]] AuthzKeyView view() const {
    AuthzKeyView v = ids;
    v.method = method;
    v.path = path;
    return v;
  }
};
struct AuthzKeyHash {
  using is_transparent = void;
  std::size_t operator()(const AuthzKeyView& k) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(k.method) * 31 + std::hash<std::string_view>{}(k.path);
    for (const auto x : {static_cast<std::uint64_t>(k.src_workload), static_cast<std::uint64_t>(k.src_mode),
                         static_cast<std::uint64_t>(k.dst_workload), static_cast<std::uint64_t>(k.dst_mode),
                         static_cast<std::uint64_t>(k.waypoint), static_cast<std::uint64_t>(k.service)})
      h = (h ^ static_cast<std::size_t>(x)) * 0x100000001b3ULL + (h >> 17);
    return h;
  }
  std::size_t operator()(const AuthzKey& k) const noexcept { return (*this)(k.view()); }
};
struct AuthzKeyEq {
  using is_transparent = void;
  bool operator()(const AuthzKey& a, const AuthzKey& b) const { return a.view() == b.view(); }
  bool operator()(const AuthzKeyView& a, const AuthzKey& b) const { return a == b.view(); }
  bool operator()(const AuthzKey& a, const AuthzKeyView& b) const { return a.view() == b; }
};

}  // namespace meshtwin::sim::detail
