// The objects the stand-in API server holds, per resource: one resourceVersion counter for all
// (as etcd's revision), metadata.generation, and a bounded log of changes that watches read.
#pragma once

#include <algorithm>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "kube_standin_status.hpp"

namespace meshtwin::test::standin {

struct StoredEvent {
  long rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  nlohmann::json object;
};

struct StoredResource {
  std::string group_version, resource, kind;
  bool namespaced = true;
  std::map<std::string, nlohmann::json> objects;  // by "namespace/name" ("/name" when cluster-scoped)
  std::deque<StoredEvent> events;                 // oldest first
  long history_start = 0;    // a watch from an older resourceVersion is 410 Expired
  long dropped_through = 0;  // the newest event no longer kept: a running watch that had not seen it is 410 too

  [[nodiscard]] std::string group() const { return groupOf(group_version); }
};

inline std::string objectKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

class StandinStore {
 public:
  // Hears of every object created or whose spec changed (never of a dry run).
  std::function<void(const StoredResource&, const nlohmann::json&)> on_generation;
  std::size_t history_limit = 1000;  // events kept per resource
  long watch_breaks = 0;             // a change breaks every open watch (their connections close)

  StoredResource& addResource(const std::string& group_version, const std::string& resource, const std::string& kind, bool namespaced) {
    auto& r = resources_[group_version + "/" + resource];
    r.group_version = group_version;
    r.resource = resource;
    r.kind = kind;
    r.namespaced = namespaced;
    return r;
  }

  StoredResource* find(const std::string& group_version, const std::string& resource) {
    const auto it = resources_.find(group_version + "/" + resource);
    return it == resources_.end() ? nullptr : &it->second;
  }

  std::map<std::string, StoredResource>& resources() { return resources_; }
  [[nodiscard]] const std::map<std::string, StoredResource>& resources() const { return resources_; }
  [[nodiscard]] long resourceVersion() const { return rv_; }

  std::string keyOf(const StoredResource& r, const nlohmann::json& object) const {
    const auto* meta = valueAt(object, {"metadata"});
    if (meta == nullptr) return objectKey("", "");
    return objectKey(r.namespaced ? textOf(*meta, "namespace") : "", textOf(*meta, "name"));
  }

  // 2024-01-01T00:00:00Z and a second later on each call: timestamps without a wall clock.
  std::string now() {
    const std::time_t t = 1704067200 + clock_s_++;
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
  }

  std::string newUid() {
    std::string n = std::to_string(++uids_);
    return "5f0c2d1e-0000-4000-8000-" + std::string(n.size() < 12 ? 12 - n.size() : 0, '0') + n;
  }

  // `object` as the new state of its key in `r`: resourceVersion bumped, metadata.generation 1 on
  // create (unless given) and one more when anything but metadata and status changed, the event
  // logged. A dry run only computes: nothing stored or logged, no new resourceVersion.
  nlohmann::json put(StoredResource& r, nlohmann::json object, bool dry_run = false) {
    const std::string key = keyOf(r, object);
    const auto it = r.objects.find(key);
    const bool created = it == r.objects.end();
    auto& meta = object["metadata"];
    long generation = created ? meta.value("generation", 1L) : generationOf(it->second);
    const bool spec_changed = !created && specOf(it->second) != specOf(object);
    if (spec_changed) ++generation;
    meta["generation"] = generation;
    if (dry_run) {
      if (created) meta.erase("resourceVersion");
      else meta["resourceVersion"] = it->second["metadata"]["resourceVersion"];
      return object;
    }
    meta["resourceVersion"] = std::to_string(++rv_);
    r.objects[key] = object;
    log(r, created ? "ADDED" : "MODIFIED", object);
    if (on_generation && (created || spec_changed)) on_generation(r, object);
    return object;
  }

  // Removes the object at `key`; its DELETED event carries a new resourceVersion.
  nlohmann::json erase(StoredResource& r, const std::string& key, bool dry_run = false) {
    nlohmann::json gone = r.objects.at(key);
    if (dry_run) return gone;
    r.objects.erase(key);
    gone["metadata"]["resourceVersion"] = std::to_string(++rv_);
    log(r, "DELETED", gone);
    return gone;
  }

  // Watches from a resourceVersion older than `rv` answer 410 Expired, as after etcd compaction.
  void expireBefore(long rv) {
    for (auto& [key, r] : resources_) {
      r.history_start = std::max(r.history_start, rv);
      while (!r.events.empty() && r.events.front().rv <= rv) dropFront(r);
    }
  }

 private:
  static long generationOf(const nlohmann::json& o) {
    const auto* g = valueAt(o, {"metadata", "generation"});
    return g != nullptr && g->is_number_integer() ? g->get<long>() : 1;
  }

  static nlohmann::json specOf(nlohmann::json o) {
    o.erase("metadata");
    o.erase("status");
    return o;
  }

  static void dropFront(StoredResource& r) {
    r.dropped_through = std::max(r.dropped_through, r.events.front().rv);
    r.history_start = std::max(r.history_start, r.dropped_through);
    r.events.pop_front();
  }

  void log(StoredResource& r, const std::string& type, nlohmann::json object) {
    if (!object.contains("kind")) object["kind"] = r.kind;  // watch events carry type meta
    if (!object.contains("apiVersion")) object["apiVersion"] = r.group_version;
    r.events.push_back(StoredEvent{rv_, type, std::move(object)});
    while (r.events.size() > history_limit) dropFront(r);
  }

  std::map<std::string, StoredResource> resources_;
  long rv_ = 1000;
  long clock_s_ = 0;
  long uids_ = 0;
};

}  // namespace meshtwin::test::standin
