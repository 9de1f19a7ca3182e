// engine_hold: the classic HOLD model on one core, for the meshtwin engine and its peers.
//
// A population of P pending events is kept constant: each event, when handled, schedules
// one new event after an exponential delay (mean 100 ns, truncated to whole ns), as in
// ns-3's utils/bench-scheduler.cc. For every (engine, P) a fresh engine is filled with P
// events, runs P events as warm-up, then runs exactly --events events --reps times; the
// best repetition (least wall time, std::chrono::steady_clock) is reported as events/s.
// All engines draw their delays from the same generator (meshtwin::engine::RngStream,
// xoshiro256**), seeded alike, so only the event-set machinery differs.
//
// Engines:
//   meshtwin            meshtwin::engine::Simulator (its default queue, RadixQueue); the
//                       callable is a small lambda that reschedules itself
//   meshtwin-4ary-heap  meshtwin::engine::BasicSimulator<QuaternaryHeapQueue>
//   meshtwin-map        meshtwin::engine::BasicSimulator<MapQueue> (std::map)
//   std-priority-queue  a hand-written loop over std::priority_queue<(time, seq)>, no
//                       callable at all: the floor for a binary heap
//   ns3-map             ns-3 (libns3-dev) with its default MapScheduler
//   ns3-priority-queue  ns-3 with PriorityQueueScheduler
// ns-3 is driven the way bench-scheduler does (engine_hold_ns3.cpp, built as C++17).
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine_info.hpp"

#include "meshtwin/engine/event_queue.hpp"
#include "meshtwin/engine/rng.hpp"
#include "meshtwin/engine/simulator.hpp"

#include "hold_common.hpp"
#ifdef MESHTWIN_BENCH_HAVE_NS3
#include "engine_hold_ns3.hpp"
#endif

namespace {

using meshtwin::engine::BasicSimulator;
using meshtwin::engine::MapQueue;
using meshtwin::engine::QuaternaryHeapQueue;
using meshtwin::engine::RngStream;
using meshtwin::engine::SimTime;
using meshtwin::engine::Simulator;
using Clock = std::chrono::steady_clock;

using meshtwin::bench::drawDelay;
using meshtwin::bench::kMeanDelayNs;
using meshtwin::bench::makeRng;
constexpr SimTime kForever = std::numeric_limits<SimTime>::max();

struct Options {
  std::vector<std::uint64_t> pending{1'000, 100'000, 1'000'000};
  std::uint64_t events = 5'000'000;
  int reps = 3;
  std::uint64_t seed = 1;
  std::vector<std::string> engines;  // empty: all
  std::string json = "bench/results/engine_hold.json";
};

// ---------------------------------------------------------------------------------------
// Each engine: construct with (pending, seed) = filled with `pending` events; run(n) handles
// exactly n events and returns the simulated time reached (printed as a checksum so no
// work can be optimised away).

template <typename Sim>
class MeshtwinHold {
 public:
  MeshtwinHold(std::uint64_t pending, std::uint64_t seed) : rng_(makeRng(seed, pending)) {
    sim_.reserve(pending);
    for (std::uint64_t i = 0; i < pending; ++i) sim_.schedule(drawDelay(rng_), [this] { fire(); });
  }
  MeshtwinHold(const MeshtwinHold&) = delete;
  MeshtwinHold& operator=(const MeshtwinHold&) = delete;

  SimTime run(std::uint64_t n) {
    left_ = n;
    const std::uint64_t before = sim_.eventsRun();
    sim_.runUntil(kForever);  // fire() calls stop() on the n-th event
    if (sim_.eventsRun() - before != n) throw std::runtime_error("meshtwin: wrong event count");
    return sim_.now();
  }
  [[nodiscard]] std::size_t pending() const { return sim_.pendingCount(); }

 private:
  void fire() {
    if (--left_ == 0) sim_.stop();
    sim_.schedule(drawDelay(rng_), [this] { fire(); });
  }

  Sim sim_;
  RngStream rng_;
  std::uint64_t left_ = 0;
};

class StdPriorityQueueHold {
 public:
  StdPriorityQueueHold(std::uint64_t pending, std::uint64_t seed) : rng_(makeRng(seed, pending)) {
    std::vector<Entry> storage;
    storage.reserve(pending);
    queue_ = Queue(Later{}, std::move(storage));
    for (std::uint64_t i = 0; i < pending; ++i) queue_.push({drawDelay(rng_), seq_++});
  }

  SimTime run(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const Entry e = queue_.top();
      queue_.pop();
      now_ = e.time;
      queue_.push({now_ + drawDelay(rng_), seq_++});
    }
    return now_;
  }
  [[nodiscard]] std::size_t pending() const { return queue_.size(); }

 private:
  struct Entry {
    SimTime time;
    std::uint64_t seq;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  using Queue = std::priority_queue<Entry, std::vector<Entry>, Later>;

  RngStream rng_;
  Queue queue_;
  SimTime now_ = 0;
  std::uint64_t seq_ = 0;
};


// ---------------------------------------------------------------------------------------

struct Row {
  std::string engine;
  std::uint64_t pending = 0;
  std::uint64_t events = 0;
  double seconds = 0;  // best repetition
  std::vector<double> rep_seconds;
  SimTime checksum = 0;
  [[nodiscard]] double eventsPerSecond() const { return static_cast<double>(events) / seconds; }
};

template <typename Engine>
Row measure(const std::string& name, Engine& engine, std::uint64_t pending, const Options& opt) {
  Row row{name, pending, opt.events, 0, {}, 0};
  engine.run(pending);  // warm-up: one population's worth
  for (int r = 0; r < opt.reps; ++r) {
    const auto t0 = Clock::now();
    row.checksum = engine.run(opt.events);
    const auto t1 = Clock::now();
    row.rep_seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  if (engine.pending() != pending) throw std::runtime_error(name + ": population changed");
  row.seconds = *std::min_element(row.rep_seconds.begin(), row.rep_seconds.end());
  return row;
}

std::vector<std::string> allEngines() {
  std::vector<std::string> e{"meshtwin", "meshtwin-4ary-heap", "meshtwin-map", "std-priority-queue"};
#ifdef MESHTWIN_BENCH_HAVE_NS3
  e.emplace_back("ns3-map");
  e.emplace_back("ns3-priority-queue");
#endif
  return e;
}

std::optional<Row> runOne(const std::string& engine, std::uint64_t pending, const Options& opt) {
  if (engine == "meshtwin") {
    MeshtwinHold<Simulator> e(pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
  if (engine == "meshtwin-4ary-heap") {
    MeshtwinHold<BasicSimulator<QuaternaryHeapQueue>> e(pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
  if (engine == "meshtwin-map") {
    MeshtwinHold<BasicSimulator<MapQueue>> e(pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
  if (engine == "std-priority-queue") {
    StdPriorityQueueHold e(pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
#ifdef MESHTWIN_BENCH_HAVE_NS3
  if (engine == "ns3-map") {
    meshtwin::bench::Ns3Hold e("ns3::MapScheduler", pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
  if (engine == "ns3-priority-queue") {
    meshtwin::bench::Ns3Hold e("ns3::PriorityQueueScheduler", pending, opt.seed);
    return measure(engine, e, pending, opt);
  }
#endif
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Machine description.

using meshtwin::bench::compilerName;
using meshtwin::bench::fmtRate;
using meshtwin::bench::cpuModel;
using meshtwin::bench::readFirstLine;

std::vector<int> affinity() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (std::size_t c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(static_cast<int>(c));
    }
  }
  return cpus;
}

nlohmann::json machine(const std::string& load_before, const std::string& load_after) {
  utsname u{};
  uname(&u);
  return {
      {"nproc", sysconf(_SC_NPROCESSORS_ONLN)},
      {"cpu_model", cpuModel()},
      {"compiler", compilerName()},
      {"build_type", MESHTWIN_BENCH_BUILD_TYPE},
      {"cxx_flags", MESHTWIN_BENCH_CXX_FLAGS},
      {"kernel", std::string(u.sysname) + " " + u.release},
      {"affinity", affinity()},
      {"loadavg_before", load_before},
      {"loadavg_after", load_after},
      {"ns3", MESHTWIN_BENCH_NS3_VERSION},
  };
}

// ---------------------------------------------------------------------------------------

std::vector<std::uint64_t> parseList(const std::string& s) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(static_cast<std::uint64_t>(std::stod(item)));
  return out;
}

std::vector<std::string> parseNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

void usage(std::ostream& os) {
  os << "usage: engine_hold [--pending 1e3,1e5,1e6] [--events 5e6] [--reps 3] [--seed 1]\n"
        "                   [--engines NAME,...] [--json FILE]\n"
        "engines:";
  for (const auto& e : allEngines()) os << ' ' << e;
  os << "\n--json defaults to bench/results/engine_hold.json (relative to the working directory)\n";
}

Options parseArgs(int argc, char** argv) {
  Options opt;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--pending") {
      opt.pending = parseList(value());
    } else if (a == "--events") {
      opt.events = static_cast<std::uint64_t>(std::stod(value()));
    } else if (a == "--reps") {
      opt.reps = std::stoi(value());
    } else if (a == "--seed") {
      opt.seed = std::stoull(value());
    } else if (a == "--engines") {
      opt.engines = parseNames(value());
    } else if (a == "--json") {
      opt.json = value();
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (opt.events == 0 || opt.reps < 1) throw std::invalid_argument("--events and --reps must be positive");
  const auto known = allEngines();
  for (const auto& e : opt.engines) {
    if (std::find(known.begin(), known.end(), e) == known.end()) {
      throw std::invalid_argument("unknown or unavailable engine " + e);
    }
  }
  if (opt.engines.empty()) opt.engines = known;
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    opt = parseArgs(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "engine_hold: " << e.what() << '\n';
    usage(std::cerr);
    return 2;
  }

  const std::string load_before = readFirstLine("/proc/loadavg");
  std::printf("HOLD model, Exp(mean %.0f ns) delays, %llu events x best of %d after a warm-up of one population\n",
              kMeanDelayNs, static_cast<unsigned long long>(opt.events), opt.reps);
  meshtwin::bench::printMachineLine(load_before, MESHTWIN_BENCH_BUILD_TYPE, MESHTWIN_BENCH_CXX_FLAGS);
  std::printf("\n");
  std::printf("%-20s %10s %12s %10s %14s\n", "engine", "pending", "events", "seconds", "events/s");
  std::fflush(stdout);

  std::vector<Row> rows;
  for (const auto pending : opt.pending) {
    for (const auto& engine : opt.engines) {
      auto row = runOne(engine, pending, opt);
      if (!row) continue;
      std::printf("%-20s %10llu %12llu %10.3f %14s\n", row->engine.c_str(),
                  static_cast<unsigned long long>(row->pending), static_cast<unsigned long long>(row->events),
                  row->seconds, fmtRate(row->eventsPerSecond()).c_str());
      std::fflush(stdout);
      rows.push_back(*row);
    }
  }
  const std::string load_after = readFirstLine("/proc/loadavg");

  // Ratios of meshtwin's events/s to each peer's, per population.
  auto rate = [&](const std::string& engine, std::uint64_t pending) -> std::optional<double> {
    for (const auto& r : rows) {
      if (r.engine == engine && r.pending == pending) return r.eventsPerSecond();
    }
    return std::nullopt;
  };
  nlohmann::json ratios = nlohmann::json::array();
  std::printf("\n%-10s %16s %26s %26s\n", "pending", "meshtwin/ns3-map", "meshtwin/ns3-priority-queue",
              "meshtwin/std-priority-queue");
  for (const auto pending : opt.pending) {
    const auto mt = rate("meshtwin", pending);
    if (!mt) continue;
    nlohmann::json r = {{"pending", pending}};
    const char* peers[3] = {"ns3-map", "ns3-priority-queue", "std-priority-queue"};
    char cells[3][32];
    for (int k = 0; k < 3; ++k) {
      const auto peer = rate(peers[k], pending);
      const std::string key = std::string("meshtwin/") + peers[k];
      if (peer) {
        r[key] = *mt / *peer;
        std::snprintf(cells[k], sizeof cells[k], "%.2fx", *mt / *peer);
      } else {
        r[key] = nullptr;
        std::snprintf(cells[k], sizeof cells[k], "-");
      }
    }
    std::printf("%-10llu %16s %26s %26s\n", static_cast<unsigned long long>(pending), cells[0], cells[1], cells[2]);
    ratios.push_back(r);
  }

  // Targets from the issue: reported, never asserted.
  nlohmann::json targets = nlohmann::json::array();
  auto target = [&](const std::string& what, std::optional<double> value, double goal) {
    targets.push_back({{"target", what},
                       {"goal", goal},
                       {"value", value ? nlohmann::json(*value) : nlohmann::json(nullptr)},
                       {"met", value ? nlohmann::json(*value >= goal) : nlohmann::json(nullptr)}});
    if (value) {
      std::printf("target %-48s goal %6.2f  measured %8.2f  %s\n", what.c_str(), goal, *value,
                  *value >= goal ? "met" : "MISSED");
    } else {
      std::printf("target %-48s goal %6.2f  not measured\n", what.c_str(), goal);
    }
  };
  std::printf("\n");
  const auto mt5 = rate("meshtwin", 100'000);
  target("meshtwin M events/s at 1e5 pending", mt5 ? std::optional<double>(*mt5 / 1e6) : std::nullopt, 10.0);
  for (const auto pending : opt.pending) {
    const auto mt = rate("meshtwin", pending);
    const auto map = rate("ns3-map", pending);
    const auto pq = rate("std-priority-queue", pending);
    const std::string p = std::to_string(pending);
    target("meshtwin/ns3-map at " + p + " pending", mt && map ? std::optional<double>(*mt / *map) : std::nullopt,
           10.0);
    target("meshtwin/std-priority-queue at " + p + " pending",
           mt && pq ? std::optional<double>(*mt / *pq) : std::nullopt, 2.0);
  }

  nlohmann::json jrows = nlohmann::json::array();
  for (const auto& r : rows) {
    jrows.push_back({{"engine", r.engine},
                     {"pending", r.pending},
                     {"events", r.events},
                     {"seconds", r.seconds},
                     {"events_per_s", r.eventsPerSecond()},
                     {"rep_seconds", r.rep_seconds},
                     {"final_sim_time_ns", r.checksum}});
  }
  const nlohmann::json out = {
      {"benchmark", "engine_hold"},
      {"model",
       {{"description",
         "HOLD: each handled event schedules one event after Exp(mean 100 ns) truncated to whole ns; "
         "population constant"},
        {"mean_delay_ns", kMeanDelayNs},
        {"events_per_rep", opt.events},
        {"warmup_events", "one population"},
        {"reps", opt.reps},
        {"statistic", "best (least wall time) of reps, std::chrono::steady_clock"},
        {"rng", "meshtwin::engine::RngStream (xoshiro256**) for every engine"},
        {"seed", opt.seed}}},
      {"machine", machine(load_before, load_after)},
      {"rows", jrows},
      {"ratios", ratios},
      {"targets", targets},
  };
  if (!opt.json.empty()) {
    const std::filesystem::path path(opt.json);
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    std::ofstream f(path);
    f << out.dump(2) << '\n';
    if (!f) {
      std::cerr << "engine_hold: cannot write " << opt.json << '\n';
      return 1;
    }
    std::printf("\nwrote %s\n", opt.json.c_str());
  }
  return 0;
}
