// Test scaffolding shared across rooms: a scratch directory removed on scope exit, and a
// network namespace of the test process's own for the privileged tier.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace meshtwin::test {

// <tmp>/meshtwin-<name>-<pid>, empty at construction, removed with its contents at the end.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("meshtwin-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string operator/(const std::string& child) const { return (path / child).string(); }
};

// Moves this process into a new network namespace with loopback up (it vanishes with the
// process, so nothing is left behind). Returns why it cannot, or "".
inline std::string enterOwnNetns() {
  if (::geteuid() != 0) return "not root";
  if (::unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  if (std::system("ip link set lo up") != 0) return "ip link set lo up failed";
  return {};
}

}  // namespace meshtwin::test
