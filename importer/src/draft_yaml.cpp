// The Draft as meshtwin/v1 YAML for the loader: a plain writer, every decision already made.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "finish_internal.hpp"
#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::importer::detail {

namespace {

using models::exactCpu;
using models::exactDuration;
using models::exactMemory;

std::string number(double v) { return fmt::format("{}", v); }

void json(YAML::Emitter& out, const nlohmann::json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      json(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) json(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    out << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();
  }
}

class Writer {
 public:
  Writer(const Draft& d, const std::vector<PlannedWave>& plan) : d_(d), plan_(plan) {}

  std::string run() {
    out_ << YAML::BeginMap;
    kv("apiVersion", "meshtwin/v1");
    kv("kind", "Scenario");
    out_ << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    kv("name", d_.name);
    if (!d_.description.empty()) kv("description", d_.description);
    out_ << YAML::EndMap;
    kv("profile", d_.profile);
    cluster();
    workloads();
    services();
    entryPoints();
    mesh();
    plan();
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

 private:
  void kv(const char* key, const std::string& value) { out_ << YAML::Key << key << YAML::Value << value; }
  void quoted(const char* key, const std::string& value) {
    out_ << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
  }
  void strings(const char* key, const std::vector<std::string>& v) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& x : v) out_ << YAML::DoubleQuoted << x;
    out_ << YAML::EndSeq;
  }

  void cluster() {
    out_ << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    strings("zones", d_.zones);
    out_ << YAML::Key << "nodePools" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : d_.pools) {
      out_ << YAML::BeginMap;
      kv("name", p.name);
      if (!p.instance_type.empty()) quoted("instanceType", p.instance_type);
      kv("vcpu", exactCpu(p.cpu_millicores));
      kv("memory", exactMemory(p.memory_bytes));
      kv("priceUsdPerHour", number(p.price_usd_per_hour.value_or(0)));
      kv("countPerZone", std::to_string(p.count_per_zone));
      if (!p.zones.empty()) strings("zones", p.zones);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq << YAML::EndMap;
  }

  void resources(const DraftWorkload& w) {
    out_ << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
    out_ << YAML::Key << "requests" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("cpu", exactCpu(w.cpu_request_m.value_or(0)));
    kv("memory", exactMemory(w.memory_request_bytes.value_or(0)));
    out_ << YAML::EndMap;
    if (w.cpu_limit_m || w.memory_limit_bytes) {
      out_ << YAML::Key << "limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
      if (w.cpu_limit_m) kv("cpu", exactCpu(*w.cpu_limit_m));
      if (w.memory_limit_bytes) kv("memory", exactMemory(*w.memory_limit_bytes));
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  void call(const DraftCall& c) {
    out_ << YAML::BeginMap << YAML::Key << "call" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("service", c.service);
    if (c.request_bytes > 0) kv("size", std::to_string(c.request_bytes));
    if (c.probability < 1.0) kv("probability", number(c.probability * 100));
    if (c.method != "GET") kv("method", c.method);
    if (c.path != "/") quoted("path", c.path);
    out_ << YAML::EndMap << YAML::EndMap;
  }

  void script(const std::vector<DraftStep>& steps) {
    out_ << YAML::Key << "script" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : steps) {
      if (s.calls.empty()) {
        out_ << YAML::Flow << YAML::BeginMap;
        kv("sleep", exactDuration(s.sleep_ns));
        out_ << YAML::EndMap;
      } else if (s.calls.size() == 1) {
        call(s.calls.front());
      } else {
        out_ << YAML::BeginSeq;
        for (const auto& c : s.calls) call(c);
        out_ << YAML::EndSeq;
      }
    }
    out_ << YAML::EndSeq;
  }

  void serviceTime(const models::ServiceTime& st) {
    out_ << YAML::Key << "serviceTime" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("distribution", models::toString(st.kind));
    kv("mean", exactDuration(st.mean_ns));
    if (st.kind == models::ServiceTime::Kind::LogNormal) kv("p99", exactDuration(st.p99_ns));
    out_ << YAML::EndMap;
  }

  void workloads() {
    out_ << YAML::Key << "workloads" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : d_.workloads) {
      out_ << YAML::BeginMap;
      kv("name", w.name);
      kv("namespace", w.ns);
      if (!w.service_account.empty()) kv("serviceAccount", w.service_account);
      kv("replicas", std::to_string(w.replicas.value_or(1)));
      if (!w.labels.empty()) {
        out_ << YAML::Key << "labels" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [k, v] : w.labels) out_ << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
        out_ << YAML::EndMap;
      }
      resources(w);
      if (w.concurrency) kv("concurrency", std::to_string(*w.concurrency));
      if (w.service_time) serviceTime(*w.service_time);
      if (w.request_bytes) kv("requestSize", std::to_string(*w.request_bytes));
      if (w.response_bytes) kv("responseSize", std::to_string(*w.response_bytes));
      if (!w.l7.empty()) strings("l7", {w.l7.begin(), w.l7.end()});
      if (!w.script.empty()) script(w.script);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void services() {
    if (d_.services.empty()) return;
    out_ << YAML::Key << "services" << YAML::Value << YAML::BeginSeq;
    for (const auto& sv : d_.services) {
      out_ << YAML::BeginMap;
      kv("name", sv.name);
      kv("namespace", sv.ns);
      strings("workloads", sv.workloads);
      out_ << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
      for (const auto& p : sv.ports) {
        out_ << YAML::Flow << YAML::BeginMap;
        kv("name", p.name.empty() ? fmt::format("port-{}", p.port) : p.name);
        kv("port", std::to_string(p.port));
        kv("targetPort", std::to_string(p.target_port));
        kv("protocol", models::toString(p.protocol));
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void load(const DraftEntryPoint& ep) {
    out_ << YAML::Key << "load" << YAML::Value << YAML::BeginSeq;
    out_ << YAML::BeginMap;
    if (ep.rps.size() == 1) {
      out_ << YAML::Key << "constant" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("rps", number(ep.rps.front()));
    } else {
      out_ << YAML::Key << "steps" << YAML::Value << YAML::Flow << YAML::BeginMap;
      out_ << YAML::Key << "rps" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (double r : ep.rps) out_ << number(r);
      out_ << YAML::EndSeq;
    }
    kv("duration", exactDuration(ep.step_ns * static_cast<std::int64_t>(ep.rps.size())));
    out_ << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  }

  void entryPoints() {
    if (d_.entry_points.empty()) return;
    out_ << YAML::Key << "entryPoints" << YAML::Value << YAML::BeginSeq;
    for (const auto& ep : d_.entry_points) {
      out_ << YAML::BeginMap;
      kv("name", ep.name);
      kv("service", ep.service);
      quoted("path", ep.path);
      if (!ep.zones.empty()) strings("zones", ep.zones);
      load(ep);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }

  void modes(const char* key, const std::map<std::string, models::MeshMode>& m) {
    if (m.empty()) return;
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : m) out_ << YAML::Key << k << YAML::Value << models::toString(v);
    out_ << YAML::EndMap;
  }

  void waypoint(const DraftWaypoint& wp) {
    out_ << YAML::BeginMap;
    kv("name", wp.name);
    kv("namespace", wp.ns);
    kv("for", wp.traffic);
    kv("replicas", std::to_string(wp.replicas));
    if (wp.hpa) {
      out_ << YAML::Key << "hpa" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("minReplicas", std::to_string(wp.hpa->min_replicas));
      kv("maxReplicas", std::to_string(wp.hpa->max_replicas));
      kv("targetCpu", std::to_string(wp.hpa->target_cpu_percent) + "%");
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }

  void mesh() {
    out_ << YAML::Key << "mesh" << YAML::Value << YAML::BeginMap;
    kv("defaultMode", models::toString(d_.default_mode));
    modes("namespaces", d_.namespace_modes);
    modes("workloads", d_.workload_modes);
    if (!d_.waypoints.empty()) {
      out_ << YAML::Key << "waypoints" << YAML::Value << YAML::BeginSeq;
      for (const auto& wp : d_.waypoints) waypoint(wp);
      out_ << YAML::EndSeq;
    }
    if (!d_.bindings.empty()) {
      out_ << YAML::Key << "useWaypoint" << YAML::Value << YAML::BeginSeq;
      for (const auto& b : d_.bindings) {
        out_ << YAML::Flow << YAML::BeginMap;
        kv(b.scope.c_str(), b.target);
        kv("waypoint", b.waypoint);
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq;
    }
    if (!d_.policies.empty()) {
      out_ << YAML::Key << "policies" << YAML::Value;
      json(out_, d_.policies);
    }
    if (!d_.routes.empty()) {
      out_ << YAML::Key << "routes" << YAML::Value;
      json(out_, d_.routes);
    }
    out_ << YAML::EndMap;
  }

  void wave(const PlannedWave& w) {
    out_ << YAML::BeginMap;
    kv("name", w.name);
    out_ << YAML::Key << "changes" << YAML::Value << YAML::BeginSeq;
    if (!w.add_waypoint.empty()) {
      out_ << YAML::BeginMap << YAML::Key << "addWaypoint" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("name", w.add_waypoint);
      kv("namespace", w.ns);
      kv("for", "service");
      kv("replicas", std::to_string(w.waypoint_replicas));
      out_ << YAML::Key << "hpa" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("minReplicas", std::to_string(w.waypoint_replicas));
      kv("maxReplicas", std::to_string(2 * w.waypoint_replicas));
      kv("targetCpu", "70%");
      out_ << YAML::EndMap;
      out_ << YAML::EndMap << YAML::EndMap;
    }
    if (!w.bind_waypoint.empty()) {
      out_ << YAML::BeginMap << YAML::Key << "useWaypoint" << YAML::Value << YAML::Flow << YAML::BeginMap;
      kv("namespace", w.ns);
      kv("waypoint", w.bind_waypoint);
      out_ << YAML::EndMap << YAML::EndMap;
    }
    for (const auto& m : w.moves) {
      out_ << YAML::BeginMap << YAML::Key << "movePolicy" << YAML::Value << YAML::BeginMap;
      kv("policy", m.policy);
      out_ << YAML::Key << "targetRefs" << YAML::Value << YAML::BeginSeq;
      for (const auto& s : m.services) {
        out_ << YAML::Flow << YAML::BeginMap;
        kv("kind", "Service");
        kv("name", s);
        out_ << YAML::EndMap;
      }
      out_ << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
    }
    out_ << YAML::BeginMap << YAML::Key << "setMode" << YAML::Value << YAML::Flow << YAML::BeginMap;
    kv("namespace", w.ns);
    kv("mode", "ambient");
    out_ << YAML::EndMap << YAML::EndMap;
    out_ << YAML::EndSeq << YAML::EndMap;
  }

  void plan() {
    if (plan_.empty()) return;
    out_ << YAML::Key << "plan" << YAML::Value << YAML::BeginMap;
    kv("name", d_.name + "-to-ambient");
    out_ << YAML::Key << "waves" << YAML::Value << YAML::BeginSeq;
    for (const auto& w : plan_) wave(w);
    out_ << YAML::EndSeq << YAML::EndMap;
  }

  const Draft& d_;
  const std::vector<PlannedWave>& plan_;
  YAML::Emitter out_;
};

}  // namespace

std::string draftYaml(const Draft& d, const std::vector<PlannedWave>& plan) { return Writer(d, plan).run(); }

}  // namespace meshtwin::importer::detail
