// ns-3 driven the way utils/bench-scheduler.cc does: SetScheduler(ObjectFactory(type)),
// Simulator::Schedule(NanoSeconds(d), &handler), Simulator::Run; the n-th handled event
// calls Simulator::Stop() (and still reschedules, so the population stays constant).
// Built as C++17: see engine_hold_ns3.hpp.
#include "engine_hold_ns3.hpp"

#include <memory>
#include <stdexcept>

#include <ns3/core-module.h>

#include "hold_common.hpp"

namespace meshtwin::bench {
namespace {

// ns-3's simulator is a singleton, so the handler is a free function over file-scope
// state (bench-scheduler uses a member function of its one Bench object).
std::unique_ptr<engine::RngStream> g_rng;
std::uint64_t g_left = 0;

void handler() {
  if (--g_left == 0) ns3::Simulator::Stop();
  ns3::Simulator::Schedule(ns3::NanoSeconds(static_cast<std::uint64_t>(drawDelay(*g_rng))), &handler);
}

}  // namespace

Ns3Hold::Ns3Hold(const std::string& scheduler, std::uint64_t pending, std::uint64_t seed) : pending_(pending) {
  if (g_rng) throw std::logic_error("one Ns3Hold at a time");
  g_rng = std::make_unique<engine::RngStream>(makeRng(seed, pending));
  ns3::Simulator::SetScheduler(ns3::ObjectFactory(scheduler));
  for (std::uint64_t i = 0; i < pending; ++i) {
    ns3::Simulator::Schedule(ns3::NanoSeconds(static_cast<std::uint64_t>(drawDelay(*g_rng))), &handler);
  }
}

Ns3Hold::~Ns3Hold() {
  ns3::Simulator::Destroy();
  g_rng.reset();
}

std::int64_t Ns3Hold::run(std::uint64_t n) {
  g_left = n;
  ns3::Simulator::Run();
  if (g_left != 0) throw std::runtime_error("ns-3: the run ended before its events were handled");
  return ns3::Simulator::Now().GetNanoSeconds();
}

}  // namespace meshtwin::bench
