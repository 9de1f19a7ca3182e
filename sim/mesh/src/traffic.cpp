// Where calls start and end: entry requests from outside the mesh, and app replicas running their scripts.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "call_flow.hpp"
#include "meshtwin/engine/rng.hpp"
#include "meshtwin/models/routing.hpp"
#include "phase_sim.hpp"
#include "station.hpp"

namespace meshtwin::sim::detail {

namespace {

// ---- a request served by one workload replica ---------------------------------------
struct ServeFlow final : CallWaiter, StationClient {
  PhaseSim& ps;
  PodId pod;
  WorkloadId w;
  std::function<void(bool, const std::string&, std::int64_t)> done;
  std::size_t step = 0;
  int pending = 0;
  bool failed = false;
  std::string cause;

  ServeFlow(PhaseSim& p, PodId pd, std::function<void(bool, const std::string&, std::int64_t)> d)
      : ps(p), pod(pd), w(p.scenario().pods[pd].owner_id), done(std::move(d)) {}

  void runStep() {
    const auto& wl = ps.scenario().workloads[w];
    while (step < wl.script.size()) {
      const auto& st = wl.script[step++];
      if (st.kind == models::ScriptStep::Kind::Sleep) {
        ps.sim().schedule(st.sleep_ns, [this] { runStep(); });
        return;
      }
      // Decide every call of the step first, then launch them: a call's completion always
      // arrives on a later event, so `pending` is complete before any callDone.
      // (Indices of the calls made, in a small inline buffer: a step has a few calls.)
      constexpr std::size_t kInline = 16;
      std::array<std::uint32_t, kInline> inline_made;
      std::vector<std::uint32_t> more;
      std::size_t n = 0;
      for (std::size_t i = 0; i < st.calls.size(); ++i) {
        const auto& c = st.calls[i];
        if (!(c.probability >= 1.0 || ps.workloadRng(w).bernoulli(c.probability))) continue;
        if (n < kInline) inline_made[n] = static_cast<std::uint32_t>(i);
        else more.push_back(static_cast<std::uint32_t>(i));
        ++n;
      }
      if (n == 0) continue;
      pending = static_cast<int>(n);
      for (std::size_t k = 0; k < n; ++k)
        ps.callService(pod, w, st.calls[k < kInline ? inline_made[k] : more[k - kInline]], this);
      return;
    }
    finish();
  }

  // The app station served the request (run the script) or turned it away (queue full, or
  // its node is gone).
  void served(bool ok) override {
    if (!ok) return rejected();
    runStep();
  }

  void rejected() {
    auto d = std::move(done);
    std::string why = "app " + ps.scenario().pods[pod].name + ": queue full";
    delete this;
    d(false, why, 0);
  }

  void callDone(bool ok, const std::string& why) override {
    if (!ok && !failed) {
      failed = true;
      cause = why;
    }
    if (--pending > 0) return;
    if (failed) return finish();
    runStep();
  }

  void finish() {
    const auto rb = ps.scenario().workloads[w].response_bytes;
    auto d = std::move(done);
    const bool ok = !failed;
    const auto c = cause;
    delete this;
    d(ok, c, rb);
  }
};

// ---- an entry request from a client outside the mesh ---------------------------------
struct EntryFlow : CallWaiter {
  PhaseSim& ps;
  std::size_t ep;
  std::int64_t started;
  EntryFlow(PhaseSim& p, std::size_t e, std::int64_t t) : ps(p), ep(e), started(t) {}
  void callDone(bool ok, const std::string& cause) override {
    ps.recordEntry(ep, started, ok, cause);
    delete this;
  }
};

}  // namespace

void PhaseSim::serve(PodId pod, std::function<void(bool, const std::string&, std::int64_t)> done) {
  const auto w = s_.pods[pod].owner_id;
  const auto& wl = s_.workloads[w];
  auto& rng = workload_rng_[w];
  double st = static_cast<double>(wl.service_time.mean_ns);
  switch (wl.service_time.kind) {
    case models::ServiceTime::Kind::Constant: break;
    case models::ServiceTime::Kind::Exponential: st = rng.exponential(st); break;
    case models::ServiceTime::Kind::LogNormal: {
      engine::LogNormal ln;
      if (engine::LogNormal::fromMeanP99(st, static_cast<double>(wl.service_time.p99_ns), ln)) st = ln.sample(rng);
      break;
    }
  }
  auto* flow = new ServeFlow(*this, pod, std::move(done));
  auto& app = *stations_[pods_rt_[pod].app];
  if (o_.app_cpu_per_request_ns > 0 && o_.host_vcpus > 0) {
    app.addBackgroundWork(o_.app_cpu_per_request_ns);
    hostWork(o_.app_cpu_per_request_ns);
  }
  app.submit(static_cast<std::int64_t>(st), flow);
}

void PhaseSim::hostWork(std::int64_t work_ns) {
  ++host_cpu_.busy;
  const double speed = std::min(1.0, host_cpu_.vcpus / static_cast<double>(host_cpu_.busy));
  sim_.schedule(static_cast<std::int64_t>(static_cast<double>(work_ns) / speed), [this] { --host_cpu_.busy; });
}

void PhaseSim::entryArrival(std::size_t ep_index) {
  const auto& ep = s_.entry_points[ep_index];
  auto& rng = entry_rng_[ep_index];
  // Offered rate now, from the load segments played back to back (and again from the
  // start when a rollout outlasts them).
  const auto cycle = ep.durationNs();
  std::int64_t t = cycle > 0 ? sim_.now() % cycle : 0, offset = 0;
  double rate = 0;
  for (const auto& seg : ep.load) {
    if (t < offset + seg.duration_ns) {
      rate = seg.rpsAt(t - offset);
      break;
    }
    offset += seg.duration_ns;
  }
  if (!arrivals_open_) return;
  if (rate > 0) {
    if (o_.ingress_cpu_per_request_ns > 0 && o_.host_vcpus > 0) {
      if (measuring(sim_.now())) ingress_work_ns_ += o_.ingress_cpu_per_request_ns;
      hostWork(o_.ingress_cpu_per_request_ns);
    }
    const auto zone = ep.client_zones[rng.below(ep.client_zones.size())];
    auto path = models::ingressPath(s_, m_, zone, ep.service, rng.next());
    auto* waiter = new EntryFlow(*this, ep_index, sim_.now());
    if (!path.error.empty()) {
      sim_.schedule(0, [waiter, e = path.error] { waiter->callDone(false, e); });
    } else {
      ++calls_;
      auto* flow = new CallFlow(*this, std::move(path));
      flow->req_bytes = s_.workloads[s_.services[ep.service].backends.front()].request_bytes;
      flow->started = sim_.now();
      flow->edge = kEntryEdge;
      flow->waiter = waiter;
      flow->entry_zone = zone;
      flow->protocol = s_.services[ep.service].ports.front().protocol;
      authorizeFlow(*flow, std::nullopt, ep.service, "GET", ep.path);
      flow->forward();
    }
  }
  const double gap_ns = rate > 0 ? (ep.arrival == models::EntryPoint::Arrival::Poisson ? rng.exponential(1e9 / rate)
                                                                                       : 1e9 / rate)
                                 : 1e8;  // idle: look again in 100 ms
  const auto next = sim_.now() + std::max<std::int64_t>(1, static_cast<std::int64_t>(gap_ns));
  if (next < end_ns_) sim_.scheduleAt(next, [this, ep_index] { entryArrival(ep_index); });
}

}  // namespace meshtwin::sim::detail
