// Look-ups and printing of the importer's working model.
#include "meshtwin/importer/draft.hpp"

namespace meshtwin::importer {

std::string toString(const Origin& o) {
  if (o.line == 0) return o.source;
  return o.source + ":" + std::to_string(o.line) + ":" + std::to_string(o.column);
}

DraftWorkload* Draft::findWorkload(const std::string& in_ns, const std::string& workload) {
  for (auto& w : workloads) {
    if (w.ns == in_ns && w.name == workload) return &w;
  }
  return nullptr;
}

DraftService* Draft::findService(const std::string& in_ns, const std::string& service) {
  for (auto& s : services) {
    if (s.ns == in_ns && s.name == service) return &s;
  }
  return nullptr;
}

}  // namespace meshtwin::importer
