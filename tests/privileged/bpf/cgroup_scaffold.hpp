// Cgroups for the bpf privileged tests: the cgroup v2 mount, a per-run tree (ztunnel, pod,
// other) that this process joins and leaves, and how many programs a cgroup has attached.
#pragma once

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

namespace meshtwin::test {

// The cgroup v2 mount point, or "" when the kernel has none mounted.
inline std::string cgroup2Mount() {
  std::ifstream mounts("/proc/mounts");
  std::string dev, dir, type, rest;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2") return dir;
  }
  return {};
}

inline void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.flush();
  if (!f) throw std::runtime_error("write " + path + ": " + std::strerror(errno));
}

// Cgroups for one run: this process (the ztunnel) and two pods, under a folder named after
// the pid. The destructor moves the process back and removes them, so nothing is left behind.
class TestCgroups {
 public:
  explicit TestCgroups(const std::string& mount) : base_(mount + "/meshtwin-bpf-test-" + std::to_string(::getpid())) {
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);) {
      if (line.rfind("0::", 0) == 0) home_ = mount + line.substr(3);
    }
    for (const auto& dir : {base_, ztunnel(), pod(), other()}) {
      if (::mkdir(dir.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + dir + ": " + std::strerror(errno));
    }
    writeFile(ztunnel() + "/cgroup.procs", std::to_string(::getpid()));
  }
  ~TestCgroups() {
    std::ofstream(home_ + "/cgroup.procs") << ::getpid();
    for (const auto& dir : {other(), pod(), ztunnel(), base_}) {
      if (::rmdir(dir.c_str()) != 0) std::cerr << "rmdir " << dir << ": " << std::strerror(errno) << "\n";
    }
  }
  TestCgroups(const TestCgroups&) = delete;
  TestCgroups& operator=(const TestCgroups&) = delete;
  std::string ztunnel() const { return base_ + "/ztunnel"; }
  std::string pod() const { return base_ + "/pod"; }
  std::string other() const { return base_ + "/other"; }
  std::string base() const { return base_; }

 private:
  std::string base_;
  std::string home_;
};

// How many programs of `type` are attached to the cgroup directory.
inline std::uint32_t attachedPrograms(const std::string& cgroup, bpf_attach_type type) {
  const int fd = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(fd >= 0);
  std::uint32_t count = 0;
  const int rc = bpf_prog_query(fd, type, 0, nullptr, nullptr, &count);
  ::close(fd);
  REQUIRE(rc == 0);
  return count;
}

}  // namespace meshtwin::test
