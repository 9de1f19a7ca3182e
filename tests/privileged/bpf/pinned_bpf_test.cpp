// Privileged tier (root, cgroup v2, BPF, bpffs): the redirect programs pinned in bpffs outlive
// the loader that pinned them, and a cgroup is enrolled, unenrolled and cleaned up from the pins
// alone, as separate `meshtwin testbed` invocations do. A plain listener stands in for the
// ztunnel and reads SO_ORIGINAL_DST.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "../../support/scratch.hpp"
#include "cgroup_scaffold.hpp"
#include "meshtwin/bpf/pinned.hpp"
#include "meshtwin/bpf/redirect_loader.hpp"

using namespace meshtwin::test;
namespace bpf = meshtwin::bpf;
namespace fs = std::filesystem;

namespace {

constexpr const char* kVip = "10.96.0.10";
constexpr std::uint16_t kVipPort = 80;

// /sys/fs/bpf/meshtwin-test-<pid>, removed with everything pinned under it at scope exit, also
// when the test fails half-way.
struct PinDir {
  std::string path = "/sys/fs/bpf/meshtwin-test-" + std::to_string(::getpid());
  PinDir() { (void)bpf::removePinnedTree(path); }
  ~PinDir() {
    if (auto err = bpf::removePinnedTree(path)) {
      std::cerr << err->text() << "\n";
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
  PinDir(const PinDir&) = delete;
  PinDir& operator=(const PinDir&) = delete;
  [[nodiscard]] std::string operator/(const std::string& child) const { return path + "/" + child; }
};

// A listening socket of this process (so of its cgroup at the time of socket()): the ztunnel.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error(std::string("listener: ") + std::strerror(errno));
    }
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
};

struct PodCall {
  int connect_errno = 0;        // of the pod's connect(); 0: connected
  bool accepted = false;        // the listener got the connection
  std::string original_dst;     // "ip:port" from SO_ORIGINAL_DST, or "error: <strerror>"
};

// A child process moved into `cgroup` connects to the VIP and waits for EOF; this process
// accepts (if the connection came to it) and asks the accepted socket where it was going.
PodCall callVipFromPod(const std::string& cgroup, const Listener& listener) {
  std::array<int, 2> go{};
  std::array<int, 2> result{};
  REQUIRE(::pipe(go.data()) == 0);
  REQUIRE(::pipe(result.data()) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char c = 0;
    if (::read(go[0], &c, 1) != 1) ::_exit(2);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(kVipPort);
    ::inet_pton(AF_INET, kVip, &to.sin_addr);
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    int err = 0;
    if (::connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) err = errno;
    if (::write(result[1], &err, sizeof err) != sizeof err) ::_exit(3);
    std::array<char, 16> buf{};
    while (err == 0 && ::read(s, buf.data(), buf.size()) > 0) {
    }
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(result[1]);
  writeFile(cgroup + "/cgroup.procs", std::to_string(child));
  REQUIRE(::write(go[1], "g", 1) == 1);
  ::close(go[1]);
  PodCall out;
  REQUIRE(::read(result[0], &out.connect_errno, sizeof out.connect_errno) == sizeof out.connect_errno);
  ::close(result[0]);
  // A connected client is in the accept queue by now (loopback completes the handshake
  // inside connect()); the timeout only keeps a broken run from hanging.
  pollfd p{listener.fd, POLLIN, 0};
  if (out.connect_errno == 0 && ::poll(&p, 1, 2000) == 1) {
    const int a = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(a >= 0);
    out.accepted = true;
    sockaddr_in orig{};
    socklen_t len = sizeof orig;
    if (::getsockopt(a, SOL_IP, 80 /* SO_ORIGINAL_DST */, &orig, &len) == 0) {
      std::array<char, INET_ADDRSTRLEN> ip{};
      ::inet_ntop(AF_INET, &orig.sin_addr, ip.data(), ip.size());
      out.original_dst = std::string(ip.data()) + ":" + std::to_string(ntohs(orig.sin_port));
    } else {
      out.original_dst = std::string("error: ") + std::strerror(errno);
    }
    ::close(a);  // the child's read sees EOF
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

// Nothing waits in the listener's accept queue.
bool acceptQueueEmpty(const Listener& listener) {
  pollfd p{listener.fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

// `bpftool cgroup tree <root>` (the admin's view), or "" when bpftool cannot be run.
std::string bpftoolCgroupTree(const std::string& root) {
  const std::string command = "bpftool cgroup tree " + root + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string out;
  std::array<char, 512> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;) out.append(buf.data(), n);
  return ::pclose(pipe) == 0 ? out : std::string{};
}

// The kernel id of a pinned program.
std::uint32_t pinnedProgramId(const std::string& path) {
  const int fd = bpf_obj_get(path.c_str());
  REQUIRE(fd >= 0);
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
  ::close(fd);
  REQUIRE(rc == 0);
  return info.id;
}

// Whether the kernel still has the program: freeing a program whose last pin went is deferred
// past an RCU grace period, so this waits a little (a bound, not a timing assertion).
bool programLoaded(std::uint32_t id) {
  for (int i = 0; i < 200; ++i) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) return false;
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool kernelCannotLoad(const bpf::Error& err) {
  return err.error_number == EPERM || err.error_number == EOPNOTSUPP || err.error_number == 524 /* ENOTSUPP */;
}

}  // namespace

TEST_CASE("bpf pinned: a cgroup enrolled from the pins alone is redirected until unenrolled, and removing the tree "
          "leaves nothing attached",
          "[privileged][bpf]") {
  if (const auto why = enterOwnNetns(); !why.empty()) {
    WARN("SKIPPED: needs root and network namespaces: " << why);
    return;
  }
  const auto mount = cgroup2Mount();
  if (mount.empty()) {
    WARN("SKIPPED: the kernel has no cgroup v2 hierarchy mounted");
    return;
  }
  if (auto err = bpf::ensureBpffs()) FAIL(err->text());
  // The VIP is local so that a connection the hooks leave alone is refused at once.
  REQUIRE(std::system("ip route add local 10.96.0.0/16 dev lo") == 0);
  TestCgroups cgroups(mount);  // this process is now the ztunnel
  const Listener listener;     // so is its listener: created after joining the cgroup
  const PinDir pins;

  {
    bpf::RedirectLoader loader;
    if (auto err = loader.load({"127.0.0.1", listener.port})) {
      if (kernelCannotLoad(*err)) {
        WARN("SKIPPED: the kernel does not load the cgroup programs: " << err->text());
        return;
      }
      FAIL(err->text());
    }
    if (auto err = loader.pin(pins.path)) FAIL(err->text());
  }  // the loader and its skeleton are gone; only the pins hold the programs
  for (const char* name : {"connect4", "sockops", "getsockopt", "orig_by_cookie", "orig_by_tuple"}) {
    CHECK(fs::exists(pins / name));
  }
  const auto connect4_id = pinnedProgramId(pins / "connect4");
  CHECK(programLoaded(connect4_id));

  const auto proxy_link = pins / "proxy/getsockopt";
  const auto pod_links = pins / "pods/pod";
  if (auto err = bpf::attachProxyPinned(pins.path, cgroups.ztunnel(), proxy_link)) FAIL(err->text());
  if (auto err = bpf::enrollPinned(pins.path, cgroups.pod(), pod_links)) FAIL(err->text());
  CHECK(attachedPrograms(cgroups.ztunnel(), BPF_CGROUP_GETSOCKOPT) == 1);
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_INET4_CONNECT) == 1);
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_SOCK_OPS) == 1);
  CHECK(fs::exists(pod_links + "/connect4"));
  CHECK(fs::exists(pod_links + "/sockops"));

  // A second `enroll POD` / `up` is a no-op, not a second link.
  if (auto err = bpf::enrollPinned(pins.path, cgroups.pod(), pod_links)) FAIL(err->text());
  if (auto err = bpf::attachProxyPinned(pins.path, cgroups.ztunnel(), proxy_link)) FAIL(err->text());
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_INET4_CONNECT) == 1);
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_SOCK_OPS) == 1);
  CHECK(attachedPrograms(cgroups.ztunnel(), BPF_CGROUP_GETSOCKOPT) == 1);

  const auto enrolled = callVipFromPod(cgroups.pod(), listener);
  CHECK(enrolled.connect_errno == 0);
  CHECK(enrolled.accepted);
  CHECK(enrolled.original_dst == std::string(kVip) + ":" + std::to_string(kVipPort));

  const auto other = callVipFromPod(cgroups.other(), listener);
  CHECK(other.connect_errno == ECONNREFUSED);
  CHECK_FALSE(other.accepted);

  if (auto err = bpf::unenrollPinned(pod_links)) FAIL(err->text());
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_INET4_CONNECT) == 0);
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_SOCK_OPS) == 0);
  CHECK_FALSE(fs::exists(pod_links));
  const auto unenrolled = callVipFromPod(cgroups.pod(), listener);
  CHECK(unenrolled.connect_errno == ECONNREFUSED);
  CHECK_FALSE(unenrolled.accepted);
  CHECK(acceptQueueEmpty(listener));
  const auto twice = bpf::unenrollPinned(pod_links);
  REQUIRE(twice);
  CHECK(twice->text() == "unenroll pod: links " + pod_links +
                             ": no such directory; the pod is not enrolled (enroll pins its links there)");

  // The pins still serve: enrolled again, then `testbed down` takes everything.
  if (auto err = bpf::enrollPinned(pins.path, cgroups.pod(), pod_links)) FAIL(err->text());
  CHECK(callVipFromPod(cgroups.pod(), listener).original_dst == std::string(kVip) + ":" + std::to_string(kVipPort));
  const auto tree_enrolled = bpftoolCgroupTree(cgroups.base());
  if (tree_enrolled.empty()) WARN("bpftool cgroup tree could not run; its view is not checked");
  else CHECK_THAT(tree_enrolled, Catch::Contains("redirect_"));

  if (auto err = bpf::removePinnedTree(pins.path)) FAIL(err->text());
  CHECK_FALSE(fs::exists(pins.path));
  for (const auto& cgroup : {cgroups.pod(), cgroups.ztunnel(), cgroups.other()}) {
    for (const auto type : {BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_SOCK_OPS, BPF_CGROUP_GETSOCKOPT}) {
      CHECK(attachedPrograms(cgroup, type) == 0);
    }
  }
  if (!tree_enrolled.empty()) CHECK_THAT(bpftoolCgroupTree(cgroups.base()), !Catch::Contains("redirect_"));
  CHECK_FALSE(programLoaded(connect4_id));
  CHECK(callVipFromPod(cgroups.pod(), listener).connect_errno == ECONNREFUSED);
  // Down twice (after a crash, say) is no error.
  CHECK_FALSE(bpf::removePinnedTree(pins.path));
}

TEST_CASE("bpf pinned: each step fails with its own message and a hint", "[privileged][bpf]") {
  if (const auto why = enterOwnNetns(); !why.empty()) {
    WARN("SKIPPED: needs root and network namespaces: " << why);
    return;
  }
  const auto mount = cgroup2Mount();
  if (mount.empty()) {
    WARN("SKIPPED: the kernel has no cgroup v2 hierarchy mounted");
    return;
  }
  if (auto err = bpf::ensureBpffs()) FAIL(err->text());
  TestCgroups cgroups(mount);
  const PinDir pins;
  const TempDir not_bpffs("bpf-pinned");

  SECTION("no programs pinned where enroll looks") {
    const auto missing = pins / "no-programs";
    const auto err = bpf::enrollPinned(missing, cgroups.pod(), pins / "pods/pod");
    REQUIRE(err);
    CHECK(err->error_number == ENOENT);
    CHECK(err->text() == "enroll pod: pinned program " + missing + "/connect4: No such file or directory; no redirect "
                         "programs are pinned in " + missing + "; `meshtwin testbed up` (RedirectLoader::pin) pins them there");
    CHECK_FALSE(fs::exists(pins / "pods"));
    const auto proxy = bpf::attachProxyPinned(missing, cgroups.ztunnel(), pins / "proxy/getsockopt");
    REQUIRE(proxy);
    CHECK_THAT(proxy->text(), Catch::StartsWith("attach the sockopt hook: pinned program " + missing + "/getsockopt"));
  }

  bpf::RedirectLoader loader;
  if (auto err = loader.load({"127.0.0.1", 15001})) {
    if (kernelCannotLoad(*err)) {
      WARN("SKIPPED: the kernel does not load the cgroup programs: " << err->text());
      return;
    }
    FAIL(err->text());
  }

  SECTION("pins go on a bpf filesystem only, and cleaning up refuses anything else") {
    const auto dir = not_bpffs / "pins";
    const auto err = loader.pin(dir);
    REQUIRE(err);
    CHECK(err->text() == "pin the redirect programs: directory " + dir + ": " + not_bpffs.path.string() +
                             " is not on a bpf filesystem; pins live on a bpf filesystem: use a directory under "
                             "/sys/fs/bpf (ensureBpffs mounts one there)");
    CHECK_FALSE(fs::exists(dir));
    const auto down = bpf::removePinnedTree(not_bpffs.path.string());
    REQUIRE(down);
    CHECK(down->text() == "remove the pinned tree: " + not_bpffs.path.string() +
                              ": not on a bpf filesystem; refusing to delete files elsewhere; give a directory of pins");
    CHECK(fs::exists(not_bpffs.path));
  }

  SECTION("pinning over an earlier run's pins, and enrolling a link directory that holds another pod's links") {
    if (auto err = loader.pin(pins.path)) FAIL(err->text());
    const auto again = loader.pin(pins.path);
    REQUIRE(again);
    CHECK(again->error_number == EEXIST);
    CHECK_THAT(again->text(), Catch::EndsWith("something is pinned there already; remove the tree first "
                                              "(removePinnedTree, `meshtwin testbed down`)"));
    if (auto err = bpf::enrollPinned(pins.path, cgroups.pod(), pins / "pods/pod")) FAIL(err->text());
    const auto clash = bpf::enrollPinned(pins.path, cgroups.other(), pins / "pods/pod");
    REQUIRE(clash);
    CHECK_THAT(clash->text(), Catch::StartsWith("enroll pod: link " + pins / "pods/pod/sockops" +
                                                ": pinned for another cgroup or program"));
    CHECK_THAT(clash->text(), Catch::EndsWith("; unenroll it first (unenrollPinned, `meshtwin testbed unenroll`)"));
    CHECK(attachedPrograms(cgroups.other(), BPF_CGROUP_SOCK_OPS) == 0);
    CHECK(attachedPrograms(cgroups.other(), BPF_CGROUP_INET4_CONNECT) == 0);
    const auto no_cgroup = bpf::enrollPinned(pins.path, cgroups.base() + "/no-such-pod", pins / "pods/none");
    REQUIRE(no_cgroup);
    CHECK(no_cgroup->text() == "open cgroup: " + cgroups.base() +
                                   "/no-such-pod: No such file or directory; the path must be a cgroup v2 directory");
  }
}
