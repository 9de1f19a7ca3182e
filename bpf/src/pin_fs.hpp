// Internal to meshtwin::bpf: the bpffs steps RedirectLoader::pin shares with pinned.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meshtwin/bpf/redirect_loader.hpp"

namespace meshtwin::bpf::detail {

// The hint for an errno of a bpf() or mount() call made as a user without the capabilities.
std::string privilegeHint(int err, const std::string& otherwise);

// Creates `dir` and its missing parents, refusing when the nearest existing one is not on a bpf
// filesystem (pins can live only there, and this keeps a typo from creating folders elsewhere).
std::optional<Error> makeBpffsDirs(const std::string& what, const std::string& dir);

// Opens a cgroup v2 directory to attach programs to: the fd, or -1 with `error` set.
int openCgroup(const std::string& cgroup, std::optional<Error>& error);

struct PinItem {
  std::string name;  // file name under the directory
  int fd = -1;       // program or map
};

// Pins every item under `dir` (created), or none: a failure removes the pins made before it.
std::optional<Error> pinAll(const std::string& what, const std::string& dir, const std::vector<PinItem>& items);

}  // namespace meshtwin::bpf::detail
