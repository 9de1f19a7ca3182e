// What the rollout engine drives: a Target applies a rendered wave (or its rollback), waits
// for it to be ready and says where its metrics are. The kube target speaks to an API server
// (kube_target.hpp); the testbed target is an adapter cli/ plugs in.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/deploy/render.hpp"

namespace meshtwin::deploy {

// Why a step could not be done. exit_code follows the CLI's: 2 bad input, 3 the target is
// unreachable, forbidden or in an unexpected state.
struct Failure {
  int exit_code = 3;
  std::string message;  // what happened
  std::string object;   // "Deployment shop/cart", "" when not about one object
  std::string hint;     // what to try
};
std::string format(const Failure& f);

// Something pre-flight found missing, with what would fix it (an RBAC rule, a CRD to install).
struct Problem {
  std::string what;
  std::string fix;
};

// Progress lines for the person watching ("  applied Gateway shop/shop-waypoint").
using Say = std::function<void(const std::string&)>;

class Target {
 public:
  virtual ~Target() = default;
  // "kube cluster prod (https://...)", "testbed mt".
  [[nodiscard]] virtual std::string describe() const = 0;
  // Before anything changes: what the whole plan needs that the target lacks. Empty: ready.
  // A Failure when the target cannot even be asked.
  virtual std::optional<Failure> preflight(const std::vector<RenderedWave>& waves, std::vector<Problem>& problems) = 0;
  // Apply a wave, or (wave.rollback) its way back. dry_run: the target checks everything and
  // changes nothing. Must be idempotent: the engine repeats a step a crash interrupted.
  virtual std::optional<Failure> apply(const RenderedWave& wave, bool dry_run, const Say& say) = 0;
  // Until what `wave` changed is ready (rolled out, programmed), or `limit`.
  virtual std::optional<Failure> waitReady(const RenderedWave& wave, std::chrono::milliseconds limit, const Say& say) = 0;
  // Where the journal is mirrored so another machine can take over (a ConfigMap); nullopt
  // when the target keeps none. load: the mirrored text, "" when there is none.
  virtual std::optional<Failure> mirrorJournal(const std::string& text) = 0;
  virtual std::optional<std::string> loadMirroredJournal() = 0;
};

}  // namespace meshtwin::deploy
