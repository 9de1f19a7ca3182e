// The scenario loader's state and its readers, one scenario_loader_*.cpp per section. Internal to models/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/scenario.hpp"
#include "yaml_reader.hpp"

namespace meshtwin::models::detail {

// Defaults that apply to every workload unless it sets its own (top-level `defaults:`).
struct WorkloadDefaults {
  int replicas = 1;
  int concurrency = 64;
  ServiceTime service_time;
  std::int64_t request_bytes = 1024;
  std::int64_t response_bytes = 1024;
  Resources resources{100, 0, 128LL << 20, 0};
  std::map<std::string, std::string> labels;
};

// A service reference as written in a script or an entry point, resolved later.
struct PendingRef {
  std::string text;
  std::string context_ns;
  SourceLoc loc;
};

// One load: reads the sections in dependency order into s_, recording every problem in
// diags_ and going on, so one load reports all errors.
class ScenarioLoader {
 public:
  ScenarioLoader(std::string file, std::string base_dir) : r_(file, diags_), base_dir_(std::move(base_dir)) {
    s_.file = std::move(file);
  }

  LoadResult run(const std::string& text);

 private:
  // The implicit Service's port and protocol, as a workload declares them.
  struct ImplicitPort {
    Protocol protocol = Protocol::Http;
    int port = 8080;
  };

  // scenario_loader.cpp: the document as a whole.
  LoadResult finish();
  void readRoot(const YAML::Node& root);
  void readHeader(const YAML::Node& root);
  void readProfileRef(const YAML::Node& root);
  void readDependentSections(const YAML::Node& root);

  // scenario_loader_lookup.cpp: name lookups and checks every section shares.
  std::vector<ZoneId> zoneList(const YAML::Node& m, const std::string& obj);
  std::vector<std::string> zoneNames() const;
  std::vector<std::string> workloadNamesIn(const std::string& ns) const;
  std::vector<std::string> serviceNamesIn(const std::string& ns) const;
  std::vector<std::string> serviceRefs(const std::string& context_ns) const;
  std::optional<ServiceId> resolveService(const PendingRef& ref, const std::string& obj);
  std::optional<WorkloadId> workloadByKey(const std::string& key, const YAML::Node& at, const std::string& obj);
  std::optional<MeshMode> modeOrError(const std::string& text, const YAML::Node& at, const std::string& obj);
  bool namespaceKnown(const std::string& ns, const YAML::Node& at, const std::string& where);
  const std::set<std::string>& namespaceSet();
  static bool validDnsLabel(const std::string& s);
  static std::optional<Protocol> protocolFrom(const std::string& s);
  static std::pair<int, int> markOf(const YAML::Node& n);

  // scenario_loader_cluster.cpp
  void readCluster(const YAML::Node& c);
  void readZones(const YAML::Node& c, const std::string& obj);
  void readPool(const YAML::Node& p);
  void readNetwork(const YAML::Node& n);
  void addNodes();

  // scenario_loader_workloads.cpp
  void readDefaults(const YAML::Node& d);
  void readResources(const YAML::Node& n, const std::string& obj, Resources& out);
  void readServiceTime(const YAML::Node& n, const std::string& obj, ServiceTime& st);
  void readWorkloads(const YAML::Node& list);
  void readWorkload(const YAML::Node& n);
  void readL7Features(const YAML::Node& n, const std::string& obj, Workload& w);
  ImplicitPort readImplicitPort(const YAML::Node& n, const std::string& obj);
  void readScript(const YAML::Node& script, const std::string& obj, Workload& w);
  void readConcurrentStep(const YAML::Node& step, const std::string& obj, Workload& w);
  bool readStep(const YAML::Node& n, const std::string& obj, ScriptStep& out);
  bool readSleep(const YAML::Node& v, const std::string& obj, ScriptStep& out);
  bool readCall(const YAML::Node& n, const YAML::Node& v, const std::string& obj, ScriptStep& out);

  // scenario_loader_services.cpp
  void readServices(const YAML::Node& list);
  void readService(const YAML::Node& n);
  void readServiceBackends(const YAML::Node& n, const std::string& obj, Service& sv);
  void readServicePorts(const YAML::Node& ports, const std::string& obj, Service& sv);
  void addImplicitServices();
  void resolveCalls();

  // scenario_loader_entry_points.cpp
  void readEntryPoints(const YAML::Node& list);
  void readEntryPoint(const YAML::Node& n);
  std::optional<LoadSegment> readSegment(const YAML::Node& n, const std::string& obj);
  void readStepsRps(const YAML::Node& v, const std::string& obj, LoadSegment& s);
  void readBurst(const YAML::Node& v, const std::string& obj, LoadSegment& s);

  // scenario_loader_mesh.cpp
  void readMesh(const YAML::Node& m);
  void readNamespaceModes(const YAML::Node& nsm, const std::string& obj);
  void readWorkloadModes(const YAML::Node& wm, const std::string& obj);
  std::optional<WaypointId> readWaypoint(const YAML::Node& n, bool initial);
  void readWaypointHpa(const YAML::Node& h, const std::string& obj, Waypoint& wp);
  std::optional<std::size_t> readBinding(const YAML::Node& n, bool initial);
  bool readBindingScope(const YAML::Node& n, WaypointBinding& b, YAML::Node& target_node);
  bool checkBindingTarget(const WaypointBinding& b, const YAML::Node& target_node, const std::string& obj,
                          std::string& target_ns);
  bool bindWaypoint(const YAML::Node& n, const std::string& wp_text, const std::string& target_ns,
                    const std::string& obj, WaypointBinding& b);

  // scenario_loader_routes.cpp
  void readRoute(const YAML::Node& n);
  bool readRouteMetadata(const YAML::Node& n, std::string& obj, HttpRoute& route);
  bool readRouteParent(const YAML::Node& spec, const std::string& obj, HttpRoute& route);
  HttpRouteRule readRouteRule(const YAML::Node& rn, const std::string& obj, const std::string& route_ns, bool& ok);
  HttpRouteMatch readRouteMatch(const YAML::Node& mn, const std::string& obj, bool& ok);
  void readHeaderMatches(const YAML::Node& hs, const std::string& obj, HttpRouteMatch& m, bool& ok);
  void readRouteBackends(const YAML::Node& bs, const std::string& obj, const std::string& route_ns,
                         HttpRouteRule& rule, bool& ok);
  void readRouteRetry(const YAML::Node& rt, const std::string& obj, HttpRouteRule& rule, bool& ok);

  // scenario_loader_policies.cpp
  std::optional<std::pair<bool, std::size_t>> readPolicy(const YAML::Node& n, bool initial);
  bool checkPolicyNamespace(const std::string& ns, const YAML::Node& n, const std::string& obj);
  void checkTargetRefs(const std::string& ns, const std::vector<TargetRef>& refs, const YAML::Node& at,
                       const std::string& obj);
  std::optional<std::size_t> policyByKey(const std::string& key, const YAML::Node& at, const std::string& obj);

  // scenario_loader_plan.cpp
  void readRollout(const YAML::Node& n, const std::string& obj, RolloutSettings& out);
  void readPlan(const YAML::Node& p);
  void readWave(const YAML::Node& wn, const RolloutSettings& plan_rollout);
  void preReadPlanWaypoints(const YAML::Node& plan);
  void readChange(const YAML::Node& n, const std::string& obj, Wave& wave);
  void readSetMode(const YAML::Node& v, const std::string& obj, const SourceLoc& loc, Wave& wave);
  void readMovePolicy(const YAML::Node& v, const std::string& obj, const SourceLoc& loc, Wave& wave);
  void readGate(const YAML::Node& n, const std::string& obj, Wave& wave);
  struct TrafficPath {
    std::optional<std::size_t> entry_point;
    std::optional<WorkloadId> edge_from;
    std::optional<ServiceId> edge_to;
  };
  bool resolveTrafficPath(const std::string& path, const YAML::Node& at, const std::string& obj, const char* what,
                          TrafficPath& out);

  // scenario_loader_guardrails.cpp
  void readSlos(const YAML::Node& list);
  void readSlo(const YAML::Node& n);
  void readLabelPolicy(const YAML::Node& n);

  // scenario_loader_faults.cpp
  void readFaults(const YAML::Node& list);
  void readFault(const YAML::Node& n);
  void readNodeFault(const YAML::Node& v, const std::string& obj, const std::string& kind, Fault& f);
  void readZoneFault(const YAML::Node& v, const std::string& obj, Fault& f);
  void readWaypointFault(const YAML::Node& v, const std::string& obj, Fault& f);
  void readFaultPhases(const YAML::Node& v, const std::string& obj, Fault& f);

  Diagnostics diags_;
  YamlReader r_;
  std::string base_dir_;
  Scenario s_;
  WorkloadDefaults defaults_;
  std::vector<ImplicitPort> implicit_ports_;
  std::map<std::pair<int, int>, WaypointId> plan_waypoints_;  // addWaypoint node position -> id
  std::set<std::string> ns_set_, extra_namespaces_, rejected_policies_;
};

}  // namespace meshtwin::models::detail
