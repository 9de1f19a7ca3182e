// Metric families and their text exposition.
#include "meshtwin/dataplane/metrics.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace meshtwin::dataplane {

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  sum_ += v;
  ++count_;
}

std::vector<double> istioDurationBucketsMs() {
  return {0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
}

std::string renderLabels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const char* type) {
  auto& f = families_[name];
  if (f.type.empty()) f.type = type;
  return f;
}

Counter& MetricsRegistry::counter(const std::string& name, const Labels& labels) {
  auto& slot = family(name, "counter").counters[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Counter>()};
  return *slot.second;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const Labels& labels) {
  auto& slot = family(name, "gauge").gauges[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Gauge>()};
  return *slot.second;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const Labels& labels, const std::vector<double>& bounds) {
  auto& slot = family(name, "histogram").histograms[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Histogram>(bounds)};
  return *slot.second;
}

void MetricsRegistry::describe(const std::string& name, std::string help) { families_[name].help = std::move(help); }

namespace {
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}
Labels with(Labels l, std::string k, std::string v) {
  l.emplace_back(std::move(k), std::move(v));
  return l;
}
}  // namespace

std::string MetricsRegistry::render() const {
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    if (f.type.empty()) continue;
    if (!f.help.empty()) out << "# HELP " << name << ' ' << f.help << '\n';
    out << "# TYPE " << name << ' ' << f.type << '\n';
    for (const auto& [key, c] : f.counters) out << name << key << ' ' << c.second->value << '\n';
    for (const auto& [key, g] : f.gauges) out << name << key << ' ' << number(g.second->value) << '\n';
    for (const auto& [key, h] : f.histograms) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= h.second->bounds().size(); ++i) {
        cumulative += h.second->counts()[i];
        const double le = i < h.second->bounds().size() ? h.second->bounds()[i] : INFINITY;
        out << name << "_bucket" << renderLabels(with(h.first, "le", number(le))) << ' ' << cumulative << '\n';
      }
      out << name << "_sum" << key << ' ' << number(h.second->sum()) << '\n';
      out << name << "_count" << key << ' ' << h.second->count() << '\n';
    }
  }
  return out.str();
}

Labels IstioLabels::labels() const {
  Labels l{{"reporter", reporter},
           {"source_workload", source_workload},
           {"source_canonical_service", source_workload},
           {"source_canonical_revision", "latest"},
           {"source_workload_namespace", source_namespace},
           {"source_principal", source_principal},
           {"source_app", source_workload},
           {"source_version", "unknown"},
           {"source_cluster", "Kubernetes"},
           {"destination_service", destination_service},
           {"destination_service_namespace", destination_service_namespace},
           {"destination_service_name", destination_service_name},
           {"destination_workload", destination_workload},
           {"destination_canonical_service", destination_workload},
           {"destination_canonical_revision", "latest"},
           {"destination_workload_namespace", destination_namespace},
           {"destination_principal", destination_principal},
           {"destination_app", destination_workload},
           {"destination_version", "unknown"},
           {"destination_cluster", "Kubernetes"},
           {"request_protocol", request_protocol}};
  if (response_code) {
    l.emplace_back("response_code", *response_code);
    l.emplace_back("grpc_response_status", "");
  }
  l.emplace_back("response_flags", response_flags);
  l.emplace_back("connection_security_policy", security_policy);
  return l;
}

std::uint64_t MetricsRegistry::counterValue(const std::string& name, const Labels& subset) const {
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  std::uint64_t total = 0;
  for (const auto& [key, c] : it->second.counters) {
    const bool match = std::all_of(subset.begin(), subset.end(), [&](const auto& kv) {
      return std::find(c.first.begin(), c.first.end(), kv) != c.first.end();
    });
    if (match) total += c.second->value;
  }
  return total;
}

std::string renderProcessMetrics() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  const double rss = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return fmt::format(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {:.0f}\n"
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {:.6f}\n",
      rss, cpu_s);
}

}  // namespace meshtwin::dataplane
