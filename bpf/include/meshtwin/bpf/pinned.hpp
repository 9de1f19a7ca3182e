// The redirect programs kept in bpffs, for a testbed driven by separate processes (`testbed up`
// pins them with RedirectLoader::pin; `enroll`, `unenroll` and `down` work from the pins alone,
// with no skeleton in the process). A pinned link stays attached until its pin is removed.
#pragma once

#include <optional>
#include <string>

#include "meshtwin/bpf/redirect_loader.hpp"

namespace meshtwin::bpf {

// The names under a pinned directory: RedirectLoader::pin writes the programs and maps, the
// functions below write the links.
struct PinNames {
  static constexpr const char* kConnect4 = "connect4";        // program and a pod's link
  static constexpr const char* kSockops = "sockops";          // program and a pod's link
  static constexpr const char* kGetsockopt = "getsockopt";    // program
  static constexpr const char* kOrigByCookie = "orig_by_cookie";  // map
  static constexpr const char* kOrigByTuple = "orig_by_tuple";    // map
};

// Mounts a bpf filesystem at `path` (creating the directory) unless one is mounted there.
[[nodiscard]] std::optional<Error> ensureBpffs(const std::string& path = "/sys/fs/bpf");

// Attaches the pinned getsockopt program of `prog_dir` to `cgroup` (the ztunnel's) and pins the
// link at `link_path`. Already attached there (the pin exists and is that program's link on that
// cgroup): nothing to do.
[[nodiscard]] std::optional<Error> attachProxyPinned(const std::string& prog_dir, const std::string& cgroup,
                                                     const std::string& link_path);

// Enrolls `cgroup` (a pod's) with the pinned programs of `prog_dir`: sockops, then connect4,
// each link pinned under `link_dir` (created). Idempotent: links already pinned there for this
// cgroup and these programs are kept and none is added; a crash between the two is completed.
[[nodiscard]] std::optional<Error> enrollPinned(const std::string& prog_dir, const std::string& cgroup,
                                                const std::string& link_dir);

// Detaches the pod's links pinned under `link_dir` (connect4 first, so no redirected connection
// lacks its record), removes the pins and the directory. The detach is explicit because the
// kernel drops an unlinked pin's reference only after an RCU grace period, and the caller's
// next connect() must not be redirected.
[[nodiscard]] std::optional<Error> unenrollPinned(const std::string& link_dir);

// Removes every pin under `dir` and the directories, detaching links first; a missing `dir` is
// nothing to do. Refuses a directory that is not on a bpf filesystem.
[[nodiscard]] std::optional<Error> removePinnedTree(const std::string& dir);

}  // namespace meshtwin::bpf
