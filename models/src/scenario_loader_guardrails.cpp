// Scenario loader: the guard rails a plan rolls out under, `slos:` (sloth-style objectives
// on traffic paths) and `labelPolicy:` (the labels cost allocation needs on every workload).
#include "scenario_loader.hpp"

#include <algorithm>
#include <set>

namespace meshtwin::models::detail {

namespace {

// sloth's SLO names become label values and rule-group names: lower-case DNS-label style.
bool validSloName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(s.front())) || !std::isalnum(static_cast<unsigned char>(s.back())))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Kubernetes label keys: an optional DNS-subdomain prefix and a name of [A-Za-z0-9._-].
bool validLabelKey(const std::string& key) {
  const auto slash = key.rfind('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (name.empty() || name.size() > 63) return false;
  if (slash != std::string::npos && (slash == 0 || slash > 253)) return false;
  if (!std::isalnum(static_cast<unsigned char>(name.front())) || !std::isalnum(static_cast<unsigned char>(name.back())))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

void ScenarioLoader::readSlos(const YAML::Node& list) {
  if (!r_.isSeq(list, "scenario", "slos")) return;
  for (const auto& n : list) readSlo(n);
}

// - name: web-availability            - name: web-latency
//   path: web                           path: shop/frontend -> checkout
//   objective: 99.9                     objective: 99
//   period: 30d                         latency: 300ms
void ScenarioLoader::readSlo(const YAML::Node& n) {
  if (!r_.isMap(n, "slo", "slos[]")) return;
  Slo slo;
  slo.loc = r_.loc(n);
  slo.name = r_.str(n, "name", "slo #" + std::to_string(s_.slos.size() + 1), true).value_or("");
  const std::string obj = "slo " + slo.name;
  r_.checkKeys(n, obj, {"name", "path", "objective", "latency", "period", "description"});
  if (!slo.name.empty() && !validSloName(slo.name))
    r_.error(n["name"], obj, "SLO name \"" + slo.name + "\" is not a lower-case DNS label",
             "use [a-z0-9-], e.g. web-availability; it becomes sloth's slo label");
  for (const auto& other : s_.slos) {
    if (other.name == slo.name) r_.error(n["name"], obj, "SLO name is used twice");
  }
  slo.path = r_.str(n, "path", obj, true).value_or("");
  if (auto v = r_.number(n, "objective", obj, 0, 100, true)) {
    if (*v <= 0 || *v >= 100)
      r_.error(n["objective"], obj, "objective must lie strictly between 0 and 100",
               "it is the percent of good events, e.g. 99.9");
    slo.objective = *v;
  }
  if (n["latency"].IsDefined()) {
    slo.kind = Slo::Kind::Latency;
    slo.threshold_ns = r_.quantity(n, "latency", obj, parseDurationNs).value_or(0);
    if (slo.threshold_ns <= 0 && n["latency"].IsScalar())
      r_.error(n["latency"], obj, "latency threshold must be positive", "e.g. latency: 300ms");
  }
  if (auto p = r_.str(n, "period", obj)) {
    if (*p == "28d") slo.period_days = 28;
    else if (*p == "30d") slo.period_days = 30;
    else r_.error(n["period"], obj, "period \"" + *p + "\" is not a sloth time window", "use 28d or 30d");
  }
  slo.description = r_.str(n, "description", obj).value_or("");
  if (!slo.path.empty()) {
    TrafficPath tp;
    if (!resolveTrafficPath(slo.path, n["path"], obj, "SLO", tp)) return;
    slo.entry_point = tp.entry_point;
    slo.edge_from = tp.edge_from;
    slo.edge_to = tp.edge_to;
  }
  s_.slos.push_back(std::move(slo));
}

// labelPolicy:
//   required: [team, cost-center, environment]
//   duringMigration: Audit
//   afterLastWave: Enforce
void ScenarioLoader::readLabelPolicy(const YAML::Node& n) {
  const std::string obj = "labelPolicy";
  if (!r_.isMap(n, obj, "labelPolicy")) return;
  r_.checkKeys(n, obj, {"required", "duringMigration", "afterLastWave"});
  LabelPolicy lp;
  lp.loc = r_.loc(n);
  if (!n["required"].IsDefined()) {
    r_.error(n, obj, "missing required field \"required\"", "list the label keys, e.g. required: [team, cost-center]");
  } else if (auto keys = r_.strings(n, "required", obj)) {
    std::set<std::string> seen;
    for (const auto& k : *keys) {
      if (!validLabelKey(k))
        r_.error(n["required"], obj, "\"" + k + "\" is not a Kubernetes label key",
                 "keys are [prefix/]name, name of [A-Za-z0-9._-] up to 63 characters");
      else if (!seen.insert(k).second) r_.error(n["required"], obj, "label \"" + k + "\" is listed twice");
    }
    if (keys->empty()) r_.error(n["required"], obj, "no labels are required", "list at least one label key");
    lp.required = *keys;
  }
  const auto action = [&](const char* key, LabelPolicy::Action& out) {
    const auto text = r_.str(n, key, obj);
    if (!text) return;
    if (*text == "Audit") out = LabelPolicy::Action::Audit;
    else if (*text == "Enforce") out = LabelPolicy::Action::Enforce;
    else r_.error(n[key], obj, std::string(key) + ": \"" + *text + "\" is not a Kyverno action",
                  suggestionHint(*text, {"Audit", "Enforce"}, "actions"));
  };
  action("duringMigration", lp.during);
  action("afterLastWave", lp.after);
  s_.label_policy = std::move(lp);
}

}  // namespace meshtwin::models::detail
