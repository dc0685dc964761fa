// How `trace` and `record` (each also with --policy, whose path rule runs the notify loop) end:
// - by default with the main process: what it left behind is killed before pwnbox returns, with
//   the main's exit status, and shown or recorded as strace shows it (`+++ killed by SIGKILL
//   +++`); the recording reads back without complaint (show, diff);
// - with --wait-all, as strace -f: a process the main left is waited for (it blocks reading a
//   pipe the test holds; pwnbox is still there once the main is gone, and ends once the test
//   lets the process go, which then exits on its own);
// - the init of a PID namespace that faults (tests/progs/tl_pidns_segv.c) dies of it as it does
//   natively, its namespace with it, instead of faulting again forever; a signal it queues
//   itself that only looks like a fault is ignored, as natively, and it stays traced.
// Every wait is for an event (pidfd, pipe, exit status), bounded by a timeout.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace pwnbox::testing {
namespace {

constexpr int kTimeoutMs = 30000;

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

// A marker no other process on the machine has in its argv: a sleep of 1000.PID0N seconds.
std::string Marker() {
  static int counter = 0;
  return "1000." + std::to_string(getpid()) + "0" + std::to_string(++counter);
}

// Pids of the live processes whose argv contains `needle` (zombies have none).
std::vector<pid_t> ProcessesWith(const std::string& needle) {
  std::vector<pid_t> found;
  DIR* d = opendir("/proc");
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    if (!isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    for (auto& c : cmdline)
      if (c == '\0') c = ' ';
    if (Contains(cmdline, needle)) found.push_back(static_cast<pid_t>(std::stol(e->d_name)));
  }
  closedir(d);
  return found;
}

// The modes under test: the pwnbox arguments before `--`, and the file the trace or recording
// goes to.
struct Mode {
  std::string name;
  bool record = false;
  bool policy = false;
};

// gtest prints a parameter with this (not as bytes).
void PrintTo(const Mode& m, std::ostream* os) { *os << m.name; }

std::vector<std::string> ModeArgs(const Mode& m, const std::string& out) {
  std::vector<std::string> args{m.record ? "record" : "trace", "-o", out};
  if (m.policy) args.insert(args.end(), {"--policy", SourcePath("examples/hide-secrets.toml")});
  return args;
}

// What a trace or recording in `out` shows, as `trace` prints it (`show` for a recording, which
// must read it without complaint).
std::string Shown(const Mode& m, const std::string& out) {
  if (!m.record) return ReadFile(out);
  auto s = Pwnbox({"show", out});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.err, "");
  auto d = Pwnbox({"diff", out, out});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(d.err, "");
  return s.out;
}

std::string Name(const ::testing::TestParamInfo<Mode>& info) { return info.param.name; }

const auto kModes =
    ::testing::Values(Mode{"trace", false, false}, Mode{"trace_policy", false, true},
                      Mode{"record", true, false}, Mode{"record_policy", true, true});

class LeftoverTest : public ::testing::TestWithParam<Mode> {};

// `sh -c 'sleep 1000 & exit 3'` (here: tl_leave) did not return for 1000 s under trace and record.
TEST_P(LeftoverTest, KilledWhenTheMainProcessExits) {
  const std::string marker = Marker();
  const std::string out = TempDir() + "/out";
  std::vector<std::string> args = ModeArgs(GetParam(), out);
  // The main exits 3 once the sleep runs (tests/progs/tl_leave.c).
  args.insert(args.end(), {"--", Prog("tl_leave"), "3", "sleep", marker});
  RunOptions o;
  o.timeout_sec = 30;
  auto r = Pwnbox(args, o);
  ASSERT_FALSE(r.timed_out) << "pwnbox waited for the background sleep";
  EXPECT_EQ(r.status, 3) << r.err;
  // pwnbox reaped the sleep's exit before it returned: nothing with the marker is left.
  EXPECT_EQ(ProcessesWith(marker), std::vector<pid_t>{}) << "the background sleep outlived pwnbox";
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const std::string sleeper = lines[0];
  const std::string shown = Shown(GetParam(), out);
  // The main's end, then the sleep's, as strace shows a process killed by SIGKILL.
  auto main_end = shown.find("+++ exited with 3 +++");
  ASSERT_NE(main_end, std::string::npos) << shown;
  auto killed = shown.find("+++ killed by SIGKILL +++", main_end);
  EXPECT_NE(killed, std::string::npos) << shown;
  EXPECT_EQ(Grep(shown, "+++ killed by SIGKILL +++").size(), 1u) << shown;
  // A call the kill cut short ends as strace ends it: "...)  = ?" with " <unfinished ...>" where
  // it had arguments left to print (never "clock_nanosleep(..., {...}, = ?").
  for (const auto& l : Grep(shown, "= ?"))
    EXPECT_TRUE(std::regex_search(l, std::regex(R"(\) += \?$)")) &&
                !std::regex_search(l, std::regex(R"([(,] += \?$|, \) += \?$)")))
        << l;
  // The killed process is the sleep: its execve is shown under its pid.
  char prefix[32];
  snprintf(prefix, sizeof prefix, "[pid %5s] execve(", sleeper.c_str());
  bool exec_shown = false;
  for (const auto& l : Grep(shown, "\"" + marker + "\"")) exec_shown |= l.rfind(prefix, 0) == 0;
  EXPECT_TRUE(exec_shown) << prefix << "\n" << shown;
}

// --wait-all: pwnbox waits for a process the main left, as strace -f.
TEST_P(LeftoverTest, WaitAllWaitsForIt) {
  const std::string out = TempDir() + "/out";
  std::vector<std::string> args = ModeArgs(GetParam(), out);
  args.push_back("--wait-all");
  // The left process blocks reading a line from fd 3 (a pipe the test holds), then exits 7 on
  // its own (9 if the read failed).
  args.insert(args.end(), {"--", "sh", "-c", "(read x <&3 && exit 7; exit 9) & echo $$; exit 3"});
  int hold[2], stdout_pipe[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(stdout_pipe, O_CLOEXEC), 0);
  std::vector<std::string> argv{PwnboxBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int held = fcntl(hold[0], F_DUPFD, 10);  // hold[0] may be 3 already
    dup2(held, 3);
    dup2(stdout_pipe[1], 1);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    syscall(SYS_close_range, 4, ~0U, 0);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(hold[0]);
  close(stdout_pipe[1]);
  const int pwnbox_fd = PidfdOpen(pid);
  ASSERT_GE(pwnbox_fd, 0);
  // The main's pid, then the main's end (pidfd; ESRCH: already reaped).
  std::string line;
  char c;
  while (Readable(stdout_pipe[0], kTimeoutMs) && read(stdout_pipe[0], &c, 1) == 1 && c != '\n')
    line += c;
  ASSERT_FALSE(line.empty()) << "no pid from the main process";
  const int main_fd = PidfdOpen(static_cast<pid_t>(std::stol(line)));
  if (main_fd >= 0) {
    EXPECT_TRUE(Readable(main_fd, kTimeoutMs)) << "the main process did not exit";
    close(main_fd);
  } else {
    EXPECT_EQ(errno, ESRCH);
  }
  // The main is gone and the left process waits for the test: pwnbox is still there.
  EXPECT_FALSE(Readable(pwnbox_fd, 0)) << "pwnbox ended with the main process under --wait-all";
  ASSERT_EQ(write(hold[1], "go\n", 3), 3);
  close(hold[1]);  // the left process reads its line and exits 7
  ASSERT_TRUE(Readable(pwnbox_fd, kTimeoutMs)) << "pwnbox did not end after the left process";
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  close(pwnbox_fd);
  close(stdout_pipe[0]);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3) << st;
  const std::string shown = Shown(GetParam(), out);
  EXPECT_NE(shown.find("+++ exited with 3 +++"), std::string::npos) << shown;
  EXPECT_NE(shown.find("+++ exited with 7 +++"), std::string::npos) << shown;
  EXPECT_FALSE(Contains(shown, "killed by")) << shown;
}

INSTANTIATE_TEST_SUITE_P(Modes, LeftoverTest, kModes, Name);

// A recording ends where pwnbox killed the leftover, at whatever call it was in; its replay kills
// the leftover at the same call, instead of diverging where the two kills differ (replay waits
// for every task; the leftover here makes calls until it is killed).
TEST(LeftoverReplay, KilledWhereTheRecordingShowsIt) {
  for (const bool policy : {false, true}) {
    SCOPED_TRACE(policy ? "record --policy" : "record");
    const std::string rec = TempDir() + "/run.pwnr";
    std::vector<std::string> args = ModeArgs(Mode{"", true, policy}, rec);
    args.insert(args.end(), {"--", Prog("tl_leave"), "3", "sh", "-c",
                             "while :; do read x </dev/null; done"});
    RunOptions o;
    o.timeout_sec = 30;
    auto r = Pwnbox(args, o);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.status, 3) << r.err;
    ASSERT_EQ(Grep(Shown(Mode{"", true, policy}, rec), "+++ killed by SIGKILL +++").size(), 1u);
    for (int i = 0; i < 3; ++i) {
      auto p = Pwnbox({"replay", rec}, o);
      ASSERT_FALSE(p.timed_out);
      EXPECT_EQ(p.status, 3) << p.err;
      EXPECT_FALSE(Contains(p.err, "diverged")) << p.err;
    }
  }
}

class PidNamespaceInitTest : public ::testing::TestWithParam<Mode> {};

// The init of a new PID namespace dies of its fault (SIGSEGV, SIGILL, SIGFPE) as it does
// natively, and its namespace with it; it used to fault again forever under trace.
TEST_P(PidNamespaceInitTest, DiesOfItsFaultAsNatively) {
  for (const auto& [kind, sig] :
       std::vector<std::pair<std::string, std::string>>{{"segv", "SIGSEGV"}, {"ud2", "SIGILL"},
                                                        {"div", "SIGFPE"}}) {
    SCOPED_TRACE(kind);
    RunOptions o;
    o.timeout_sec = 30;
    auto native = testing::Run({Prog("tl_pidns_segv"), kind}, o);
    if (native.status == 2 && Contains(native.err, "unshare"))
      GTEST_SKIP() << "no PID namespace for this user here: " << native.err;
    ASSERT_EQ(native.status, 0) << native.err;
    const int signo = kind == "segv" ? SIGSEGV : kind == "ud2" ? SIGILL : SIGFPE;
    const std::string expected = "init: signal " + std::to_string(signo) + "\nmember: dead\n";
    ASSERT_EQ(native.out, expected);
    const std::string out = TempDir() + "/out";
    std::vector<std::string> args = ModeArgs(GetParam(), out);
    args.insert(args.end(), {"--", Prog("tl_pidns_segv"), kind});
    auto r = Pwnbox(args, o);
    ASSERT_FALSE(r.timed_out) << "the init and pwnbox spin";
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, expected) << r.err;
    const std::string shown = Shown(GetParam(), out);
    // The fault is shown once (not over and over), and the parent reaps a death by it.
    EXPECT_EQ(Grep(shown, "--- " + sig + " {").size(), 1u) << shown;
    EXPECT_TRUE(Contains(shown, "WTERMSIG(s) == " + sig)) << shown;
  }
}

// A signal the init queues itself that looks like a fault (rt_tgsigqueueinfo, si_code
// SEGV_MAPERR) is ignored, as natively, and the init stays traced: pwnbox lets go only of a task
// whose instruction faults again (letting go on the signal alone made the init die of its next
// syscall, which its trace filter failed with ENOSYS, exit_group included).
TEST_P(PidNamespaceInitTest, QueuedLookalikeFaultIsIgnoredAndTheInitStaysTraced) {
  RunOptions o;
  o.timeout_sec = 30;
  auto native = testing::Run({Prog("tl_pidns_segv"), "queue"}, o);
  if (native.status == 2 && Contains(native.err, "unshare"))
    GTEST_SKIP() << "no PID namespace for this user here: " << native.err;
  ASSERT_EQ(native.status, 0) << native.err;
  ASSERT_EQ(native.out, "init: exit 0\nmember: dead\n");  // 1: traced
  // Each lookalike is followed by a syscall instruction: under a narrow trace the filter lets
  // it run, and the step pwnbox takes to see whether the instruction faults again ends at its
  // exit (a SIGTRAP of pwnbox's own, never shown nor delivered).
  for (const bool narrow : {false, true}) {
    if (narrow && GetParam().record) continue;
    SCOPED_TRACE(narrow ? "-e trace=openat" : "all calls");
    const std::string out = TempDir() + "/out";
    std::vector<std::string> args = ModeArgs(GetParam(), out);
    if (narrow) args.insert(args.begin() + 1, {"-e", "trace=openat"});
    args.insert(args.end(), {"--", Prog("tl_pidns_segv"), "queue"});
    auto r = Pwnbox(args, o);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "init: exit 1\nmember: dead\n") << r.err;
    const std::string shown = Shown(GetParam(), out);
    EXPECT_EQ(Grep(shown, "--- SIGSEGV {").size(), 3u) << shown;
    EXPECT_FALSE(Contains(shown, "SIGTRAP")) << shown;
    if (!narrow) EXPECT_TRUE(Contains(shown, "WIFEXITED(s) && WEXITSTATUS(s) == 1")) << shown;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PidNamespaceInitTest, kModes, Name);

}  // namespace
}  // namespace pwnbox::testing
