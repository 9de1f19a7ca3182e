// The Prometheus HTTP API's `data` objects (instant vectors, range matrices) as samples, and
// the small rules the reader applies to their labels.
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "meshtwin/importer/prometheus.hpp"

namespace meshtwin::importer {

std::string format(const TrafficError& e) {
  std::string out = e.object + ": " + e.message;
  if (!e.hint.empty()) out += " (" + e.hint + ")";
  return out;
}

std::string TrafficResult::errorText() const {
  if (ok()) return "";
  return isClientError() ? kube::format(clientError()) : format(readError());
}

namespace detail {

namespace {

TrafficError bad(const NamedQuery& q, const std::string& what) {
  return {"query " + q.name, "the answer is not what the Prometheus API returns: " + what,
          "is the URL a Prometheus (or Thanos/Mimir) query API? the query was: " + q.promql};
}

// "1.5", "NaN", "+Inf": the API writes sample values as strings.
std::optional<double> number(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(x)) return std::nullopt;
  return x;
}

std::map<std::string, std::string> labelsOf(const nlohmann::json& series, const NamedQuery& q) {
  std::map<std::string, std::string> out;
  const auto m = series.find("metric");
  if (m == series.end()) return out;
  if (!m->is_object()) throw bad(q, "\"metric\" is not an object");
  for (const auto& [k, v] : m->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// [unix_seconds, "value"]
std::optional<std::pair<std::int64_t, double>> point(const nlohmann::json& p, const NamedQuery& q) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number()) throw bad(q, "a sample is not [time, \"value\"]");
  const auto v = number(p[1]);
  if (!v) return std::nullopt;
  return std::pair{static_cast<std::int64_t>(std::llround(p[0].get<double>())), *v};
}

Sample vectorSample(const nlohmann::json& s, const NamedQuery& q, bool& keep) {
  Sample out;
  out.labels = labelsOf(s, q);
  const auto v = s.find("value");
  if (v == s.end()) throw bad(q, "a vector sample has no \"value\"");
  const auto p = point(*v, q);
  keep = p.has_value();
  if (p) out.value = p->second;
  return out;
}

Sample matrixSeries(const nlohmann::json& s, const NamedQuery& q) {
  Sample out;
  out.labels = labelsOf(s, q);
  const auto vs = s.find("values");
  if (vs == s.end() || !vs->is_array()) throw bad(q, "a matrix series has no \"values\" list");
  for (const auto& p : *vs) {
    if (const auto x = point(p, q)) out.points.push_back(*x);
  }
  return out;
}

}  // namespace

std::string Sample::label(const std::string& name) const {
  const auto it = labels.find(name);
  return it == labels.end() ? "" : it->second;
}

std::vector<Sample> parseAnswer(const nlohmann::json& data, const NamedQuery& q) {
  if (!data.is_object()) throw bad(q, "`data` is not an object");
  const std::string want = q.range ? "matrix" : "vector";
  const auto type = data.find("resultType");
  if (type == data.end() || !type->is_string() || type->get<std::string>() != want)
    throw bad(q, "resultType is not \"" + want + "\"");
  const auto result = data.find("result");
  if (result == data.end() || !result->is_array()) throw bad(q, "`result` is not a list");
  std::vector<Sample> out;
  for (const auto& s : *result) {
    if (!s.is_object()) throw bad(q, "a series is not an object");
    if (q.range) {
      out.push_back(matrixSeries(s, q));
      continue;
    }
    bool keep = false;
    auto x = vectorSample(s, q, keep);
    if (keep) out.push_back(std::move(x));
  }
  return out;
}

int reporterRank(const std::string& reporter) {
  if (reporter == "destination") return 0;
  if (reporter == "waypoint") return 1;
  if (reporter == "source") return 2;
  return 3;
}

std::vector<std::pair<int, std::string>> pickReports(const ReportsByRank& by) {
  std::vector<std::pair<int, std::string>> out;
  std::set<std::string> taken;
  for (const auto& [rank, dests] : by) {
    if (dests.empty()) continue;
    for (const auto& d : dests) {
      if (taken.insert(d).second) out.emplace_back(rank, d);
    }
    if (out.front().first != 0) break;  // only a destination report leaves room for others
  }
  return out;
}

bool fullMatch(const std::string& pattern, const std::string& text) {
  thread_local std::map<std::string, std::regex> cache;
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    try {
      it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
    } catch (const std::regex_error& e) {
      throw TrafficError{"pattern \"" + pattern + "\"", std::string("is not a regular expression: ") + e.what(),
                         "give the workload and pod patterns as anchored regular expressions, e.g. ztunnel-.+"};
    }
  }
  return std::regex_match(text, it->second);
}

bool fromOutside(const TrafficWindow& w, const std::string& source_workload) {
  return source_workload.empty() || source_workload == "unknown" || fullMatch(w.ingress_workloads, source_workload);
}

}  // namespace detail
}  // namespace meshtwin::importer
