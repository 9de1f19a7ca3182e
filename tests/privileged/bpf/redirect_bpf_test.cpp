// Privileged tier (root, cgroup v2, BPF): the eBPF redirection of bpf/ end to end. In a network
// namespace of its own, a pod process in an enrolled cgroup connects to a service VIP; the
// cgroup connect4 hook sends it to the ztunnel, whose getsockopt(SO_ORIGINAL_DST) the sockopt
// hook answers, and the connection reaches the server through both ztunnels.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "../../integration/dataplane/mesh_harness.hpp"
#include "../../support/scratch.hpp"
#include "cgroup_scaffold.hpp"
#include "meshtwin/bpf/redirect_loader.hpp"

using namespace meshtwin::test;

namespace {

struct PodCall {
  int connect_errno = 0;  // 0: connected
  std::string reply;
};

// Runs one call as a pod: a child process is moved into `cgroup` (on cgroup v2 a process moves
// as a whole, never one thread), then connects from `src` to `dst`, sends `payload`, half-closes
// and reads to EOF. The child uses only async-signal-safe calls: this process has threads.
PodCall callFromPod(const std::string& cgroup, const char* src, const tcp::endpoint& dst, const std::string& payload) {
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, src, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(dst.port());
  to.sin_addr.s_addr = htonl(dst.address().to_v4().to_uint());
  std::array<int, 2> go{};
  std::array<int, 2> result{};
  REQUIRE(::pipe(go.data()) == 0);
  REQUIRE(::pipe(result.data()) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char c = 0;
    if (::read(go[0], &c, 1) != 1) ::_exit(2);
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    int err = 0;
    if (::bind(s, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      err = errno;
    }
    if (::write(result[1], &err, sizeof err) != sizeof err) ::_exit(3);
    if (err == 0) {
      if (::write(s, payload.data(), payload.size()) < 0) ::_exit(4);
      ::shutdown(s, SHUT_WR);
      std::array<char, 256> buf{};
      for (ssize_t n; (n = ::read(s, buf.data(), buf.size())) > 0;) {
        if (::write(result[1], buf.data(), static_cast<std::size_t>(n)) != n) ::_exit(5);
      }
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
  std::array<char, 256> buf{};
  for (ssize_t n; (n = ::read(result[0], buf.data(), buf.size())) > 0;) out.reply.append(buf.data(), static_cast<std::size_t>(n));
  ::close(result[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

std::uint64_t opened(MeshHarness& mesh, const std::string& workload, const Labels& subset) {
  return mesh.counter(workload, "istio_tcp_connections_opened_total", subset);
}

}  // namespace

TEST_CASE("bpf redirect: an enrolled pod's connection to a service VIP goes through both ztunnels", "[privileged][bpf]") {
  if (const auto why = enterOwnNetns(); !why.empty()) {
    WARN("SKIPPED: needs root and network namespaces: " << why);
    return;
  }
  const auto mount = cgroup2Mount();
  if (mount.empty()) {
    WARN("SKIPPED: the kernel has no cgroup v2 hierarchy mounted");
    return;
  }
  REQUIRE(std::system("ip addr add 10.0.0.1/32 dev lo") == 0);    // the client pod's address
  // Service VIPs are local here so that a connection the hooks leave alone is refused at once
  // (nothing listens on the VIP itself) instead of timing out.
  REQUIRE(std::system("ip route add local 10.96.0.0/16 dev lo") == 0);
  // Before the harness: a socket belongs to the cgroup its creator was in at socket(), and the
  // sockopt hook must see the ztunnel's listener as the ztunnel's.
  TestCgroups cgroups(mount);
  HarnessOptions o;
  o.redirect = true;
  MeshHarness mesh(o);
  const std::string client = mesh.podKey(mesh.pod("client"));
  mesh.push([&](ControlPlaneSnapshot& s) { s.pod_app[client] = "10.0.0.1:8080"; });
  const auto vip = *parseEndpoint(mesh.snapshot().service_vip.at("demo/server"));
  const auto redirect = *mesh.onIo([&] { return mesh.ztunnelOf("client").redirectAddress(); });

  meshtwin::bpf::RedirectLoader loader;
  if (auto err = loader.load({redirect.address().to_string(), redirect.port()})) {
    if (err->error_number == EPERM || err->error_number == EOPNOTSUPP || err->error_number == 524 /* ENOTSUPP */) {
      WARN("SKIPPED: the kernel does not load the cgroup programs: " << err->text());
      return;
    }
    FAIL(err->text());
  }
  if (auto err = loader.attachProxy(cgroups.ztunnel())) FAIL(err->text());
  if (auto err = loader.enroll(cgroups.pod())) FAIL(err->text());
  CHECK(loader.enrolled(cgroups.pod()));
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_INET4_CONNECT) == 1);
  CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_SOCK_OPS) == 1);
  CHECK(attachedPrograms(cgroups.ztunnel(), BPF_CGROUP_GETSOCKOPT) == 1);

  const Labels source{{"reporter", "source"}, {"source_workload", "client"}, {"destination_workload", "server"},
                      {"response_flags", "-"}};
  const Labels destination{{"reporter", "destination"}};

  SECTION("the enrolled pod reaches the server through the client's and the server's ztunnel") {
    const auto call = callFromPod(cgroups.pod(), "10.0.0.1", vip, "via eBPF");
    CHECK(call.connect_errno == 0);
    CHECK(call.reply == "via eBPF");
    CHECK(opened(mesh, "client", source) == 1);
    CHECK(opened(mesh, "server", destination) == 1);
  }

  SECTION("a process in a cgroup that is not enrolled is not redirected") {
    // Nothing listens on the VIP itself, so an unredirected connect() is refused.
    const auto call = callFromPod(cgroups.other(), "10.0.0.1", vip, "not captured");
    CHECK(call.connect_errno == ECONNREFUSED);
    CHECK(opened(mesh, "client", source) == 0);
    CHECK(opened(mesh, "server", destination) == 0);
  }

  SECTION("unenroll removes the pod's links and its next connection is no longer redirected") {
    CHECK(callFromPod(cgroups.pod(), "10.0.0.1", vip, "before").reply == "before");
    if (auto err = loader.unenroll(cgroups.pod())) FAIL(err->text());
    CHECK_FALSE(loader.enrolled(cgroups.pod()));
    CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_INET4_CONNECT) == 0);
    CHECK(attachedPrograms(cgroups.pod(), BPF_CGROUP_SOCK_OPS) == 0);
    CHECK(callFromPod(cgroups.pod(), "10.0.0.1", vip, "after").connect_errno == ECONNREFUSED);
    CHECK(opened(mesh, "client", source) == 1);
    // Enrolment of a running pod: the same cgroup is captured again without restarting anything.
    if (auto err = loader.enroll(cgroups.pod())) FAIL(err->text());
    CHECK(callFromPod(cgroups.pod(), "10.0.0.1", vip, "again").reply == "again");
    CHECK(opened(mesh, "client", source) == 2);
  }

  SECTION("each step fails with its own message") {
    const auto missing = cgroups.base() + "/no-such-pod";
    const auto err = loader.enroll(missing);
    REQUIRE(err);
    CHECK(err->text() == "open cgroup: " + missing + ": No such file or directory; the path must be a cgroup v2 directory");
    const auto twice = loader.enroll(cgroups.pod());
    REQUIRE(twice);
    CHECK(twice->text() == "enroll pod: cgroup " + cgroups.pod() + ": already enrolled; unenroll it first");
    meshtwin::bpf::RedirectLoader unconfigured;
    const auto bad = unconfigured.load({"not-an-address", 15001});
    REQUIRE(bad);
    CHECK(bad->text() ==
          "configure the redirect programs: ztunnel address not-an-address:15001: not an IPv4 address; give the redirect "
          "listener's IPv4 address");
  }
}
