// The validation report's figures (error, pass), its summary per metric, and its JSON.
#include "meshtwin/models/validation.hpp"

#include <cmath>

namespace meshtwin::models {

namespace {

nlohmann::json capacityJson(const Validation& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : v.capacity) {
    a.push_back({{"phase", c.phase},
                 {"probe_rps", c.probe_rps},
                 {"testbed_cpu_us_per_request", c.testbed_cpu_us_per_request},
                 {"host_rps", c.host_rps},
                 {"slots_rps", c.slots_rps},
                 {"bottleneck", c.bottleneck}});
  }
  return a;
}

}  // namespace

double Figure::error() const {
  if (metric == "error_rate") return predicted - measured;
  if (measured == 0) return predicted == 0 ? 0.0 : INFINITY;
  return (predicted - measured) / measured;
}

bool Figure::pass() const { return !gated || std::fabs(error()) <= tolerance; }

bool Validation::pass() const {
  return std::all_of(figures.begin(), figures.end(), [](const Figure& f) { return f.pass(); });
}

std::map<std::string, MetricSummary> summarize(const Validation& v) {
  std::map<std::string, MetricSummary> s;
  for (const auto& f : v.figures) {
    auto& m = s[f.metric];
    ++m.figures;
    m.tolerance = f.tolerance;
    if (!f.gated) continue;
    ++m.gated;
    m.passed += f.pass() ? 1U : 0U;
    const double e = std::fabs(f.error());
    if (std::isfinite(e)) {
      m.max_abs_error = std::max(m.max_abs_error, e);
      m.sum_abs_error += e;
    }
  }
  return s;
}

nlohmann::json toJson(const Validation& v) {
  nlohmann::json figs = nlohmann::json::array();
  for (const auto& f : v.figures) {
    const double e = f.error();
    figs.push_back({{"phase", f.phase},
                    {"load", f.load},
                    {"metric", f.metric},
                    {"object", f.object},
                    {"unit", f.unit},
                    {"predicted", f.predicted},
                    {"measured", f.measured},
                    {"error", std::isfinite(e) ? nlohmann::json(e) : nlohmann::json(nullptr)},
                    {"tolerance", f.tolerance},
                    {"gated", f.gated},
                    {"pass", f.pass()}});
  }
  nlohmann::json summary = nlohmann::json::object();
  for (const auto& [metric, s] : summarize(v)) {
    summary[metric] = {{"figures", s.figures},
                       {"gated", s.gated},
                       {"passed", s.passed},
                       {"max_abs_error", s.max_abs_error},
                       {"mean_abs_error", s.gated ? s.sum_abs_error / static_cast<double>(s.gated) : 0.0}};
  }
  return {{"schema", "meshtwin/validation/v1"},
          {"scenario", v.scenario},
          {"scenario_file", v.scenario_file},
          {"profile", v.profile},
          {"host", v.host},
          {"date", v.date},
          {"commit", v.commit},
          {"seconds", v.seconds},
          {"phases", v.phases},
          {"loads", v.loads},
          {"host_vcpus", {{"for_testbed", v.host_vcpus}, {"background", v.host_background_vcpus}, {"steal", v.host_steal_vcpus}}},
          {"utilization", v.utilization},
          {"capacity", capacityJson(v)},
          {"tolerances",
           {{"cpu", v.tol.cpu}, {"memory", v.tol.memory}, {"p50", v.tol.p50}, {"p90", v.tol.p90}, {"p99", v.tol.p99},
            {"bytes", v.tol.bytes}, {"error_rate", v.tol.error_rate}, {"min_cpu_millicores", v.tol.min_cpu_millicores},
            {"min_bytes", v.tol.min_bytes}}},
          {"pass", v.pass()},
          {"summary", summary},
          {"figures", figs}};
}

}  // namespace meshtwin::models
