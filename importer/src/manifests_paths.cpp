// readManifestPaths: files, directories (recursively, sorted) and "-" for standard input,
// each through readManifests; and the one-line form of a ReadError.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "meshtwin/importer/manifests.hpp"

namespace meshtwin::importer {

namespace fs = std::filesystem;

namespace {

bool isManifestFile(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool hidden(const fs::path& p) {
  const auto name = p.filename().string();
  return name.size() > 1 && name[0] == '.';
}

ReadError cannotRead(const std::string& path, const std::string& why) {
  return {{path, 0, 0}, "cannot read " + path + ": " + why,
          "give manifest files, directories of them, or - for standard input"};
}

void readFile(const std::string& path, ManifestRead& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back(cannotRead(path, std::error_code(errno, std::generic_category()).message()));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    out.errors.push_back(cannotRead(path, "read error"));
    return;
  }
  out.append(readManifests(text.str(), path));
}

// Every manifest file under dir, sorted by path; hidden files and directories passed over.
std::vector<std::string> filesUnder(const std::string& dir, ManifestRead& out) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && isManifestFile(it->path())) files.push_back(it->path().generic_string());
  }
  if (ec) out.errors.push_back(cannotRead(dir, ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

void readDirectory(const std::string& dir, ManifestRead& out) {
  const auto files = filesUnder(dir, out);
  if (files.empty()) {
    out.errors.push_back({{dir, 0, 0}, "no manifests in " + dir + ": no *.yaml, *.yml or *.json file under it",
                          "point at the directory that holds the rendered manifests"});
  }
  for (const auto& f : files) readFile(f, out);
}

}  // namespace

void ManifestRead::append(ManifestRead&& other) {
  objects.insert(objects.end(), std::make_move_iterator(other.objects.begin()),
                 std::make_move_iterator(other.objects.end()));
  errors.insert(errors.end(), std::make_move_iterator(other.errors.begin()), std::make_move_iterator(other.errors.end()));
}

std::string toString(const ReadError& e) {
  std::string out = toString(e.origin) + ": " + e.message;
  if (!e.hint.empty()) out += " (" + e.hint + ")";
  return out;
}

ManifestRead readManifestPaths(const std::vector<std::string>& paths, std::istream& stdin_stream) {
  ManifestRead out;
  for (const auto& path : paths) {
    if (path == "-") {
      std::ostringstream text;
      text << stdin_stream.rdbuf();
      out.append(readManifests(text.str(), "<stdin>"));
      continue;
    }
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back(cannotRead(path, ec ? ec.message() : "no such file or directory"));
    } else if (fs::is_directory(st)) {
      readDirectory(path, out);
    } else {
      readFile(path, out);
    }
  }
  return out;
}

}  // namespace meshtwin::importer
