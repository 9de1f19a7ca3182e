// A watch in the stand-in API server: the changes of one resource after a resourceVersion (or the
// current objects as ADDED, then changes), streamed as newline-delimited JSON events as the real
// server sends them, ending at timeoutSeconds with a BOOKMARK, or with 410 Expired when the
// resourceVersion is older than the history kept.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "kube_standin_http.hpp"
#include "kube_standin_store.hpp"

namespace meshtwin::test::standin {

struct WatchFilter {
  std::string ns;  // "": every namespace
  std::string label_selector, field_selector;

  [[nodiscard]] bool matches(const nlohmann::json& o) const {
    const auto* meta = valueAt(o, {"metadata"});
    if (!ns.empty() && (meta == nullptr || textOf(*meta, "namespace") != ns)) return false;
    return labelsMatch(o, label_selector) && fieldsMatch(o, field_selector);
  }
};

class WatchStream : public StandinStream {
 public:
  using Clock = std::chrono::steady_clock;

  // Made while the caller holds `mu` (the request handler does); pull() takes it itself.
  // `from`: a resourceVersion, or -1 for none ("" or "0": the current objects first).
  WatchStream(std::mutex& mu, StandinStore& store, std::string resource_key, long from, WatchFilter filter, Clock::time_point deadline,
              bool bookmarks)
      : mu_(mu),
        store_(store),
        key_(std::move(resource_key)),
        filter_(std::move(filter)),
        deadline_(deadline),
        bookmarks_(bookmarks),
        breaks_(store.watch_breaks) {
    const StoredResource& r = store_.resources().at(key_);
    if (from < 0) {
      cursor_ = store_.resourceVersion();
      for (const auto& [k, o] : r.objects)
        if (filter_.matches(o)) initial_ += line("ADDED", withTypeMeta(r, o));
    } else if (from < r.history_start) {
      initial_ = expired(from, r.history_start);
      ended_ = true;
    } else {
      cursor_ = from;
    }
  }

  Piece pull() override {
    std::lock_guard lock(mu_);
    Piece out{std::move(initial_), ended_};
    initial_.clear();
    if (ended_) return out;
    if (store_.watch_breaks != breaks_) {
      out.done = out.abort = ended_ = true;
      return out;
    }
    const StoredResource& r = store_.resources().at(key_);
    if (cursor_ < r.dropped_through) {  // this watch fell behind what the history keeps
      out.data += expired(cursor_, r.history_start);
      out.done = ended_ = true;
      return out;
    }
    auto it = std::upper_bound(r.events.begin(), r.events.end(), cursor_, [](long rv, const StoredEvent& e) { return rv < e.rv; });
    for (; it != r.events.end(); ++it) {
      cursor_ = it->rv;
      if (filter_.matches(it->object)) out.data += line(it->type, it->object);
    }
    if (Clock::now() < deadline_) return out;
    // As the API server does before a watch times out: where to watch on from.
    if (bookmarks_)
      out.data += line("BOOKMARK", {{"kind", r.kind},
                                    {"apiVersion", r.group_version},
                                    {"metadata", {{"resourceVersion", std::to_string(store_.resourceVersion())}}}});
    out.done = ended_ = true;
    return out;
  }

 private:
  static std::string line(const std::string& type, const nlohmann::json& object) {
    return nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n";
  }

  static nlohmann::json withTypeMeta(const StoredResource& r, nlohmann::json o) {
    if (!o.contains("kind")) o["kind"] = r.kind;
    if (!o.contains("apiVersion")) o["apiVersion"] = r.group_version;
    return o;
  }

  static std::string expired(long from, long oldest) {
    return line("ERROR", statusObject(410, "Expired",
                                      "too old resource version: " + std::to_string(from) + " (" + std::to_string(oldest) + ")"));
  }

  std::mutex& mu_;
  StandinStore& store_;
  std::string key_;
  WatchFilter filter_;
  Clock::time_point deadline_;
  bool bookmarks_;
  long breaks_;
  long cursor_ = 0;  // the newest event looked at
  std::string initial_;
  bool ended_ = false;
};

}  // namespace meshtwin::test::standin
