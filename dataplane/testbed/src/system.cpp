// Commands, processes, cgroups and namespaces for the testbed.
#include "meshtwin/testbed/system.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace meshtwin::testbed {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  return out;
}

std::vector<char*> cArgv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool isRoot() { return ::geteuid() == 0; }

Result<std::string> runCommand(const std::vector<std::string>& argv) {
  const std::string what = "run " + (argv.empty() ? std::string("?") : argv.front());
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Error{what, joined(argv), std::strerror(errno)};
  }
  auto args = cArgv(argv);
  const pid_t pid = ::fork();
  if (pid < 0) return Error{what, joined(argv), std::strerror(errno)};
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    const char* msg = "exec failed\n";
    (void)!::write(2, msg, std::strlen(msg));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // stderr is read on a thread so neither pipe can fill while the other is drained.
  std::string err_text;
  std::thread err_reader([&] { err_text = readAll(err_pipe[0]); });
  std::string out_text = readAll(out_pipe[0]);
  err_reader.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out_text;
  const std::string cause = WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                                              : fmt::format("killed by signal {}", WTERMSIG(status));
  return Error{what, joined(argv), cause + (err_text.empty() ? "" : ": " + trimmed(err_text)),
               WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "is it installed? (scripts/install-deps.sh)" : ""};
}

Result<bool> ipBatch(const std::vector<std::string>& lines, const std::string& netns) {
  if (lines.empty()) return true;
  char path[] = "/tmp/meshtwin-ip-batch-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return Error{"write ip batch", path, std::strerror(errno)};
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(path);
    return Error{"write ip batch", path, std::strerror(errno)};
  }
  std::vector<std::string> argv{"ip"};
  if (!netns.empty()) argv.insert(argv.end(), {"-n", netns});
  argv.insert(argv.end(), {"-batch", path});
  auto r = runCommand(argv);
  ::unlink(path);
  if (!r) return r.error();
  return true;
}

Result<pid_t> spawnProcess(const SpawnSpec& spec) {
  const std::string what = "start " + (spec.argv.empty() ? std::string("?") : spec.argv.front());
  if (spec.argv.empty()) return Error{what, "(no command)", "empty argv"};
  // Everything the child needs is prepared here: after fork it may only make system calls.
  auto args = cArgv(spec.argv);
  int netns_fd = -1;
  if (!spec.netns.empty()) {
    const std::string path = "/run/netns/" + spec.netns;
    netns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) return Error{what, "network namespace " + spec.netns, std::strerror(errno), "is the testbed up?"};
  }
  int cgroup_fd = -1;
  if (!spec.cgroup.empty()) {
    const std::string path = spec.cgroup + "/cgroup.procs";
    cgroup_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (cgroup_fd < 0) {
      if (netns_fd >= 0) ::close(netns_fd);
      return Error{what, "cgroup " + spec.cgroup, std::strerror(errno), "cgroup v2 must be mounted; run as root"};
    }
  }
  int log_fd = ::open(spec.log_file.empty() ? "/dev/null" : spec.log_file.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    if (netns_fd >= 0) ::close(netns_fd);
    if (cgroup_fd >= 0) ::close(cgroup_fd);
    return Error{what, spec.log_file, std::strerror(errno), "check the state directory"};
  }
  // The child reports a failed step through this pipe; exec closes it (O_CLOEXEC) on success.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Error{what, joined(spec.argv), std::strerror(errno)};
  const pid_t pid = ::fork();
  if (pid < 0) return Error{what, joined(spec.argv), std::strerror(errno)};
  if (pid == 0) {
    ::close(report[0]);
    auto die = [&](int step) {
      const int e[2] = {step, errno};
      (void)!::write(report[1], e, sizeof e);
      ::_exit(127);
    };
    ::setsid();
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) die(1);
    if (cgroup_fd >= 0) {
      char pid_text[32];
      const int n = std::snprintf(pid_text, sizeof pid_text, "%d\n", static_cast<int>(::getpid()));
      if (::write(cgroup_fd, pid_text, static_cast<std::size_t>(n)) != n) die(2);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    die(3);
  }
  ::close(report[1]);
  if (netns_fd >= 0) ::close(netns_fd);
  if (cgroup_fd >= 0) ::close(cgroup_fd);
  ::close(log_fd);
  int e[2] = {0, 0};
  ssize_t n;
  while ((n = ::read(report[0], e, sizeof e)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    ::waitpid(pid, nullptr, 0);
    const std::string step = e[0] == 1   ? "join network namespace " + spec.netns
                             : e[0] == 2 ? "join cgroup " + spec.cgroup
                                         : "exec " + spec.argv.front();
    return Error{what, joined(spec.argv), step + ": " + std::strerror(e[1]),
                 e[0] == 3 ? "build it (cmake --build) or pass --bin-dir" : ""};
  }
  return pid;
}

std::optional<std::uint64_t> processStartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // Field 2 (comm) may hold spaces; the fields after its closing parenthesis are plain.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return std::nullopt;
    if (i == 3 && field == "Z") return std::nullopt;  // a zombie has exited
  }
  return std::stoull(field);
}

bool processAlive(pid_t pid, std::uint64_t start_time) {
  const auto t = processStartTime(pid);
  return t && *t == start_time;
}

bool stopProcess(pid_t pid, std::uint64_t start_time, std::chrono::milliseconds grace) {
  if (!processAlive(pid, start_time)) return true;
  ::kill(pid, SIGTERM);
  const auto until = Clock::now() + grace;
  while (Clock::now() < until) {
    ::waitpid(pid, nullptr, WNOHANG);  // reaps it when it is our child
    if (!processAlive(pid, start_time)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 200; ++i) {
    ::waitpid(pid, nullptr, WNOHANG);
    if (!processAlive(pid, start_time)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::optional<ProcessMemory> processMemory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  if (!in) return std::nullopt;
  ProcessMemory m;
  std::string key;
  std::uint64_t kb = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    if (!(ls >> key >> kb)) continue;
    if (key == "Rss:") m.rss_bytes = kb * 1024;
    if (key == "Pss:") m.pss_bytes = kb * 1024;
  }
  return m;
}

Result<bool> makeCgroup(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"create cgroup", dir, ec.message(), "cgroup v2 must be mounted there and writable (root)"};
  return true;
}

std::optional<HostCpuTimes> readHostCpuTimes() {
  std::ifstream in("/proc/stat");
  std::string label;
  if (!(in >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal (guest time is inside user and nice)
  std::uint64_t f[8] = {};
  for (auto& v : f) {
    if (!(in >> v)) return std::nullopt;
  }
  const long hz = ::sysconf(_SC_CLK_TCK);
  const std::uint64_t ns_per_tick = hz > 0 ? 1'000'000'000ULL / static_cast<std::uint64_t>(hz) : 10'000'000ULL;
  HostCpuTimes t;
  t.busy_ns = (f[0] + f[1] + f[2] + f[5] + f[6]) * ns_per_tick;
  t.steal_ns = f[7] * ns_per_tick;
  t.total_ns = (f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7]) * ns_per_tick;
  return t;
}

std::optional<std::uint64_t> cgroupCpuUsec(const std::string& dir) {
  std::ifstream in(dir + "/cpu.stat");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "usage_usec") return value;
  }
  return std::nullopt;
}

std::vector<pid_t> cgroupProcesses(const std::string& dir) {
  std::vector<pid_t> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  auto add = [&](const fs::path& d) {
    std::ifstream in(d / "cgroup.procs");
    pid_t pid = 0;
    while (in >> pid) out.push_back(pid);
  };
  add(dir);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) add(it->path());
  }
  return out;
}

Result<bool> removeCgroupTree(const std::string& dir, std::chrono::milliseconds grace) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return true;
  for (pid_t pid : cgroupProcesses(dir)) ::kill(pid, SIGTERM);
  const auto until = Clock::now() + grace;
  while (!cgroupProcesses(dir).empty() && Clock::now() < until) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int round = 0; round < 100 && !cgroupProcesses(dir).empty(); ++round) {
    for (pid_t pid : cgroupProcesses(dir)) ::kill(pid, SIGKILL);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Children before parents: a cgroup with sub-cgroups cannot be removed.
  std::vector<fs::path> dirs;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  dirs.push_back(dir);
  for (const auto& d : dirs) {
    if (::rmdir(d.c_str()) != 0 && errno != ENOENT) {
      return Error{"remove cgroup", d.string(), std::strerror(errno),
                   errno == EBUSY ? "a process is still in it: " + std::to_string(cgroupProcesses(d).size()) + " left"
                                  : ""};
    }
  }
  return true;
}

Result<bool> inNetns(const std::string& netns, const std::function<void()>& fn) {
  const std::string path = "/run/netns/" + netns;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"enter network namespace", netns, std::strerror(errno), "is the testbed up?"};
  int failure = 0;
  std::thread t([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      failure = errno;
      return;
    }
    fn();
  });
  t.join();
  ::close(fd);
  if (failure) return Error{"enter network namespace", netns, std::strerror(failure), "run as root"};
  return true;
}

std::vector<std::string> listNetns(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/run/netns", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Connects to `address` from inside `netns` until one is accepted (`accepting`) or refused.
Result<bool> waitForConnect(const std::string& netns, const std::string& address, std::chrono::milliseconds limit,
                            bool accepting) {
  const std::string what = accepting ? "wait for listener" : "wait for listener to close";
  const auto colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (colon == std::string::npos || ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
    return Error{what, address, "not ip:port"};
  }
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  bool done = false;
  std::string last = "not tried";
  auto r = inNetns(netns, [&] {
    const auto until = Clock::now() + limit;
    while (!done && Clock::now() < until) {
      const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const bool accepted = s >= 0 && ::connect(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
      const int err = accepted ? 0 : errno;
      last = accepted ? "accepted" : std::strerror(err);
      done = accepting ? accepted : err == ECONNREFUSED;
      if (s >= 0) ::close(s);
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  if (!r) return r.error();
  if (!done) {
    return Error{what, address + " in " + netns,
                 fmt::format("{} within {} ms (last: {})", accepting ? "nothing accepted" : "still accepting",
                             limit.count(), last),
                 "see the process's log in the state directory's logs/"};
  }
  return true;
}

}  // namespace

Result<bool> waitForListener(const std::string& netns, const std::string& address, std::chrono::milliseconds limit) {
  return waitForConnect(netns, address, limit, true);
}

Result<bool> waitForClosed(const std::string& netns, const std::string& address, std::chrono::milliseconds limit) {
  return waitForConnect(netns, address, limit, false);
}

}  // namespace meshtwin::testbed
