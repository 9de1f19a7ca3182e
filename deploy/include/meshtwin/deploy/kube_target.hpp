// The kube target: a rendered wave server-side applied to a Kubernetes API server through
// kube::Client (fieldManager meshtwin, dry run first), readiness watched, pre-flight checked
// with discovery and SelfSubjectAccessReviews, the journal mirrored in a ConfigMap.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "meshtwin/deploy/target.hpp"
#include "meshtwin/kube/client.hpp"

namespace meshtwin::deploy {

struct KubeTargetOptions {
  std::string field_manager = "meshtwin";
  bool force_conflicts = false;
  std::string istio_namespace = "istio-system";  // where ztunnel and istio-cni run
  // The journal's copy: ConfigMap <journal_name> in <journal_namespace> ("" = no copy).
  std::string journal_namespace = "istio-system";
  std::string journal_name;  // default: meshtwin-deploy-<plan>
  std::chrono::seconds watch_timeout{30};  // one watch request; waits re-watch until their limit
  // How long apply waits for a wave's new waypoints to be Programmed before it labels anything
  // to use them (a use-waypoint label naming a waypoint that does not serve yet cuts traffic).
  std::chrono::milliseconds waypoint_ready_limit{std::chrono::minutes(5)};
};

class KubeTarget final : public Target {
 public:
  KubeTarget(kube::Client client, std::string plan, KubeTargetOptions options);

  [[nodiscard]] std::string describe() const override;
  std::optional<Failure> preflight(const std::vector<RenderedWave>& waves, std::vector<Problem>& problems) override;
  std::optional<Failure> apply(const RenderedWave& wave, bool dry_run, const Say& say) override;
  std::optional<Failure> waitReady(const RenderedWave& wave, std::chrono::milliseconds limit, const Say& say) override;
  std::optional<Failure> mirrorJournal(const std::string& text) override;
  std::optional<std::string> loadMirroredJournal() override;

  // The resource of an apiVersion and kind, by discovery (cached), as kubectl's REST mapper.
  // A group/version or kind the server does not serve is an Error with status 404.
  kube::Result<kube::ResourceType> resolve(const std::string& api_version, const std::string& kind);

 private:
  kube::Client client_;
  std::string plan_;
  KubeTargetOptions options_;
  std::map<std::string, kube::ResourceType> types_;  // "apiVersion/Kind"
  std::optional<Failure> applyObjects(const std::vector<RenderedObject>& objects, bool dry_run, const Say& say);
};

// "Deployment shop/cart", "Namespace shop".
std::string objectName(const nlohmann::json& body);
// A kube::Error as a deploy Failure about `object` (exit 3; a bad kubeconfig exit 2).
Failure fromKube(const kube::Error& e, const std::string& object);

}  // namespace meshtwin::deploy
