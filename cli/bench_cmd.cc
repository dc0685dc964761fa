#include "cli/bench_cmd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/bench_svg.h"
#include "cli/common.h"
#include "cli/options.h"
#include "config/policy.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

constexpr const char* kUsage =
    "usage: pwnbox bench [--policy FILE] [-n RUNS] [--modes LIST] [--json] [--plot FILE.svg]\n"
    "                    [--timeout SECS] -- CMD [ARG...]\n";
constexpr const char* kModeHelp =
    "modes (default native,policy; native is always run):\n"
    "  native   the command alone\n"
    "  kernel   pwnbox run with every escalated rule made an in-kernel allow (pure filter cost)\n"
    "  policy   pwnbox run with the policy as written, escalations included\n"
    "  trace    pwnbox trace -o /dev/null\n"
    "  strace   strace -f -o /dev/null (skipped when strace is not installed)\n"
    "exit status: 0; 1 when a mode exits differently from native (reported FAILED, not timed);\n"
    "125 on bad usage or when CMD fails without pwnbox. See docs/bench.md.\n";
constexpr const char* kModes[] = {"native", "kernel", "policy", "trace", "strace"};
// MAD / median above this, in a mode or in native, marks the mode's ratio as not to be trusted.
constexpr double kNoisyMad = 0.05;
constexpr int kMaxRuns = 10000;

volatile sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

struct Sample {
  double wall = 0, user = 0, sys = 0;
  long maxrss_kb = 0;
  std::optional<long long> escalated;
};

struct Mode {
  std::string name;
  std::vector<std::string> argv;  // full argv of one run
  std::string stats_path;         // pwnbox run's --stats file, empty when none
  std::string skipped;            // why the mode is not run
  std::string failed;             // why the mode stopped being timed
  std::vector<Sample> samples;
};

struct RunOutcome {
  int exec_errno = 0;
  int status = 0;  // exit code, 128+N when killed by signal N
  bool timed_out = false;  // killed after --timeout seconds
  Sample sample;
  std::string stderr_tail;
};

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ' ';
    bool plain = !s.empty() && s.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    out += plain ? s : "'" + s + "'";
  }
  return out;
}

std::optional<std::string> FindInPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

// Waits until `pid` exits (true) or the clock passes `deadline` (false). Ctrl-C (g_signal)
// kills the run's group: the caller then reports nothing.
bool WaitWithTimeout(pid_t pid, double deadline) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;  // wait4 then waits without a limit
  bool exited = false;
  for (;;) {
    if (g_signal) kill(-pid, SIGKILL);
    const double left = deadline - Now();
    if (left <= 0) break;
    pollfd p{pidfd, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1);
    if (n > 0) {
      exited = true;
      break;
    }
  }
  close(pidfd);
  return exited;
}

// One fork+exec: stdin and stdout /dev/null, stderr kept in a memfd; wait4 for the rusage.
// The run gets its own process group, so that a run past `timeout` seconds (or interrupted by
// Ctrl-C) is killed whole: strace's tracees would outlive strace otherwise.
RunOutcome RunOnce(const std::vector<std::string>& argv, double timeout) {
  RunOutcome out;
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int err_fd = memfd_create("pwnbox-bench-stderr", MFD_CLOEXEC);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int pipe_fds[2];
  if (err_fd < 0 || null_fd < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.exec_errno = errno;
    if (err_fd >= 0) close(err_fd);
    if (null_fd >= 0) close(null_fd);
    return out;
  }
  double t0 = Now();
  pid_t pid = fork();
  if (pid == 0) {
    // Async-signal-safe only from here to execvp.
    close(pipe_fds[0]);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);
    if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(127);
    execvp(cargv[0], cargv.data());
    int e = errno;
    ssize_t unused = write(pipe_fds[1], &e, sizeof e);
    (void)unused;
    _exit(127);
  }
  close(pipe_fds[1]);
  close(null_fd);
  if (pid < 0) {
    out.exec_errno = errno;
    close(pipe_fds[0]);
    close(err_fd);
    return out;
  }
  int e = 0;
  ssize_t n;
  do n = read(pipe_fds[0], &e, sizeof e); while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  setpgid(pid, pid);  // also here: whichever of parent and child runs first sets it
  if (!WaitWithTimeout(pid, t0 + timeout)) {
    out.timed_out = true;
    kill(-pid, SIGKILL);
  }
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  if (!out.timed_out) kill(-pid, SIGKILL);  // what the run left behind in its group
  out.sample.wall = Now() - t0;
  if (n == static_cast<ssize_t>(sizeof e)) out.exec_errno = e;
  out.status = ExitCodeFromWaitStatus(status);
  out.sample.user = Seconds(ru.ru_utime);
  out.sample.sys = Seconds(ru.ru_stime);
  out.sample.maxrss_kb = ru.ru_maxrss;
  off_t size = lseek(err_fd, 0, SEEK_END);
  off_t from = std::max<off_t>(0, size - 2000);
  std::string tail(static_cast<size_t>(size - from), '\0');
  if (!tail.empty()) {
    ssize_t got = pread(err_fd, tail.data(), tail.size(), from);
    tail.resize(got > 0 ? static_cast<size_t>(got) : 0);
  }
  out.stderr_tail = tail;
  close(err_fd);
  return out;
}

std::optional<long long> ReadEscalated(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("escalated") || !j["escalated"].is_number_integer())
    return std::nullopt;
  return j["escalated"].get<long long>();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Summary {
  double median = 0, min = 0, max = 0, mad = 0, user = 0, sys = 0, maxrss_kb = 0;
  std::optional<double> escalated;
  // Against native: ratio of medians, and the widest ratio the extremes allow.
  double ratio = 0, ratio_low = 0, ratio_high = 0;
  bool noisy = false;
};

Summary Summarize(const Mode& m) {
  Summary s;
  std::vector<double> wall, user, sys, rss, esc;
  for (const auto& x : m.samples) {
    wall.push_back(x.wall);
    user.push_back(x.user);
    sys.push_back(x.sys);
    rss.push_back(static_cast<double>(x.maxrss_kb));
    if (x.escalated) esc.push_back(static_cast<double>(*x.escalated));
  }
  if (wall.empty()) return s;
  s.median = Median(wall);
  s.min = *std::min_element(wall.begin(), wall.end());
  s.max = *std::max_element(wall.begin(), wall.end());
  std::vector<double> dev;
  for (double w : wall) dev.push_back(std::fabs(w - s.median));
  s.mad = Median(dev);
  s.user = Median(user);
  s.sys = Median(sys);
  s.maxrss_kb = Median(rss);
  if (!esc.empty() && esc.size() == wall.size()) s.escalated = Median(esc);
  return s;
}

void CompareWithNative(Summary& s, const Summary& native) {
  if (native.median <= 0 || native.min <= 0 || native.max <= 0) return;
  s.ratio = s.median / native.median;
  s.ratio_low = s.min / native.max;
  s.ratio_high = s.max / native.min;
  s.noisy = (s.median > 0 && s.mad / s.median > kNoisyMad) || native.mad / native.median > kNoisyMad;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string FormatRss(double kb) {
  return kb >= 10240 ? Fixed(kb / 1024, 0) + " MiB" : Fixed(kb / 1024, 1) + " MiB";
}

std::string FormatCount(std::optional<double> v) {
  if (!v) return "-";
  return std::fabs(*v - std::round(*v)) < 1e-9 ? Fixed(*v, 0) : Fixed(*v, 1);
}

// Width in characters, not bytes ("µ" is two bytes).
size_t CharCount(const std::string& s) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars;
}

std::string Pad(const std::string& s, size_t width, bool right) {
  size_t chars = CharCount(s);
  std::string fill(width > chars ? width - chars : 0, ' ');
  return right ? fill + s : s + fill;
}

void PrintTable(const std::vector<Mode>& modes, const std::vector<Summary>& sums,
                const std::vector<std::string>& command, int runs) {
  std::printf("pwnbox bench: %s\n", Join(command).c_str());
  std::printf("%d run%s per mode after 1 warm-up round, interleaved; wall time from fork to "
              "wait4, CPU and peak RSS from wait4's rusage\n\n",
              runs, runs == 1 ? "" : "s");
  std::vector<std::vector<std::string>> table;
  table.push_back({"mode", "median", "min", "max", "user", "sys", "peak RSS", "escalated",
                   "x native", "[min/max, max/min]"});
  std::vector<std::string> notes;
  bool any_noisy = false;
  for (size_t i = 0; i < modes.size(); ++i) {
    const Mode& m = modes[i];
    const Summary& s = sums[i];
    if (!m.skipped.empty()) {
      table.push_back({m.name, "skipped", "", "", "", "", "", "", "", ""});
      notes.push_back(m.name + ": skipped: " + m.skipped);
      continue;
    }
    if (!m.failed.empty()) {
      table.push_back({m.name, "FAILED", "", "", "", "", "", "", "", ""});
      notes.push_back(m.name + ": FAILED: " + m.failed);
      continue;
    }
    std::string ratio = m.name == "native" ? "1.00" : Fixed(s.ratio, 2) + (s.noisy ? " !" : "");
    std::string interval =
        "[" + Fixed(s.ratio_low, 2) + ", " + Fixed(s.ratio_high, 2) + "]";
    any_noisy |= s.noisy;
    table.push_back({m.name, FormatDuration(s.median), FormatDuration(s.min),
                     FormatDuration(s.max), FormatDuration(s.user), FormatDuration(s.sys),
                     FormatRss(s.maxrss_kb), FormatCount(s.escalated), ratio, interval});
  }
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], CharCount(row[c]));
  for (const auto& row : table) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) line += "  ";
      line += Pad(row[c], width[c], c != 0 && c != row.size() - 1);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
  if (any_noisy)
    notes.push_back(
        "! the runs spread too widely to trust this ratio (median absolute deviation above " +
        Fixed(kNoisyMad * 100, 0) + "% of the median, in the mode or in native): use more "
        "runs (-n) on a quieter machine");
  if (!notes.empty()) {
    std::printf("\n");
    for (const auto& n : notes) std::printf("%s\n", n.c_str());
  }
}

nlohmann::json ToJson(const std::vector<Mode>& modes, const std::vector<Summary>& sums,
                      const std::vector<std::string>& command, int runs,
                      const std::string& policy) {
  nlohmann::json j;
  j["command"] = command;
  j["runs"] = runs;
  j["warmup_rounds"] = 1;
  j["policy"] = policy.empty() ? nlohmann::json("default (built-in)") : nlohmann::json(policy);
  j["noisy_mad_threshold"] = kNoisyMad;
  j["modes"] = nlohmann::json::array();
  for (size_t i = 0; i < modes.size(); ++i) {
    const Mode& m = modes[i];
    const Summary& s = sums[i];
    nlohmann::json jm;
    jm["name"] = m.name;
    jm["argv"] = m.argv;
    jm["status"] = !m.skipped.empty() ? "skipped" : !m.failed.empty() ? "failed" : "ok";
    if (!m.skipped.empty()) jm["reason"] = m.skipped;
    if (!m.failed.empty()) jm["reason"] = m.failed;
    jm["samples"] = nlohmann::json::array();
    for (const auto& x : m.samples) {
      nlohmann::json js{{"wall_s", x.wall}, {"user_s", x.user}, {"sys_s", x.sys},
                        {"maxrss_kb", x.maxrss_kb}};
      js["escalated"] = x.escalated ? nlohmann::json(*x.escalated) : nlohmann::json(nullptr);
      jm["samples"].push_back(js);
    }
    if (jm["status"] == "ok") {
      jm["summary"] = {{"median_wall_s", s.median}, {"min_wall_s", s.min},
                       {"max_wall_s", s.max}, {"mad_wall_s", s.mad},
                       {"median_user_s", s.user}, {"median_sys_s", s.sys},
                       {"median_maxrss_kb", s.maxrss_kb},
                       {"escalated", s.escalated ? nlohmann::json(*s.escalated)
                                                 : nlohmann::json(nullptr)},
                       {"ratio", s.ratio}, {"ratio_low", s.ratio_low},
                       {"ratio_high", s.ratio_high}, {"noisy", s.noisy}};
    }
    j["modes"].push_back(jm);
  }
  return j;
}

std::string StatusText(const RunOutcome& r) {
  if (r.exec_errno) return std::string("cannot start: ") + std::strerror(r.exec_errno);
  if (r.timed_out) return "killed after " + Fixed(r.sample.wall, 1) + " s (--timeout)";
  std::string text = "exit status " + std::to_string(r.status);
  if (r.status > 128 && r.status < 128 + 65)
    if (const char* sig = sigabbrev_np(r.status - 128))
      text += " (killed by SIG" + std::string(sig) + ")";
  return text;
}

std::string FailureText(const RunOutcome& r) {
  std::string why = StatusText(r) + (r.timed_out ? "" : " where native exits 0");
  std::string tail = r.stderr_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  for (size_t at = tail.find('\n'); at != std::string::npos; at = tail.find('\n', at + 3))
    tail.replace(at, 1, "\n  ");
  if (!tail.empty()) why += "; its stderr:\n  " + tail;
  return why;
}

class Progress {
 public:
  Progress() : on_(isatty(2)) {}
  void Show(int round, int runs, const std::string& mode) {
    if (!on_) return;
    std::string what = round == 0 ? "warm-up" : "run " + std::to_string(round) + "/" +
                                                     std::to_string(runs);
    std::fprintf(stderr, "\rpwnbox bench: %s, %s\033[K", what.c_str(), mode.c_str());
  }
  void Clear() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool on_;
};

}  // namespace

int BenchCommand(int argc, char** argv) {
  SplitArgs split = SplitCommand(argc, argv, 1, {"--policy", "-n", "--modes", "--plot", "--timeout"});
  po::options_description desc("pwnbox bench options");
  std::string policy_path, modes_text = "native,policy", plot_path;
  int runs = 10;
  double timeout = 600;
  desc.add_options()
      ("help,h", "show this help")
      ("policy", po::value(&policy_path),
       "the TOML policy for the kernel and policy modes (default: the built-in `default`)")
      (",n", po::value(&runs), "timed runs per mode (default 10)")
      ("timeout", po::value(&timeout), "kill a run after SECS seconds and report its mode as "
       "failed (default 600)")
      ("modes", po::value(&modes_text), "comma list of modes (see below)")
      ("json", "print one JSON document with every sample and the summaries")
      ("plot", po::value(&plot_path), "also write an SVG chart of the distributions to FILE");
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(split.options), desc, &vm, "bench"))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << kUsage << desc << kModeHelp;
    return 0;
  }
  if (split.command.empty())
    return Fail("no command to benchmark: pwnbox bench [OPTIONS] -- CMD [ARG...]");
  if (runs < 1 || runs > kMaxRuns)
    return Fail("-n must be between 1 and " + std::to_string(kMaxRuns));
  if (!(timeout > 0)) return Fail("--timeout must be a number of seconds above 0");
  if (!policy_path.empty()) {
    auto policy = config::LoadPolicyFile(policy_path);
    if (!policy.ok()) return Fail(policy.error());
  }

  std::vector<std::string> names{"native"};
  {
    std::stringstream ss(modes_text);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) continue;
      if (std::find(std::begin(kModes), std::end(kModes), item) == std::end(kModes))
        return Fail("unknown mode `" + item +
                    "` in --modes (known: native, kernel, policy, trace, strace)");
      if (std::find(names.begin(), names.end(), item) == names.end()) names.push_back(item);
    }
    // Always in the same order, cheapest mechanism first, whatever order the list gives.
    auto rank = [](const std::string& n) {
      return std::find(std::begin(kModes), std::end(kModes), n) - std::begin(kModes);
    };
    std::sort(names.begin(), names.end(),
              [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  }

  char tmpl[] = "/tmp/pwnbox-bench-XXXXXX";
  std::string tmpdir;
  if (const char* d = mkdtemp(tmpl)) tmpdir = d;
  else return Fail(core::ErrnoError(errno, "cannot create a temporary directory"));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{tmpdir};

  const std::string self = "/proc/self/exe";
  std::vector<Mode> modes;
  for (const auto& name : names) {
    Mode m;
    m.name = name;
    std::vector<std::string> prefix;
    if (name == "kernel" || name == "policy") {
      m.stats_path = tmpdir + "/" + name + ".stats";
      prefix = {self, "run"};
      if (!policy_path.empty()) prefix.insert(prefix.end(), {"--policy", policy_path});
      if (name == "kernel") prefix.push_back("--kernel-only");
      prefix.insert(prefix.end(), {"--stats", m.stats_path, "--"});
    } else if (name == "trace") {
      prefix = {self, "trace", "-o", "/dev/null", "--"};
    } else if (name == "strace") {
      auto strace = FindInPath("strace");
      if (!strace) m.skipped = "strace is not installed";
      prefix = {strace.value_or("strace"), "-f", "-o", "/dev/null"};
    }
    m.argv = prefix;
    m.argv.insert(m.argv.end(), split.command.begin(), split.command.end());
    modes.push_back(std::move(m));
  }

  InstallSignalHandlers(OnSignal);
  Progress progress;
  for (int round = 0; round <= runs && !g_signal; ++round) {
    for (auto& m : modes) {
      if (!m.skipped.empty() || !m.failed.empty()) continue;
      progress.Show(round, runs, m.name);
      if (!m.stats_path.empty()) unlink(m.stats_path.c_str());
      RunOutcome r = RunOnce(m.argv, timeout);
      if (g_signal) break;
      if (m.name == "native" && (r.exec_errno || r.timed_out || r.status != 0)) {
        progress.Clear();
        std::string tail = r.stderr_tail;
        while (!tail.empty() && tail.back() == '\n') tail.pop_back();
        if (!tail.empty()) std::fprintf(stderr, "%s\n", tail.c_str());
        return Fail(Join(split.command) + " fails without pwnbox (" + StatusText(r) +
                    "); bench needs a command that succeeds");
      }
      if (r.exec_errno || r.timed_out || r.status != 0) {
        m.failed = FailureText(r);
        m.samples.clear();
        continue;
      }
      if (round == 0) continue;  // warm-up
      if (!m.stats_path.empty()) r.sample.escalated = ReadEscalated(m.stats_path);
      m.samples.push_back(r.sample);
    }
  }
  progress.Clear();
  if (g_signal) return 128 + g_signal;  // interrupted: no partial report

  std::vector<Summary> sums;
  for (const auto& m : modes) sums.push_back(Summarize(m));
  for (auto& s : sums) CompareWithNative(s, sums[0]);

  bool any_failed = false;
  for (const auto& m : modes) any_failed |= !m.failed.empty();

  if (!plot_path.empty()) {
    std::vector<PlotRow> rows;
    for (size_t i = 0; i < modes.size(); ++i) {
      PlotRow row;
      row.name = modes[i].name;
      if (!modes[i].skipped.empty()) row.note = "skipped: " + modes[i].skipped;
      else if (!modes[i].failed.empty())
        row.note = "failed: " + modes[i].failed.substr(0, modes[i].failed.find(';'));
      else {
        for (const auto& x : modes[i].samples) row.walls.push_back(x.wall);
        row.min = sums[i].min;
        row.median = sums[i].median;
        row.max = sums[i].max;
        if (i > 0) row.note = "(" + Fixed(sums[i].ratio, 2) + "× native)";
      }
      rows.push_back(std::move(row));
    }
    std::string subtitle = std::to_string(runs) + " runs per mode after a warm-up, interleaved; "
                           "dot = one run, box = min to max, bar = median";
    std::string svg = RenderBenchSvg("pwnbox bench: " + Join(split.command), subtitle, rows);
    std::ofstream out(plot_path, std::ios::binary | std::ios::trunc);
    out << svg;
    out.close();
    if (!out) return Fail(core::ErrnoError(errno, "cannot write --plot " + plot_path));
  }

  if (vm.count("json")) {
    std::cout << ToJson(modes, sums, split.command, runs, policy_path).dump(2) << "\n";
  } else {
    PrintTable(modes, sums, split.command, runs);
  }
  std::fflush(stdout);
  return any_failed ? 1 : 0;
}

}  // namespace pwnbox::cli
