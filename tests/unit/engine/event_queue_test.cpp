// The pending-event sets on their own, against MapQueue (a std::map: the reference): the
// paths the simulator suite reaches rarely, such as RadixQueue's remembered least entry
// after a peek, pushes below its radix base, and times across the whole 64-bit range.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "meshtwin/engine/event_queue.hpp"
#include "meshtwin/engine/rng.hpp"
#include "meshtwin/engine/simulator.hpp"

using namespace meshtwin::engine;

namespace {

struct Taken {
  SimTime time;
  std::uint32_t slot;
  bool operator==(const Taken&) const = default;
};

// Drives a queue and the reference with the same random operations; every top() and pop()
// must agree. `delay` draws the distance of a push above the last time taken (negative
// distances push below it).
template <typename Queue>
void compareWithMap(std::uint64_t seed, const std::function<SimTime(RngStream&)>& delay, int ops) {
  Queue q;
  MapQueue ref;
  RngStream rng(seed, "queue-compare");
  std::uint64_t seq = 0;
  std::uint32_t slot = 0;
  SimTime last = 0;
  std::vector<Taken> got, want;
  for (int i = 0; i < ops; ++i) {
    const auto u = rng.below(10);
    if (u < 5 || ref.empty()) {
      const QueueEntry e{last + delay(rng), seq++, slot++};
      q.push(e);
      ref.push(e);
    } else if (u < 7) {
      const auto a = q.top();
      const auto b = ref.top();
      REQUIRE(Taken{a.time, a.slot} == Taken{b.time, b.slot});
    } else {
      const auto a = q.top();
      const auto b = ref.top();
      got.push_back({a.time, a.slot});
      want.push_back({b.time, b.slot});
      REQUIRE(got.back() == want.back());
      last = b.time;
      q.pop();
      ref.pop();
    }
    REQUIRE(q.size() == ref.size());
  }
  while (!ref.empty()) {
    const auto a = q.top();
    const auto b = ref.top();
    REQUIRE(Taken{a.time, a.slot} == Taken{b.time, b.slot});
    q.pop();
    ref.pop();
  }
  CHECK(q.empty());
}

}  // namespace

TEMPLATE_TEST_CASE("queue: monotone pushes with many ties agree with the map", "[engine]", RadixQueue,
                   QuaternaryHeapQueue) {
  compareWithMap<TestType>(1, [](RngStream& r) { return static_cast<SimTime>(r.below(8)); }, 200'000);
}

TEMPLATE_TEST_CASE("queue: exponential delays agree with the map", "[engine]", RadixQueue, QuaternaryHeapQueue) {
  compareWithMap<TestType>(2, [](RngStream& r) { return static_cast<SimTime>(r.exponential(100.0)); }, 200'000);
}

TEMPLATE_TEST_CASE("queue: delays of every bit width agree with the map", "[engine]", RadixQueue,
                   QuaternaryHeapQueue) {
  compareWithMap<TestType>(
      3,
      [](RngStream& r) {
        // 0 .. 2^44 spread over every bit width (at most 2^44 per pop: no overflow)
        return static_cast<SimTime>(r.next() >> (20 + r.below(44)));
      },
      100'000);
}

TEMPLATE_TEST_CASE("queue: pushes below the last time taken (and negative times) agree with the map", "[engine]",
                   RadixQueue, QuaternaryHeapQueue) {
  compareWithMap<TestType>(
      4, [](RngStream& r) { return static_cast<SimTime>(r.below(2000)) - 1000; }, 100'000);
}

TEST_CASE("queue: extreme times keep their order in the radix queue", "[engine]") {
  RadixQueue q;
  const SimTime lo = std::numeric_limits<SimTime>::min();
  const SimTime hi = std::numeric_limits<SimTime>::max();
  q.push({hi, 0, 0});
  q.push({0, 1, 1});
  q.push({hi, 2, 2});
  q.push({lo, 3, 3});  // below the base: re-buckets
  q.push({-1, 4, 4});
  q.push({0, 5, 5});
  std::vector<std::uint32_t> order;
  while (!q.empty()) {
    order.push_back(q.top().slot);
    q.pop();
  }
  CHECK(order == std::vector<std::uint32_t>{3, 4, 1, 5, 0, 2});
}

TEST_CASE("radix queue: a peek past the horizon, then events before the peeked one", "[engine]") {
  // runUntil looks at the next event and leaves it pending when it lies past the horizon;
  // events scheduled after that, before it, must still run first and in order.
  Simulator sim;
  std::vector<int> log;
  sim.scheduleAt(1000, [&] { log.push_back(1000); });
  sim.scheduleAt(3, [&] { log.push_back(3); });
  sim.runUntil(10);
  sim.scheduleAt(500, [&] { log.push_back(500); });
  sim.scheduleAt(10, [&] { log.push_back(10); });
  sim.scheduleAt(500, [&] { log.push_back(501); });
  sim.runAll();
  CHECK(log == std::vector<int>{3, 10, 500, 501, 1000});
}

TEST_CASE("radix queue: cancelled events dropped past the clock, then new ones", "[engine]") {
  // runAll drops a trailing cancelled event whose time is past the clock; scheduling after
  // that pushes below the queue's radix base.
  Simulator sim;
  std::vector<SimTime> at;
  sim.schedule(5, [&] { at.push_back(sim.now()); });
  const auto late = sim.schedule(1'000'000, [&] { at.push_back(-1); });
  sim.cancel(late);
  sim.runAll();
  CHECK(sim.now() == 5);
  sim.schedule(1, [&] { at.push_back(sim.now()); });
  sim.schedule(0, [&] { at.push_back(sim.now()); });
  sim.runAll();
  CHECK(at == std::vector<SimTime>{5, 5, 6});
}
