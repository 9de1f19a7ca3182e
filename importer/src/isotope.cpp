// readIsotope: an isotope topology's defaults and services into Draft workloads, services and
// entry points. Everything is checked first; the Draft changes only when nothing is wrong.
#include <regex>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "meshtwin/importer/isotope.hpp"

namespace meshtwin::importer {

std::string format(const IsotopeError& e) {
  std::string out = toString(e.origin) + ": " + e.object + ": " + e.message;
  if (!e.hint.empty()) out += " (" + e.hint + ")";
  return out;
}

namespace {

struct Defaults {
  models::Protocol type = models::Protocol::Http;
  int replicas = 1;
  double error_rate = 0;
  std::int64_t request_bytes = 0, response_bytes = 0;
  int rbac_policies = 0;
  YAML::Node script;
};

struct Staged {
  std::vector<DraftWorkload> workloads;
  std::vector<DraftService> services;
  std::vector<DraftEntryPoint> entry_points;
};

class Mapper {
 public:
  Mapper(detail::IsotopeReader& r, const IsotopeOptions& o) : r_(r), opts_(o) {}

  void read(const YAML::Node& root) {
    const std::string obj = "isotope topology";
    if (!root.IsMap()) return r_.error(root, obj, "the document is not a map", "an isotope topology has defaults: and services:");
    unknownKeys(root, obj, {"apiVersion", "kind", "defaults", "default", "services"});
    if (const auto k = root["kind"]; k && k.IsScalar() && k.Scalar() != "MockServiceGraph")
      r_.error(k, obj, "kind \"" + k.Scalar() + "\" is not an isotope topology", "use kind: MockServiceGraph, or leave kind out");
    if (const auto d = root["defaults"] ? root["defaults"] : root["default"]) defaults(d);
    const auto services = root["services"];
    if (!services || !services.IsSequence() || services.size() == 0)
      return r_.error(services ? services : root, obj, "no services list", "give services: [{name: a}, ...]");
    for (const auto& s : services) name(s);
    if (!r_.errors.empty()) return;
    for (const auto& s : services) service(s);
  }

  Staged staged;
  std::set<std::string> entrypoints;

 private:
  void unknownKeys(const YAML::Node& n, const std::string& obj, const std::set<std::string>& known) {
    for (const auto& kv : n) {
      const auto k = kv.first.Scalar();
      if (!known.count(k))
        r_.assumptions.push_back({obj, fmt::format("{}: field \"{}\" is not one meshtwin reads: ignored", toString(r_.at(kv.first)), k)});
    }
  }

  std::optional<models::Protocol> type(const YAML::Node& n, const std::string& obj) {
    if (n.IsScalar() && n.Scalar() == "http") return models::Protocol::Http;
    if (n.IsScalar() && n.Scalar() == "grpc") return models::Protocol::Grpc;
    r_.error(n, obj, "type \"" + (n.IsScalar() ? n.Scalar() : std::string("?")) + "\" is unknown", "use http or grpc");
    return std::nullopt;
  }

  std::optional<int> count(const YAML::Node& n, const std::string& obj, const char* what) {
    try {
      const int v = n.as<int>();
      if (v >= 0) return v;
    } catch (const YAML::Exception&) {
    }
    r_.error(n, obj, std::string(what) + " is not a whole number", "e.g. " + std::string(what) + ": 2");
    return std::nullopt;
  }

  void defaults(const YAML::Node& d) {
    const std::string obj = "isotope defaults";
    if (!d.IsMap()) return r_.error(d, obj, "defaults is not a map", "e.g. defaults: {type: http, requestSize: 1 KB}");
    unknownKeys(d, obj, {"type", "numReplicas", "errorRate", "requestSize", "responseSize", "script", "numRbacPolicies"});
    if (d["type"]) d_.type = type(d["type"], obj).value_or(d_.type);
    if (d["numReplicas"]) d_.replicas = count(d["numReplicas"], obj, "numReplicas").value_or(d_.replicas);
    if (d["numRbacPolicies"]) d_.rbac_policies = count(d["numRbacPolicies"], obj, "numRbacPolicies").value_or(0);
    if (d["errorRate"]) d_.error_rate = r_.fraction(d["errorRate"], obj, "errorRate").value_or(0);
    if (d["requestSize"]) d_.request_bytes = r_.bytes(d["requestSize"], obj, "requestSize").value_or(0);
    if (d["responseSize"]) d_.response_bytes = r_.bytes(d["responseSize"], obj, "responseSize").value_or(0);
    if (d["script"]) d_.script = d["script"];  // d_.script is unbound: this binds it
    r_.default_request_bytes = d_.request_bytes;
  }

  void name(const YAML::Node& s) {
    static const std::regex dns(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
    const auto n = s.IsMap() ? s["name"] : YAML::Node();
    if (!n || !n.IsScalar() || n.Scalar().empty())
      return r_.error(s, "isotope service", "a service has no name", "every service needs name: <dns-label>");
    const auto& name = n.Scalar();
    if (!std::regex_match(name, dns))
      return r_.error(n, "isotope service " + name, "name is not a DNS label", "use lower-case letters, digits and '-'");
    if (r_.namespaces.count(name))
      return r_.error(n, "isotope service " + name, "is defined twice", "service names are unique in a topology");
    const auto ns = s["namespace"];
    r_.namespaces[name] = ns && ns.IsScalar() && !ns.Scalar().empty() ? ns.Scalar() : opts_.ns;
  }

  void service(const YAML::Node& s) {
    const auto name = s["name"].Scalar();
    const std::string obj = "isotope service " + name;
    unknownKeys(s, obj, {"name", "namespace", "cluster", "type", "numReplicas", "isEntrypoint", "errorRate",
                         "responseSize", "script", "numRbacPolicies"});
    DraftWorkload w;
    w.ns = r_.namespaces.at(name);
    w.name = name;
    w.replicas = s["numReplicas"] ? count(s["numReplicas"], obj, "numReplicas").value_or(d_.replicas) : d_.replicas;
    if (d_.request_bytes > 0) w.request_bytes = d_.request_bytes;
    w.response_bytes = s["responseSize"] ? r_.bytes(s["responseSize"], obj, "responseSize").value_or(0) : d_.response_bytes;
    w.script = r_.script(s["script"] ? s["script"] : d_.script, name);
    const std::string from = "from isotope service " + name + " at " + toString(r_.at(s));
    w.notes.push_back(from);
    const auto proto = s["type"] ? type(s["type"], obj).value_or(d_.type) : d_.type;
    DraftService svc;
    svc.ns = w.ns, svc.name = name, svc.workloads = {name};
    svc.ports.push_back({models::toString(proto), 8080, 8080, proto});  // the isotope service listens on 8080
    svc.notes.push_back(from);
    notes(s, w, obj);
    if (s["isEntrypoint"]) entrypoint(s["isEntrypoint"], w, obj, from);
    staged.workloads.push_back(std::move(w));
    staged.services.push_back(std::move(svc));
  }

  void notes(const YAML::Node& s, const DraftWorkload& w, const std::string& obj) {
    const double errors = s["errorRate"] ? r_.fraction(s["errorRate"], obj, "errorRate").value_or(0) : d_.error_rate;
    const std::string who = "workload " + w.key();
    if (errors > 0)
      r_.assumptions.push_back({who, fmt::format("answers {:.3g}% errors (isotope errorRate): not modelled as a fault", 100 * errors)});
    const int rbac = s["numRbacPolicies"] ? count(s["numRbacPolicies"], obj, "numRbacPolicies").value_or(0) : d_.rbac_policies;
    if (rbac > 0)
      r_.assumptions.push_back({who, fmt::format("numRbacPolicies {}: isotope's generated RBAC policies are not imported", rbac)});
    if (const auto c = s["cluster"]; c && c.IsScalar())
      r_.assumptions.push_back({who, "cluster " + c.Scalar() + ": multi-cluster placement is not modelled (one cluster)"});
  }

  void entrypoint(const YAML::Node& n, const DraftWorkload& w, const std::string& obj, const std::string& from) {
    bool yes = false;
    if (!YAML::convert<bool>::decode(n, yes)) return r_.error(n, obj, "isEntrypoint is not true or false", "isEntrypoint: true");
    if (!yes) return;
    DraftEntryPoint ep;
    ep.name = w.name;
    ep.service = w.name + "." + w.ns;
    ep.notes.push_back(from + " (isEntrypoint)");
    staged.entry_points.push_back(std::move(ep));
    entrypoints.insert(w.key());
  }

  detail::IsotopeReader& r_;
  const IsotopeOptions& opts_;
  Defaults d_;
};

void clashes(detail::IsotopeReader& r, const Draft& d, const Staged& s, const YAML::Node& root) {
  auto taken = [&](const std::string& ns, const std::string& name) {
    for (const auto& w : d.workloads) {
      if (w.ns == ns && w.name == name) return true;
    }
    for (const auto& x : d.services) {
      if (x.ns == ns && x.name == name) return true;
    }
    return false;
  };
  for (const auto& w : s.workloads) {
    if (taken(w.ns, w.name))
      r.error(root, "isotope service " + w.name, "workload or service " + w.key() + " is already in the import",
              "import the topology into its own namespace (the namespace option)");
  }
}

void commit(const detail::IsotopeReader& r, const Mapper& m, const std::string& source, Draft& d, ImportReport& report) {
  for (const auto& w : m.staged.workloads) d.workloads.push_back(w);
  for (const auto& s : m.staged.services) d.services.push_back(s);
  for (const auto& e : m.staged.entry_points) d.entry_points.push_back(e);
  report.sources.push_back(source);
  auto& k = report.kinds["isotope service"];
  k.read += static_cast<int>(m.staged.workloads.size());
  k.mapped += static_cast<int>(m.staged.workloads.size());
  for (const auto& a : r.assumptions) report.assumptions.push_back(a);
  const std::string topo = "isotope topology " + source;
  if (m.entrypoints.empty()) report.assume(topo, "no service has isEntrypoint: true, so the import has no entry point from it");
  else report.assume(topo, "isotope carries no load (its fortio client does): the entry points' rps is left to the finishing step");
  report.assume(topo, "isotope services do no work beyond their scripts' sleeps and calls: service time left to the finishing step");
}

}  // namespace

std::vector<IsotopeError> readIsotope(std::string_view text, const std::string& source, Draft& d, ImportReport& report,
                                      const IsotopeOptions& opts) {
  detail::IsotopeReader r;
  r.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    r.errors.push_back({{source, e.mark.line + 1, e.mark.column + 1}, "isotope topology", "YAML error: " + e.msg,
                        "check the indentation and the `- ` of list items"});
    return r.errors;
  }
  Mapper m(r, opts);
  m.read(root);
  if (r.errors.empty()) clashes(r, d, m.staged, root);
  if (!r.errors.empty()) return r.errors;
  commit(r, m, source, d, report);
  return {};
}

}  // namespace meshtwin::importer
