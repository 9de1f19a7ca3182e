// Loads the redirect programs (redirect.bpf.c) for one node's ztunnel and enrolls pod cgroups:
// a pod's outbound TCP connections go to the ztunnel, which reads where they were going with
// getsockopt(SO_ORIGINAL_DST), as it would behind an iptables REDIRECT rule.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

struct redirect_bpf;
struct bpf_link;

namespace meshtwin::bpf {

// A failure, shown as `<what failed>: <object>: <cause>; <hint>`. Where libbpf failed,
// `cause` carries its error text and the log lines it printed during the step.
struct Error {
  std::string what;    // e.g. "load the redirect programs"
  std::string object;  // e.g. "cgroup /sys/fs/cgroup/unified/pod-a"
  std::string cause;
  std::string hint;  // may be empty
  int error_number = 0;  // errno of the failed call (EPERM, ENOTSUP...), 0 for bad input
  [[nodiscard]] std::string text() const;
};

// Where the node's ztunnel accepts redirected connections (ZtunnelConfig::redirect_port).
struct RedirectTarget {
  std::string ip4;  // dotted quad, e.g. "127.0.0.1"
  std::uint16_t port = 0;
};

// One loaded copy of the programs: open, configure, load once; then attach the sockopt hook
// to the ztunnel's cgroup and enroll pods. Destroying it detaches everything it attached;
// pin() keeps the programs for other processes (pinned.hpp).
class RedirectLoader {
 public:
  RedirectLoader();
  ~RedirectLoader();
  RedirectLoader(const RedirectLoader&) = delete;
  RedirectLoader& operator=(const RedirectLoader&) = delete;

  // Opens the skeleton, sets the ztunnel's address as read-only config, loads into the kernel.
  [[nodiscard]] std::optional<Error> load(const RedirectTarget& target);

  // Answers getsockopt(SO_ORIGINAL_DST) for sockets of `cgroup` (a cgroup v2 directory): the
  // ztunnel's. The cgroup a socket belongs to is the one its creator was in at socket(), so
  // the ztunnel must be in it before it opens its redirect listener.
  [[nodiscard]] std::optional<Error> attachProxy(const std::string& cgroup);

  // Steers the outbound connections of processes in `cgroup` (a pod's) to the ztunnel, from
  // their next connect(); running processes need no restart.
  [[nodiscard]] std::optional<Error> enroll(const std::string& cgroup);
  // Removes the pod's links; connections made before keep their path.
  [[nodiscard]] std::optional<Error> unenroll(const std::string& cgroup);
  [[nodiscard]] bool enrolled(const std::string& cgroup) const { return pods_.count(cgroup) != 0; }

  // Pins the three programs and the two maps under `dir` (created; it must be on a bpf
  // filesystem) with the names of PinNames (pinned.hpp), all or none. The pinned programs stay
  // loaded after this loader is gone, for attachProxyPinned / enrollPinned in other processes;
  // the links this loader attached are not pinned and still go with it.
  [[nodiscard]] std::optional<Error> pin(const std::string& dir);

 private:
  struct Links;
  struct SkeletonDeleter {
    void operator()(redirect_bpf* s) const;
  };
  std::unique_ptr<redirect_bpf, SkeletonDeleter> skel_;
  std::string target_;  // "ip:port", for messages
  std::map<std::string, std::unique_ptr<Links>> pods_;
  std::unique_ptr<Links> proxy_;
};

}  // namespace meshtwin::bpf
