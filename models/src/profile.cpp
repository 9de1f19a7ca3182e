// Profile loading: shipped profiles are compiled in (see cmake/embed.cmake); others are files.
#include "meshtwin/models/profile.hpp"

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "meshtwin/models/units.hpp"
#include "yaml_reader.hpp"

namespace meshtwin::models {

// Generated from models/profiles/*.yaml.
const std::map<std::string, std::string_view>& embeddedFiles();

const char* toString(Basis b) {
  switch (b) {
    case Basis::Published: return "published";
    case Basis::Derived: return "derived";
    case Basis::Measured: return "measured";
    case Basis::Assumption: return "assumption";
  }
  return "?";
}

namespace {

using detail::YamlReader;

class ProfileReader {
 public:
  ProfileReader(YamlReader& r, Profile& p) : r_(r), p_(p) {}

  void read(const YAML::Node& root) {
    const std::string obj = "profile";
    if (!r_.isMap(root, obj, "the document")) return;
    r_.checkKeys(root, obj, {"apiVersion", "kind", "metadata", "provenance", "components", "network", "testbed", "pricing",
                          "anchors", "calibration"});
    if (auto k = r_.str(root, "kind", obj, true); k && *k != "Profile")
      r_.error(root["kind"], obj, "kind \"" + *k + "\" is not a profile", "use kind: Profile");
    if (const auto md = root["metadata"]; md.IsDefined() && r_.isMap(md, obj, "metadata")) {
      r_.checkKeys(md, obj, {"name", "description"});
      p_.name = r_.str(md, "name", obj, true).value_or("");
    }
    const auto prov = root["provenance"];
    if (!prov.IsDefined()) {
      r_.error(root, "profile " + p_.name, "missing required field \"provenance\"",
               "say where the numbers come from: kind, source, version, date");
    } else if (r_.isMap(prov, obj, "provenance")) {
      r_.checkKeys(prov, obj, {"kind", "source", "version", "date", "host", "commit", "notes"});
      auto& pv = p_.provenance;
      pv.kind = r_.str(prov, "kind", obj, true).value_or("");
      if (!pv.kind.empty() && pv.kind != "published" && pv.kind != "measured" && pv.kind != "mixed")
        r_.error(prov["kind"], obj, "provenance kind \"" + pv.kind + "\" is unknown", "use published, measured or mixed");
      pv.source = r_.str(prov, "source", obj, true).value_or("");
      pv.version = r_.str(prov, "version", obj).value_or("");
      pv.date = r_.str(prov, "date", obj).value_or("");
      pv.host = r_.str(prov, "host", obj).value_or("");
      pv.commit = r_.str(prov, "commit", obj).value_or("");
      pv.notes = r_.str(prov, "notes", obj).value_or("");
    }
    if (const auto comps = root["components"]; comps.IsDefined() && r_.isMap(comps, obj, "components")) {
      r_.checkKeys(comps, obj, {"sidecar", "ztunnel", "waypoint"});
      component(comps["sidecar"], "sidecar", p_.sidecar);
      component(comps["ztunnel"], "ztunnel", p_.ztunnel);
      component(comps["waypoint"], "waypoint", p_.waypoint);
    } else {
      r_.error(root, obj, "missing required field \"components\"", "give sidecar, ztunnel and waypoint");
    }
    if (const auto net = root["network"]; net.IsDefined() && r_.isMap(net, obj, "network")) {
      r_.checkKeys(net, obj, {"hboneOverheadPerStream", "tlsOverhead", "messageOverhead"});
      param(net, "hboneOverheadPerStream", "network", p_.network.hbone_overhead_bytes_per_stream, parseBytes);
      param(net, "messageOverhead", "network", p_.network.message_overhead_bytes, parseBytes);
      paramFraction(net, "tlsOverhead", "network", p_.network.tls_overhead_fraction);
    }
    if (const auto tb = root["testbed"]; tb.IsDefined() && r_.isMap(tb, obj, "testbed")) {
      r_.checkKeys(tb, obj, {"appCpuPerRequest", "ingressCpuPerRequest"});
      param(tb, "appCpuPerRequest", "testbed", p_.testbed.app_cpu_per_request_ns, parseDurationNs);
      param(tb, "ingressCpuPerRequest", "testbed", p_.testbed.ingress_cpu_per_request_ns, parseDurationNs);
    }
    if (const auto pr = root["pricing"]; pr.IsDefined() && r_.isMap(pr, obj, "pricing")) {
      r_.checkKeys(pr, obj, {"cpuUsdPerVcpuHour", "ramUsdPerGiBHour"});
      paramNumber(pr, "cpuUsdPerVcpuHour", "pricing", p_.pricing.cpu_usd_per_vcpu_hour);
      paramNumber(pr, "ramUsdPerGiBHour", "pricing", p_.pricing.ram_usd_per_gib_hour);
    }
    if (const auto an = root["anchors"]; an.IsDefined() && r_.isSeq(an, obj, "anchors")) {
      for (const auto& a : an) {
        if (!r_.isMap(a, obj, "anchors[]")) continue;
        r_.checkKeys(a, obj, {"component", "metric", "value", "conditions", "ref"});
        Anchor x;
        x.component = r_.str(a, "component", obj, true).value_or("");
        x.metric = r_.str(a, "metric", obj, true).value_or("");
        x.value = r_.number(a, "value", obj, -1e18, 1e18, true).value_or(0);
        x.conditions = r_.str(a, "conditions", obj).value_or("");
        x.ref = r_.str(a, "ref", obj, true).value_or("");
        p_.anchors.push_back(std::move(x));
      }
    }
  }

 private:
  void component(const YAML::Node& n, const std::string& name, ComponentProfile& c) {
    const std::string obj = "profile component " + name;
    if (!n.IsDefined()) {
      r_.error(SourceLoc{r_.file(), 0, 0}, obj, "component is missing", "every profile describes sidecar, ztunnel and waypoint");
      return;
    }
    if (!r_.isMap(n, obj, name.c_str())) return;
    r_.checkKeys(n, obj, {"workerThreads", "cpuPerRequest", "cpuPerKiB", "cpuPerConnection", "memoryBase",
                          "memoryPerConnection", "memoryPerEndpoint", "latencyPerPass", "latencyPerPassP99",
                          "requests", "limits"});
    std::int64_t workers = c.worker_threads;
    param(n, "workerThreads", name, workers, parseCount);
    c.worker_threads = static_cast<int>(workers);
    param(n, "cpuPerRequest", name, c.cpu_per_request_ns, parseDurationNs, true);
    param(n, "cpuPerKiB", name, c.cpu_per_kib_ns, parseDurationNs, true);
    param(n, "cpuPerConnection", name, c.cpu_per_connection_ns, parseDurationNs, true);
    param(n, "memoryBase", name, c.memory_base_bytes, parseBytes, true);
    param(n, "memoryPerConnection", name, c.memory_per_connection_bytes, parseBytes, true);
    param(n, "memoryPerEndpoint", name, c.memory_per_endpoint_bytes, parseBytes, true);
    param(n, "latencyPerPass", name, c.latency_per_pass_ns, parseDurationNs);
    param(n, "latencyPerPassP99", name, c.latency_per_pass_p99_ns, parseDurationNs);
    auto side = [&](const char* key, std::int64_t& cpu, std::int64_t& mem) {
      const auto m = n[key];
      if (!m.IsDefined() || !r_.isMap(m, obj, key)) return;
      r_.checkKeys(m, obj, {"cpu", "memory"});
      param(m, "cpu", name + "." + key, cpu, parseCpuMillicores);
      param(m, "memory", name + "." + key, mem, parseMemoryBytes);
    };
    side("requests", c.resources.cpu_request_millicores, c.resources.memory_request_bytes);
    side("limits", c.resources.cpu_limit_millicores, c.resources.memory_limit_bytes);
  }

  static Parsed<std::int64_t> parseCount(std::string_view t) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || v < 1 || v > 1024)
      return Parsed<std::int64_t>{std::variant<std::int64_t, std::string>(std::in_place_index<1>, "\"" + std::string(t) + "\" is not a thread count 1..1024")};
    return Parsed<std::int64_t>{std::variant<std::int64_t, std::string>(std::in_place_index<0>, v)};
  }

  // A parameter is `key: value` or `key: {value, basis, ref, note}`.
  const YAML::Node* valueNode(const YAML::Node& parent, const char* key, const std::string& prefix, YAML::Node& holder,
                              bool required) {
    const auto n = parent[key];
    const std::string full = prefix + "." + key;
    if (!n.IsDefined()) {
      if (required) r_.error(parent, "profile " + p_.name, "missing parameter \"" + full + "\"");
      return nullptr;
    }
    ParamSource src;
    src.basis = p_.provenance.kind == "measured" ? Basis::Measured
                : p_.provenance.kind == "published" ? Basis::Published : Basis::Assumption;
    if (n.IsMap()) {
      r_.checkKeys(n, "profile parameter " + full, {"value", "basis", "ref", "note"});
      if (auto b = r_.str(n, "basis", full)) {
        if (*b == "published") src.basis = Basis::Published;
        else if (*b == "derived") src.basis = Basis::Derived;
        else if (*b == "measured") src.basis = Basis::Measured;
        else if (*b == "assumption") src.basis = Basis::Assumption;
        else r_.error(n["basis"], "profile parameter " + full, "basis \"" + *b + "\" is unknown",
                      "use published, derived, measured or assumption");
      }
      src.ref = r_.str(n, "ref", full).value_or("");
      src.note = r_.str(n, "note", full).value_or("");
      if (src.basis != Basis::Assumption && src.ref.empty())
        r_.error(n, "profile parameter " + full, std::string("a ") + toString(src.basis) + " value needs a ref",
                 "cite the source, or mark it basis: assumption");
      holder = n;
      p_.sources[full] = src;
      return &holder;
    }
    if (src.basis != Basis::Assumption)
      r_.error(n, "profile parameter " + full, std::string("a ") + toString(src.basis) + " value needs a ref",
               "write {value: ..., basis: ..., ref: ...}");
    p_.sources[full] = src;
    holder.reset();
    return nullptr;
  }

  template <typename T, typename P>
  void param(const YAML::Node& parent, const char* key, const std::string& prefix, T& out, P parse, bool required = false) {
    YAML::Node holder;
    const std::string obj = "profile parameter " + prefix + "." + key;
    const YAML::Node* m = valueNode(parent, key, prefix, holder, required);
    std::optional<std::string> text;
    const YAML::Node at = m ? (*m)["value"] : parent[key];
    if (m) text = r_.str(*m, "value", obj, true);
    else if (parent[key].IsDefined()) text = r_.scalar(parent[key], obj, key);
    if (!text) return;
    const auto v = parse(*text);
    if (!v.ok()) {
      r_.error(at, obj, v.error());
      return;
    }
    out = static_cast<T>(v.value());
  }

  void paramNumber(const YAML::Node& parent, const char* key, const std::string& prefix, double& out) {
    param(parent, key, prefix, out, +[](std::string_view t) -> Parsed<double> {
      char* end = nullptr;
      const std::string s(t);
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || v < 0)
        return Parsed<double>{std::variant<double, std::string>(std::in_place_index<1>, "\"" + s + "\" is not a non-negative number")};
      return Parsed<double>{std::variant<double, std::string>(std::in_place_index<0>, v)};
    });
  }

  void paramFraction(const YAML::Node& parent, const char* key, const std::string& prefix, double& out) {
    param(parent, key, prefix, out, parseFraction);
  }

  YamlReader& r_;
  Profile& p_;
};

}  // namespace

Profile loadProfileText(const std::string& text, const std::string& file, Diagnostics& diags) {
  Profile p;
  p.file = file;
  YamlReader r(file, diags);
  try {
    const auto root = YAML::Load(text);
    ProfileReader(r, p).read(root);
  } catch (const YAML::Exception& e) {
    diags.add({file, e.mark.line + 1, e.mark.column + 1}, "profile", "YAML error: " + e.msg);
  }
  return p;
}

std::vector<std::string> shippedProfiles() {
  std::vector<std::string> out;
  for (const auto& [name, text] : embeddedFiles()) {
    out.push_back(name.substr(0, name.size() - std::string(".yaml").size()));
  }
  return out;
}

Profile loadProfile(const std::string& name_or_path, const std::string& base_dir, Diagnostics& diags) {
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               (name_or_path.size() > 5 && name_or_path.ends_with(".yaml"));
  if (!looks_like_path) {
    const auto& files = embeddedFiles();
    if (auto it = files.find(name_or_path + ".yaml"); it != files.end()) {
      return loadProfileText(std::string(it->second), "<shipped>/models/profiles/" + it->first, diags);
    }
    diags.add({"<profile>", 0, 0}, "profile " + name_or_path, "no shipped profile has this name",
              suggestionHint(name_or_path, shippedProfiles(), "profiles") + " (or give a path to a profile file)");
    return {};
  }
  std::filesystem::path path(name_or_path);
  if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
  std::ifstream in(path);
  if (!in) {
    diags.add({path.string(), 0, 0}, "profile", "cannot open the profile file " + path.string() + ": " + std::string(std::strerror(errno)),
              "profile: takes a shipped name (" + std::to_string(shippedProfiles().size()) +
                  " shipped) or a path relative to the scenario file");
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return loadProfileText(ss.str(), path.string(), diags);
}

}  // namespace meshtwin::models
