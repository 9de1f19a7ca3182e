// The Kubernetes REST client's watch: one streamed request whose newline-delimited JSON events are
// handed on as they arrive; an ERROR event's Status becomes an Error (410 Expired: list again).
#include <optional>

#include "client_impl.hpp"

namespace meshtwin::kube {

namespace {

constexpr std::size_t kMaxEventBytes = 64ULL * 1024 * 1024;  // one object; a line longer than this is not an event

QueryParams watchParams(const WatchOptions& options) {
  QueryParams params{{"watch", "true"}};
  if (!options.resource_version.empty()) params.emplace_back("resourceVersion", options.resource_version);
  params.emplace_back("timeoutSeconds", std::to_string(options.timeout_seconds));
  if (options.allow_bookmarks) params.emplace_back("allowWatchBookmarks", "true");
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  return params;
}

// Cuts the body into lines and each line into an event for on_event, until one asks to stop or
// is an error.
class EventReader {
 public:
  EventReader(const ResourceType& type, const RequestInfo& info, std::string resource_version,
              const std::function<bool(const WatchEvent&)>& on_event)
      : type_(type), info_(info), last_rv_(std::move(resource_version)), on_event_(on_event) {}

  // One piece of the body; false: read no more.
  bool take(std::string_view piece) {
    pending_.append(piece);
    std::size_t start = 0;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', start)) {
      const bool more = line(std::string_view(pending_).substr(start, nl - start));
      start = nl + 1;
      if (!more) {
        pending_.clear();
        return false;
      }
    }
    pending_.erase(0, start);
    if (pending_.size() <= kMaxEventBytes) return true;
    error_ = protocolError(info_, 200, "a watch event longer than " + std::to_string(kMaxEventBytes) + " bytes");
    return false;
  }

  // The body ended as the server meant it to: a last line without its newline is an event too.
  void finish() {
    if (!pending_.empty() && !stopped_ && !error_) line(pending_);
    pending_.clear();
  }

  [[nodiscard]] const std::optional<Error>& error() const { return error_; }
  [[nodiscard]] const std::string& lastResourceVersion() const { return last_rv_; }
  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] std::size_t tornBytes() const { return pending_.size(); }

 private:
  bool line(std::string_view text) {
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return true;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    const auto type = doc.is_object() ? doc.find("type") : doc.end();
    const auto object = doc.is_object() ? doc.find("object") : doc.end();
    if (type == doc.end() || !type->is_string() || object == doc.end() || !object->is_object()) {
      const std::string shown(text.substr(0, 200));
      error_ = protocolError(info_, 200, "a watch event is not {\"type\": ..., \"object\": {...}}: " + shown);
      return false;
    }
    if (*type == "ERROR") {
      const auto code = object->find("code");
      const int status = code != object->end() && code->is_number_integer() ? code->get<int>() : 500;
      error_ = decodeStatus(HttpResponse{status, {}, object->dump()}, info_);
      return false;
    }
    WatchEvent event{type->get<std::string>(), std::move(*object)};
    fillTypeMeta(event.object, type_);
    const auto meta = event.object.find("metadata");
    if (meta != event.object.end() && meta->is_object()) {
      const auto rv = meta->find("resourceVersion");
      if (rv != meta->end() && rv->is_string() && !rv->get<std::string>().empty()) last_rv_ = rv->get<std::string>();
    }
    if (on_event_(event)) return true;
    stopped_ = true;
    return false;
  }

  const ResourceType& type_;
  const RequestInfo& info_;
  std::string last_rv_;
  const std::function<bool(const WatchEvent&)>& on_event_;
  std::string pending_;
  std::optional<Error> error_;
  bool stopped_ = false;
};

}  // namespace

Result<std::string> Client::watch(const ResourceType& type, const std::string& ns, const WatchOptions& options,
                                  const std::function<bool(const WatchEvent&)>& on_event) const {
  const std::string path = resourcePath(type, ns);
  const RequestInfo info = requestInfo("watch", "GET", type, ns, "", path);
  if (options.timeout_seconds <= 0)
    return Error{Error::Kind::Config, 0, info.verb, info.url, "Invalid", "watch " + type.resource + ": timeout_seconds must be positive",
                 "a watch ends when the server closes it at timeoutSeconds"};
  const auto deadline = std::chrono::milliseconds(std::chrono::seconds(options.timeout_seconds)) + impl_->options.timeout;
  EventReader reader(type, info, options.resource_version, on_event);
  auto res = send("GET", withQuery(path, watchParams(options)), info, "", "",
                  [&](const HttpClient& http, const HttpRequest& req) {
                    return http.stream(req, deadline, [&](std::string_view piece) { return reader.take(piece); });
                  });
  if (!res) return res.error();
  if (reader.error()) return *reader.error();
  if (!res->stream_error.empty()) {
    impl_->warn("watch " + type.resource + ": the stream ended early (" + res->stream_error + ")" +
                (reader.tornBytes() > 0 ? ", a torn event of " + std::to_string(reader.tornBytes()) + " bytes dropped" : "") +
                "; watch again from resourceVersion " + reader.lastResourceVersion());
    return reader.lastResourceVersion();
  }
  if (!reader.stopped()) reader.finish();
  if (reader.error()) return *reader.error();
  return reader.lastResourceVersion();
}

}  // namespace meshtwin::kube
