// `pwnbox run` end to end: every action observed from a real process, under both escalation
// backends (notify and ptrace), as Sandbox2's policy tests run under both monitors.
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class RunTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Writes a policy with options.escalate set to the backend under test.
  std::string Policy(const std::string& body, const std::string& extra_options = "") {
    std::string dir = TempDir();
    std::string path = dir + "/policy.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[options]\nescalate = \"" + GetParam() +
                        "\"\n" + extra_options + "\n" + body);
    return path;
  }
};

TEST_P(RunTest, ReturnAnswersEscalatedCalls) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["getuid", "geteuid"]
action = "return"
value = 4242
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_calls"), "getuid", "geteuid", "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out << r.err;
  EXPECT_EQ(lines[0], "getuid=4242");
  EXPECT_EQ(lines[1], "geteuid=4242");
  EXPECT_EQ(lines[2].rfind("getppid=", 0), 0u);  // not answered by the rule
  EXPECT_FALSE(Contains(lines[2], "4242"));
}

// Decided in the kernel, next to a rule the backend under test answers (getuid): the backend's
// presence (its filter's RET_USER_NOTIF or RET_TRACE) changes none of the kernel's answers.
TEST_P(RunTest, ErrnoAndArgumentConditions) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 4242

[[rule]]
syscalls = ["socket"]
args = ["domain == AF_UNIX"]
action = "allow"

[[rule]]
syscalls = ["socket"]
action = "errno:EACCES"

[[rule]]
syscalls = ["dup"]
action = "errno:13"
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_calls"), "socket-unix", "socket-inet",
                   "dup-bad", "close-bad", "getuid"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out << r.err;
  EXPECT_EQ(lines[4], "getuid=4242");  // the backend answered
  EXPECT_EQ(lines[0].rfind("socket-unix=", 0), 0u);
  EXPECT_NE(lines[0], "socket-unix=-1 EACCES");
  EXPECT_EQ(lines[1], "socket-inet=-1 EACCES");
  EXPECT_EQ(lines[2], "dup-bad=-1 EACCES");
  EXPECT_EQ(lines[3], "close-bad=-1 EBADF");  // allowed: the kernel's own answer
}

TEST_P(RunTest, LogReportsEachMatchingCall) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["uname"]
action = "allow"
log = true
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_calls"), "uname", "uname", "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("uname=0\nuname=0\ngetppid=", 0), 0u) << r.out;
  auto reports = Grep(r.err, "uname(");
  ASSERT_EQ(reports.size(), 2u) << r.err;
  EXPECT_TRUE(Contains(reports[0], "/* pwnbox: allow, rule 1 at " + policy + ":8:1 */"))
      << reports[0];
  // Reported with the result (such rules stop at the tracer under both backends).
  EXPECT_TRUE(Contains(reports[0], "uname({sysname=\"Linux\"")) << reports[0];
  EXPECT_TRUE(Contains(reports[0], "= 0 /*")) << reports[0];
}

TEST_P(RunTest, LogFileOption) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["getuid"]
action = "log"
)");
  std::string log = TempDir() + "/reports.log";
  auto r = Pwnbox({"--policy", policy, "--log", log, "--", Prog("sb_calls"), "getuid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Grep(ReadFile(log), "getuid()").size(), 1u) << ReadFile(log);
}

TEST_P(RunTest, KillEndsTheProcessWithSigsys) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["personality"]
action = "kill"

[[rule]]
syscalls = ["getuid"]
action = "return"
value = 4242
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_calls"), "getuid", "personality", "uname"});
  EXPECT_EQ(r.status, 159) << r.err;  // 128 + SIGSYS
  EXPECT_EQ(r.out, "getuid=4242\n") << r.err;  // answered by the backend, then killed
  // The kill is explained, with the way to find the call.
  ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(Contains(r.err, "killed by SIGSYS")) << r.err;
  EXPECT_TRUE(Contains(r.err, "pwnbox --complain --policy " + policy)) << r.err;
}

// A call of an ABI the policy does not list (int 0x80 here) is killed, with a note saying how
// to find it; --complain lets it run and names the ABI as the reason, once per call.
TEST_P(RunTest, ForeignAbiIsKilledOrComplainedAbout) {
  auto policy = Policy("");
  auto killed = Pwnbox({"--policy", policy, "--", Prog("tr_int80")});
  EXPECT_EQ(killed.status, 159) << killed.err;
  EXPECT_TRUE(Contains(killed.err, "killed by SIGSYS")) << killed.err;
  auto r = Pwnbox({"--complain", "--policy", policy, "--", Prog("tr_int80")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "int80\n");
  auto reports = Grep(r.err, "the policy's abi does not list i386");
  ASSERT_EQ(reports.size(), 2u) << r.err;
  EXPECT_TRUE(Contains(reports[0], "getpid()")) << reports[0];
  EXPECT_TRUE(Contains(reports[1], "write(1, \"int80\\n\", 6)")) << reports[1];
}

TEST_P(RunTest, ComplainDeniesNothingAndReportsOncePerRule) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["dup"]
action = "errno:EPERM"

[[rule]]
syscalls = ["personality"]
action = "kill"
)");
  auto r = Pwnbox({"--policy", policy, "--complain", "--", Prog("sb_calls"), "dup-bad",
                   "dup-bad", "personality", "uname"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "dup-bad=-1 EBADF\ndup-bad=-1 EBADF\npersonality=0\nuname=0\n");
  EXPECT_EQ(Grep(r.err, "dup(").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "--complain, would be errno:EPERM, rule 1").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "--complain, would be kill, rule 2").size(), 1u) << r.err;
}

TEST_P(RunTest, ComplainReportsTheDefaultAction) {
  std::string dir = TempDir();
  std::string path = dir + "/p.toml";
  WriteFile(path, "version = 1\ndefault = \"errno:EPERM\"\n[options]\nescalate = \"" +
                      GetParam() + "\"\n[[rule]]\nsyscalls = [\"@default\"]\naction = \"allow\"\n");
  // Everything not in @default would be denied; python needs more than that.
  auto r = Pwnbox({"--policy", path, "--complain", "--", "python3", "-c", "print(6*7)"});
  if (Contains(r.err, "unknown group")) GTEST_SKIP() << "no @default group";
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "42\n");
  EXPECT_TRUE(Contains(r.err, "the default action */")) << r.err;
}

TEST_P(RunTest, ManyThreadsAllGetTheirAnswers) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 777
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_threads"), "2000", "777"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "wrong=0 total=16000\n");
}

TEST_P(RunTest, PolicyDenyingSendmsgStillStarts) {
  // The listener reaches pwnbox with sendmsg after the filter is installed: the launcher's
  // exception must hold, and must not leak to the target.
  auto policy = Policy(R"(
[[rule]]
syscalls = ["sendmsg", "seccomp"]
action = "errno:EPERM"

[[rule]]
syscalls = ["getuid"]
action = "return"
value = 5
)");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_calls"), "getuid", "sendmsg-bad"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "getuid=5\nsendmsg-bad=-1 EPERM\n") << r.err;
}

TEST_P(RunTest, SignalsInterruptEscalatedCallsAsWithoutPwnbox) {
  auto policy = Policy(R"(
[[rule]]
syscalls = ["read"]
action = "allow"
log = true
)");
  auto native = pwnbox::testing::Run({Prog("sb_calls"), "read-intr"});
  EXPECT_EQ(native.out, "read-intr=-1 EINTR\n");
  auto r = Pwnbox({"--policy", policy, "--log", "/dev/null", "--", Prog("sb_calls"), "read-intr"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, native.out) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, RunTest, ::testing::Values("notify", "ptrace"));

TEST(Run, DefaultProfileRunsRealTools) {
  auto r = Pwnbox({"--", "sh", "-c", "ls / >/dev/null && echo ok | cat"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  r = Pwnbox({"--policy", SourcePath("policies/default.toml"), "--", "python3", "-c",
              "import json; print(json.dumps([1]))"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[1]\n");
}

// Lines "NAME=RESULT" of tests/progs/po_dangerous (or sb_calls) as a map.
std::map<std::string, std::string> Results(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const auto& l : Lines(out)) {
    const size_t eq = l.find('=');
    if (eq != std::string::npos) m[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return m;
}

// The built-in default profile (policies/default.toml) denies its dangerous set with EPERM.
// The BPF filter decides every call of it alone (nothing is escalated), so there is no backend
// to vary. po_dangerous makes each call with arguments the kernel rejects before it checks any
// privilege: run natively, every call fails with its own errno (EINVAL, EBADF, EFAULT, ENOSYS,
// E2BIG...), so the EPERM under pwnbox is the filter's. (Not root, a few calls check privileges
// first and say EPERM natively too: for those only the answer under pwnbox is checked.)
TEST(Run, DefaultProfileDeniesTheDangerousSet) {
  const std::set<std::string> privilege_first = {"move_mount", "fsmount", "fspick", "syslog",
                                                 "swapon", "pivot_root", "reboot", "acct"};
  auto native = Results(pwnbox::testing::Run({Prog("po_dangerous")}).out);
  auto r = Pwnbox({"run", "--", Prog("po_dangerous")});
  EXPECT_EQ(r.status, 0) << r.err;
  auto denied = Results(r.out);
  ASSERT_EQ(native.size(), 36u);
  ASSERT_EQ(denied.size(), native.size()) << r.out;
  for (const auto& [name, result] : denied) {
    SCOPED_TRACE(name);
    EXPECT_EQ(result, "-1 EPERM");
    if (geteuid() == 0 || !privilege_first.count(name)) EXPECT_NE(native[name], "-1 EPERM");
  }
  // What is not in the set gets the kernel's own answer: a plain unshare (no namespace flag),
  // mkdir (ENOENT in /proc), uname.
  r = Pwnbox({"run", "--", Prog("sb_calls"), "mkdir", "uname"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "mkdir=-1 ENOENT\nuname=0\n");
  // A real tool that needs a user namespace is refused as the profile says.
  r = Pwnbox({"--", "unshare", "-U", "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(Contains(r.err, "Operation not permitted")) << r.err;
}

TEST(Run, ExitStatusIsTheTargets) {
  EXPECT_EQ(Pwnbox({"--", "sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(Pwnbox({"--", "sh", "-c", "kill -TERM $$"}).status, 128 + SIGTERM);
}

TEST(Run, OtherAbisAreKilledUnlessListed) {
  auto r = Pwnbox({"--", Prog("sb_calls"), "getppid", "int80-getpid"});
  EXPECT_EQ(r.status, 159) << r.out << r.err;
  r = Pwnbox({"--", Prog("sb_calls"), "x32-getpid"});
  EXPECT_EQ(r.status, 159) << r.out << r.err;
  std::string path = TempDir() + "/i386.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n");
  r = Pwnbox({"--policy", path, "--", Prog("sb_calls"), "int80-getpid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("int80-getpid=", 0), 0u);
  EXPECT_FALSE(Contains(r.out, "-1")) << r.out;
}

TEST(Run, IoUringDeniedUnlessEnabled) {
  auto r = Pwnbox({"--", Prog("sb_calls"), "io_uring_setup"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "io_uring_setup=-1 ENOSYS\n");
  std::string path = TempDir() + "/uring.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nio_uring = true\n");
  r = Pwnbox({"--policy", path, "--", Prog("sb_calls"), "io_uring_setup"});
  EXPECT_EQ(r.out, "io_uring_setup=-1 EFAULT\n");  // reached the kernel: bad params pointer
}

TEST(Run, CommandErrors) {
  auto r = Pwnbox({"--", "/nonexistent/cmd"});
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  std::string dir = TempDir();
  WriteFile(dir + "/noexec", "#!/bin/sh\n");
  chmod((dir + "/noexec").c_str(), 0644);
  r = Pwnbox({"--", dir + "/noexec"});
  EXPECT_EQ(r.status, 126) << r.err;
  r = Pwnbox({"--policy", dir + "/missing.toml", "--", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(Lines(r.err).size() >= 1, true);
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  r = Pwnbox({"run"});
  EXPECT_EQ(r.status, 125);
}

// Ctrl-C: the terminal sends SIGINT to the whole foreground process group, pwnbox and the
// target. The target dies of it; pwnbox (which ignores SIGINT while the target runs) reports
// that and then dies of SIGINT itself, as strace and sudo do, so that a shell loop stops. The
// --stats file, written at the very end, shows that pwnbox was not simply killed by the SIGINT.
TEST(Run, CtrlCReachesTheTarget) {
  const std::string dir = TempDir();
  const std::string stats = dir + "/stats.json";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pw = fork();
  if (pw == 0) {
    setpgid(0, 0);
    dup2(ready[1], 1);
    close(ready[0]);
    std::string bin = PwnboxBin();
    execl(bin.c_str(), bin.c_str(), "--stats", stats.c_str(), "--", "sh", "-c",
          "echo ready; exec sleep 30", nullptr);
    _exit(127);
  }
  close(ready[1]);
  setpgid(pw, pw);
  char buf[16];
  // The target runs (and so pwnbox's handlers are in place) once it printed "ready".
  ASSERT_EQ(read(ready[0], buf, 6), 6);
  ASSERT_EQ(std::string(buf, 6), "ready\n");
  kill(-pw, SIGINT);
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  close(ready[0]);
  ASSERT_TRUE(WIFSIGNALED(st)) << "pwnbox exited " << WEXITSTATUS(st);
  EXPECT_EQ(WTERMSIG(st), SIGINT);
  EXPECT_TRUE(Contains(ReadFile(stats), "\"escalated\"")) << "pwnbox did not finish the run";
}

// Killing pwnbox kills the whole tree, in both lifecycles (a PID namespace, ptrace): see
// tests/security/lifecycle_test.cc (KillPwnboxTest), which waits on pidfds of every process.

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

TEST(TracePolicy, DeniedAndAnsweredCallsShowInTheTrace) {
  std::string path = TempDir() + "/p.toml";
  WriteFile(path, R"(version = 1
default = "allow"

[[rule]]
syscalls = ["getuid"]
action = "return"
value = 4242

[[rule]]
syscalls = ["dup"]
action = "errno:EACCES"
)");
  auto r = Pwnbox({"trace", "-e", "trace=getuid,dup,getppid", "--policy", path, "--",
                   Prog("sb_calls"), "getuid", "dup-bad", "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "getuid=4242");
  EXPECT_EQ(lines[1], "dup-bad=-1 EACCES");
  EXPECT_EQ(Grep(r.err, "getuid()                                = 4242").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "dup(9999)                               = -1 EACCES (Permission denied)")
                .size(),
            1u)
      << r.err;
  EXPECT_EQ(Grep(r.err, "getppid()").size(), 1u) << r.err;
  // Calls neither selected nor touched by the policy do not show.
  EXPECT_EQ(Grep(r.err, "write(").size(), 0u) << r.err;
}

TEST(Modify, ChangesScalarAndStringArgumentsThenTheCallRuns) {
  std::string dir = TempDir();
  WriteFile(dir + "/other", "other file\n");
  std::string path = dir + "/p.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"ptrace\"\n\n"
                  "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"fd == 1\", \"count == 7\"]\n"
                  "action = \"modify\"\nset = { count = 3 }\n\n"
                  "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc/hostname\"]\n"
                  "action = \"redirect\"\nto = \"" + dir + "/other\"\n");
  auto r = Pwnbox({"--policy", path, "--", Prog("sb_calls"), "write7"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "abcwrite7=3\n");
  // A path rule cannot modify (the call would read the path again after the check): redirect
  // is the race-free way to send an open elsewhere.
  r = Pwnbox({"--policy", path, "--", "cat", "/etc/hostname"});
  EXPECT_EQ(r.out, "other file\n") << r.err;
}

TEST(Modify, WorksUnderNotifyPolicies) {
  // modify needs ptrace: its rules stop at the tracer while the others use notifications.
  std::string path = TempDir() + "/p.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"write\"]\n"
                  "args = [\"count == 7\"]\naction = \"modify\"\nset = { count = 2 }\n\n"
                  "[[rule]]\nsyscalls = [\"getuid\"]\naction = \"return\"\nvalue = 9\n");
  auto r = Pwnbox({"--policy", path, "--", Prog("sb_calls"), "write7", "getuid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "abwrite7=2\ngetuid=9\n");
}

TEST(TracePolicy, AttachWithPolicyIsRefused) {
  auto r = Pwnbox({"trace", "--policy", SourcePath("policies/default.toml"), "-p", "1"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
