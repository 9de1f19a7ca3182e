// The targets `meshtwin deploy` drives: the kube target over kube::Client, and the testbed
// target, an adapter of testbed::applyWave / revertWave to deploy::Target.
#include <fmt/format.h>

#include <ostream>

#include "deploy_command.hpp"
#include "meshtwin/deploy/kube_target.hpp"
#include "meshtwin/models/units.hpp"
#if MESHTWIN_HAVE_TESTBED
#include "meshtwin/testbed/testbed.hpp"
#endif

namespace meshtwin::cli {
namespace {

#if MESHTWIN_HAVE_TESTBED
// The embedded testbed as a deploy target. A wave is the testbed's own transition between
// phases (waypoints started, sidecar pods restarted without their sidecar, pods enrolled), which
// waits for every pod and waypoint to listen before it returns: readiness is part of apply.
class TestbedTarget final : public deploy::Target {
 public:
  explicit TestbedTarget(testbed::TestbedOptions o) : o_(std::move(o)) {}

  [[nodiscard]] std::string describe() const override { return "testbed " + o_.name; }

  std::optional<deploy::Failure> preflight(const std::vector<deploy::RenderedWave>&, std::vector<deploy::Problem>& problems) override {
    auto phase = testbed::phase(o_);
    if (!phase) {
      problems.push_back({"testbed " + o_.name + " is not up: " + phase.error().text(),
                          "meshtwin testbed up SCENARIO --name " + o_.name});
    }
    return std::nullopt;
  }

  std::optional<deploy::Failure> apply(const deploy::RenderedWave& w, bool dry_run, const deploy::Say& say) override {
    auto phase = testbed::phase(o_);
    if (!phase) return deploy::Failure{3, phase.error().text(), describe(), "is the testbed up?"};
    const std::size_t wave = w.index + 1;  // the testbed's phases: 0 baseline, K after wave K
    const std::size_t from = w.rollback ? wave : wave - 1, to = w.rollback ? wave - 1 : wave;
    if (phase.value() != from && phase.value() != to) {
      return deploy::Failure{3, fmt::format("the testbed is at phase {}; {} wave {} needs phase {}", phase.value(),
                                            w.rollback ? "rolling back" : "applying", wave, from),
                             describe(), "meshtwin testbed status shows it; meshtwin rollback --to-wave K moves it"};
    }
    if (dry_run) {
      if (say) say(fmt::format("  checked (dry run): testbed at phase {}, wave {}{}", phase.value(), wave, w.rollback ? " rollback" : ""));
      return std::nullopt;
    }
    testbed::TestbedOptions o = o_;
    o.progress = [&say](const std::string& line) {
      if (say) say("  " + line);
    };
    auto r = w.rollback ? testbed::revertWave(o, wave) : testbed::applyWave(o, wave);
    if (!r) return deploy::Failure{3, r.error().text(), describe(), "meshtwin testbed status shows the state; --resume continues"};
    if (say) {
      say(fmt::format("  testbed: {} waypoint(s) started, {} stopped, {} pod(s) restarted, {} enrolled, {} connection(s) reset",
                      r->waypoints_started, r->waypoints_stopped, r->pods_restarted, r->pods_enrolled, r->connections_reset));
    }
    return std::nullopt;
  }

  std::optional<deploy::Failure> waitReady(const deploy::RenderedWave&, std::chrono::milliseconds, const deploy::Say&) override {
    return std::nullopt;  // applyWave / revertWave return once every pod and waypoint listens
  }
  std::optional<deploy::Failure> mirrorJournal(const std::string&) override { return std::nullopt; }
  std::optional<std::string> loadMirroredJournal() override { return std::nullopt; }

 private:
  testbed::TestbedOptions o_;
};
#endif

}  // namespace

std::unique_ptr<deploy::Target> makeTarget(const DeployOptions& opts, const models::Scenario& s, std::ostream& err,
                                           int& exit_code) {
  if (opts.target == "testbed") {
#if MESHTWIN_HAVE_TESTBED
    testbed::TestbedOptions o;
    o.name = opts.testbed_name;
    o.state_root = opts.testbed_state_root;
    return std::make_unique<TestbedTarget>(o);
#else
    err << "meshtwin deploy: --target testbed: this build has no testbed (built without the data plane's BPF parts)\n";
    exit_code = kExitBadInput;
    return nullptr;
#endif
  }
  auto client = connectCluster(opts.cluster, "deploy", err);
  if (!client) {
    exit_code = kExitBadInput;
    return nullptr;
  }
  deploy::KubeTargetOptions ko;
  ko.force_conflicts = opts.force_conflicts;
  ko.istio_namespace = opts.istio_namespace;
  ko.journal_namespace = opts.journal_namespace;
  if (const auto d = models::parseDurationNs(opts.ready_timeout); d.ok() && d.value() > 0) {
    ko.waypoint_ready_limit = std::chrono::milliseconds(d.value() / 1'000'000);
  }
  return std::make_unique<deploy::KubeTarget>(std::move(*client), s.plan.name, ko);
}

}  // namespace meshtwin::cli
