// Scenario loader: `services:`, the implicit Service of each unbacked workload, and the
// resolution of every script call to a service.
#include "scenario_loader.hpp"

namespace meshtwin::models::detail {

void ScenarioLoader::readServices(const YAML::Node& list) {
  if (!r_.isSeq(list, "scenario", "services")) return;
  for (const auto& n : list) readService(n);
}

void ScenarioLoader::readService(const YAML::Node& n) {
  if (!r_.isMap(n, "service", "services[]")) return;
  Service sv;
  sv.loc = r_.loc(n);
  sv.name = r_.str(n, "name", "service", true).value_or("");
  sv.ns = r_.str(n, "namespace", "service").value_or("default");
  const std::string obj = "service " + sv.ns + "/" + sv.name;
  r_.checkKeys(n, obj, {"name", "namespace", "workloads", "ports"});
  readServiceBackends(n, obj, sv);
  if (const auto ports = n["ports"]; ports.IsDefined() && r_.isSeq(ports, obj, "ports")) readServicePorts(ports, obj, sv);
  if (sv.ports.empty()) sv.ports.push_back({"http", 8080, 8080, Protocol::Http});
  if (s_.findService(sv.ns, sv.name)) {
    r_.error(n, obj, "service is defined twice");
    return;
  }
  s_.services.push_back(std::move(sv));
}

// The listed workloads, or else the workload of the service's own name.
void ScenarioLoader::readServiceBackends(const YAML::Node& n, const std::string& obj, Service& sv) {
  if (auto ws = r_.strings(n, "workloads", obj)) {
    std::size_t i = 0;
    for (const auto& wn : *ws) {
      auto id = s_.findWorkload(sv.ns, wn);
      if (id) sv.backends.push_back(*id);
      else r_.error(n["workloads"][i], obj, "unknown workload \"" + wn + "\" in namespace " + sv.ns,
                    suggestionHint(wn, workloadNamesIn(sv.ns), "workloads in " + sv.ns));
      ++i;
    }
  } else if (auto id = s_.findWorkload(sv.ns, sv.name)) {
    sv.backends.push_back(*id);
  } else {
    r_.error(n, obj, "no workload backs this service",
             "list them under workloads:, or name the service after a workload in " + sv.ns);
  }
}

void ScenarioLoader::readServicePorts(const YAML::Node& ports, const std::string& obj, Service& sv) {
  for (const auto& p : ports) {
    if (!r_.isMap(p, obj, "ports[]")) continue;
    r_.checkKeys(p, obj, {"name", "port", "targetPort", "protocol"});
    ServicePort sp;
    sp.name = r_.str(p, "name", obj).value_or("");
    sp.port = static_cast<int>(r_.integer(p, "port", obj, 1, 65535, true).value_or(8080));
    sp.target_port = static_cast<int>(r_.integer(p, "targetPort", obj, 1, 65535).value_or(sp.port));
    if (auto pr = r_.str(p, "protocol", obj)) {
      if (auto proto = protocolFrom(*pr)) sp.protocol = *proto;
      else r_.error(p["protocol"], obj, "unknown protocol \"" + *pr + "\"", "use http, grpc or tcp");
    }
    sv.ports.push_back(sp);
  }
}

// A workload that no listed service backs gets a Service of its own name (isotope style).
void ScenarioLoader::addImplicitServices() {
  std::vector<bool> backed(s_.workloads.size(), false);
  for (const auto& sv : s_.services) {
    for (auto b : sv.backends) backed[b] = true;
  }
  for (WorkloadId w = 0; w < s_.workloads.size(); ++w) {
    const auto& wl = s_.workloads[w];
    if (backed[w] || s_.findService(wl.ns, wl.name)) continue;
    Service sv;
    sv.ns = wl.ns;
    sv.name = wl.name;
    sv.backends = {w};
    const auto& ip = implicit_ports_[w];
    sv.ports = {{toString(ip.protocol), ip.port, ip.port, ip.protocol}};
    sv.loc = wl.loc;
    s_.services.push_back(std::move(sv));
  }
}

void ScenarioLoader::resolveCalls() {
  for (auto& w : s_.workloads) {
    for (auto& step : w.script) {
      for (auto& c : step.calls) {
        if (auto id = resolveService({c.service_name, w.ns, c.loc}, "workload " + w.key())) c.service = *id;
        if (c.request_bytes == 0) c.request_bytes = w.request_bytes;
      }
    }
  }
}

}  // namespace meshtwin::models::detail
