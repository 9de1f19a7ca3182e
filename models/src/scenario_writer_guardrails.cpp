// Writes a scenario's `slos:` and `labelPolicy:` back as the loader reads them.
#include "scenario_writer_guardrails.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::models::detail {

namespace {

std::string shortestNumber(double v) {
  // %.17g round-trips any double; try shorter spellings first so 99.9 stays "99.9".
  std::array<char, 64> buf{};
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf.data(), buf.size(), "%.*g", digits, v);
    if (std::strtod(buf.data(), nullptr) == v) break;
  }
  return buf.data();
}

}  // namespace

void writeGuardrails(YAML::Emitter& out, const Scenario& s) {
  if (!s.slos.empty()) {
    out << YAML::Key << "slos" << YAML::Value << YAML::BeginSeq;
    for (const auto& slo : s.slos) {
      out << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << slo.name;
      out << YAML::Key << "path" << YAML::Value << slo.path;
      out << YAML::Key << "objective" << YAML::Value << shortestNumber(slo.objective);
      if (slo.kind == Slo::Kind::Latency)
        out << YAML::Key << "latency" << YAML::Value << exactDuration(slo.threshold_ns);
      out << YAML::Key << "period" << YAML::Value << (std::to_string(slo.period_days) + "d");
      if (!slo.description.empty()) out << YAML::Key << "description" << YAML::Value << slo.description;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (s.label_policy) {
    const auto& lp = *s.label_policy;
    out << YAML::Key << "labelPolicy" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "required" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& k : lp.required) out << k;
    out << YAML::EndSeq;
    out << YAML::Key << "duringMigration" << YAML::Value << toString(lp.during);
    out << YAML::Key << "afterLastWave" << YAML::Value << toString(lp.after);
    out << YAML::EndMap;
  }
}

}  // namespace meshtwin::models::detail
