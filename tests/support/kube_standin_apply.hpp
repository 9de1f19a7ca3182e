// Field ownership in the stand-in API server, as the real one keeps it in managedFields: server-side
// apply (conflicts, force, removal of fields a manager stops applying) and the Update an ordinary
// write (a merge patch, a create) records.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube_standin_fields.hpp"

namespace meshtwin::test::standin {

struct ManagedEntry {
  std::string manager, operation, api_version, time, subresource;
  FieldSet fields;
};

inline std::string textOf(const nlohmann::json& o, const char* key) {
  const auto it = o.is_object() ? o.find(key) : o.end();
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

inline std::vector<ManagedEntry> readManaged(const nlohmann::json& object) {
  std::vector<ManagedEntry> out;
  const auto* list = valueAt(object, {"metadata", "managedFields"});
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& e : *list)
    out.push_back(ManagedEntry{textOf(e, "manager"), textOf(e, "operation"), textOf(e, "apiVersion"), textOf(e, "time"),
                               textOf(e, "subresource"), fromFieldsV1(e.value("fieldsV1", nlohmann::json::object()))});
  return out;
}

// Entries that own nothing are dropped, as the real server drops them.
inline void writeManaged(nlohmann::json& object, const std::vector<ManagedEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries) {
    if (e.fields.empty()) continue;
    nlohmann::json entry{{"manager", e.manager}, {"operation", e.operation}, {"apiVersion", e.api_version}};
    if (!e.time.empty()) entry["time"] = e.time;
    entry["fieldsType"] = "FieldsV1";
    entry["fieldsV1"] = toFieldsV1(e.fields);
    if (!e.subresource.empty()) entry["subresource"] = e.subresource;
    list.push_back(std::move(entry));
  }
  if (list.empty()) object["metadata"].erase("managedFields");
  else object["metadata"]["managedFields"] = std::move(list);
}

// As the API server names a manager in a conflict: `"kubectl-client-side-apply" using apps/v1`.
inline std::string printManager(const ManagedEntry& e) {
  std::string out = "\"" + e.manager + "\"";
  if (!e.subresource.empty()) out += " with subresource \"" + e.subresource + "\"";
  if (e.operation != "Update") return out;
  return out + " using " + e.api_version + (e.time.empty() ? "" : " at " + e.time);
}

struct FieldConflict {
  FieldPath path;
  std::string manager;  // printed
};

struct WriteResult {
  nlohmann::json object;                 // the object after the write (managedFields updated)
  std::vector<FieldConflict> conflicts;  // apply without force: nothing was written
  bool changed = false;                  // anything at all differs from before (a no-op apply is not a change)
};

namespace detail {
inline ManagedEntry& entryFor(std::vector<ManagedEntry>& entries, const std::string& manager, const std::string& operation,
                              const std::string& api_version, const std::string& now) {
  for (auto& e : entries)
    if (e.manager == manager && e.operation == operation && e.subresource.empty()) return e;
  entries.push_back(ManagedEntry{manager, operation, api_version, now, "", {}});
  return entries.back();
}

// The time of `manager`'s entry moves to `now` only when the write changed something.
inline void finish(WriteResult& out, const nlohmann::json* live, std::vector<ManagedEntry>& entries, std::size_t mine,
                   const std::string& now) {
  writeManaged(out.object, entries);
  out.changed = live == nullptr || out.object != *live;
  if (!out.changed) return;
  entries[mine].time = now;
  writeManaged(out.object, entries);
}
}  // namespace detail

// Server-side apply of `applied` by `manager` onto `live` (nullptr: the object is new). A field the
// applied object sets that another manager owns with a different value is a conflict, unless
// `force` moves it to this manager; equal values are shared. Fields the manager applied before
// and no longer does, that no one else owns, are removed.
inline WriteResult serverSideApply(const nlohmann::json* live, const nlohmann::json& applied, const std::string& manager, bool force,
                                   const std::string& now) {
  const auto leaves = leavesOf(applied);
  const FieldSet applied_paths = pathsOf(leaves);
  WriteResult out;
  out.object = live != nullptr ? *live : nlohmann::json{{"apiVersion", applied.value("apiVersion", "")},
                                                        {"kind", applied.value("kind", "")},
                                                        {"metadata", nlohmann::json::object()}};
  std::vector<ManagedEntry> entries = live != nullptr ? readManaged(*live) : std::vector<ManagedEntry>{};
  const std::string api_version = applied.value("apiVersion", "");
  detail::entryFor(entries, manager, "Apply", api_version, now);
  const auto is_mine = [&](const ManagedEntry& e) { return e.manager == manager && e.operation == "Apply" && e.subresource.empty(); };
  for (const auto& [path, value] : leaves)
    for (const auto& e : entries) {
      if (is_mine(e) || !ownsAtOrBelow(e.fields, path)) continue;
      const nlohmann::json* current = live != nullptr ? valueAt(*live, path) : nullptr;
      if (current == nullptr || *current != value) out.conflicts.push_back(FieldConflict{path, printManager(e)});
    }
  if (!out.conflicts.empty() && !force) return out;
  for (const auto& c : out.conflicts)
    for (auto& e : entries)
      if (!is_mine(e))
        std::erase_if(e.fields, [&](const FieldPath& owned) { return owned.size() >= c.path.size() && overlaps(owned, c.path); });
  out.conflicts.clear();
  std::size_t mine = 0;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (is_mine(entries[i])) mine = i;
  for (const auto& old : entries[mine].fields) {
    if (ownsAny(applied_paths, old)) continue;
    const bool owned_elsewhere = std::any_of(entries.begin(), entries.end(), [&](const ManagedEntry& e) {
      return !is_mine(e) && ownsAny(e.fields, old);
    });
    if (!owned_elsewhere) eraseAt(out.object, old);
  }
  for (const auto& [path, value] : leaves) setAt(out.object, path, value);
  entries[mine].fields = applied_paths;
  entries[mine].api_version = api_version;
  detail::finish(out, live, entries, mine, now);
  return out;
}

// An ordinary write by `manager` (operation Update) that took `live` to `written`: the fields it
// changed become its own and leave other managers; fields that are gone leave everyone.
inline WriteResult recordUpdate(const nlohmann::json* live, nlohmann::json written, const std::string& manager,
                                const std::string& now) {
  const auto before = live != nullptr ? leavesOf(*live) : std::map<FieldPath, nlohmann::json>{};
  const auto after = leavesOf(written);
  FieldSet changed;
  for (const auto& [path, value] : after) {
    const auto it = before.find(path);
    if (it == before.end() || it->second != value) changed.insert(path);
  }
  for (const auto& [path, value] : before)
    if (after.count(path) == 0) changed.insert(path);
  std::vector<ManagedEntry> entries = live != nullptr ? readManaged(*live) : std::vector<ManagedEntry>{};
  ManagedEntry& mine_entry = detail::entryFor(entries, manager, "Update", written.value("apiVersion", ""), now);
  const ManagedEntry* mine_ptr = &mine_entry;
  for (auto& e : entries)
    std::erase_if(e.fields, [&](const FieldPath& owned) {
      return valueAt(written, owned) == nullptr || (&e != mine_ptr && ownsAny(changed, owned));
    });
  std::size_t mine = 0;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (&entries[i] == mine_ptr) mine = i;
  for (const auto& path : changed)
    if (after.count(path) != 0) entries[mine].fields.insert(path);
  WriteResult out{std::move(written), {}, false};
  detail::finish(out, live, entries, mine, now);
  return out;
}

// A JSON merge patch (RFC 7386) of `live`; identity, bookkeeping and status stay as they were.
inline nlohmann::json mergePatched(const nlohmann::json& live, const nlohmann::json& patch) {
  nlohmann::json out = live;
  out.merge_patch(patch);
  for (const char* key : {"apiVersion", "kind", "status"}) {
    if (live.contains(key)) out[key] = live[key];
    else out.erase(key);
  }
  if (!out["metadata"].is_object()) out["metadata"] = nlohmann::json::object();
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"}) {
    const auto* was = valueAt(live, {"metadata", key});
    if (was != nullptr) out["metadata"][key] = *was;
    else out["metadata"].erase(key);
  }
  return out;
}

}  // namespace meshtwin::test::standin
