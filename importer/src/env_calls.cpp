// Calls from environment variables that name Services: the call graph of an import that has
// manifests but no traffic data.
#include "meshtwin/importer/env_calls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace meshtwin::importer {

namespace {

const nlohmann::json* at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void containerEnv(const Object& o, const nlohmann::json* containers, std::vector<EnvReference>& out) {
  if (!containers || !containers->is_array()) return;
  for (const auto& c : *containers) {
    const auto* env = at(c, {"env"});
    if (!env || !env->is_array()) continue;
    for (const auto& e : *env) {
      const auto* name = at(e, {"name"});
      const auto* value = at(e, {"value"});
      if (name && value && name->is_string() && value->is_string()) {
        // Objects written without a namespace land in "default", as the mapping puts them.
        out.push_back({o.kind, o.ns.empty() ? "default" : o.ns, o.name, name->get<std::string>(),
                       value->get<std::string>()});
      }
    }
  }
}

// The Service `host` names, seen from namespace `ns`; nullptr when none.
const DraftService* serviceNamed(const Draft& d, const std::string& host, const std::string& ns) {
  auto parts = std::vector<std::string>{};
  for (std::size_t start = 0;;) {
    const auto dot = host.find('.', start);
    parts.push_back(host.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  const bool svc_suffix = parts.size() >= 3 && parts[2] == "svc";
  if (parts.size() > 2 && !svc_suffix) return nullptr;  // an external name
  const std::string name = parts[0];
  const std::string in_ns = parts.size() >= 2 ? parts[1] : ns;
  for (const auto& s : d.services) {
    if (s.name == name && s.ns == in_ns) return &s;
  }
  return nullptr;
}

bool backs(const Draft& d, const DraftWorkload& w) {
  return std::any_of(d.services.begin(), d.services.end(), [&](const DraftService& s) {
    return s.ns == w.ns && std::find(s.workloads.begin(), s.workloads.end(), w.name) != s.workloads.end();
  });
}

}  // namespace

std::vector<EnvReference> environmentReferences(const std::vector<Object>& objects) {
  std::vector<EnvReference> out;
  for (const auto& o : objects) {
    if (o.kind == "Pod") containerEnv(o, at(o.body, {"spec", "containers"}), out);
    else if (o.kind == "Deployment" || o.kind == "StatefulSet" || o.kind == "DaemonSet" || o.kind == "ReplicaSet") {
      containerEnv(o, at(o.body, {"spec", "template", "spec", "containers"}), out);
    }
  }
  return out;
}

std::string hostOf(const std::string& value) {
  std::string v = value;
  if (const auto scheme = v.find("://"); scheme != std::string::npos) v = v.substr(scheme + 3);
  if (const auto slash = v.find('/'); slash != std::string::npos) v = v.substr(0, slash);
  if (const auto cred = v.rfind('@'); cred != std::string::npos) v = v.substr(cred + 1);
  if (const auto colon = v.find(':'); colon != std::string::npos) {
    const auto port = v.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
    v = v.substr(0, colon);
  }
  if (const auto suffix = v.find(".svc.cluster.local"); suffix != std::string::npos) v = v.substr(0, suffix + 4);
  // A DNS name: lower-case letters, digits, '-' and '.', starting with a letter.
  if (v.empty() || v[0] < 'a' || v[0] > 'z') return "";
  const bool dns = std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  return dns ? v : "";
}

void callsFromEnvironment(const std::vector<EnvReference>& refs, Draft& d, ImportReport& report) {
  for (auto& w : d.workloads) {
    if (!w.script.empty()) continue;
    std::vector<std::string> called, how;
    for (const auto& r : refs) {
      if (r.ns != w.ns || r.name != w.name || r.kind != w.kind) continue;
      const auto* s = serviceNamed(d, hostOf(r.value), w.ns);
      if (!s || std::find(s->workloads.begin(), s->workloads.end(), w.name) != s->workloads.end()) continue;
      const auto target = s->ns == w.ns ? s->name : s->name + "." + s->ns;
      if (std::find(called.begin(), called.end(), target) != called.end()) continue;
      called.push_back(target);
      how.push_back(r.var + " -> " + target);
    }
    if (called.empty()) continue;
    const std::string list = fmt::format("{}", fmt::join(how, ", "));
    if (!backs(d, w)) {
      for (const auto& target : called) {
        const auto* s = serviceNamed(d, target, w.ns);
        const auto name = w.name + "-" + s->name;
        if (std::any_of(d.entry_points.begin(), d.entry_points.end(),
                        [&](const DraftEntryPoint& e) { return e.name == name; })) {
          continue;
        }
        DraftEntryPoint ep;
        ep.name = name;
        ep.service = s->name + "." + s->ns;
        ep.notes.push_back(fmt::format("from {} {}'s environment ({}): no Service selects it, so it is a traffic origin",
                                       w.kind, w.key(), list));
        d.entry_points.push_back(std::move(ep));
      }
      report.assume("workload " + w.key(), "no Service selects it and its environment names " + list +
                                               ": taken as a traffic origin, an entry point on each");
      continue;
    }
    for (const auto& target : called) w.script.push_back(DraftStep{0, {DraftCall{target}}});
    w.notes.push_back("calls from its environment (" + list + ")");
    report.assume("workload " + w.key(), "calls from environment variables (" + list +
                                             "): no traffic data, each call made once per request assumed");
  }
}

}  // namespace meshtwin::importer
