// The engine's contract, run against every pending-event set it keeps: time order, ties by
// insertion sequence, cancel, run-until, stop, and a randomised comparison with a sort.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "meshtwin/engine/rng.hpp"
#include "meshtwin/engine/simulator.hpp"

using namespace meshtwin::engine;

TEMPLATE_TEST_CASE("events run in time order, ties in scheduling order", "[engine]", RadixQueue, QuaternaryHeapQueue,
                   MapQueue) {
  BasicSimulator<TestType> sim;
  std::vector<std::string> log;
  sim.schedule(30, [&] { log.push_back("c@30"); });
  sim.schedule(10, [&] { log.push_back("a@10"); });
  sim.schedule(20, [&] { log.push_back("b1@20"); });
  sim.schedule(20, [&] { log.push_back("b2@20"); });
  sim.schedule(20, [&] { log.push_back("b3@20"); });
  sim.schedule(0, [&] { log.push_back("z@0"); });
  CHECK(sim.pendingCount() == 6);
  CHECK(sim.runAll() == 6);
  CHECK(log == std::vector<std::string>{"z@0", "a@10", "b1@20", "b2@20", "b3@20", "c@30"});
  CHECK(sim.now() == 30);
  CHECK(sim.pendingCount() == 0);
}

TEMPLATE_TEST_CASE("an event scheduled for now from a callback runs after the events already due now", "[engine]",
                   RadixQueue, QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  std::vector<int> log;
  sim.schedule(5, [&] {
    log.push_back(1);
    sim.schedule(0, [&] { log.push_back(3); });
  });
  sim.schedule(5, [&] { log.push_back(2); });
  sim.runAll();
  CHECK(log == std::vector<int>{1, 2, 3});
}

TEMPLATE_TEST_CASE("cancel by handle", "[engine]", RadixQueue, QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  int ran = 0;
  const auto a = sim.schedule(10, [&] { ran += 1; });
  const auto b = sim.schedule(20, [&] { ran += 10; });
  CHECK(sim.isPending(a));
  CHECK(sim.cancel(a));
  CHECK_FALSE(sim.cancel(a));  // twice: no-op
  CHECK_FALSE(sim.isPending(a));
  CHECK(sim.pendingCount() == 1);
  sim.runAll();
  CHECK(ran == 10);
  CHECK_FALSE(sim.cancel(b));  // already ran
  // A stale handle never cancels the event that reuses its slot.
  const auto c = sim.schedule(5, [&] { ran += 100; });
  CHECK_FALSE(sim.cancel(a));
  CHECK_FALSE(sim.cancel(b));
  CHECK(sim.isPending(c));
  sim.runAll();
  CHECK(ran == 110);
}

TEMPLATE_TEST_CASE("cancel releases what the callable captured at once", "[engine]", RadixQueue, QuaternaryHeapQueue,
                   MapQueue) {
  BasicSimulator<TestType> sim;
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> weak = token;
  const auto id = sim.schedule(100, [token] { (void)*token; });
  token.reset();
  CHECK_FALSE(weak.expired());
  sim.cancel(id);
  CHECK(weak.expired());
}

TEMPLATE_TEST_CASE("runUntil stops at the horizon and advances the clock to it", "[engine]", RadixQueue,
                   QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  std::vector<SimTime> at;
  for (SimTime t : {5, 10, 15, 20}) sim.scheduleAt(t, [&] { at.push_back(sim.now()); });
  CHECK(sim.runUntil(10) == 2);  // events at exactly the horizon run
  CHECK(sim.now() == 10);
  CHECK(sim.runUntil(12) == 0);
  CHECK(sim.now() == 12);
  CHECK(sim.runUntil(100) == 2);
  CHECK(sim.now() == 100);
  CHECK(at == std::vector<SimTime>{5, 10, 15, 20});
}

TEMPLATE_TEST_CASE("stop ends the run after the current event", "[engine]", RadixQueue, QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  int ran = 0;
  sim.schedule(1, [&] { ++ran; });
  sim.schedule(2, [&] {
    ++ran;
    sim.stop();
  });
  sim.schedule(3, [&] { ++ran; });
  sim.runUntil(10);
  CHECK(ran == 2);
  CHECK(sim.now() == 2);
  sim.runUntil(10);
  CHECK(ran == 3);
}

TEMPLATE_TEST_CASE("randomised: the run order equals a stable sort by time, minus cancelled", "[engine]",
                   RadixQueue, QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  RngStream rng(42, "engine-test");
  struct Item {
    SimTime t;
    int id;
  };
  std::vector<Item> expected;
  std::vector<int> order;
  std::vector<EventId> ids;
  for (int i = 0; i < 20000; ++i) {
    const auto t = static_cast<SimTime>(rng.below(500));  // many ties
    ids.push_back(sim.scheduleAt(t, [&order, i] { order.push_back(i); }));
    expected.push_back({t, i});
  }
  std::vector<bool> cancelled(expected.size(), false);
  for (int k = 0; k < 3000; ++k) {
    const auto i = rng.below(expected.size());
    if (sim.cancel(ids[i])) cancelled[i] = true;
  }
  std::stable_sort(expected.begin(), expected.end(), [](const Item& a, const Item& b) { return a.t < b.t; });
  std::vector<int> want;
  for (const auto& e : expected) {
    if (!cancelled[static_cast<std::size_t>(e.id)]) want.push_back(e.id);
  }
  sim.runAll();
  CHECK(order == want);
}

TEMPLATE_TEST_CASE("hold model keeps the population constant", "[engine]", RadixQueue, QuaternaryHeapQueue, MapQueue) {
  BasicSimulator<TestType> sim;
  RngStream rng(1, "hold");
  std::uint64_t handled = 0;
  std::function<void()> hold = [&] {
    ++handled;
    sim.schedule(static_cast<SimTime>(rng.exponential(100.0)), hold);
  };
  for (int i = 0; i < 1000; ++i) sim.schedule(static_cast<SimTime>(rng.exponential(100.0)), hold);
  sim.runUntil(100'000);
  CHECK(sim.pendingCount() == 1000);
  CHECK(handled > 500'000);  // ~1000 events per 100 ns of simulated time
}
