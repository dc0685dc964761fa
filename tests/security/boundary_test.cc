// The sandbox's boundary (issue 12, classes 1 and 2): nothing inside reaches pwnbox (ptrace,
// process_vm_*, /proc/PPID/{mem,fd}, pidfd_getfd, signals of every kind), and no filter or flag
// of the target's blinds the supervisor (a second listener, a USER_NOTIF filter without one,
// forged RET_TRACE data, CLONE_UNTRACED). Each attack is tests/progs/sec_reach_*.c, run under
// the built-in default policy, a permissive policy under each escalation backend, and
// `trace --policy` / `record --policy`; every test checks that the attack failed with the
// expected errno and that pwnbox itself ended normally with the target's status.
//
// Run as root and as nobody (PREAMBLE): the answers are the same for both.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// The target's outcome as pwnbox reported it, with pwnbox's raw wait status: the harness's
// RunResult cannot tell "pwnbox exited 137" (its target was SIGKILLed) from "pwnbox was
// SIGKILLed".
struct RawResult {
  int wait_status = -1;
  bool timed_out = false;
  std::string out, err;
  bool Exited(int code) const {
    return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code;
  }
  std::string Describe() const {
    std::string s = timed_out ? "timed out"
                    : WIFEXITED(wait_status)
                        ? "pwnbox exited " + std::to_string(WEXITSTATUS(wait_status))
                        : "pwnbox killed by signal " + std::to_string(WTERMSIG(wait_status));
    return s + "\nstdout:\n" + out + "stderr:\n" + err;
  }
};

struct RawOptions {
  std::vector<std::string> env;  // extra NAME=VALUE
  bool ctty = false;  // a new session whose controlling terminal (stdin) is a fresh pty
  int timeout_sec = 60;
};

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Runs pwnbox with `args` in a process group of its own (so that kill(0) from inside reaches
// nothing of the test's).
RawResult RunPwnbox(const std::vector<std::string>& args, const RawOptions& o = {}) {
  RawResult r;
  std::vector<std::string> argv{PwnboxBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), o.env.begin(), o.env.end());
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  int master = -1;
  std::string slave;
  if (o.ctty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return r;
    slave = ptsname(master);
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    int in;
    if (o.ctty) {
      setsid();
      in = open(slave.c_str(), O_RDWR);  // the session's controlling terminal from now on
    } else {
      setpgid(0, 0);
      in = open("/dev/null", O_RDONLY);
    }
    dup2(in, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    syscall(SYS_close_range, 3, ~0U, 0);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  const int64_t deadline = NowMs() + int64_t{o.timeout_sec} * 1000;
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left)) < 0) continue;
    if (fds[0].revents) {
      ssize_t k = read(out[0], buf, sizeof buf);
      if (k <= 0) out_open = false; else r.out.append(buf, static_cast<size_t>(k));
    }
    if (fds[1].revents) {
      ssize_t k = read(err[0], buf, sizeof buf);
      if (k <= 0) err_open = false; else r.err.append(buf, static_cast<size_t>(k));
    }
  }
  if (r.timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  waitpid(pid, &r.wait_status, 0);
  close(out[0]);
  close(err[0]);
  if (master >= 0) close(master);
  return r;
}

std::string PermissivePolicy(const std::string& dir, const std::string& escalate) {
  // default allow, and one escalated rule, so that the backend's machinery (a listener under
  // notify) is in place.
  std::string path = dir + "/permissive-" + escalate + ".toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[options]\nescalate = \"" + escalate +
                      "\"\n\n[[rule]]\nsyscalls = [\"acct\"]\naction = \"errno:EPERM\"\n"
                      "log = true\n");
  return path;
}

// pwnbox's arguments before `--` for each sandbox under test.
std::vector<std::string> SandboxArgs(const std::string& kind) {
  const std::string dir = TempDir();
  if (kind == "default") return {};
  if (kind == "notify" || kind == "ptrace") return {"--policy", PermissivePolicy(dir, kind)};
  if (kind == "trace-policy")
    return {"trace", "-o", dir + "/trace.txt", "--policy", PermissivePolicy(dir, "notify")};
  if (kind == "record-policy")
    return {"record", "-o", dir + "/run.pwnr", "--policy", PermissivePolicy(dir, "notify")};
  ADD_FAILURE() << "unknown sandbox " << kind;
  return {};
}

class ReachTest : public ::testing::TestWithParam<std::string> {
 protected:
  RawResult Attack(const std::string& prog, const std::string& mode, const RawOptions& o = {}) {
    auto args = SandboxArgs(GetParam());
    args.insert(args.end(), {"--", Prog(prog), mode});
    return RunPwnbox(args, o);
  }
  // Runs sec_reach_attack MODE and expects exactly `MODE: expected` and exit status 0.
  void ExpectFails(const std::string& mode, const std::string& expected) {
    RawResult r = Attack("sec_reach_attack", mode);
    EXPECT_EQ(r.out, mode + ": " + expected + "\n") << r.Describe();
    EXPECT_TRUE(r.Exited(0)) << r.Describe();
  }
};

TEST_P(ReachTest, PtraceSeizeOfPwnboxFailsWithEperm) { ExpectFails("ptrace-seize", "EPERM"); }
TEST_P(ReachTest, PtraceAttachOfPwnboxFailsWithEperm) { ExpectFails("ptrace-attach", "EPERM"); }
TEST_P(ReachTest, ProcessVmReadvOfPwnboxFailsWithEperm) { ExpectFails("vm-read", "EPERM"); }
TEST_P(ReachTest, ProcessVmWritevOfPwnboxFailsWithEperm) { ExpectFails("vm-write", "EPERM"); }
TEST_P(ReachTest, ProcPidMemOfPwnboxCannotBeOpenedReadWrite) {
  ExpectFails("proc-mem", "EACCES");
}
TEST_P(ReachTest, NoProcPidFdOfPwnboxCanBeOpened) { ExpectFails("proc-fd", "EACCES"); }
TEST_P(ReachTest, PidfdGetfdOfEveryPwnboxFdFailsWithEperm) {
  ExpectFails("pidfd-getfd", "EPERM");
}
TEST_P(ReachTest, SigstopToPwnboxFailsWithEperm) { ExpectFails("kill-stop", "EPERM"); }
TEST_P(ReachTest, SigkillToPwnboxFailsWithEperm) { ExpectFails("kill-kill", "EPERM"); }
TEST_P(ReachTest, TgkillOfPwnboxFailsWithEperm) { ExpectFails("tgkill", "EPERM"); }
TEST_P(ReachTest, PidfdSendSignalToPwnboxFailsWithEperm) {
  ExpectFails("pidfd-signal", "EPERM");
}

// An O_ASYNC pipe owned (F_SETOWN) by pwnbox, with F_SETSIG SIGKILL: the kernel drops the
// signal silently, so pwnbox ending normally is the proof.
TEST_P(ReachTest, SigioWithPwnboxAsOwnerIsNotDelivered) { ExpectFails("sigio", "sent"); }

// kill(-1, SIGKILL) reaches no process outside the sandbox: pwnbox ends normally and a canary
// of the test's (same user) is still alive. (Its return value is 0 whatever happened: the
// kernel does not count EPERM; see sec_reach_attack.c.)
TEST_P(ReachTest, KillMinusOneReachesNoProcessOutside) {
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  pid_t canary = fork();
  if (canary == 0) {
    close(hold[1]);
    char c;
    ssize_t ignored = read(hold[0], &c, 1);  // until the test closes its end
    (void)ignored;
    _exit(0);
  }
  close(hold[0]);
  int canary_fd = static_cast<int>(syscall(SYS_pidfd_open, canary, 0));
  ASSERT_GE(canary_fd, 0);
  RawOptions o;
  o.env = {"SEC_REACH_IN_SANDBOX=1"};
  RawResult r = Attack("sec_reach_attack", "kill-all", o);
  pollfd p{canary_fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0) << "the canary outside the sandbox was killed";
  close(hold[1]);
  int st = 0;
  waitpid(canary, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "canary status " << st;
  close(canary_fd);
  // 0, or -1 (ESRCH) in a PID namespace where nothing but the init (never signalled by kill(-1))
  // and the sender are: the return value is meaningless, survival is what counts.
  EXPECT_TRUE(r.out == "kill-all: returned 0 and survived\n" ||
              r.out == "kill-all: returned -1 and survived\n")
      << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

// The target stays in pwnbox's process group: kill(0, SIGKILL) kills the target itself (the
// sender is in the group) and not pwnbox, which reports the target's death and then dies of the
// same signal (ExitLikeTarget). That pwnbox lived to the end shows in what it writes last: run's
// --stats file, the trace's "+++ killed by SIGKILL +++", a finished recording.
TEST_P(ReachTest, KillZeroInPwnboxProcessGroupKillsOnlyTheTarget) {
  auto args = SandboxArgs(GetParam());
  const std::string stats = TempDir() + "/stats.json";
  const bool run = GetParam() == "default" || GetParam() == "notify" || GetParam() == "ptrace";
  if (run) args.insert(args.end(), {"--stats", stats});
  args.insert(args.end(), {"--", Prog("sec_reach_attack"), "kill-pgrp"});
  RawResult r = RunPwnbox(args);
  EXPECT_EQ(r.out, "kill-pgrp: same-pgrp=1\n") << r.Describe();
  ASSERT_FALSE(r.timed_out) << r.Describe();
  EXPECT_TRUE(WIFSIGNALED(r.wait_status) && WTERMSIG(r.wait_status) == SIGKILL) << r.Describe();
  if (run) {
    EXPECT_TRUE(Contains(ReadFile(stats), "\"escalated\"")) << "pwnbox did not finish the run";
  } else if (GetParam() == "trace-policy") {
    const std::string trace = ReadFile(args[2]);
    EXPECT_TRUE(Contains(trace, "+++ killed by SIGKILL +++")) << trace;
  } else {
    auto show = Pwnbox({"show", args[2]});
    EXPECT_EQ(show.status, 0) << show.err;
    EXPECT_TRUE(Contains(show.out, "+++ killed by SIGKILL +++")) << show.out;
  }
}

// pwnbox holds a listener in every policy's filter chain: the target cannot install its own
// (and then answer, i.e. hide, the calls pwnbox escalates).
TEST_P(ReachTest, SecondSeccompListenerFailsWithEbusy) {
  RawResult r = Attack("sec_reach_filter", "listener");
  EXPECT_EQ(r.out, "listener: EBUSY\n") << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

// Depends on the built-in guard rule (filters/compile.cc: clone with CLONE_UNTRACED -> EPERM).
// Where every task is traced (path or ptrace rules, trace/record --policy), a child the tracer
// would not see is refused; under run's PID-namespace lifecycle nothing is traced and the
// namespace holds the child (sanitizers clone their tracer thread this way): it runs.
TEST_P(ReachTest, CloneUntracedIsRefusedWhereTasksAreTraced) {
  RawResult r = Attack("sec_reach_filter", "untraced");
  if (GetParam() == "default" || GetParam() == "notify")
    EXPECT_EQ(r.out, "child: 3\nuntraced: child exit=7\n") << r.Describe();  // pid 3 of its namespace
  else
    EXPECT_EQ(r.out, "untraced: EPERM\n") << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

// Depends on the built-in guard rule (clone3 -> ENOSYS; the default policy has it already).
TEST_P(ReachTest, Clone3FailsWithEnosys) {
  RawResult r = Attack("sec_reach_filter", "untraced3");
  EXPECT_EQ(r.out, "untraced3: ENOSYS\n") << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

// The target's controlling terminal is pwnbox's: TIOCSTI would type into it (legacy_tiocsti is
// on here). Depends on the built-in guard rule (ioctl TIOCSTI -> EPERM).
TEST_P(ReachTest, TiocstiOnPwnboxTerminalFailsWithEperm) {
  RawOptions o;
  o.ctty = true;
  RawResult r = Attack("sec_reach_filter", "tiocsti", o);
  EXPECT_EQ(r.out, "tiocsti: EPERM\n") << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Sandboxes, ReachTest,
                         ::testing::Values("default", "notify", "ptrace", "trace-policy",
                                           "record-policy"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// trace-execs.toml reports every execve through the tracer. A filter of the target's returning
// SECCOMP_RET_USER_NOTIF outranks the tracer's SECCOMP_RET_TRACE; with pwnbox's listener in the
// chain it has none, so the exec fails with ENOSYS: it can never run unreported.
class NotifyHideTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NotifyHideTest, UserNotifFilterWithoutListenerNeverHidesAnExec) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/trace-execs.toml";
  WriteFile(policy, ReadFile(SourcePath("policies/trace-execs.toml")) +
                        "\n[options]\nescalate = \"" + GetParam() + "\"\n");
  RawResult r = RunPwnbox({"--policy", policy, "--", Prog("sec_reach_filter"), "notify-exec"});
  EXPECT_EQ(r.out, "notify-exec: ENOSYS\n") << r.Describe();
  EXPECT_FALSE(Contains(r.out, "EXECUTED")) << r.Describe();
  // Only pwnbox's own exec of the program is reported.
  EXPECT_EQ(Grep(r.err, "execve(").size(), 1u) << r.Describe();
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Backends, NotifyHideTest, ::testing::Values("notify", "ptrace"));

// Plain `trace` is a debugger, not a sandbox; still, what it shows is what the target did.
TEST(PlainTrace, ForgedTraceDataDoesNotHideACall) {
  for (std::vector<std::string> sel : {std::vector<std::string>{},
                                       std::vector<std::string>{"-e", "trace=getppid,write"}}) {
    std::vector<std::string> args{"trace"};
    args.insert(args.end(), sel.begin(), sel.end());
    args.insert(args.end(), {"--", Prog("sec_reach_filter"), "forge"});
    RawResult r = RunPwnbox(args);
    EXPECT_EQ(r.out, "forge: ok 0\n") << r.Describe();
    EXPECT_EQ(Grep(r.err, "getppid()").size(), 1u) << r.Describe();
    EXPECT_TRUE(r.Exited(0)) << r.Describe();
  }
}

// Under `trace` a CLONE_UNTRACED child is traced anyway (the flag is cleared at the stop), and
// keeps working: before, it ran untraced and every call the inherited trace filter stops failed
// with ENOSYS.
TEST(PlainTrace, CloneUntracedChildIsTracedAndWorks) {
  for (const std::string mode : {"untraced", "untraced3"}) {
    for (std::vector<std::string> sel :
         {std::vector<std::string>{}, std::vector<std::string>{"-e", "trace=write"}}) {
      std::vector<std::string> args{"trace"};
      args.insert(args.end(), sel.begin(), sel.end());
      args.insert(args.end(), {"--", Prog("sec_reach_filter"), mode});
      RawResult r = RunPwnbox(args);
      auto lines = Lines(r.out);
      ASSERT_EQ(lines.size(), 2u) << r.Describe();
      ASSERT_EQ(lines[0].rfind("child: ", 0), 0u) << r.Describe();
      const std::string child = lines[0].substr(7);
      EXPECT_EQ(lines[1], mode + ": child exit=7") << r.Describe();
      // `[pid  4242] write(1, "child: 4242\n", 12) = 12` (the pid is padded to 5 columns).
      auto writes = Grep(r.err, "] write(1, \"child: " + child + "\\n\"");
      ASSERT_EQ(writes.size(), 1u) << r.Describe();
      EXPECT_EQ(writes[0].rfind("[pid ", 0), 0u) << r.Describe();
      EXPECT_TRUE(Contains(writes[0].substr(0, writes[0].find(']')), " " + child))
          << r.Describe();
      EXPECT_TRUE(r.Exited(0)) << r.Describe();
    }
  }
}

// --stats says what keeps pwnbox out of reach: a Landlock domain on this kernel (ABI 7), and
// no unexpected kernel error on the way.
TEST(Isolation, StatsNameLandlockAndNoKernelError) {
  const std::string stats = TempDir() + "/stats.json";
  RawResult r = RunPwnbox({"--stats", stats, "--", Prog("sec_reach_attack"), "kill-kill"});
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
  const std::string json = ReadFile(stats);
  EXPECT_TRUE(Contains(json, "\"isolation\":\"landlock\"")) << json;
  EXPECT_TRUE(Contains(json, "\"kernel_errors\":0")) << json;
  EXPECT_TRUE(Contains(json, "\"escalated\":0")) << json;
}

// Without Landlock (PWNBOX_NO_LANDLOCK=1, as on kernels before 6.12) the supervisor is made
// non-dumpable: an unprivileged target can no longer ptrace it, but may still signal it, and a
// root target is not stopped at all (docs/security.md).
TEST(Isolation, FallbackNonDumpableStopsPtraceOfAnUnprivilegedTarget) {
  if (geteuid() == 0) GTEST_SKIP() << "a root target is not held by a non-dumpable supervisor";
  const std::string stats = TempDir() + "/stats.json";
  RawOptions o;
  o.env = {"PWNBOX_NO_LANDLOCK=1"};
  RawResult r = RunPwnbox({"--stats", stats, "--", Prog("sec_reach_attack"), "ptrace-seize"}, o);
  EXPECT_TRUE(r.Exited(0)) << r.Describe();
  EXPECT_TRUE(Contains(ReadFile(stats), "\"isolation\":\"nondumpable\"")) << ReadFile(stats);
  EXPECT_EQ(r.out, "ptrace-seize: EPERM\n") << r.Describe();
}

}  // namespace
}  // namespace pwnbox::testing
