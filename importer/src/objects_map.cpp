// mapObjects: count every object, settle duplicates and unknown versions, take the objects
// kind by kind in a fixed order, then the passes that need every kind seen.
#include <algorithm>
#include <tuple>

#include "objects_internal.hpp"

namespace meshtwin::importer {

namespace {

using detail::KindInfo;
using detail::Mapper;

struct Entry {
  Object object;
  std::string group;
  std::size_t order = 0;
  const KindInfo* info = nullptr;
};

std::string dedupeKey(const Entry& e) { return e.group + "|" + e.object.kind + "|" + e.object.ns + "|" + e.object.name; }

// Namespaced objects written without a namespace land in "default", as kubectl puts them.
void defaultNamespaces(std::vector<Entry>& entries, ImportReport& report) {
  std::vector<std::string> defaulted;
  for (auto& e : entries) {
    if (!e.info || !e.info->namespaced || !e.object.ns.empty()) continue;
    e.object.ns = "default";
    defaulted.push_back(e.object.ref());
  }
  if (defaulted.empty()) return;
  std::sort(defaulted.begin(), defaulted.end());
  report.assume("manifests", std::to_string(defaulted.size()) + " object(s) have no metadata.namespace: namespace " +
                                 "\"default\" assumed, as kubectl applies them (" + detail::listText(defaulted) + ")");
}

// The later of two objects with the same kind, namespace and name is kept.
std::vector<Entry> dedupe(std::vector<Entry> entries, ImportReport& report) {
  std::vector<Entry> kept;
  std::map<std::string, std::size_t> at;
  for (auto& e : entries) {
    const auto key = dedupeKey(e);
    const auto it = at.find(key);
    if (it == at.end()) {
      at[key] = kept.size();
      kept.push_back(std::move(e));
      continue;
    }
    Entry& earlier = kept[it->second];
    const auto both = toString(earlier.object.origin) + " and " + toString(e.object.origin);
    report.assume(e.object.ref(), "given twice (" + both + "): the later one is kept");
    report.skip(earlier.object, "duplicate: the later one at " + toString(e.object.origin) + " is kept");
    earlier = std::move(e);
  }
  return kept;
}

// A known kind with an apiVersion the mapping does not know is an error; the object is skipped.
bool versionKnown(const Entry& e, Mapper& m) {
  if (!detail::isKnownKind(e.object.kind)) return true;
  if (e.info) {
    const auto version = e.object.api_version.substr(e.object.api_version.find('/') + 1);
    for (const auto* v : e.info->versions) {
      if (version == v) return true;
    }
  }
  m.error(e.object, "apiVersion \"" + e.object.api_version + "\" is not one meshtwin reads for " + e.object.kind,
          "known: " + detail::versionsText(e.object.kind));
  m.report.skip(e.object, "unknown apiVersion " + e.object.api_version);
  return false;
}

std::vector<Entry> prepare(std::vector<Object>&& objects, Mapper& m) {
  std::vector<Entry> entries;
  entries.reserve(objects.size());
  const auto unknown_order = detail::kindTable().size();
  for (auto& o : objects) {
    ++m.report.kinds[o.kind].read;
    auto group = detail::groupOf(o.api_version);
    Entry e{std::move(o), std::move(group), unknown_order, nullptr};
    e.info = detail::findKind(e.object.kind, e.group, &e.order);
    entries.push_back(std::move(e));
  }
  defaultNamespaces(entries, m.report);
  auto kept = dedupe(std::move(entries), m.report);
  std::sort(kept.begin(), kept.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.order, a.object.kind, a.object.ns, a.object.name, a.group) <
           std::tie(b.order, b.object.kind, b.object.ns, b.object.name, b.group);
  });
  std::vector<Entry> out;
  for (auto& e : kept) {
    if (versionKnown(e, m)) out.push_back(std::move(e));
  }
  return out;
}

void take(Mapper& m, const Entry& e) {
  const Object& o = e.object;
  const auto out = e.info ? e.info->handler(m, o) : detail::skipped(detail::notModelledReason(o.kind));
  if (out.mapped) ++m.report.kinds[o.kind].mapped;
  else m.report.skip(o, out.reason);
}

// Modes a workload states itself, where they differ from its namespace's.
void finishWorkloadModes(Mapper& m) {
  for (const auto& w : m.draft.workloads) {
    if (!w.mode) continue;
    const auto ns = m.namespaces.find(w.ns);
    const auto ns_mode = ns != m.namespaces.end() && ns->second.mode ? *ns->second.mode : m.draft.default_mode;
    if (*w.mode != ns_mode) m.draft.workload_modes[w.key()] = *w.mode;
  }
}

}  // namespace

const std::vector<std::string>& defaultOwnerLabels() {
  static const std::vector<std::string> labels = {"team", "cost-center", "environment", "owner",
                                                  "app.kubernetes.io/part-of"};
  return labels;
}

std::vector<ReadError> mapObjects(std::vector<Object> objects, const models::Profile& profile, Draft& draft,
                                  ImportReport& report, const MapOptions& options) {
  Mapper m(profile, options, draft, report);
  const auto entries = prepare(std::move(objects), m);
  for (const auto& e : entries) m.objects[e.object.ref()] = &e.object;
  for (const auto& e : entries) take(m, e);
  detail::finishNodes(m);
  detail::finishNamespaces(m);
  finishWorkloadModes(m);
  detail::finishSidecarScope(m);
  return std::move(m.errors);
}

}  // namespace meshtwin::importer
