// KubeTarget's writes: discovery-based resource mapping, server-side apply of a wave's
// objects, label removals as JSON merge patches, deletions, and the journal's ConfigMap copy.
#include "meshtwin/deploy/kube_target.hpp"

#include <fmt/format.h>

namespace meshtwin::deploy {
namespace {

using nlohmann::json;

// {"metadata":{"labels":{"k":null}}} for path "metadata.labels".
json removalPatch(const LabelRemoval& r) {
  json labels = json::object();
  for (const auto& l : r.labels) labels[l] = nullptr;
  json patch = labels;
  std::vector<std::string> keys;
  for (std::size_t start = 0; start <= r.path.size();) {
    auto end = r.path.find('.', start);
    if (end == std::string::npos) end = r.path.size();
    keys.push_back(r.path.substr(start, end - start));
    start = end + 1;
  }
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) patch = json{{*it, patch}};
  return patch;
}

std::string conflictText(const kube::Error& e) {
  std::string out;
  for (const auto& c : e.causes) {
    if (c.field.empty()) continue;
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", c.field, c.message);
  }
  return out;
}

}  // namespace

std::string objectName(const json& body) {
  const auto& m = body.at("metadata");
  const auto ns = m.value("namespace", "");
  return fmt::format("{} {}{}", body.value("kind", "?"), ns.empty() ? "" : ns + "/", m.value("name", "?"));
}

Failure fromKube(const kube::Error& e, const std::string& object) {
  Failure f{e.kind == kube::Error::Kind::Config ? 2 : 3, kube::format(e), object, ""};
  if (kube::isConflict(e) && !e.causes.empty()) {
    f.message = "server-side apply conflict: " + conflictText(e);
    f.hint = "another field manager owns these fields: run again with --force-conflicts to take them over, or remove them "
             "from that manager's configuration";
  }
  return f;
}

KubeTarget::KubeTarget(kube::Client client, std::string plan, KubeTargetOptions options)
    : client_(std::move(client)), plan_(std::move(plan)), options_(std::move(options)) {
  if (options_.journal_name.empty()) options_.journal_name = "meshtwin-deploy-" + plan_;
}

std::string KubeTarget::describe() const {
  const auto& a = client_.access();
  return a.context.empty() ? "cluster " + a.server : fmt::format("cluster {} ({})", a.context, a.server);
}

kube::Result<kube::ResourceType> KubeTarget::resolve(const std::string& api_version, const std::string& kind) {
  const auto key = api_version + "/" + kind;
  if (const auto it = types_.find(key); it != types_.end()) return it->second;
  const bool core = api_version.find('/') == std::string::npos;
  auto list = client_.rawGet(core ? "/api/" + api_version : "/apis/" + api_version);
  if (!list) return list.error();
  const auto slash = api_version.find('/');
  for (const auto& r : list->value("resources", json::array())) {
    const auto name = r.value("name", "");
    if (name.find('/') != std::string::npos) continue;  // a subresource
    kube::ResourceType t{core ? "" : api_version.substr(0, slash), core ? api_version : api_version.substr(slash + 1), name,
                         r.value("kind", ""), r.value("namespaced", true)};
    types_.emplace(api_version + "/" + t.kind, t);
  }
  if (const auto it = types_.find(key); it != types_.end()) return it->second;
  return kube::Error{kube::Error::Kind::Http, 404, "get", client_.access().server, "NotFound",
                     fmt::format("the server serves {} but no kind {} in it", api_version, kind), "install the CRD that defines it"};
}

std::optional<Failure> KubeTarget::applyObjects(const std::vector<RenderedObject>& objects, bool dry_run, const Say& say) {
  const char* verb = dry_run ? "checked (dry run)" : "applied";
  const kube::ApplyOptions ao{options_.field_manager, options_.force_conflicts, dry_run};
  for (const auto& o : objects) {
    const auto name = objectName(o.body);
    auto type = resolve(o.body.value("apiVersion", ""), o.body.value("kind", ""));
    if (!type) return fromKube(type.error(), name);
    auto r = client_.apply(*type, o.body, ao);
    if (!r) return fromKube(r.error(), name);
    if (say) say(fmt::format("  {} {}", verb, name));
  }
  return std::nullopt;
}

std::optional<Failure> KubeTarget::apply(const RenderedWave& wave, bool dry_run, const Say& say) {
  const char* verb = dry_run ? "checked (dry run)" : "applied";
  // A wave's waypoints (Gateway, its parameters ConfigMap, its HPA) go first and must be
  // Programmed before the namespace and service labels that send traffic to them; a rollback
  // takes the labels off first and deletes the waypoints last (deletions come after objects).
  RenderedWave waypoints = wave;
  waypoints.objects.clear();
  std::vector<RenderedObject> rest;
  for (const auto& o : wave.objects) {
    const auto kind = o.body.value("kind", "");
    const bool part = !wave.rollback && (kind == "Gateway" || kind == "HorizontalPodAutoscaler" ||
                                         (kind == "ConfigMap" && o.body["metadata"]["labels"].value("app.kubernetes.io/managed-by", "") == "meshtwin"));
    (part ? waypoints.objects : rest).push_back(o);
  }
  if (auto f = applyObjects(waypoints.objects, dry_run, say)) return f;
  if (!dry_run && !waypoints.objects.empty()) {
    if (auto f = waitReady(waypoints, options_.waypoint_ready_limit, say)) return f;
  }
  if (auto f = applyObjects(rest, dry_run, say)) return f;
  for (const auto& l : wave.label_removals) {
    const auto name = fmt::format("{} {}{}", l.kind, l.ns.empty() ? "" : l.ns + "/", l.name);
    auto type = resolve(l.api_version, l.kind);
    if (!type) return fromKube(type.error(), name);
    auto r = client_.mergePatch(*type, l.ns, l.name, removalPatch(l), dry_run);
    if (!r && !kube::isNotFound(r.error())) return fromKube(r.error(), name);
    if (say) say(fmt::format("  {} {}: removed {} from {}", verb, name, fmt::join(l.labels, ", "), l.path));
  }
  for (const auto& d : wave.deletions) {
    const auto name = fmt::format("{} {}{}", d.kind, d.ns.empty() ? "" : d.ns + "/", d.name);
    auto type = resolve(d.api_version, d.kind);
    if (!type) return fromKube(type.error(), name);
    auto r = client_.remove(*type, d.ns, d.name, dry_run);
    if (!r) return fromKube(r.error(), name);
    if (say) say(fmt::format("  {} {}", dry_run ? "deletion checked (dry run):" : *r ? "deleted" : "already gone:", name));
  }
  return std::nullopt;
}

std::optional<Failure> KubeTarget::mirrorJournal(const std::string& text) {
  if (options_.journal_namespace.empty()) return std::nullopt;
  const json cm{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata",
                 {{"name", options_.journal_name},
                  {"namespace", options_.journal_namespace},
                  {"labels", {{"app.kubernetes.io/managed-by", "meshtwin"}, {"meshtwin.io/plan", plan_}}}}},
                {"data", {{"journal.jsonl", text}}}};
  const kube::ResourceType type{"", "v1", "configmaps", "ConfigMap", true};
  auto r = client_.apply(type, cm, kube::ApplyOptions{options_.field_manager, true, false});
  if (!r) return fromKube(r.error(), objectName(cm));
  return std::nullopt;
}

std::optional<std::string> KubeTarget::loadMirroredJournal() {
  if (options_.journal_namespace.empty()) return std::nullopt;
  const kube::ResourceType type{"", "v1", "configmaps", "ConfigMap", true};
  auto r = client_.get(type, options_.journal_namespace, options_.journal_name);
  if (!r) return std::nullopt;
  return r->value("data", json::object()).value("journal.jsonl", "");
}

}  // namespace meshtwin::deploy
