// Policies enforced on real programs without the supervisor: a forked child sets NO_NEW_PRIVS,
// installs the compiled filter and execs a helper (tests/progs/pol_try) or a real tool. Covers the
// ABI checks (int 0x80, x32), the io_uring guard, conditions by argument name, the default and
// Docker profiles on ls/sh/python3, and `--format c` programs compiled with cc and run.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "config/policy.h"
#include "filters/filters.h"
#include "filters/oci.h"
#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Prog;

struct Ran {
  int status = -1;  // exit code, 128+N when killed by signal N
  std::string out;
};

// Runs argv with `prog` installed (in the child, before execve).
Ran RunFiltered(const filters::Program& prog, const std::vector<std::string>& argv) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    sock_fprog fp{static_cast<unsigned short>(prog.bpf.size()), const_cast<sock_filter*>(prog.bpf.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(120);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(121);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  Ran r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) r.out.append(buf, n);
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

filters::Program CompileToml(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "test.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  auto prog = filters::Compile(*p);
  EXPECT_TRUE(prog.ok()) << prog.error().message();
  return prog.ok() ? std::move(prog).value() : filters::Program{};
}

TEST(Policy, Int80IsKilledUnlessI386IsListed) {
  filters::Program x64 = CompileToml("default = \"allow\"\n");
  Ran r = RunFiltered(x64, {Prog("pol_try"), "--int80", "20"});
  EXPECT_EQ(r.status, 159) << r.out;
  EXPECT_EQ(r.out, "");
  filters::Program both = CompileToml("default = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n");
  r = RunFiltered(both, {Prog("pol_try"), "--int80", "20"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("ret=", 0), 0u) << r.out;
  // i386 rules by name: getppid is 64 there.
  filters::Program deny = CompileToml(
      "default = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n"
      "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EACCES\"\n");
  r = RunFiltered(deny, {Prog("pol_try"), "--int80", "64"});
  EXPECT_EQ(r.out, "err=EACCES\n");
}

TEST(Policy, X32IsKilledUnlessListed) {
  filters::Program x64 = CompileToml("default = \"allow\"\n");
  Ran r = RunFiltered(x64, {Prog("pol_try"), "--x32", "39"});
  EXPECT_EQ(r.status, 159) << r.out;
  filters::Program x32 = CompileToml("default = \"allow\"\n[options]\nabi = [\"x86_64\", \"x32\"]\n");
  r = RunFiltered(x32, {Prog("pol_try"), "--x32", "39"});
  EXPECT_EQ(r.status, 0);  // the filter lets it through; this kernel may lack x32 (ENOSYS)
  EXPECT_TRUE(r.out.rfind("ret=", 0) == 0 || r.out == "err=ENOSYS\n") << r.out;
}

TEST(Policy, IoUringDeniedUnlessEnabled) {
  Ran r = RunFiltered(CompileToml("default = \"allow\"\n"), {Prog("pol_try"), "io_uring_setup", "1", "0"});
  EXPECT_EQ(r.out, "err=ENOSYS\n");
  r = RunFiltered(CompileToml("default = \"allow\"\n[options]\nio_uring = true\n"),
                  {Prog("pol_try"), "io_uring_setup", "1", "0"});
  EXPECT_EQ(r.out, "err=EFAULT\n");  // allowed: the kernel rejects the NULL params pointer
}

TEST(Policy, ConditionsByIndexAndByName) {
  filters::Program prog = CompileToml(R"(
default = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET", "type & SOCK_STREAM|SOCK_DGRAM == SOCK_DGRAM"]
action = "errno:EACCES"
[[rule]]
syscalls = ["socket"]
args = ["arg0 == AF_INET"]
action = "errno:ENOENT"
[[rule]]
syscalls = ["dup"]
args = ["oldfd >= 1000"]
action = "errno:EMFILE"
)");
  EXPECT_EQ(RunFiltered(prog, {Prog("pol_try"), "socket", "2", "2", "0"}).out, "err=EACCES\n");
  EXPECT_EQ(RunFiltered(prog, {Prog("pol_try"), "socket", "2", "1", "0"}).out, "err=ENOENT\n");
  EXPECT_EQ(RunFiltered(prog, {Prog("pol_try"), "socket", "1", "1", "0"}).out.rfind("ret=", 0), 0u);
  EXPECT_EQ(RunFiltered(prog, {Prog("pol_try"), "dup", "999"}).out, "err=EBADF\n");
  EXPECT_EQ(RunFiltered(prog, {Prog("pol_try"), "dup", "1000"}).out, "err=EMFILE\n");
}

TEST(Policy, DefaultProfileRunsRealPrograms) {
  auto p = config::BuiltinPolicy("default");
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto prog = filters::Compile(*p);
  ASSERT_TRUE(prog.ok());
  Ran r = RunFiltered(*prog, {"sh", "-c", "ls / >/dev/null && echo ok"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "ok\n");
  r = RunFiltered(*prog, {"python3", "-c", "import os, subprocess; print(subprocess.check_output(['echo', 'hi']).decode().strip())"});
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "mount", "0", "0", "0"}).out, "err=EPERM\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "unshare", "0x10000000"}).out, "err=EPERM\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "unshare", "0x200"}).out, "ret=0\n");  // CLONE_FS
}

TEST(Policy, DockerDefaultProfileRunsRealPrograms) {
  std::string json = testing::ReadFile(testing::SharedPath("fixtures/docker-default-seccomp.json"));
  ASSERT_FALSE(json.empty());
  auto p = filters::PolicyFromOci(json, "docker.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  // Through TOML and back, as `pwnbox convert` does.
  auto toml = config::LoadPolicyString(config::ToToml(*p), "docker.toml");
  ASSERT_TRUE(toml.ok()) << toml.error().message();
  auto prog = filters::Compile(*toml);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  Ran r = RunFiltered(*prog, {"sh", "-c", "ls /usr >/dev/null && echo ok"});
  EXPECT_EQ(r.out, "ok\n");
  r = RunFiltered(*prog, {"python3", "-c", "import json; print(json.dumps([1]))"});
  EXPECT_EQ(r.out, "[1]\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "mount", "0", "0", "0"}).out, "err=EPERM\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "socket", "40", "1", "0"}).out, "err=EPERM\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "clone3", "0", "0"}).out, "err=ENOSYS\n");
  EXPECT_EQ(RunFiltered(*prog, {Prog("pol_try"), "--int80", "20"}).status, 0);  // Docker allows i386
}

TEST(Policy, ExportedCProgramEnforcesTheSameFilter) {
  auto p = config::LoadPolicyString(R"(
default = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET"]
action = "errno:EACCES"
[[rule]]
syscalls = ["getpriority"]
action = "kill"
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 0
)", "c.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto c = filters::ExportC(*p);
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string dir = testing::TempDir();
  testing::WriteFile(dir + "/sandbox.c", *c);
  auto cc = testing::Run({"cc", "-Wall", "-o", dir + "/sandbox", dir + "/sandbox.c", "-lseccomp"});
  ASSERT_EQ(cc.status, 0) << cc.err;
  auto r = testing::Run({dir + "/sandbox", Prog("pol_try"), "socket", "2", "1", "0"});
  EXPECT_EQ(r.out, "err=EACCES\n") << r.err;
  r = testing::Run({dir + "/sandbox", Prog("pol_try"), "socket", "1", "1", "0"});
  EXPECT_EQ(r.out.rfind("ret=", 0), 0u) << r.err;
  r = testing::Run({dir + "/sandbox", Prog("pol_try"), "getpriority", "0", "0"});
  EXPECT_EQ(r.status, 159);
  r = testing::Run({dir + "/sandbox", Prog("pol_try"), "getuid"});
  EXPECT_EQ(r.out, "err=ENOSYS\n");  // escalated rule: no supervisor in the C program
  r = testing::Run({dir + "/sandbox", "sh", "-c", "echo fine"});
  EXPECT_EQ(r.out, "fine\n");
}

}  // namespace
}  // namespace pwnbox
