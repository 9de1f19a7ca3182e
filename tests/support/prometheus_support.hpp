// Helpers for running a real Prometheus in a test: a temporary directory, child processes that
// are always killed and reaped, a free port, and an OpenMetrics writer for backfill files.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace meshtwin::test {

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "meshtwin-prom-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// fork + exec with stdout and stderr to `log`; -1 when the fork fails.
inline pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a test that was killed itself
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// A child that is stopped (SIGTERM, then SIGKILL after 5 s) and reaped when this goes away.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) : pid_(spawn(argv, log)) {}
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  [[nodiscard]] bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  void stop() {
    if (!running()) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) return void(pid_ = -1);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

// Runs a command to its end; its exit status (-1 when it did not exit normally).
inline int runToEnd(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = spawn(argv, log);
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A port that was free a moment ago: bind port 0 on 127.0.0.1, read it, close.
inline int freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind 127.0.0.1:0");
  }
  close(fd);
  return ntohs(a.sin_port);
}

inline std::string fileText(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

using Labels = std::map<std::string, std::string>;

// OpenMetrics text for promtool's backfill: families one after another, each series' samples
// in time order on the grid t0, t0 + step, ..., t1; values a function of the time.
class OpenMetrics {
 public:
  OpenMetrics(std::int64_t t0, std::int64_t t1, std::int64_t step) : t0_(t0), t1_(t1), step_(step) {}

  void family(const std::string& name, const std::string& type) { out_ += "# TYPE " + name + " " + type + "\n"; }

  // value(t) for t on the grid
  void series(const std::string& name, const Labels& labels, const std::function<double(std::int64_t)>& value) {
    std::string head = name + "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
      head += (first ? "" : ",") + k + "=\"" + v + "\"";
      first = false;
    }
    head += "} ";
    char buf[64];
    for (std::int64_t t = t0_; t <= t1_; t += step_) {
      std::snprintf(buf, sizeof buf, "%.6f %lld\n", value(t), static_cast<long long>(t));
      out_ += head;
      out_ += buf;
      ++samples_;
    }
  }

  // A counter rising at `rate` per second from `start` at t0, unevenly from scrape to scrape
  // (+20%, -10%, +10%, -20%: even again every 4 scrapes); from `reset_at` on (a restarted
  // proxy) it counts again from 0.
  void counter(const std::string& name, const Labels& labels, double rate, double start = 0,
               std::optional<std::int64_t> reset_at = std::nullopt) {
    series(name, labels, [=, this](std::int64_t t) {
      if (reset_at && t >= *reset_at) return counted(rate, t) - counted(rate, *reset_at);
      return start + counted(rate, t);
    });
  }

  [[nodiscard]] std::int64_t t0() const { return t0_; }

  [[nodiscard]] double counted(double rate, std::int64_t t) const {
    static constexpr double uneven[4] = {0.2, -0.1, 0.1, -0.2};
    const std::int64_t k = (t - t0_) / step_;
    const double per = rate * static_cast<double>(step_);
    double v = static_cast<double>(k / 4) * 4 * per;
    for (std::int64_t i = 0; i < k % 4; ++i) v += per * (1 + uneven[i]);
    return v;
  }

  [[nodiscard]] std::string text() const { return out_ + "# EOF\n"; }
  [[nodiscard]] std::size_t samples() const { return samples_; }

 private:
  std::int64_t t0_, t1_, step_;
  std::string out_;
  std::size_t samples_ = 0;
};

}  // namespace meshtwin::test
