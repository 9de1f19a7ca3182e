// Enrolment by hand: a running pod joining or leaving ambient (its cgroup's connect() steered
// to its node's ztunnel, or no longer). A plan's waves are transition.cpp's.
#include "context.hpp"

#include <optional>

#include <fmt/format.h>

#include "meshtwin/bpf/pinned.hpp"

namespace meshtwin::testbed {

using namespace detail;

namespace {

// A pod moved by hand while a wave is under way would be moved again by the wave's journal.
std::optional<Error> checkNoTransition(const Context& c, const std::string& what, const std::string& pod_key) {
  const auto& t = c.state.transition;
  if (!t) return std::nullopt;
  return Error{what, pod_key, fmt::format("a wave is part-way from phase {} to {}", t->from_phase, t->to_phase),
               "finish it first (apply or revert the wave again)"};
}

}  // namespace

Result<bool> enroll(const TestbedOptions& o, const std::string& pod_key) {
  auto lock = lockState(o, "enrol pod");
  if (!lock) return lock.error();
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  if (auto e = checkNoTransition(c, "enrol pod", pod_key)) return *e;
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.scenario.pods[p].owner != models::Pod::Owner::Workload) {
    return Error{"enrol pod", pod_key, "a waypoint pod is part of the data plane", "enrol workload pods"};
  }
  if (c.process("sidecar/" + pod_key)) {
    return Error{"enrol pod", pod_key, "it runs with a sidecar",
                 "a sidecar pod moves to ambient by a restart without its sidecar: `meshtwin testbed apply-wave N`"};
  }
  const auto node = c.scenario.pods[p].node;
  if (auto e = bpf::enrollPinned(c.layout.ztunnelPrograms(node), c.layout.podCgroup(c.scenario, p, "app"),
                                 c.layout.podLinks(c.scenario, p))) {
    return fromBpf(*e);
  }
  c.state.pod_mode[pod_key] = "ambient";
  if (c.phase_state.modeOf(c.scenario, p) == MeshMode::Ambient) {
    c.state.pod_mode.erase(pod_key);
  }
  if (auto r = pushSnapshot(o, c); !r) return r;
  return waitForListener(c.layout.nodes[node].netns, podAddress(c, p, kHbonePort), std::chrono::seconds(10));
}

Result<bool> unenroll(const TestbedOptions& o, const std::string& pod_key) {
  auto lock = lockState(o, "unenrol pod");
  if (!lock) return lock.error();
  auto ctx = openTestbed(o);
  if (!ctx) return ctx.error();
  auto& c = ctx.value();
  if (auto e = checkNoTransition(c, "unenrol pod", pod_key)) return *e;
  auto found = c.pod(pod_key);
  if (!found) return found.error();
  const PodId p = found.value();
  if (c.modeOf(p) != MeshMode::Ambient) {
    return Error{"unenrol pod", pod_key, fmt::format("it is not in ambient mode (it is {})", models::toString(c.modeOf(p))),
                 std::string("`meshtwin testbed status` shows each pod's mode")};
  }
  if (auto e = bpf::unenrollPinned(c.layout.podLinks(c.scenario, p))) return fromBpf(*e);
  c.state.pod_mode[pod_key] = "none";
  return pushSnapshot(o, c);
}

}  // namespace meshtwin::testbed
