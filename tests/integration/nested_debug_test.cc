// Nested debugging (issue 13 item 4): under `run`, the target's lifecycle is a PID namespace,
// not ptrace, so programs inside may debug their own children (PTRACE_TRACEME, strace),
// LeakSanitizer works, and a debugger outside may attach (gdb -p). `--lifecycle ptrace` is the
// control: there every task is traced by pwnbox and each of these fails, as before. Also what
// the namespace must not change: /proc/$$ is the caller, the init cannot be signalled from
// inside, leftovers are killed when the main process exits unless --wait-all.
#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

std::string NotifyPolicy() {
  // Escalates one syscall through USER_NOTIF, so the notify loop runs in the namespace too.
  const std::string path = TempDir() + "/notify.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"acct\"]\n"
                  "action = \"errno:EPERM\"\nlog = true\n");
  return path;
}

// Args for: the default profile, a policy served by the notify loop, and the ptrace lifecycle.
std::vector<std::string> Args(const std::string& kind) {
  if (kind == "default") return {};
  if (kind == "notify") return {"--policy", NotifyPolicy()};
  return {"--lifecycle", "ptrace"};
}

class Nested : public ::testing::TestWithParam<std::string> {
 protected:
  bool Free() const { return GetParam() != "ptrace-lifecycle"; }  // ptrace is free inside
};

TEST_P(Nested, ATargetDebugsItsOwnChild) {
  auto args = Args(GetParam());
  args.insert(args.end(), {"--", Prog("nd_traceme")});
  auto r = Pwnbox(args);
  if (Free()) {
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "traced child exited 7\n") << r.err;
  } else {
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "PTRACE_TRACEME: Operation not permitted\n") << r.err;
  }
}

TEST_P(Nested, StraceRunsInside) {
  const std::string log = TempDir() + "/strace.log";
  auto args = Args(GetParam());
  args.insert(args.end(), {"--", "strace", "-f", "-o", log, "sh", "-c", "echo hi"});
  auto r = Pwnbox(args);
  if (Free()) {
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "hi\n");
    const std::string text = ReadFile(log);
    EXPECT_TRUE(Contains(text, "execve(")) << text;
    EXPECT_TRUE(Contains(text, "+++ exited with 0 +++")) << text;
  } else {
    EXPECT_NE(r.status, 0) << r.err;
    EXPECT_TRUE(Contains(r.err, "Operation not permitted")) << r.err;
  }
}

TEST_P(Nested, LeakSanitizerReportsLeaks) {
  auto native = ::pwnbox::testing::Run({Prog("nd_leak")});
  ASSERT_TRUE(Contains(native.err, "ERROR: LeakSanitizer: detected memory leaks")) << native.err;
  auto args = Args(GetParam());
  args.insert(args.end(), {"--", Prog("nd_leak")});
  auto r = Pwnbox(args);
  EXPECT_EQ(r.out, "leaking 77 bytes\n");
  if (Free()) {
    EXPECT_EQ(r.status, native.status) << r.err;
    EXPECT_TRUE(Contains(r.err, "ERROR: LeakSanitizer: detected memory leaks")) << r.err;
    EXPECT_TRUE(Contains(r.err, "77 byte(s) leaked")) << r.err;
  } else {
    EXPECT_TRUE(Contains(r.err, "LeakSanitizer has encountered a fatal error")) << r.err;
  }
}

// The process called `comm`, below `ancestor` in the process tree.
pid_t FindDescendant(pid_t ancestor, const std::string& comm) {
  DIR* d = opendir("/proc");
  pid_t found = -1;
  while (dirent* e = d ? readdir(d) : nullptr) {
    if (!isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    if (ReadFile(dir + "/comm") != comm + "\n") continue;
    pid_t p = static_cast<pid_t>(std::stol(e->d_name));
    for (int depth = 0; p > 1 && p != ancestor && depth < 100; ++depth) {
      const std::string st = ReadFile("/proc/" + std::to_string(p) + "/status");
      const size_t at = st.find("\nPPid:");
      p = at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(st.substr(at + 6)));
    }
    if (p == ancestor) {
      found = static_cast<pid_t>(std::stol(e->d_name));
      break;
    }
  }
  if (d) closedir(d);
  return found;
}

// As `gdb -p`: the test (outside the sandbox, same user) attaches to the running target.
TEST_P(Nested, ADebuggerOutsideAttaches) {
  auto args = Args(GetParam());
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pw = fork();
  if (pw == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<std::string> argv{PwnboxBin()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--", Prog("sig_term_wait")});
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(out[1]);
  char buf[64];
  ASSERT_EQ(read(out[0], buf, 6), 6);
  ASSERT_EQ(std::string(buf, 6), "ready\n");
  const pid_t target = FindDescendant(pw, "sig_term_wait");
  ASSERT_GT(target, 0);
  const long rc = ptrace(PTRACE_SEIZE, target, 0, 0);
  const int err = errno;
  if (Free()) {
    ASSERT_EQ(rc, 0) << strerror(err);
    ASSERT_EQ(ptrace(PTRACE_INTERRUPT, target, 0, 0), 0);
    int st = 0;
    ASSERT_EQ(waitpid(target, &st, __WALL), target);
    EXPECT_TRUE(WIFSTOPPED(st)) << st;
    EXPECT_EQ(ptrace(PTRACE_DETACH, target, 0, 0), 0);
  } else {
    EXPECT_EQ(rc, -1);
    EXPECT_EQ(err, EPERM) << "the target is traced by pwnbox";
  }
  // The target goes on and ends as it chooses on the forwarded SIGTERM.
  ASSERT_EQ(kill(pw, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  ssize_t n = read(out[0], buf, sizeof buf);
  close(out[0]);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3) << st;
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "got TERM\n");
}

std::string Name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Lifecycles, Nested,
                         ::testing::Values("default", "notify", "ptrace-lifecycle"), Name);

// What the namespace must not change for the target.
TEST(PidNamespace, ProcShowsTheCallerAndPdeathsigIsZero) {
  auto r = Pwnbox({"--", "sh", "-c",
                   "test \"$(cut -d' ' -f1 /proc/$$/stat)\" = \"$$\" && echo proc-ok; "
                   "grep -c . /proc/self/status >/dev/null && echo self-ok"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "proc-ok\nself-ok\n");
}

TEST(PidNamespace, TheInitCannotBeKilledFromInside) {
  auto r = Pwnbox({"--", "sh", "-c", "kill -KILL 1 2>/dev/null; kill -TERM 1 2>/dev/null; "
                                     "echo alive"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "alive\n");
}

TEST(PidNamespace, ExitStatusAndSignalOfTheTargetAreReported) {
  EXPECT_EQ(Pwnbox({"--", "sh", "-c", "exit 42"}).status, 42);
  // Dies of SIGSEGV: pwnbox dies of it too (ExitLikeTarget): 128+11.
  EXPECT_EQ(Pwnbox({"--", "sh", "-c", "kill -SEGV $$"}).status, 139);
}

// Path rules are resolved and emulated in pwnbox's mount namespace: `auto` keeps the ptrace
// lifecycle for them (and says why); `--lifecycle namespace` runs them in a PID namespace that
// shares pwnbox's mount namespace (the host's /proc): ptrace is free and the rules still hold.
TEST(PidNamespace, PathRulesUnderLifecycleNamespace) {
  const std::string dir = TempDir();
  WriteFile(dir + "/secret", "s3cret\n");
  WriteFile(dir + "/open", "hello\n");
  const std::string path = dir + "/paths.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"@file\"]\n"
                  "paths = [\"" + dir + "/secret\"]\naction = \"errno:EACCES\"\n");
  RunOptions o;
  o.env = {"PWNBOX_DEBUG_ISOLATION=1"};
  auto ns = Pwnbox({"--lifecycle", "namespace", "--policy", path, "--", "sh", "-c",
                    Prog("nd_traceme") + "; cat " + dir + "/open; cat " + dir +
                        "/secret 2>/dev/null || echo denied; "
                        "test -r /proc/self/status && echo self-ok"},
                   o);
  EXPECT_EQ(ns.status, 0) << ns.err;
  EXPECT_EQ(ns.out, "traced child exited 7\nhello\ndenied\nself-ok\n") << ns.err;
  EXPECT_TRUE(Contains(ns.err, "pwnbox: lifecycle namespace\n")) << ns.err;
  // auto: the ptrace lifecycle, and it says why.
  auto au = Pwnbox({"--policy", path, "--", "sh", "-c",
                    "cat " + dir + "/secret 2>/dev/null || echo denied"},
                   o);
  EXPECT_EQ(au.status, 0) << au.err;
  EXPECT_EQ(au.out, "denied\n");
  EXPECT_TRUE(Contains(au.err, "pwnbox: lifecycle ptrace: the policy has path rules (" + path +
                                   ":4:1)"))
      << au.err;
}

// When the kernel refuses the namespaces (a container runtime's seccomp profile around pwnbox):
// at the clone, or at the init's mount of /proc. `auto` falls back to ptrace and says why;
// `--lifecycle namespace` fails with the reason.
TEST(PidNamespace, FallsBackToPtraceWhenTheKernelRefuses) {
  for (const char* what : {"clone", "mount"}) {
    RunOptions o;
    o.env = {"PWNBOX_DEBUG_ISOLATION=1"};
    auto r = ::pwnbox::testing::Run(
        {Prog("nd_deny_ns"), what, PwnboxBin(), "--", Prog("nd_traceme")}, o);
    EXPECT_EQ(r.status, 1) << what << ": " << r.out << r.err;
    EXPECT_EQ(r.out, "PTRACE_TRACEME: Operation not permitted\n") << what;
    EXPECT_TRUE(Contains(r.err, "pwnbox: lifecycle ptrace: cannot start the target in a PID "
                                "namespace: "))
        << what << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, std::string(what) == "clone" ? "clone(CLONE_NEWPID"
                                                              : "setting up the namespace"))
        << r.err;
    auto strict = ::pwnbox::testing::Run(
        {Prog("nd_deny_ns"), what, PwnboxBin(), "--lifecycle", "namespace", "--", "true"});
    EXPECT_EQ(strict.status, 125) << what;
    EXPECT_TRUE(Contains(strict.err, "Operation not permitted")) << strict.err;
  }
}

// --wait-all: pwnbox waits for the background process (it holds stdin); by default it ends with
// the main process and kills it (stdout reaches EOF without its line).
TEST(PidNamespace, WaitAllWaitsForTheWholeTree) {
  for (bool wait_all : {true, false}) {
    int in[2], out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    pid_t pw = fork();
    if (pw == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      std::string bin = PwnboxBin();
      std::vector<const char*> argv{bin.c_str()};
      if (wait_all) argv.push_back("--wait-all");
      for (const char* a : {"--", "sh", "-c", "exec 3<&0; (read x <&3; echo bg-done) & echo main-done"})
        argv.push_back(a);
      argv.push_back(nullptr);
      execv(argv[0], const_cast<char**>(argv.data()));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    std::string got;
    char buf[64];
    while (got.find("main-done\n") == std::string::npos) {
      ssize_t n = read(out[0], buf, sizeof buf);
      ASSERT_GT(n, 0) << got;
      got.append(buf, static_cast<size_t>(n));
    }
    if (wait_all) {
      ASSERT_EQ(write(in[1], "x\n", 2), 2);  // the background reads it and prints
    }
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    close(in[1]);
    close(out[0]);
    int st = 0;
    ASSERT_EQ(waitpid(pw, &st, 0), pw);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
    EXPECT_EQ(got, wait_all ? "main-done\nbg-done\n" : "main-done\n") << "wait_all " << wait_all;
  }
}

}  // namespace
}  // namespace pwnbox::testing
