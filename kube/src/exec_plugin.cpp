// Running an exec credential plugin: posix_spawnp with pipes for stdout and stderr, the
// environment client-go gives it, and a deadline after which it is killed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "meshtwin/kube/exec_credential.hpp"

extern char** environ;  // NOLINT: POSIX

namespace meshtwin::kube {

namespace {

using SteadyClock = std::chrono::steady_clock;

Error spawnError(const ExecConfig& config, std::string message, std::string hint = "") {
  return Error{Error::Kind::Config, 0, "exec", config.command, "ExecPlugin", std::move(message), std::move(hint)};
}

std::string missingHint(const ExecConfig& config) {
  if (!config.install_hint.empty()) return config.install_hint;
  return "install it or put it on $PATH; users[].user.exec.command in the kubeconfig names it";
}

// Our environment, then the kubeconfig's env (overriding), then KUBERNETES_EXEC_INFO.
std::vector<std::string> childEnvironment(const ExecConfig& config) {
  std::vector<std::string> env;
  auto set = [&env](const std::string& name, const std::string& value) {
    const std::string prefix = name + "=";
    const auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    if (it != env.end()) *it = prefix + value;
    else env.push_back(prefix + value);
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& [name, value] : config.env) set(name, value);
  set("KUBERNETES_EXEC_INFO", execInfo(config));
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Pipe {
  std::array<int, 2> fd{-1, -1};
  Pipe() {
    if (::pipe2(fd.data(), O_CLOEXEC) != 0) fd = {-1, -1};
  }
  ~Pipe() {
    for (const int f : fd)
      if (f >= 0) ::close(f);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void closeWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
};

// Reads both pipes until both reach end of file or the deadline passes; false on timeout.
bool drain(Pipe& out, Pipe& err, std::string& out_text, const TextSink& sink, SteadyClock::time_point deadline) {
  std::array<pollfd, 2> fds{pollfd{out.fd[0], POLLIN, 0}, pollfd{err.fd[0], POLLIN, 0}};
  std::array<char, 4096> buf{};
  for (int open = 2; open > 0;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) return false;
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) return false;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open;
      } else if (i == 0) {
        out_text.append(buf.data(), static_cast<std::size_t>(n));
      } else {
        sink(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      }
    }
  }
  return true;
}

int spawn(const ExecConfig& config, Pipe& out, Pipe& err, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<std::string> argv_strings{config.command};
  argv_strings.insert(argv_strings.end(), config.args.begin(), config.args.end());
  auto env_strings = childEnvironment(config);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  const int rc = ::posix_spawnp(&pid, config.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// Waits for the child until the deadline, then kills it; false when it had to be killed.
bool reap(pid_t pid, SteadyClock::time_point deadline, int& status) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return true;
    if (SteadyClock::now() >= deadline) break;
    ::usleep(5000);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return false;
}

std::string exitText(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
  return "ended oddly";
}

}  // namespace

Result<std::string> runExecPlugin(const ExecConfig& config, std::chrono::milliseconds timeout, const TextSink& stderr_sink) {
  Pipe out, err;
  if (out.fd[0] < 0 || err.fd[0] < 0) return spawnError(config, std::string("pipe: ") + std::strerror(errno));
  pid_t pid = 0;
  const int rc = spawn(config, out, err, pid);
  if (rc == ENOENT) return spawnError(config, "the plugin command was not found", missingHint(config));
  if (rc != 0) return spawnError(config, std::string("cannot start the plugin: ") + std::strerror(rc), missingHint(config));
  out.closeWrite();
  err.closeWrite();
  const TextSink sink = stderr_sink ? stderr_sink : [](std::string_view t) { (void)!::write(2, t.data(), t.size()); };
  std::string stdout_text;
  const auto deadline = SteadyClock::now() + timeout;
  const bool drained = drain(out, err, stdout_text, sink, deadline);
  int status = 0;
  const bool finished = reap(pid, drained ? deadline : SteadyClock::now(), status) && drained;
  if (!finished)
    return spawnError(config, "the plugin did not finish within " + std::to_string(timeout.count()) + " ms and was killed",
                      "it may be waiting for input (a login prompt?); run it by hand once");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return spawnError(config, "the plugin " + exitText(status) + " (its stderr is above)",
                      WIFEXITED(status) && WEXITSTATUS(status) == 127 ? missingHint(config) : "run it by hand to see why");
  return stdout_text;
}

}  // namespace meshtwin::kube
