// What a watch of the Kubernetes REST client hands on (one event of the server's stream) and how
// it is asked for; Client::watch in client.hpp runs it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace meshtwin::kube {

struct WatchEvent {
  std::string type;       // ADDED, MODIFIED, DELETED, BOOKMARK
  nlohmann::json object;  // with apiVersion/kind filled in from the type when missing
};

struct WatchOptions {
  // Start after this (from a list or a previous watch). "": the server first sends every current
  // object as ADDED (as the API server does for a watch without resourceVersion), then changes.
  std::string resource_version;
  std::string label_selector, field_selector;
  int timeout_seconds = 30;  // timeoutSeconds: the server ends the stream then
  bool allow_bookmarks = true;  // BOOKMARK events carry only metadata.resourceVersion: where to watch on from
};

}  // namespace meshtwin::kube
