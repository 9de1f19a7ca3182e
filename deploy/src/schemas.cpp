// SchemaSet: load a schema directory, build each kind's valijson schema once, validate objects
// and turn valijson's results into SchemaErrors with JSON pointers.
#include "meshtwin/deploy/schemas.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "schemas_internal.hpp"

namespace meshtwin::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

struct SchemaSet::Impl {
  std::string dir;
  detail::Sources sources;
  // Built on first use, by key. The validator keeps compiled patterns, so it lives beside them.
  struct Built {
    std::unique_ptr<valijson::Schema> schema;
    std::string error;  // why no schema could be built, when schema is null
  };
  std::mutex mutex;
  std::unordered_map<std::string, Built> built;
  valijson::Validator validator{valijson::Validator::kStrongTypes};
};

std::string format(const SchemaLoadError& e) { return e.file + ": " + e.what; }

SchemaSetResult::SchemaSetResult(SchemaSet set) : v_(std::move(set)) {}
SchemaSetResult::SchemaSetResult(SchemaLoadError e) : v_(std::move(e)) {}

SchemaSetResult SchemaSet::load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return SchemaLoadError{dir, "not a directory of schemas"};
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  if (ec) return SchemaLoadError{dir, "cannot be listed: " + ec.message()};
  std::sort(files.begin(), files.end());
  auto impl = std::make_shared<Impl>();
  impl->dir = dir;
  for (const auto& file : files) {
    const std::string ext = file.extension().string();
    std::optional<SchemaLoadError> error;
    if (ext == ".yaml" || ext == ".yml") error = detail::readCrdFile(file, impl->sources);
    else if (ext == ".json") error = detail::readOpenApiFile(file, impl->sources);
    if (error) return *error;
  }
  if (impl->sources.empty()) return SchemaLoadError{dir, "no CRD or OpenAPI v3 schema in it"};
  return SchemaSet(std::move(impl));
}

bool SchemaSet::has(const std::string& apiVersion, const std::string& kind) const {
  return impl_->sources.count(detail::schemaKey(apiVersion, kind)) != 0;
}

std::vector<std::string> SchemaSet::kinds() const {
  std::vector<std::string> out;
  for (const auto& entry : impl_->sources) out.push_back(entry.first);
  return out;
}

namespace {

std::string objectName(const json& object) {
  const std::string kind = object.is_object() ? object.value("kind", "") : "";
  std::string name;
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    const json& meta = object["metadata"];
    const std::string ns = meta.contains("namespace") && meta["namespace"].is_string() ? meta["namespace"].get<std::string>() : "";
    const std::string n = meta.contains("name") && meta["name"].is_string() ? meta["name"].get<std::string>() : "";
    name = ns.empty() ? n : ns + "/" + n;
  }
  if (kind.empty()) return name.empty() ? "object" : name;
  return name.empty() ? kind : kind + " " + name;
}

// valijson's context ("<root>", "[spec]", "[listeners]", "[0]") as a JSON pointer.
std::string pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string token = part.size() >= 2 && part.front() == '[' && part.back() == ']' ? part.substr(1, part.size() - 2) : part;
    std::string escaped;
    for (char c : token) {
      if (c == '~') escaped += "~0";
      else if (c == '/') escaped += "~1";
      else escaped += c;
    }
    out += "/" + escaped;
  }
  return out;
}

// Messages valijson adds on every parent of a failing value; the leaf says what is wrong.
bool propagated(const std::string& message) {
  static const char* const prefixes[] = {
      "Failed to validate against schema associated with property name",
      "Failed to validate item #",
      "Failed to validate against additional properties schema",
      "Failed to validate against child schema #",
      "Failed to validate against schema associated with pattern",
  };
  return std::any_of(std::begin(prefixes), std::end(prefixes),
                     [&](const char* p) { return message.rfind(p, 0) == 0; });
}

}  // namespace

std::vector<SchemaError> SchemaSet::validate(const json& object) const {
  const std::string name = objectName(object);
  const std::string apiVersion = object.is_object() ? object.value("apiVersion", "") : "";
  const std::string kind = object.is_object() ? object.value("kind", "") : "";
  if (apiVersion.empty() || kind.empty()) return {{name, "", "no apiVersion or kind"}};
  const std::string key = detail::schemaKey(apiVersion, kind);
  const auto source = impl_->sources.find(key);
  if (source == impl_->sources.end()) {
    return {{name, "", fmt::format("no schema for {} {} in {}", apiVersion, kind, impl_->dir)}};
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto [built, fresh] = impl_->built.try_emplace(key);
  if (fresh) {
    try {
      const json doc = detail::toJsonSchema(source->second);
      auto schema = std::make_unique<valijson::Schema>();
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
      valijson::adapters::NlohmannJsonAdapter adapter(doc);
      parser.populateSchema(adapter, *schema);
      built->second.schema = std::move(schema);
    } catch (const std::exception& e) {
      built->second.error = fmt::format("the schema of {} {} in {} is unusable: {}", apiVersion, kind,
                                        source->second.file, e.what());
    }
  }
  if (!built->second.schema) return {{name, "", built->second.error}};

  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(object);
  std::vector<SchemaError> out;
  try {
    if (impl_->validator.validate(*built->second.schema, target, &results)) return out;
  } catch (const std::exception& e) {  // e.g. std::regex running out of stack on a long value
    return {{name, "", std::string("validation stopped: ") + e.what()}};
  }
  std::vector<SchemaError> all;
  std::set<std::pair<std::string, std::string>> seen;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    SchemaError e{name, pointer(error.context), error.description};
    if (seen.insert({e.path, e.message}).second) all.push_back(std::move(e));
  }
  for (const auto& e : all) {
    if (!propagated(e.message)) out.push_back(e);
  }
  return out.empty() ? all : out;
}

}  // namespace meshtwin::deploy
