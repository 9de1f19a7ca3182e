// Scenario loader: `defaults:` and `workloads:`, with each workload's resources, service
// time and script of calls and sleeps.
#include "scenario_loader.hpp"

namespace meshtwin::models::detail {

void ScenarioLoader::readDefaults(const YAML::Node& d) {
  const std::string obj = "defaults";
  if (!r_.isMap(d, obj, "defaults")) return;
  r_.checkKeys(d, obj, {"replicas", "concurrency", "serviceTime", "requestSize", "responseSize", "resources", "labels"});
  if (auto v = r_.integer(d, "replicas", obj, 0, 100000)) defaults_.replicas = static_cast<int>(*v);
  if (auto v = r_.integer(d, "concurrency", obj, 1, 1000000)) defaults_.concurrency = static_cast<int>(*v);
  if (const auto st = d["serviceTime"]; st.IsDefined()) readServiceTime(st, obj, defaults_.service_time);
  if (auto v = r_.quantity(d, "requestSize", obj, parseBytes)) defaults_.request_bytes = *v;
  if (auto v = r_.quantity(d, "responseSize", obj, parseBytes)) defaults_.response_bytes = *v;
  if (const auto res = d["resources"]; res.IsDefined()) readResources(res, obj, defaults_.resources);
  if (auto v = r_.stringMap(d, "labels", obj)) defaults_.labels = *v;
}

void ScenarioLoader::readResources(const YAML::Node& n, const std::string& obj, Resources& out) {
  if (!r_.isMap(n, obj, "resources")) return;
  r_.checkKeys(n, obj, {"requests", "limits"});
  auto side = [&](const char* key, std::int64_t& cpu, std::int64_t& mem) {
    const auto m = n[key];
    if (!m.IsDefined() || !r_.isMap(m, obj, key)) return;
    r_.checkKeys(m, obj, {"cpu", "memory"});
    if (auto v = r_.quantity(m, "cpu", obj, parseCpuMillicores)) cpu = *v;
    if (auto v = r_.quantity(m, "memory", obj, parseMemoryBytes)) mem = *v;
  };
  side("requests", out.cpu_request_millicores, out.memory_request_bytes);
  side("limits", out.cpu_limit_millicores, out.memory_limit_bytes);
  if (out.cpu_limit_millicores && out.cpu_limit_millicores < out.cpu_request_millicores)
    r_.error(n["limits"], obj, "CPU limit is below the CPU request", "Kubernetes rejects such a pod; raise the limit");
  if (out.memory_limit_bytes && out.memory_limit_bytes < out.memory_request_bytes)
    r_.error(n["limits"], obj, "memory limit is below the memory request", "Kubernetes rejects such a pod; raise the limit");
}

void ScenarioLoader::readServiceTime(const YAML::Node& n, const std::string& obj, ServiceTime& st) {
  if (!r_.isMap(n, obj, "serviceTime")) return;
  r_.checkKeys(n, obj, {"distribution", "mean", "p99"});
  const auto dist = r_.str(n, "distribution", obj).value_or("exponential");
  if (dist == "constant") st.kind = ServiceTime::Kind::Constant;
  else if (dist == "exponential") st.kind = ServiceTime::Kind::Exponential;
  else if (dist == "lognormal") st.kind = ServiceTime::Kind::LogNormal;
  else r_.error(n["distribution"], obj, "unknown service-time distribution \"" + dist + "\"",
                suggestionHint(dist, {"constant", "exponential", "lognormal"}, "distributions"));
  if (auto v = r_.quantity(n, "mean", obj, parseDurationNs, true)) st.mean_ns = *v;
  if (auto v = r_.quantity(n, "p99", obj, parseDurationNs)) st.p99_ns = *v;
  if (st.kind == ServiceTime::Kind::LogNormal) {
    if (st.p99_ns == 0) {
      r_.error(n, obj, "a lognormal service time needs p99", "e.g. serviceTime: {distribution: lognormal, mean: 2ms, p99: 10ms}");
    } else if (st.p99_ns <= st.mean_ns) {
      r_.error(n["p99"].IsDefined() ? n["p99"] : n, obj, "p99 must be above the mean for a lognormal service time");
    }
  } else if (n["p99"].IsDefined()) {
    r_.error(n["p99"], obj, "p99 applies only to the lognormal distribution",
             "remove it, or set distribution: lognormal");
  }
}

void ScenarioLoader::readWorkloads(const YAML::Node& list) {
  if (!r_.isSeq(list, "scenario", "workloads")) return;
  for (const auto& n : list) readWorkload(n);
}

void ScenarioLoader::readWorkload(const YAML::Node& n) {
  if (!r_.isMap(n, "workload", "workloads[]")) return;
  Workload w;
  w.loc = r_.loc(n);
  w.name = r_.str(n, "name", "workload", true).value_or("");
  w.ns = r_.str(n, "namespace", "workload").value_or("default");
  const std::string obj = "workload " + w.ns + "/" + w.name;
  r_.checkKeys(n, obj, {"name", "namespace", "serviceAccount", "replicas", "labels", "resources", "concurrency",
                        "serviceTime", "requestSize", "responseSize", "script", "l7", "zones", "protocol", "port"});
  if (!w.name.empty() && !validDnsLabel(w.name))
    r_.error(n["name"], obj, "name is not a valid Kubernetes name", "use lower-case letters, digits and '-'");
  if (!validDnsLabel(w.ns)) r_.error(n["namespace"], obj, "namespace is not a valid Kubernetes name");
  w.service_account = r_.str(n, "serviceAccount", obj).value_or(w.name);
  w.replicas = static_cast<int>(r_.integer(n, "replicas", obj, 0, 100000).value_or(defaults_.replicas));
  w.labels = defaults_.labels;
  if (auto l = r_.stringMap(n, "labels", obj)) {
    for (auto& [k, v] : *l) w.labels[k] = v;
  }
  w.labels.emplace("app", w.name);
  w.resources = defaults_.resources;
  if (const auto res = n["resources"]; res.IsDefined()) readResources(res, obj, w.resources);
  w.concurrency = static_cast<int>(r_.integer(n, "concurrency", obj, 1, 1000000).value_or(defaults_.concurrency));
  w.service_time = defaults_.service_time;
  if (const auto st = n["serviceTime"]; st.IsDefined()) readServiceTime(st, obj, w.service_time);
  w.request_bytes = r_.quantity(n, "requestSize", obj, parseBytes).value_or(defaults_.request_bytes);
  w.response_bytes = r_.quantity(n, "responseSize", obj, parseBytes).value_or(defaults_.response_bytes);
  readL7Features(n, obj, w);
  w.zones = zoneList(n, obj);
  if (const auto script = n["script"]; script.IsDefined() && !script.IsNull()) readScript(script, obj, w);
  const ImplicitPort ip = readImplicitPort(n, obj);
  if (s_.findWorkload(w.ns, w.name)) {
    r_.error(n, obj, "workload is defined twice", "names must be unique within a namespace");
    return;
  }
  implicit_ports_.push_back(ip);
  s_.workloads.push_back(std::move(w));
}

void ScenarioLoader::readL7Features(const YAML::Node& n, const std::string& obj, Workload& w) {
  const auto l7 = r_.strings(n, "l7", obj);
  if (!l7) return;
  std::size_t i = 0;
  for (const auto& f : *l7) {
    if (auto feat = l7FeatureFrom(f)) w.l7.insert(*feat);
    else r_.error(n["l7"][i], obj, "unknown L7 feature \"" + f + "\"", suggestionHint(f, l7FeatureNames(), "features"));
    ++i;
  }
}

// The port and protocol of the Service a workload gets when no listed service backs it.
ScenarioLoader::ImplicitPort ScenarioLoader::readImplicitPort(const YAML::Node& n, const std::string& obj) {
  ImplicitPort ip;
  if (auto p = r_.str(n, "protocol", obj)) {
    if (auto proto = protocolFrom(*p)) ip.protocol = *proto;
    else r_.error(n["protocol"], obj, "unknown protocol \"" + *p + "\"", "use http, grpc or tcp");
  }
  if (auto p = r_.integer(n, "port", obj, 1, 65535)) ip.port = static_cast<int>(*p);
  return ip;
}

void ScenarioLoader::readScript(const YAML::Node& script, const std::string& obj, Workload& w) {
  if (!r_.isSeq(script, obj, "script")) return;
  for (const auto& step : script) {
    if (step.IsSequence()) {
      readConcurrentStep(step, obj, w);
      continue;
    }
    ScriptStep s;
    if (readStep(step, obj, s)) w.script.push_back(std::move(s));
  }
}

// A list inside the script: calls made at the same time.
void ScenarioLoader::readConcurrentStep(const YAML::Node& step, const std::string& obj, Workload& w) {
  ScriptStep s;
  s.kind = ScriptStep::Kind::Concurrent;
  s.loc = r_.loc(step);
  for (const auto& inner : step) {
    if (inner.IsSequence()) {
      r_.error(inner, obj, "concurrent calls may not be nested", "flatten the inner list into the outer one");
      continue;
    }
    ScriptStep one;
    if (!readStep(inner, obj, one)) continue;
    if (one.kind != ScriptStep::Kind::Call) {
      r_.error(inner, obj, "a concurrent group may hold only calls", "move the sleep before or after the group");
      continue;
    }
    s.calls.push_back(std::move(one.calls.front()));
  }
  if (s.calls.empty()) r_.error(step, obj, "a concurrent group needs at least one call");
  else w.script.push_back(std::move(s));
}

bool ScenarioLoader::readStep(const YAML::Node& n, const std::string& obj, ScriptStep& out) {
  out.loc = r_.loc(n);
  if (!n.IsMap() || n.size() != 1) {
    r_.error(n, obj, "a script step must be one of `sleep: <duration>`, `call: <service>` or a list of calls",
             "e.g. - call: {service: cart, size: 512B, probability: 50}");
    return false;
  }
  const auto key = n.begin()->first.as<std::string>("");
  const YAML::Node v = n.begin()->second;
  if (key == "sleep") return readSleep(v, obj, out);
  if (key == "call") return readCall(n, v, obj, out);
  r_.error(n.begin()->first, obj, "unknown script command \"" + key + "\"",
           suggestionHint(key, {"sleep", "call"}, "commands"));
  return false;
}

bool ScenarioLoader::readSleep(const YAML::Node& v, const std::string& obj, ScriptStep& out) {
  out.kind = ScriptStep::Kind::Sleep;
  const auto text = r_.scalar(v, obj, "sleep");
  if (!text) return false;
  const auto d = parseDurationNs(*text);
  if (!d.ok()) {
    r_.error(v, obj, "sleep: " + d.error());
    return false;
  }
  out.sleep_ns = d.value();
  return true;
}

// `call: <service>` or `call: {service, size, probability, method, path}`; `n` is the step.
bool ScenarioLoader::readCall(const YAML::Node& n, const YAML::Node& v, const std::string& obj, ScriptStep& out) {
  out.kind = ScriptStep::Kind::Call;
  Call c;
  c.loc = r_.loc(v);
  if (v.IsNull() || (v.IsScalar() && v.Scalar().empty())) {
    r_.error(v.IsNull() ? n : v, obj, "call needs a service name", "e.g. - call: cart, or - call: {service: cart, size: 1KiB}");
    return false;
  }
  if (v.IsScalar()) {
    c.service_name = v.Scalar();
  } else if (v.IsMap()) {
    r_.checkKeys(v, obj, {"service", "size", "probability", "method", "path"});
    c.method = r_.str(v, "method", obj).value_or("GET");
    c.path = r_.str(v, "path", obj).value_or("/");
    if (c.path.empty() || c.path.front() != '/')
      r_.error(v["path"], obj, "call path \"" + c.path + "\" must start with /", "e.g. path: /api/checkout");
    c.service_name = r_.str(v, "service", obj, true).value_or("");
    if (v["service"].IsDefined()) c.loc = r_.loc(v["service"]);
    if (auto sz = r_.quantity(v, "size", obj, parseBytes)) c.request_bytes = *sz;
    if (auto p = r_.number(v, "probability", obj, 0, 100)) c.probability = *p / 100.0;
  } else {
    r_.error(v, obj, "call must name a service or be a map {service, size, probability}");
    return false;
  }
  if (c.service_name.empty()) return false;
  out.calls.push_back(std::move(c));
  return true;
}

}  // namespace meshtwin::models::detail
