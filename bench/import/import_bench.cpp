// import_bench: `meshtwin import` of a generated 10,000-pod kubectl dump (bench/import/
// dump_generator.cpp), wall time and peak RSS of the real CLI as a child process, side by
// side with the floor of merely parsing the same JSON (Python's json.load) in one run.
// Targets (issue: import): under 2 s wall and 500 MiB RSS. Figures are printed and written
// as JSON (bench/results/import.json); nothing is asserted.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../machine_info.hpp"
#include "dump_generator.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Run {
  double wall_s = 0;
  double peak_mib = 0;
  int status = -1;
};

// Runs argv with stdout and stderr to `log`, timing it and reading its peak RSS from wait4.
Run runChild(const std::vector<std::string>& argv, const fs::path& log) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const auto fd = std::fopen(log.c_str(), "w");
    if (fd) {
      dup2(fileno(fd), 1);
      dup2(fileno(fd), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  Run r;
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peak_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Run best(const std::vector<std::string>& argv, const fs::path& log, int reps) {
  Run b;
  for (int i = 0; i < reps; ++i) {
    const auto r = runChild(argv, log);
    if (i == 0 || r.wall_s < b.wall_s) b = r;
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::string meshtwin = MESHTWIN_BIN;
  std::string out_json = "bench/results/import.json";
  int reps = 3;
  bool keep = false;
  meshtwin::bench::DumpShape shape;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--meshtwin") meshtwin = argv[i + 1];
    else if (flag == "--json") out_json = argv[i + 1];
    else if (flag == "--reps") reps = std::atoi(argv[i + 1]);
    else if (flag == "--namespaces") shape.namespaces = std::atoi(argv[i + 1]);
    else if (flag == "--keep") keep = std::string(argv[i + 1]) == "yes";
    else {
      std::cerr << "usage: import_bench [--meshtwin BIN] [--json FILE] [--reps N] [--namespaces N (x 200 pods)] [--keep yes: keep the dump]\n";
      return 2;
    }
  }
  const auto dir = fs::temp_directory_path() / fmt::format("meshtwin-import-bench-{}", getpid());
  fs::create_directories(dir);
  auto dump = meshtwin::bench::generateDump(shape);
  const auto dump_file = dir / "dump.json";
  std::ofstream(dump_file) << dump.dump(2);
  const auto items = dump["items"].size();
  // Released before the children start: a forked child's peak RSS starts from this
  // process's current RSS, so the generated dump must not be counted against them.
  dump = json();
  malloc_trim(0);
  const int pods = shape.namespaces * shape.deployments_per_namespace * shape.replicas;
  const double mib = static_cast<double>(fs::file_size(dump_file)) / (1024.0 * 1024.0);
  std::cout << fmt::format("import_bench: {} pods, {} objects, {:.1f} MiB of JSON; best of {}\n\n", pods, items, mib, reps);

  const auto mt = best({meshtwin, "import", dump_file.string(), "-o", (dir / "out.yaml").string(), "--report",
                        (dir / "report.json").string()},
                       dir / "meshtwin.log", reps);
  const auto py = best({"python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", dump_file.string()},
                       dir / "python.log", reps);
  std::cout << fmt::format("{:<34} {:>8} {:>10} {:>6}\n", "program", "wall s", "peak MiB", "exit");
  std::cout << fmt::format("{:<34} {:>8.2f} {:>10.0f} {:>6}\n", "meshtwin import", mt.wall_s, mt.peak_mib, mt.status);
  std::cout << fmt::format("{:<34} {:>8.2f} {:>10.0f} {:>6}\n", "python3 json.load (parse only)", py.wall_s, py.peak_mib, py.status);
  std::cout << fmt::format("\nratio meshtwin / parse-only: wall {:.2f}x, peak RSS {:.2f}x; targets: < 2 s, < 500 MiB\n",
                           mt.wall_s / py.wall_s, mt.peak_mib / py.peak_mib);
  json report;
  if (std::ifstream rf(dir / "report.json"); rf) report = json::parse(rf, nullptr, false);
  json out{{"benchmark", "import_bench"},
           {"machine", {{"cpu", meshtwin::bench::cpuModel()}, {"cores", sysconf(_SC_NPROCESSORS_ONLN)}}},
           {"dump", {{"pods", pods}, {"objects", items}, {"mib", mib}}},
           {"reps", reps},
           {"meshtwin_import", {{"wall_s", mt.wall_s}, {"peak_rss_mib", mt.peak_mib}, {"exit", mt.status}}},
           {"python_json_load", {{"wall_s", py.wall_s}, {"peak_rss_mib", py.peak_mib}, {"exit", py.status}}},
           {"ratio", {{"wall", mt.wall_s / py.wall_s}, {"peak_rss", mt.peak_mib / py.peak_mib}}},
           {"targets", {{"wall_s", 2.0}, {"peak_rss_mib", 500.0}}},
           {"import_report_scenario", report.is_object() ? report.value("scenario", json::object()) : json::object()}};
  std::ofstream(out_json) << out.dump(2) << "\n";
  std::cout << "wrote " << out_json << "\n";
  if (mt.status != 0) std::cerr << "import_bench: meshtwin import exited " << mt.status << "; see " << (dir / "meshtwin.log") << "\n";
  else if (keep) std::cout << "kept " << dir.string() << "\n";
  else fs::remove_all(dir);
  return mt.status == 0 ? 0 : 1;
}
