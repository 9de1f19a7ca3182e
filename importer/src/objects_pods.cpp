// Pod templates and Pods: labels, service account, resources of the app containers, what the
// pod says about its data plane; bare Pods as workloads, owned Pods as evidence for their owner.
#include <fmt/format.h>

#include "meshtwin/models/scenario_writer.hpp"
#include "meshtwin/models/units.hpp"
#include "objects_internal.hpp"

namespace meshtwin::importer::detail {

namespace {

using models::MeshMode;

// Labels controllers and the Istio injector add to pods; not the workload's own.
bool controllerLabel(const std::string& k) {
  return k == "pod-template-hash" || k == "controller-revision-hash" || k == "pod-template-generation" ||
         k == "statefulset.kubernetes.io/pod-name" || k == "apps.kubernetes.io/pod-index" ||
         k == "security.istio.io/tlsMode" || k == "service.istio.io/canonical-name" ||
         k == "service.istio.io/canonical-revision";
}

std::optional<std::int64_t> quantity(Mapper& m, const Object& o, const nlohmann::json& c, const char* kind,
                                     const char* what) {
  const auto text = str(c, {"resources", kind, what});
  if (text.empty()) return std::nullopt;
  const auto r = std::string(what) == "cpu" ? models::parseCpuMillicores(text) : models::parseMemoryBytes(text);
  if (!r.ok()) {
    m.error(o, fmt::format("container {}: resources.{}.{} \"{}\": {}", str(c, {"name"}), kind, what, text, r.error()),
            "a Kubernetes quantity, e.g. 250m for CPU, 256Mi for memory");
    return std::nullopt;
  }
  return r.value();
}

// Sums of one resource over the app containers: the request (a limit alone is also the
// request, as Kubernetes defaults it) and the limit (only when every container has one).
struct Sum {
  std::int64_t request = 0, limit = 0;
  bool any_request = false, all_limits = true, any_limit = false;
};

void addContainer(Mapper& m, const Object& o, const nlohmann::json& c, const char* what, Sum& s) {
  const auto req = quantity(m, o, c, "requests", what);
  const auto lim = quantity(m, o, c, "limits", what);
  if (req || lim) s.any_request = true;
  s.request += req ? *req : lim.value_or(0);
  if (lim) s.limit += *lim;
  s.any_limit = s.any_limit || lim.has_value();
  s.all_limits = s.all_limits && lim.has_value();
}

void proxyResources(const nlohmann::json& c, PodFacts& f) {
  const auto cpu = str(c, {"resources", "requests", "cpu"});
  const auto mem = str(c, {"resources", "requests", "memory"});
  f.proxy = true;
  addNote(f.notes, "istio-proxy container present (injected)" +
                       (cpu.empty() && mem.empty() ? std::string() : ", its requests cpu " + cpu + " memory " + mem));
}

void containers(Mapper& m, const Object& o, const nlohmann::json& spec, PodFacts& f) {
  Sum cpu, mem;
  std::vector<const nlohmann::json*> app;
  for (const auto& c : items(spec, {"containers"})) app.push_back(&c);
  // Init containers run to completion and are left out, except native sidecars
  // (restartPolicy: Always), which run beside the app; istio-proxy may be one of them.
  for (const auto& c : items(spec, {"initContainers"})) {
    if (str(c, {"restartPolicy"}) == "Always" || str(c, {"name"}) == "istio-proxy") app.push_back(&c);
  }
  for (const auto* c : app) {
    if (str(*c, {"name"}) == "istio-proxy") {
      proxyResources(*c, f);
      continue;
    }
    addContainer(m, o, *c, "cpu", cpu);
    addContainer(m, o, *c, "memory", mem);
    for (const auto& p : items(*c, {"ports"})) {
      const auto port = integer(p, {"containerPort"});
      if (!str(p, {"name"}).empty() && port && *port > 0 && *port < 65536) f.ports[str(p, {"name"})] = static_cast<int>(*port);
    }
  }
  if (cpu.any_request) f.cpu_request_m = cpu.request;
  if (mem.any_request) f.memory_request_bytes = mem.request;
  if (cpu.any_limit && cpu.all_limits) f.cpu_limit_m = cpu.limit;
  if (mem.any_limit && mem.all_limits) f.memory_limit_bytes = mem.limit;
  if (cpu.any_limit && !cpu.all_limits) f.notes.push_back("a container has no CPU limit: the pod's CPU is not limited");
  if (mem.any_limit && !mem.all_limits) f.notes.push_back("a container has no memory limit: the pod's memory is not limited");
}

// sidecar.istio.io/proxyCPU and friends, against what the profile costs a sidecar at.
void proxyAnnotations(Mapper& m, const Object& o, PodFacts& f) {
  std::vector<std::string> set;
  for (const auto* key : {"proxyCPU", "proxyMemory", "proxyCPULimit", "proxyMemoryLimit"}) {
    const auto it = f.annotations.find(std::string("sidecar.istio.io/") + key);
    if (it != f.annotations.end()) set.push_back(std::string(key) + "=" + it->second);
  }
  if (set.empty()) return;
  addNote(f.notes, "sidecar resources from annotations: " + listText(set, 4));
  const auto cpu = f.annotations.find("sidecar.istio.io/proxyCPU");
  if (cpu == f.annotations.end()) return;
  const auto r = models::parseCpuMillicores(cpu->second);
  const auto profile_cpu = m.profile.sidecar.resources.cpu_request_millicores;
  if (r.ok() && profile_cpu > 0 && r.value() != profile_cpu) {
    m.report.assume(o.ref(), fmt::format("sidecar.istio.io/proxyCPU {} differs from the profile's sidecar request {}: "
                                         "the model costs sidecars by the profile",
                                         cpu->second, models::exactCpu(profile_cpu)));
  }
}

bool isProxyPod(const nlohmann::json& pod) {
  for (const auto* list : {"containers", "initContainers"}) {
    for (const auto& c : items(pod, {"spec", list})) {
      if (str(c, {"name"}) == "istio-proxy") return true;
    }
  }
  return false;
}

// What an owned Pod shows of its top owner (Pod -> ReplicaSet -> Deployment): injection or
// ambient redirection, where the owner's template did not say.
void podEvidence(Mapper& m, const Object& pod, std::string owner_ref) {
  if (const auto rs = m.objects.find(owner_ref); rs != m.objects.end() && rs->second->kind == "ReplicaSet") {
    if (const auto up = controllerOwner(*rs->second); up && m.objects.count(up->kind + " " + pod.ns + "/" + up->name)) {
      owner_ref = up->kind + " " + pod.ns + "/" + up->name;
    }
  }
  const auto key = m.workload_of.find(owner_ref);
  if (key == m.workload_of.end()) return;
  auto* w = m.draft.findWorkload(pod.ns, key->second.substr(key->second.find('/') + 1));
  if (!w || w->mode) return;
  if (isProxyPod(pod.body)) {
    w->mode = MeshMode::Sidecar;
    addNote(w->notes, "sidecar: istio-proxy container in its Pod " + pod.key());
  } else if (str(pod.body, {"metadata", "annotations", "ambient.istio.io/redirection"}) == "enabled") {
    w->mode = MeshMode::Ambient;
    addNote(w->notes, "ambient: ambient.istio.io/redirection=enabled on its Pod " + pod.key());
  }
}

// A Pod whose controller is not in the input: pods of one owner become one workload.
Outcome podOfMissingOwner(Mapper& m, const Object& o, const OwnerRef& owner) {
  const auto ref = owner.kind + " " + o.ns + "/" + owner.name;
  if (const auto it = m.workload_of.find(ref); it != m.workload_of.end()) {
    if (auto* w = m.draft.findWorkload(o.ns, it->second.substr(it->second.find('/') + 1))) {
      w->replicas = w->replicas.value_or(0) + 1;
      addNote(w->notes, "from Pod " + o.key());
      return mapped();
    }
  }
  std::string name = owner.name;
  const auto hash = str(o.body, {"metadata", "labels", "pod-template-hash"});
  if (owner.kind == "ReplicaSet" && !hash.empty() && name.size() > hash.size() + 1 &&
      name.compare(name.size() - hash.size() - 1, std::string::npos, "-" + hash) == 0) {
    name.resize(name.size() - hash.size() - 1);  // the Deployment's name
  }
  auto f = readPod(m, o, o.body);
  auto& w = addWorkload(m, o, name, f);
  w.kind = owner.kind;
  w.replicas = 1;
  m.workload_of[ref] = w.key();
  m.report.assume("workload " + w.key(), ref + " is not in the input: the workload is made of its Pods");
  return mapped();
}

}  // namespace

std::optional<OwnerRef> controllerOwner(const Object& o) {
  const auto& refs = items(o.body, {"metadata", "ownerReferences"});
  for (const auto& r : refs) {
    if (get(r, {"controller"}) && get(r, {"controller"})->is_boolean() && get(r, {"controller"})->get<bool>()) {
      return OwnerRef{str(r, {"kind"}), str(r, {"name"})};
    }
  }
  if (refs.empty()) return std::nullopt;
  return OwnerRef{str(refs[0], {"kind"}), str(refs[0], {"name"})};
}

PodFacts readPod(Mapper& m, const Object& o, const nlohmann::json& pod) {
  PodFacts f;
  for (auto& [k, v] : labels(pod, {"metadata", "labels"})) {
    if (!controllerLabel(k)) f.labels[k] = v;
  }
  f.annotations = labels(pod, {"metadata", "annotations"});
  f.service_account = str(pod, {"spec", "serviceAccountName"});
  if (f.service_account.empty()) f.service_account = str(pod, {"spec", "serviceAccount"});
  if (f.service_account.empty()) f.service_account = "default";  // what Kubernetes gives the pod
  if (const auto* spec = get(pod, {"spec"})) containers(m, o, *spec, f);
  proxyAnnotations(m, o, f);
  return f;
}

std::optional<MeshMode> podMode(const Mapper& m, const std::string& ns, const PodFacts& f,
                                std::vector<std::string>& notes) {
  const auto ns_it = m.namespaces.find(ns);
  const bool ns_ambient = ns_it != m.namespaces.end() && ns_it->second.mode == MeshMode::Ambient;
  auto inject = f.labels.count("sidecar.istio.io/inject") ? f.labels.at("sidecar.istio.io/inject") : std::string();
  if (inject.empty() && f.annotations.count("sidecar.istio.io/inject")) inject = f.annotations.at("sidecar.istio.io/inject");
  const auto dataplane = f.labels.count("istio.io/dataplane-mode") ? f.labels.at("istio.io/dataplane-mode") : std::string();
  if (f.proxy) return MeshMode::Sidecar;
  if (inject == "true") {
    notes.push_back("sidecar: sidecar.istio.io/inject=true");
    return MeshMode::Sidecar;
  }
  if (dataplane == "ambient") {
    notes.push_back("ambient: istio.io/dataplane-mode=ambient on its pods");
    return MeshMode::Ambient;
  }
  if (inject == "false" && !ns_ambient) {
    notes.push_back("no sidecar: sidecar.istio.io/inject=false");
    return MeshMode::None;
  }
  if (dataplane == "none" && ns_ambient) {
    notes.push_back("out of ambient: istio.io/dataplane-mode=none on its pods");
    return MeshMode::None;
  }
  return std::nullopt;
}

DraftWorkload& addWorkload(Mapper& m, const Object& o, const std::string& name, const PodFacts& f) {
  DraftWorkload w;
  w.ns = o.ns;
  w.name = name;
  if (m.draft.findWorkload(o.ns, name)) {
    std::string kind = o.kind;
    for (auto& ch : kind) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    w.name = name + "-" + kind;
    m.report.assume("workload " + w.key(), "the name " + o.ns + "/" + name + " is taken by another workload: " +
                                               o.ref() + " is named " + w.name);
  }
  w.kind = o.kind;
  w.service_account = f.service_account;
  w.labels = f.labels;
  w.cpu_request_m = f.cpu_request_m;
  w.cpu_limit_m = f.cpu_limit_m;
  w.memory_request_bytes = f.memory_request_bytes;
  w.memory_limit_bytes = f.memory_limit_bytes;
  w.notes.push_back("from " + o.ref());
  w.mode = podMode(m, o.ns, f, w.notes);
  for (const auto& n : f.notes) addNote(w.notes, n);
  m.workload_of[o.ref()] = w.key();
  m.container_ports[w.key()] = f.ports;
  m.draft.workloads.push_back(std::move(w));
  return m.draft.workloads.back();
}

Outcome mapPod(Mapper& m, const Object& o) {
  if (m.isSystem(o.ns)) return skipped("system namespace");
  const auto phase = str(o.body, {"status", "phase"});
  if (phase == "Succeeded" || phase == "Failed") return skipped("the pod has finished (phase " + phase + ")");
  const auto l = labels(o.body, {"metadata", "labels"});
  if (l.count("gateway.networking.k8s.io/gateway-name") || l.count("gateway.istio.io/managed")) {
    return skipped("a Gateway's pod (waypoint or ingress), not a workload");
  }
  const auto owner = controllerOwner(o);
  if (!owner) {
    auto f = readPod(m, o, o.body);
    addWorkload(m, o, o.name, f).replicas = 1;
    return mapped();
  }
  const auto ref = owner->kind + " " + o.ns + "/" + owner->name;
  const bool controller_kind = owner->kind == "Deployment" || owner->kind == "StatefulSet" ||
                               owner->kind == "DaemonSet" || owner->kind == "ReplicaSet";
  if (controller_kind && m.objects.count(ref)) {
    podEvidence(m, o, ref);
    return skipped("owned by " + ref);
  }
  if (owner->kind == "Job" || owner->kind == "CronJob") return skipped("owned by " + ref + ": batch pods are not modelled");
  return podOfMissingOwner(m, o, *owner);
}

}  // namespace meshtwin::importer::detail
