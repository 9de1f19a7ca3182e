// KubeTarget::waitReady: what a wave changed, watched until ready — Deployments rolled out
// (observedGeneration, updated and available replicas), Gateways Programmed — with
// resourceVersion-based watches, a fresh read after 410 Gone, and a deadline.
#include <fmt/format.h>

#include <optional>

#include "meshtwin/deploy/kube_target.hpp"

namespace meshtwin::deploy {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

long num(const json& j, const char* key, long fallback = 0) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long>() : fallback;
}

// nullopt: ready; otherwise what is still missing.
std::optional<std::string> notReady(const json& o) {
  const auto kind = o.value("kind", "");
  const auto& meta = o.value("metadata", json::object());
  const auto& status = o.value("status", json::object());
  const long generation = num(meta, "generation", 1);
  if (kind == "Deployment") {
    const long want = num(o.value("spec", json::object()), "replicas", 1);
    const long observed = num(status, "observedGeneration");
    const long updated = num(status, "updatedReplicas"), available = num(status, "availableReplicas");
    const long total = num(status, "replicas");
    if (observed >= generation && updated == want && available == want && total == want) return std::nullopt;
    if (observed < generation) return fmt::format("generation {} not yet observed (at {})", generation, observed);
    return fmt::format("{}/{} updated, {}/{} available, {} in total", updated, want, available, want, total);
  }
  if (kind == "Gateway") {
    for (const auto& c : status.value("conditions", json::array())) {
      if (c.value("type", "") != "Programmed") continue;
      if (c.value("status", "") == "True" && num(c, "observedGeneration", generation) >= generation) return std::nullopt;
      return fmt::format("Programmed is {} ({})", c.value("status", "?"), c.value("reason", c.value("message", "")));
    }
    return std::string("no Programmed condition yet");
  }
  return std::nullopt;
}

bool waitsFor(const std::string& kind) { return kind == "Deployment" || kind == "Gateway"; }

}  // namespace

std::optional<Failure> KubeTarget::waitReady(const RenderedWave& wave, std::chrono::milliseconds limit, const Say& say) {
  const auto deadline = Clock::now() + limit;
  for (const auto& o : wave.objects) {
    const auto kind = o.body.value("kind", "");
    if (!waitsFor(kind)) continue;
    const auto name = objectName(o.body);
    auto type = resolve(o.body.value("apiVersion", ""), kind);
    if (!type) return fromKube(type.error(), name);
    const auto ns = o.body["metadata"].value("namespace", "");
    const auto obj_name = o.body["metadata"].value("name", "");
    std::string missing;
    for (;;) {
      auto current = client_.get(*type, ns, obj_name);
      if (!current) return fromKube(current.error(), name);
      const auto why = notReady(*current);
      if (!why) break;
      if (missing != *why && say) say(fmt::format("  waiting for {}: {}", name, *why));
      missing = *why;
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return Failure{3, fmt::format("not ready after {} s: {}", limit.count() / 1000, missing), name,
                       fmt::format("kubectl describe {} -n {} {}; `meshtwin deploy --resume` waits again", kind, ns, obj_name)};
      }
      kube::WatchOptions wo;
      wo.resource_version = (*current)["metadata"].value("resourceVersion", "");
      wo.field_selector = "metadata.name=" + obj_name;
      wo.timeout_seconds = static_cast<int>(std::max<long long>(1, std::min<long long>(left.count(), options_.watch_timeout.count())));
      bool ready = false;
      auto watched = client_.watch(*type, ns, wo, [&](const kube::WatchEvent& ev) {
        if (ev.type == "BOOKMARK" || ev.type == "DELETED") return true;
        ready = !notReady(ev.object);
        return !ready;
      });
      // 410 Gone (the resourceVersion is too old): read the object again and watch from there.
      if (!watched && !kube::isExpired(watched.error())) return fromKube(watched.error(), name);
    }
    if (say) say(fmt::format("  ready: {}", name));
  }
  return std::nullopt;
}

}  // namespace meshtwin::deploy
