// Working from pinned redirect programs: attach, enroll, unenroll and clean up through bpffs
// pins alone, so that each step can be its own process.
#include "meshtwin/bpf/pinned.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/magic.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "pin_fs.hpp"

namespace fs = std::filesystem;

namespace meshtwin::bpf {

namespace detail {

int openCgroup(const std::string& cgroup, std::optional<Error>& error) {
  const int fd = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    error = Error{"open cgroup", cgroup, std::strerror(err), "the path must be a cgroup v2 directory", err};
  }
  return fd;
}

std::string privilegeHint(int err, const std::string& otherwise) {
  return err == EPERM || err == EACCES ? "run as root (pins and cgroup links need CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)"
                                       : otherwise;
}

namespace {

constexpr const char* kNotBpffsHint =
    "pins live on a bpf filesystem: use a directory under /sys/fs/bpf (ensureBpffs mounts one there)";

// 0 when `path` is on a bpf filesystem, else the errno of statfs or ENOTSUP.
int bpffsCheck(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return errno;
  return static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC ? 0 : ENOTSUP;
}

}  // namespace

std::optional<Error> makeBpffsDirs(const std::string& what, const std::string& dir) {
  fs::path existing = fs::path(dir).lexically_normal();
  std::error_code ec;
  while (!existing.empty() && !fs::exists(existing, ec)) existing = existing.parent_path();
  if (existing.empty()) existing = ".";
  if (const int err = bpffsCheck(existing.string()); err != 0) {
    return Error{what, "directory " + dir,
                 err == ENOTSUP ? existing.string() + " is not on a bpf filesystem" : std::strerror(err),
                 kNotBpffsHint, err};
  }
  fs::create_directories(dir, ec);
  if (ec) return Error{what, "directory " + dir, ec.message(), privilegeHint(ec.value(), {}), ec.value()};
  return std::nullopt;
}

std::optional<Error> pinAll(const std::string& what, const std::string& dir, const std::vector<PinItem>& items) {
  if (auto err = makeBpffsDirs(what, dir)) return err;
  std::vector<std::string> made;
  for (const auto& item : items) {
    const auto path = dir + "/" + item.name;
    if (::bpf_obj_pin(item.fd, path.c_str()) != 0) {
      const int err = errno;
      for (const auto& p : made) ::unlink(p.c_str());
      return Error{what, "pin " + path, std::strerror(err),
                   err == EEXIST ? "something is pinned there already; remove the tree first (removePinnedTree, "
                                   "`meshtwin testbed down`)"
                                 : privilegeHint(err, {}),
                   err};
    }
    made.push_back(path);
  }
  return std::nullopt;
}

}  // namespace detail

namespace {

using detail::privilegeHint;

// A file descriptor closed at scope exit (one close for every path out).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string joinPath(const std::string& dir, const char* name) { return dir + "/" + name; }

std::optional<Error> openCgroup(const std::string& cgroup, Fd& out) {
  std::optional<Error> error;
  const int fd = detail::openCgroup(cgroup, error);
  if (fd >= 0) out.reset(fd);
  return error;
}

// The cgroup v2 id of `cgroup` (what a cgroup link reports), from its file handle.
std::optional<Error> cgroupId(const std::string& cgroup, std::uint64_t& id) {
  // A cgroup v2 file handle is the 8-byte id; file_handle ends in a flexible array.
  alignas(file_handle) std::array<unsigned char, sizeof(file_handle) + sizeof id> buf{};
  auto* handle = reinterpret_cast<file_handle*>(buf.data());
  handle->handle_bytes = sizeof id;
  int mount_id = 0;
  if (::name_to_handle_at(AT_FDCWD, cgroup.c_str(), handle, &mount_id, 0) != 0) {
    const int err = errno;
    return Error{"read the cgroup id", cgroup, std::strerror(err), "the path must be a cgroup v2 directory", err};
  }
  std::memcpy(&id, handle->f_handle, sizeof id);
  return std::nullopt;
}

// A pinned program of `prog_dir`, opened.
std::optional<Error> openPinnedProgram(const std::string& what, const std::string& prog_dir, const char* name, Fd& out,
                                       std::uint32_t& prog_id) {
  const auto path = joinPath(prog_dir, name);
  const int fd = ::bpf_obj_get(path.c_str());
  if (fd < 0) {
    const int err = errno;
    return Error{what, "pinned program " + path, std::strerror(err),
                 err == ENOENT ? "no redirect programs are pinned in " + prog_dir +
                                     "; `meshtwin testbed up` (RedirectLoader::pin) pins them there"
                               : privilegeHint(err, "the path must be a program pinned by RedirectLoader::pin"),
                 err};
  }
  out.reset(fd);
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  if (::bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    const int err = errno;
    return Error{what, "pinned program " + path, std::strerror(err), "the pin must be a program", err};
  }
  prog_id = info.id;
  return std::nullopt;
}

// What one cgroup link should be: `prog` attached to `cgroup` as `type`, pinned at `path`.
struct WantedLink {
  std::string path;
  int prog_fd = -1;
  std::uint32_t prog_id = 0;
  bpf_attach_type type{};
  int cgroup_fd = -1;
  std::uint64_t cgroup_id = 0;
  std::string cgroup;
};

// Makes the wanted link exist. `created` says whether this call made it (for a roll-back).
std::optional<Error> ensureLink(const std::string& what, const WantedLink& want, bool& created) {
  created = false;
  const int existing = ::bpf_obj_get(want.path.c_str());
  if (existing >= 0) {
    const Fd fd(existing);
    bpf_link_info info{};
    std::uint32_t len = sizeof info;
    if (::bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
      const int err = errno;
      return Error{what, "link " + want.path, std::strerror(err), "the pin must be a cgroup link", err};
    }
    if (info.type == BPF_LINK_TYPE_CGROUP && info.prog_id == want.prog_id && info.cgroup.cgroup_id == want.cgroup_id &&
        info.cgroup.attach_type == want.type) {
      return std::nullopt;  // enrolled already
    }
    return Error{what, "link " + want.path,
                 "pinned for another cgroup or program (cgroup id " + std::to_string(info.cgroup.cgroup_id) +
                     ", program id " + std::to_string(info.prog_id) + "; wanted cgroup " + want.cgroup + ", id " +
                     std::to_string(want.cgroup_id) + ", program id " + std::to_string(want.prog_id) + ")",
                 "unenroll it first (unenrollPinned, `meshtwin testbed unenroll`)", EEXIST};
  }
  if (errno != ENOENT) {
    const int err = errno;
    return Error{what, "link " + want.path, std::strerror(err), privilegeHint(err, {}), err};
  }
  const int link = ::bpf_link_create(want.prog_fd, want.cgroup_fd, want.type, nullptr);
  if (link < 0) {
    const int err = errno;
    return Error{what, "cgroup " + want.cgroup, std::string("bpf_link_create: ") + std::strerror(err),
                 privilegeHint(err, "the kernel must support bpf_link for cgroup programs (5.7+)"), err};
  }
  // Closing an unpinned link detaches it, so a failed pin leaves nothing attached.
  const Fd fd(link);
  if (::bpf_obj_pin(fd.get(), want.path.c_str()) != 0) {
    const int err = errno;
    return Error{what, "link " + want.path, std::strerror(err), privilegeHint(err, {}), err};
  }
  created = true;
  return std::nullopt;
}

// Whether the bpf object open as `fd` is a link (bpf_obj_get_info_by_fd cannot tell: it fills
// whichever info the object has), from the kernel's fdinfo.
bool isLink(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("link_type:", 0) == 0) return true;
  }
  return false;
}

// Detaches the link pinned at `path` (if it is one) and removes the pin; a missing pin is done.
std::optional<Error> detachAndUnlink(const std::string& what, const std::string& path) {
  const int got = ::bpf_obj_get(path.c_str());
  if (got < 0) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    return Error{what, "pin " + path, std::strerror(err), privilegeHint(err, {}), err};
  }
  const Fd fd(got);
  if (isLink(fd.get()) && ::bpf_link_detach(fd.get()) != 0) {
    const int err = errno;
    return Error{what, "link " + path, std::string("bpf_link_detach: ") + std::strerror(err),
                 privilegeHint(err, "the kernel must support detaching links (5.9+)"), err};
  }
  if (::unlink(path.c_str()) != 0) {
    const int err = errno;
    return Error{what, "pin " + path, std::strerror(err), privilegeHint(err, {}), err};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Error> ensureBpffs(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC) return std::nullopt;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return Error{"mount bpffs", path, "create the directory: " + ec.message(), privilegeHint(ec.value(), {}),
                 ec.value()};
  }
  // mode=0700 as systemd mounts it: pins are capabilities to whoever can open them.
  if (::mount("bpf", path.c_str(), "bpf", 0, "mode=0700") != 0) {
    const int err = errno;
    return Error{"mount bpffs", path, std::strerror(err),
                 privilegeHint(err, "the kernel must have CONFIG_BPF_SYSCALL (mount -t bpf bpf " + path + ")"), err};
  }
  return std::nullopt;
}

std::optional<Error> attachProxyPinned(const std::string& prog_dir, const std::string& cgroup,
                                       const std::string& link_path) {
  const std::string what = "attach the sockopt hook";
  Fd cg;
  if (auto err = openCgroup(cgroup, cg)) return err;
  std::uint64_t cg_id = 0;
  if (auto err = cgroupId(cgroup, cg_id)) return err;
  Fd prog;
  std::uint32_t prog_id = 0;
  if (auto err = openPinnedProgram(what, prog_dir, PinNames::kGetsockopt, prog, prog_id)) return err;
  if (auto err = detail::makeBpffsDirs(what, fs::path(link_path).parent_path().string())) return err;
  bool created = false;
  return ensureLink(what, {link_path, prog.get(), prog_id, BPF_CGROUP_GETSOCKOPT, cg.get(), cg_id, cgroup}, created);
}

std::optional<Error> enrollPinned(const std::string& prog_dir, const std::string& cgroup, const std::string& link_dir) {
  const std::string what = "enroll pod";
  Fd cg;
  if (auto err = openCgroup(cgroup, cg)) return err;
  std::uint64_t cg_id = 0;
  if (auto err = cgroupId(cgroup, cg_id)) return err;
  Fd connect4;
  Fd sockops;
  std::uint32_t connect4_id = 0;
  std::uint32_t sockops_id = 0;
  if (auto err = openPinnedProgram(what, prog_dir, PinNames::kConnect4, connect4, connect4_id)) return err;
  if (auto err = openPinnedProgram(what, prog_dir, PinNames::kSockops, sockops, sockops_id)) return err;
  if (auto err = detail::makeBpffsDirs(what, link_dir)) return err;
  // sockops first: alone it only records tuples, while connect4 alone would redirect
  // connections whose original destination the ztunnel could not read.
  bool sockops_created = false;
  const WantedLink sockops_link{joinPath(link_dir, PinNames::kSockops), sockops.get(), sockops_id, BPF_CGROUP_SOCK_OPS,
                                cg.get(), cg_id, cgroup};
  if (auto err = ensureLink(what, sockops_link, sockops_created)) return err;
  bool connect4_created = false;
  const WantedLink connect4_link{joinPath(link_dir, PinNames::kConnect4), connect4.get(), connect4_id,
                                 BPF_CGROUP_INET4_CONNECT, cg.get(), cg_id, cgroup};
  if (auto err = ensureLink(what, connect4_link, connect4_created)) {
    // Both or neither, as RedirectLoader::enroll: take back what this call added.
    if (sockops_created) (void)detachAndUnlink(what, sockops_link.path);
    return err;
  }
  return std::nullopt;
}

std::optional<Error> unenrollPinned(const std::string& link_dir) {
  const std::string what = "unenroll pod";
  std::error_code ec;
  if (!fs::is_directory(link_dir, ec)) {
    return Error{what, "links " + link_dir, "no such directory", "the pod is not enrolled (enroll pins its links there)",
                 ENOENT};
  }
  for (const char* name : {PinNames::kConnect4, PinNames::kSockops}) {
    if (auto err = detachAndUnlink(what, joinPath(link_dir, name))) return err;
  }
  if (::rmdir(link_dir.c_str()) != 0) {
    const int err = errno;
    return Error{what, "links " + link_dir, std::strerror(err),
                 err == ENOTEMPTY ? "it holds files other than the pod's links; remove them by hand"
                                  : privilegeHint(err, {}),
                 err};
  }
  return std::nullopt;
}

std::optional<Error> removePinnedTree(const std::string& dir) {
  const std::string what = "remove the pinned tree";
  std::error_code ec;
  if (!fs::exists(dir, ec)) return std::nullopt;
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) {
    const int err = errno;
    return Error{what, dir, std::strerror(err), privilegeHint(err, {}), err};
  }
  if (static_cast<unsigned long>(st.f_type) != BPF_FS_MAGIC) {
    return Error{what, dir, "not on a bpf filesystem", "refusing to delete files elsewhere; give a directory of pins",
                 ENOTSUP};
  }
  std::vector<fs::path> files;
  std::vector<fs::path> dirs{dir};
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
    else files.push_back(it->path());
  }
  if (ec) return Error{what, dir, ec.message(), privilegeHint(ec.value(), {}), ec.value()};
  // Links first, so programs are detached before anything else goes.
  for (const auto& f : files) {
    if (auto err = detachAndUnlink(what, f.string())) return err;
  }
  // Deepest first: a directory is empty once its children are gone.
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return std::distance(a.begin(), a.end()) > std::distance(b.begin(), b.end());
  });
  for (const auto& d : dirs) {
    if (::rmdir(d.c_str()) != 0) {
      const int err = errno;
      return Error{what, d.string(), std::strerror(err), privilegeHint(err, {}), err};
    }
  }
  return std::nullopt;
}

}  // namespace meshtwin::bpf
