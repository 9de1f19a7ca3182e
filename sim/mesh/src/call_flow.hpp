// CallFlow: one call from a client over a hop path to the destination app and back.
// Internal to sim/mesh.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "meshtwin/models/routing.hpp"
#include "phase_sim.hpp"
#include "pool_table.hpp"
#include "station.hpp"

namespace meshtwin::sim::detail {

struct CallFlow final : StationClient {
  PhaseSim& ps;
  models::HopPath path;
  std::int64_t req_bytes = 0;
  std::int64_t resp_bytes = 0;
  std::int64_t started = 0;
  std::uint32_t edge = kEntryEdge;
  CallWaiter* waiter = nullptr;
  std::size_t pos = 0;  // index of the next hop to traverse
  // Per hop index: the pool a link uses (nullptr if none) and whether it opened a
  // connection. hopPath gives at most 7 hops (app, proxy, link, waypoint, link, proxy, app).
  static constexpr std::size_t kMaxHops = 8;
  std::array<Pool*, kMaxHops> pools{};
  std::array<bool, kMaxHops> new_connection{};
  std::size_t at_station = 0;  // the proxy station the flow waits on
  bool returning = false;      // the response is on its way back (backward())
  std::uint32_t src_epoch = 0, dst_epoch = 0;
  std::optional<std::size_t> deny_hop;  // the proxy that denies this request (RBAC)
  std::string deny_cause;

  CallFlow(PhaseSim& p, models::HopPath hp);

  // Enrolment of either end in ambient while the call was open resets its connection.
  bool wasReset() const;
  void fail(const std::string& cause);
  void releasePools();
  std::string failureOf(std::size_t st) const;
  // Forward: hop `pos` onward.
  void forward();
  // The proxy at `at_station` is done with the request (forward) or the response (back).
  void served(bool ok) override;
  void proceed();
  // Backward: from hop `pos` down to the client.
  void backward();
  std::int64_t linkDelay(std::size_t i, std::int64_t bytes, bool is_forward);
  // Before the request crosses link i: the proxy in front of it takes a pooled mTLS
  // connection to the next proxy, opening (and paying for) a new one when all are full.
  // Returns why the handshake failed, if it did.
  std::optional<std::string> openConnection(std::size_t i, std::int64_t& extra_delay_ns);

  models::ZoneId entry_zone = 0;
  models::Protocol protocol = models::Protocol::Http;
};

}  // namespace meshtwin::sim::detail
