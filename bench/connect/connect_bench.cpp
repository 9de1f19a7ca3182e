// bench/connect: the added cost per connect() of the eBPF redirection (bpf/) against no
// redirection and against an iptables REDIRECT rule doing the same job, in one run, as root, in a
// network namespace and cgroups of its own. Figures are printed and written as JSON, never asserted.
#include <arpa/inet.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../machine_info.hpp"
#include "meshtwin/bpf/redirect_loader.hpp"

using json = nlohmann::json;

namespace {

constexpr int kSoOriginalDst = 80;  // linux/netfilter_ipv4.h
constexpr const char* kVip = "10.96.0.10";
constexpr std::uint16_t kVipPort = 80;

struct Options {
  std::size_t connections = 20000;  // timed round trips per case
  std::size_t warmup = 1000;        // untimed round trips per case, first
  std::size_t block = 500;          // round trips per case before switching to the next case
  double max_seconds = 60;          // per phase; the phase stops after the round that passes it
  std::size_t perf_connections = 2000;
  std::optional<int> cpu;
  std::string iptables = "iptables";
  std::string json_path = "bench/results/connect.json";
  std::string command;
};

void usage(std::ostream& out) {
  out << "usage: connect_bench [options]   (root: it makes a network namespace, cgroups, BPF links and an\n"
         "                                  iptables rule of its own, all gone when it exits)\n"
         "  --connections N       timed connect()+accept()+close() round trips per case (20000)\n"
         "  --warmup N            untimed round trips per case before timing (1000)\n"
         "  --block N             round trips of one case before the next case's turn (500)\n"
         "  --max-seconds S       bound per phase; stops after the round that passes it (60)\n"
         "  --perf-connections N  connect()s per case counted with perf instructions, if the CPU has\n"
         "                        the counter (2000; 0 skips)\n"
         "  --cpu K               pin to CPU K\n"
         "  --iptables BIN        iptables binary (iptables: Debian's, nf_tables backend)\n"
         "  --quick               2000 connections, 200 warm-up (a smoke run)\n"
         "  --json FILE           where to write the JSON (bench/results/connect.json)\n"
         "  -h, --help            this text\n";
}

Options parseArgs(int argc, char** argv) {
  Options opt;
  bool connections_set = false, warmup_set = false;
  const std::vector<std::string> args(argv + 1, argv + argc);
  // As typed, with the scheduling wrapper (chrt) recorded apart in machine.scheduling.
  opt.command = argv[0];
  for (const auto& a : args) opt.command += " " + a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    if (a == "--connections") {
      opt.connections = std::stoul(value());
      connections_set = true;
    } else if (a == "--warmup") {
      opt.warmup = std::stoul(value());
      warmup_set = true;
    } else if (a == "--block") {
      opt.block = std::stoul(value());
    } else if (a == "--max-seconds") {
      opt.max_seconds = std::stod(value());
    } else if (a == "--perf-connections") {
      opt.perf_connections = std::stoul(value());
    } else if (a == "--cpu") {
      opt.cpu = std::stoi(value());
    } else if (a == "--iptables") {
      opt.iptables = value();
    } else if (a == "--json") {
      opt.json_path = value();
    } else if (a == "--quick") {
      if (!connections_set) opt.connections = 2000;
      if (!warmup_set) opt.warmup = 200;
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (opt.connections == 0 || opt.block == 0 || opt.max_seconds <= 0)
    throw std::invalid_argument("--connections, --block and --max-seconds must be positive");
  return opt;
}

// A failure of the set-up, shown as `<what failed>: <cause>; <hint>`.
[[noreturn]] void fail(const std::string& what, const std::string& cause, const std::string& hint = {}) {
  throw std::runtime_error(what + ": " + cause + (hint.empty() ? "" : "; " + hint));
}

std::string errnoText() { return std::strerror(errno); }

void run(const std::string& command) {
  std::fflush(stdout);
  if (std::system(command.c_str()) != 0) fail(command, "failed");
}

// First line of a command's output ("" when it cannot run).
std::string firstLineOf(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r")) {
    std::array<char, 512> buf{};
    if (std::fgets(buf.data(), buf.size(), p) != nullptr) out = buf.data();
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string gitRevision() {
  auto rev = firstLineOf("git rev-parse --short HEAD");
  if (rev.empty()) return "unknown";
  if (!firstLineOf("git status --porcelain --untracked-files=no -- bpf bench/connect").empty())
    rev += " (bpf/ or bench/connect/ modified)";
  return rev;
}

std::string utcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

std::int64_t nowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

sockaddr_in endpoint(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// ---------------------------------------------------------------------------------------
// The stage: cgroups this process moves between (a socket belongs to the cgroup its creator
// was in at socket()), and a listener per case.

std::string cgroup2Mount() {
  std::ifstream mounts("/proc/mounts");
  std::string dev, dir, type, rest;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2") return dir;
  }
  return {};
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.flush();
  if (!f) fail("write " + path, errnoText());
}

// <cgroup2>/meshtwin-bench-connect-<pid>/{proxy,pod,plain}; the destructor moves the process
// back and removes them.
class BenchCgroups {
 public:
  explicit BenchCgroups(const std::string& mount)
      : base_(mount + "/meshtwin-bench-connect-" + std::to_string(::getpid())) {
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);) {
      if (line.rfind("0::", 0) == 0) home_ = mount + line.substr(3);
    }
    for (const auto& dir : {base_, proxy(), pod(), plain()}) {
      if (::mkdir(dir.c_str(), 0755) != 0) fail("mkdir " + dir, errnoText());
    }
  }
  ~BenchCgroups() {
    std::ofstream(home_ + "/cgroup.procs") << ::getpid();
    for (const auto& dir : {plain(), pod(), proxy(), base_}) {
      if (::rmdir(dir.c_str()) != 0) std::cerr << "rmdir " << dir << ": " << std::strerror(errno) << "\n";
    }
  }
  BenchCgroups(const BenchCgroups&) = delete;
  BenchCgroups& operator=(const BenchCgroups&) = delete;
  static void join(const std::string& cgroup) { writeFile(cgroup + "/cgroup.procs", std::to_string(::getpid())); }
  std::string proxy() const { return base_ + "/proxy"; }  // the ztunnel's
  std::string pod() const { return base_ + "/pod"; }      // enrolled
  std::string plain() const { return base_ + "/plain"; }  // nothing attached

 private:
  std::string base_;
  std::string home_;
};

// A listener on 127.0.0.1, port chosen by the kernel, created in the cgroup this process is in.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = endpoint("127.0.0.1", 0);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 1024) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      fail("listen on 127.0.0.1", errnoText());
    }
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
};

// ---------------------------------------------------------------------------------------
// One case and its samples.

struct Case {
  std::string name;
  std::string description;
  std::string cgroup;  // the client's
  const Listener* listener = nullptr;
  sockaddr_in dst{};
  bool read_original_dst = false;  // the accepting side asks getsockopt(SO_ORIGINAL_DST)
  std::vector<std::int64_t> connect_ns;
  std::vector<std::int64_t> getsockopt_ns;
  std::vector<std::int64_t> total_ns;
  std::size_t wrong_original_dst = 0;
  std::string first_wrong;
  std::optional<double> instructions_per_connect;
  std::string instructions_note;
};

// One round trip: socket(), connect() (timed alone), accept(), getsockopt(SO_ORIGINAL_DST)
// where the case reads it (timed alone), close() the accepted socket then the client's. The
// accepting side closes first, so TIME_WAIT sits on the listener's side and the client's
// ephemeral ports never run out.
void roundTrip(Case& c, bool record) {
  const std::int64_t t0 = nowNs();
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket", errnoText());
  const std::int64_t t1 = nowNs();
  if (::connect(s, reinterpret_cast<const sockaddr*>(&c.dst), sizeof c.dst) != 0) {
    fail("connect (" + c.name + ")", errnoText(),
         "the redirection did not take the connection to the listener (nothing listens on the VIP itself)");
  }
  const std::int64_t t2 = nowNs();
  const int a = ::accept4(c.listener->fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (a < 0) fail("accept (" + c.name + ")", errnoText());
  sockaddr_in orig{};
  socklen_t len = sizeof orig;
  const std::int64_t t3 = nowNs();
  const int rc = c.read_original_dst ? ::getsockopt(a, SOL_IP, kSoOriginalDst, &orig, &len) : 0;
  const std::int64_t t4 = nowNs();
  if (c.read_original_dst &&
      (rc != 0 || orig.sin_addr.s_addr != c.dst.sin_addr.s_addr || orig.sin_port != c.dst.sin_port)) {
    if (c.wrong_original_dst++ == 0) {
      std::array<char, INET_ADDRSTRLEN> ip{};
      ::inet_ntop(AF_INET, &orig.sin_addr, ip.data(), ip.size());
      c.first_wrong = rc != 0 ? errnoText() : std::string(ip.data()) + ":" + std::to_string(ntohs(orig.sin_port));
    }
  }
  ::close(a);
  ::close(s);
  const std::int64_t t5 = nowNs();
  if (!record) return;
  c.connect_ns.push_back(t2 - t1);
  if (c.read_original_dst) c.getsockopt_ns.push_back(t4 - t3);
  c.total_ns.push_back(t5 - t0);
}

// Runs the cases of one phase in turns of `block` round trips each (so that a quiet or busy
// moment of the machine falls on all of them alike) until each has `connections`, or the
// phase has run `max_seconds`.
bool runPhase(std::vector<Case*> cases, const Options& opt) {
  for (auto* c : cases) {
    BenchCgroups::join(c->cgroup);
    for (std::size_t i = 0; i < opt.warmup; ++i) roundTrip(*c, false);
  }
  const std::int64_t start = nowNs();
  bool truncated = false;
  for (std::size_t done = 0; done < opt.connections;) {
    const std::size_t n = std::min(opt.block, opt.connections - done);
    for (auto* c : cases) {
      BenchCgroups::join(c->cgroup);
      for (std::size_t i = 0; i < n; ++i) roundTrip(*c, true);
    }
    done += n;
    if (done < opt.connections && static_cast<double>(nowNs() - start) / 1e9 > opt.max_seconds) {
      truncated = true;
      break;
    }
  }
  return truncated;
}

// Instructions retired per connect() (user and kernel, this thread; the loopback handshake's
// softirq work runs in it), when the CPU exposes the counter; a VM often does not.
class InstructionCounter {
 public:
  InstructionCounter() {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.exclude_hv = 1;
    fd_ = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    if (fd_ < 0) error_ = std::string("perf_event_open(instructions): ") + errnoText();
  }
  ~InstructionCounter() {
    if (fd_ >= 0) ::close(fd_);
  }
  InstructionCounter(const InstructionCounter&) = delete;
  InstructionCounter& operator=(const InstructionCounter&) = delete;
  [[nodiscard]] bool available() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::uint64_t read() const {
    std::uint64_t v = 0;
    if (::read(fd_, &v, sizeof v) != sizeof v) fail("read the instruction counter", errnoText());
    return v;
  }

 private:
  int fd_ = -1;
  std::string error_;
};

// Mean instructions of connect() alone over `n` round trips of the case, less the cost of the
// counter reads themselves (two reads back to back).
void countInstructions(Case& c, const InstructionCounter& counter, std::size_t n) {
  BenchCgroups::join(c.cgroup);
  const std::uint64_t r0 = counter.read();
  const std::uint64_t r1 = counter.read();
  const auto read_cost = static_cast<double>(r1 - r0);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const std::uint64_t before = counter.read();
    const int rc = ::connect(s, reinterpret_cast<const sockaddr*>(&c.dst), sizeof c.dst);
    const std::uint64_t after = counter.read();
    if (rc != 0) fail("connect (" + c.name + ", counted)", errnoText());
    sum += static_cast<double>(after - before) - read_cost;
    const int a = ::accept4(c.listener->fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (a < 0) fail("accept (" + c.name + ", counted)", errnoText());
    ::close(a);
    ::close(s);
  }
  c.instructions_per_connect = sum / static_cast<double>(n);
}

// ---------------------------------------------------------------------------------------
// Figures.

struct Summary {
  double mean = 0;
  std::int64_t p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};

Summary summarize(std::vector<std::int64_t> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  s.mean = sum / static_cast<double>(v.size());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.min = v.front();
  s.max = v.back();
  return s;
}

json toJson(const Summary& s) {
  return {{"mean", s.mean}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"min", s.min}, {"max", s.max}};
}

std::string readSysctl(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  auto v = meshtwin::bench::readFirstLine(path);
  std::replace(v.begin(), v.end(), '\t', ' ');
  return v.empty() ? "absent" : v;
}

// "SCHED_FIFO 10", "SCHED_OTHER nice 0": how the run was scheduled (a real-time run is not
// preempted by other work on its CPU).
std::string scheduling() {
  const int policy = ::sched_getscheduler(0);
  sched_param p{};
  ::sched_getparam(0, &p);
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, 0);
  switch (policy) {
    case SCHED_FIFO: return "SCHED_FIFO " + std::to_string(p.sched_priority);
    case SCHED_RR: return "SCHED_RR " + std::to_string(p.sched_priority);
    case SCHED_OTHER: return "SCHED_OTHER nice " + std::to_string(nice);
    default: return "policy " + std::to_string(policy) + " nice " + std::to_string(nice);
  }
}

std::vector<int> affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    for (std::size_t i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(static_cast<int>(i));
    }
  }
  return cpus;
}

int benchMain(const Options& opt) {
  if (::geteuid() != 0) fail("connect_bench", "not root", "it needs a network namespace, cgroups, BPF and iptables");
  if (opt.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(*opt.cpu), &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("pin to CPU " + std::to_string(*opt.cpu), errnoText());
  }
  const std::string load_before = meshtwin::bench::readFirstLine("/proc/loadavg");
  const std::string git = gitRevision();
  const std::string date = utcNow();
  const std::string iptables_version = firstLineOf(opt.iptables + " --version");
  if (iptables_version.empty()) fail(opt.iptables + " --version", "cannot run it", "install iptables (Debian: iptables)");

  std::printf("connect_bench: connect() cost with no redirection, eBPF (bpf/) and iptables REDIRECT\n");
  meshtwin::bench::printMachineLine(load_before, MESHTWIN_BENCH_BUILD_TYPE, MESHTWIN_BENCH_CXX_FLAGS);

  // The namespace and its settings vanish with the process: nothing is left behind.
  if (::unshare(CLONE_NEWNET) != 0) fail("unshare(CLONE_NEWNET)", errnoText());
  run("ip link set lo up");
  // The VIP is local, so a connection nothing redirected is refused at once instead of hanging.
  run("ip route add local 10.96.0.0/16 dev lo");
  const auto mount = cgroup2Mount();
  if (mount.empty()) fail("find cgroup v2", "no cgroup2 mount in /proc/mounts", "mount one (mount -t cgroup2 none /sys/fs/cgroup/unified)");
  const BenchCgroups cgroups(mount);

  BenchCgroups::join(cgroups.plain());
  const Listener direct_listener;
  const Listener iptables_listener;
  BenchCgroups::join(cgroups.proxy());
  const Listener ebpf_listener;

  auto makeCase = [](std::string name, std::string description, std::string cgroup, const Listener& listener,
                     sockaddr_in dst, bool read_original_dst) {
    Case c;
    c.name = std::move(name);
    c.description = std::move(description);
    c.cgroup = std::move(cgroup);
    c.listener = &listener;
    c.dst = dst;
    c.read_original_dst = read_original_dst;
    return c;
  };
  Case direct = makeCase("direct", "no redirection: connect() to the listener's own address", cgroups.plain(),
                         direct_listener, endpoint("127.0.0.1", direct_listener.port), false);
  Case ebpf = makeCase("ebpf",
                       "client in an enrolled cgroup: cgroup/connect4 rewrites the VIP to the listener, sockops "
                       "records the 4-tuple, the listener's cgroup/getsockopt hook answers SO_ORIGINAL_DST",
                       cgroups.pod(), ebpf_listener, endpoint(kVip, kVipPort), true);
  Case iptables = makeCase("iptables",
                           "iptables -t nat -A OUTPUT -p tcp -d VIP --dport 80 -j REDIRECT --to-ports LISTENER; "
                           "SO_ORIGINAL_DST from conntrack",
                           cgroups.plain(), iptables_listener, endpoint(kVip, kVipPort), true);
  Case direct_nat = makeCase("direct-with-nat",
                             "as direct, while the REDIRECT rule is loaded: conntrack tracks every connection",
                             cgroups.plain(), direct_listener, endpoint("127.0.0.1", direct_listener.port), false);

  const InstructionCounter counter;
  const bool count = counter.available() && opt.perf_connections > 0;
  bool truncated_bpf = false;
  bool truncated_nat = false;
  std::string libbpf_version = std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version());
  {
    // Phase 1: no netfilter nat in the namespace yet (loading it makes conntrack see every
    // connection), so direct and eBPF run side by side first.
    meshtwin::bpf::RedirectLoader loader;
    if (auto err = loader.load({"127.0.0.1", ebpf_listener.port})) fail("eBPF", err->text());
    if (auto err = loader.attachProxy(cgroups.proxy())) fail("eBPF", err->text());
    if (auto err = loader.enroll(cgroups.pod())) fail("eBPF", err->text());
    std::printf("phase 1: direct and ebpf, %zu round trips each in turns of %zu (+%zu warm-up)\n", opt.connections,
                opt.block, opt.warmup);
    std::fflush(stdout);
    truncated_bpf = runPhase({&direct, &ebpf}, opt);
    if (count) {
      countInstructions(direct, counter, opt.perf_connections);
      countInstructions(ebpf, counter, opt.perf_connections);
    }
  }  // the links and programs go here
  // Phase 2: the iptables rule, and direct again beside it.
  run(opt.iptables + " -t nat -A OUTPUT -p tcp -d " + kVip + " --dport " + std::to_string(kVipPort) +
      " -j REDIRECT --to-ports " + std::to_string(iptables_listener.port));
  std::printf("phase 2: iptables and direct-with-nat\n");
  std::fflush(stdout);
  truncated_nat = runPhase({&iptables, &direct_nat}, opt);
  if (count) {
    countInstructions(iptables, counter, opt.perf_connections);
    countInstructions(direct_nat, counter, opt.perf_connections);
  }
  const json sysctls = {
      {"net.ipv4.ip_local_port_range", readSysctl("net.ipv4.ip_local_port_range")},
      {"net.ipv4.tcp_tw_reuse", readSysctl("net.ipv4.tcp_tw_reuse")},
      {"net.ipv4.tcp_max_tw_buckets", readSysctl("net.ipv4.tcp_max_tw_buckets")},
      {"net.netfilter.nf_conntrack_max", readSysctl("net.netfilter.nf_conntrack_max")},
  };
  const std::string load_after = meshtwin::bench::readFirstLine("/proc/loadavg");

  // Table.
  std::vector<Case*> cases{&direct, &ebpf, &iptables, &direct_nat};
  std::printf("\n%-16s %7s | %-27s | %-14s | %-27s | %s\n", "case", "n", "connect() ns: mean  p50  p99",
              "getsockopt p50", "round trip ns: mean  p50  p99", "instr/connect");
  json rows = json::array();
  std::map<std::string, std::pair<Summary, Summary>> by_name;  // connect, total
  for (auto* c : cases) {
    const auto cs = summarize(c->connect_ns);
    const auto gs = summarize(c->getsockopt_ns);
    const auto ts = summarize(c->total_ns);
    by_name[c->name] = {cs, ts};
    const std::string instr = c->instructions_per_connect ? std::to_string(static_cast<long>(*c->instructions_per_connect)) : "-";
    const std::string gso = c->read_original_dst ? std::to_string(gs.p50) : "-";
    std::printf("%-16s %7zu | %9.0f %7lld %7lld   | %14s | %9.0f %7lld %7lld   | %s\n", c->name.c_str(),
                c->connect_ns.size(), cs.mean, static_cast<long long>(cs.p50), static_cast<long long>(cs.p99),
                gso.c_str(), ts.mean, static_cast<long long>(ts.p50), static_cast<long long>(ts.p99), instr.c_str());
    if (c->wrong_original_dst != 0) {
      std::printf("  warning: %zu of the %s connections read a wrong SO_ORIGINAL_DST (first: %s)\n",
                  c->wrong_original_dst, c->name.c_str(), c->first_wrong.c_str());
    }
    json row = {{"case", c->name},
                {"description", c->description},
                {"connections", c->connect_ns.size()},
                {"connect_ns", toJson(cs)},
                {"round_trip_ns", toJson(ts)},
                {"original_dst_read", c->read_original_dst},
                {"wrong_original_dst", c->wrong_original_dst}};
    if (c->read_original_dst) row["getsockopt_ns"] = toJson(gs);
    row["instructions_per_connect"] = c->instructions_per_connect ? json(*c->instructions_per_connect) : json(nullptr);
    rows.push_back(row);
  }
  auto ratio = [&](const std::string& a, const std::string& b) {
    const auto& [ca, ta] = by_name.at(a);
    const auto& [cb, tb] = by_name.at(b);
    return json{{"connect_mean", ca.mean / cb.mean},
                {"connect_p50", static_cast<double>(ca.p50) / static_cast<double>(cb.p50)},
                {"round_trip_mean", ta.mean / tb.mean},
                {"round_trip_p50", static_cast<double>(ta.p50) / static_cast<double>(tb.p50)},
                {"added_connect_mean_ns", ca.mean - cb.mean},
                {"added_round_trip_mean_ns", ta.mean - tb.mean}};
  };
  const json ratios = {{"ebpf/direct", ratio("ebpf", "direct")},
                       {"iptables/direct", ratio("iptables", "direct")},
                       {"ebpf/iptables", ratio("ebpf", "iptables")},
                       {"iptables/direct-with-nat", ratio("iptables", "direct-with-nat")}};
  std::printf("\n%-26s %13s %11s %16s %14s %18s\n", "ratio", "connect mean", "connect p50", "round trip mean",
              "round trip p50", "added connect ns");
  for (const char* name : {"ebpf/direct", "iptables/direct", "ebpf/iptables", "iptables/direct-with-nat"}) {
    const auto& r = ratios.at(name);
    std::printf("%-26s %12.2fx %10.2fx %15.2fx %13.2fx %18.0f\n", name, r["connect_mean"].get<double>(),
                r["connect_p50"].get<double>(), r["round_trip_mean"].get<double>(), r["round_trip_p50"].get<double>(),
                r["added_connect_mean_ns"].get<double>());
  }
  if (!counter.available()) std::printf("instructions per connect: not measured (%s)\n", counter.error().c_str());
  if (truncated_bpf || truncated_nat) std::printf("note: a phase hit --max-seconds; the n column says how many ran\n");

  utsname u{};
  ::uname(&u);
  const json out = {
      {"benchmark", "connect"},
      {"date_utc", date},
      {"command", opt.command},
      {"git", git},
      {"machine",
       {{"cpu_model", meshtwin::bench::cpuModel()},
        {"nproc", ::sysconf(_SC_NPROCESSORS_ONLN)},
        {"affinity", affinity()},
        {"scheduling", scheduling()},
        {"kernel", std::string(u.sysname) + " " + u.release + " " + u.version},
        {"compiler", meshtwin::bench::compilerName()},
        {"build_type", MESHTWIN_BENCH_BUILD_TYPE},
        {"cxx_flags", MESHTWIN_BENCH_CXX_FLAGS},
        {"iptables", iptables_version},
        {"libbpf", libbpf_version},
        {"loadavg_before", load_before},
        {"loadavg_after", load_after}}},
      {"method",
       {{"connections_per_case", opt.connections},
        {"warmup_per_case", opt.warmup},
        {"block", opt.block},
        {"max_seconds_per_phase", opt.max_seconds},
        {"truncated", {{"phase1", truncated_bpf}, {"phase2", truncated_nat}}},
        {"phases", "1: direct and ebpf in turns of `block` (no nat table loaded); 2: iptables and direct-with-nat in "
                   "turns (the REDIRECT rule loaded)"},
        {"round_trip", "socket(), connect(), accept(), getsockopt(SOL_IP, SO_ORIGINAL_DST) where read, close() of the "
                       "accepted socket, close() of the client's; one thread, loopback, sequential"},
        {"clock", "clock_gettime(CLOCK_MONOTONIC) around connect() alone, around getsockopt() alone, and around the "
                  "whole round trip"},
        {"vip", std::string(kVip) + ":" + std::to_string(kVipPort) + " (local route 10.96.0.0/16 dev lo)"},
        {"netns_sysctls", sysctls},
        {"instructions", counter.available() ? json("perf_event_open PERF_COUNT_HW_INSTRUCTIONS around connect(), "
                                                    "user and kernel, " +
                                                    std::to_string(opt.perf_connections) + " connects per case")
                                             : json("not measured: " + counter.error())}}},
      {"cases", rows},
      {"ratios", ratios},
  };
  std::ofstream f(opt.json_path);
  f << out.dump(2) << "\n";
  if (!f) fail("write " + opt.json_path, errnoText());
  std::printf("wrote %s\n", opt.json_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return benchMain(parseArgs(argc, argv));
  } catch (const std::invalid_argument& e) {
    std::cerr << "connect_bench: " << e.what() << "\n";
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "connect_bench: " << e.what() << "\n";
    return 1;
  }
}
