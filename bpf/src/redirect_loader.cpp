// The redirect programs' loader: each libbpf step fails with its own message and the libbpf
// log lines printed during that step.
#include "meshtwin/bpf/redirect_loader.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "meshtwin/bpf/pinned.hpp"
#include "pin_fs.hpp"

// The skeleton is generated C; the shared structs come first because it names them.
#include "redirect.h"
#include "redirect.skel.h"

namespace meshtwin::bpf {

std::string Error::text() const {
  std::string out = what;
  if (!object.empty()) out += ": " + object;
  if (!cause.empty()) out += ": " + cause;
  if (!hint.empty()) out += "; " + hint;
  return out;
}

namespace {

// libbpf prints through one process-wide callback, so steps are serialised and each one
// collects the lines printed while it ran: an error then carries the log of its own step
// (the verifier's log on a load failure).
std::mutex g_step_mutex;
std::mutex g_log_mutex;
std::string g_log;

int captureLibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // One call may carry the whole verifier log: measure first, then format.
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  std::string line(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(line.data(), line.size() + 1, format, again);
  va_end(again);
  const std::lock_guard lock(g_log_mutex);
  g_log += line;
  return n;
}

class StepLog {
 public:
  StepLog() : step_(g_step_mutex) {
    const std::lock_guard lock(g_log_mutex);
    g_log.clear();
    libbpf_set_print(captureLibbpfLog);
  }
  // "<strerror>" or "<strerror> (libbpf: <log>)", the log on one line and trimmed to its end,
  // where the verifier writes the reason.
  static std::string cause(int err) {
    std::string text = std::strerror(err < 0 ? -err : err);
    std::string log;
    {
      const std::lock_guard lock(g_log_mutex);
      log = std::exchange(g_log, {});
    }
    while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
    constexpr std::size_t kMax = 2000;
    if (log.size() > kMax) log = "..." + log.substr(log.size() - kMax);
    for (auto& c : log) {
      if (c == '\n') c = '|';
    }
    if (!log.empty()) text += " (libbpf: " + log + ")";
    return text;
  }

 private:
  std::lock_guard<std::mutex> step_;
};

// libbpf 1.x returns NULL and sets errno from its constructors.
int lastError() { return errno != 0 ? errno : EINVAL; }

}  // namespace

// The links attached to one cgroup; destroying a link detaches its program.
struct RedirectLoader::Links {
  std::vector<bpf_link*> links;
  ~Links() {
    for (auto* l : links) bpf_link__destroy(l);
  }
};

void RedirectLoader::SkeletonDeleter::operator()(redirect_bpf* s) const { redirect_bpf__destroy(s); }

RedirectLoader::RedirectLoader() = default;

RedirectLoader::~RedirectLoader() {
  // Links before the skeleton that owns their programs.
  pods_.clear();
  proxy_.reset();
}

std::optional<Error> RedirectLoader::load(const RedirectTarget& target) {
  target_ = target.ip4 + ":" + std::to_string(target.port);
  in_addr addr{};
  if (::inet_pton(AF_INET, target.ip4.c_str(), &addr) != 1) {
    return Error{"configure the redirect programs", "ztunnel address " + target_, "not an IPv4 address",
                 "give the redirect listener's IPv4 address"};
  }
  if (target.port == 0) {
    return Error{"configure the redirect programs", "ztunnel address " + target_, "port 0",
                 "give the port the ztunnel's redirect listener is bound to"};
  }
  StepLog log;
  errno = 0;
  skel_.reset(redirect_bpf__open());
  if (!skel_) {
    const int err = lastError();
    return Error{"open the redirect programs", "redirect.bpf.o (embedded)", StepLog::cause(err),
                 "libbpf could not parse the embedded object; rebuild bpf/", err};
  }
  skel_->rodata->config.proxy_ip4 = addr.s_addr;
  skel_->rodata->config.proxy_port = htons(target.port);
  if (const int err = redirect_bpf__load(skel_.get()); err != 0) {
    // EPERM is a missing capability; EACCES and EINVAL are the verifier's rejections.
    const bool privilege = err == -EPERM;
    return Error{"load the redirect programs", "for ztunnel " + target_, StepLog::cause(err),
                 privilege ? "loading cgroup programs needs root (CAP_BPF and CAP_NET_ADMIN)"
                           : "the kernel rejected the programs; the libbpf log says which and why",
                 -err};
  }
  return std::nullopt;
}

namespace {

// Attaches `prog` to the cgroup open as `fd`, one bpf_link per program.
std::optional<Error> attachTo(bpf_program* prog, int fd, const std::string& cgroup, std::vector<bpf_link*>& out) {
  errno = 0;
  bpf_link* link = bpf_program__attach_cgroup(prog, fd);
  if (link == nullptr) {
    const int err = lastError();
    return Error{std::string("attach ") + bpf_program__name(prog), "cgroup " + cgroup, StepLog::cause(err),
                 err == ENOENT || err == ENOTDIR ? "the path must be a cgroup v2 directory (e.g. under /sys/fs/cgroup/unified)"
                                                 : "the kernel must support bpf_link for cgroup programs (5.7+)",
                 err};
  }
  out.push_back(link);
  return std::nullopt;
}

}  // namespace

std::optional<Error> RedirectLoader::attachProxy(const std::string& cgroup) {
  if (!skel_) return Error{"attach the sockopt hook", "cgroup " + cgroup, "the programs are not loaded", "call load() first"};
  if (proxy_) return Error{"attach the sockopt hook", "cgroup " + cgroup, "already attached for this loader", {}};
  std::optional<Error> open_error;
  const int fd = detail::openCgroup(cgroup, open_error);
  if (fd < 0) return open_error;
  auto links = std::make_unique<Links>();
  StepLog log;
  auto err = attachTo(skel_->progs.redirect_getsockopt, fd, cgroup, links->links);
  ::close(fd);
  if (err) return err;
  proxy_ = std::move(links);
  return std::nullopt;
}

std::optional<Error> RedirectLoader::enroll(const std::string& cgroup) {
  if (!skel_) return Error{"enroll pod", "cgroup " + cgroup, "the programs are not loaded", "call load() first"};
  if (pods_.count(cgroup)) return Error{"enroll pod", "cgroup " + cgroup, "already enrolled", "unenroll it first"};
  std::optional<Error> open_error;
  const int fd = detail::openCgroup(cgroup, open_error);
  if (fd < 0) return open_error;
  // Both or neither: connect4 without sockops would redirect connections whose original
  // destination the ztunnel could not read.
  auto links = std::make_unique<Links>();
  StepLog log;
  auto err = attachTo(skel_->progs.redirect_connect4, fd, cgroup, links->links);
  if (!err) err = attachTo(skel_->progs.redirect_sockops, fd, cgroup, links->links);
  ::close(fd);
  if (err) return err;
  pods_.emplace(cgroup, std::move(links));
  return std::nullopt;
}

std::optional<Error> RedirectLoader::unenroll(const std::string& cgroup) {
  if (pods_.erase(cgroup) == 0) return Error{"unenroll pod", "cgroup " + cgroup, "not enrolled by this loader", {}};
  return std::nullopt;
}

std::optional<Error> RedirectLoader::pin(const std::string& dir) {
  if (!skel_) return Error{"pin the redirect programs", "directory " + dir, "the programs are not loaded", "call load() first"};
  return detail::pinAll("pin the redirect programs", dir,
                        {{PinNames::kConnect4, bpf_program__fd(skel_->progs.redirect_connect4)},
                         {PinNames::kSockops, bpf_program__fd(skel_->progs.redirect_sockops)},
                         {PinNames::kGetsockopt, bpf_program__fd(skel_->progs.redirect_getsockopt)},
                         {PinNames::kOrigByCookie, bpf_map__fd(skel_->maps.orig_by_cookie)},
                         {PinNames::kOrigByTuple, bpf_map__fd(skel_->maps.orig_by_tuple)}});
}

}  // namespace meshtwin::bpf
