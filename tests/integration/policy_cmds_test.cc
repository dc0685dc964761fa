// The policy commands of the real pwnbox binary: check, compile (every format; the C output
// compiled with cc and run), convert (OCI <-> TOML round trips, Docker's default profile), groups.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Contains;
using testing::Prog;
using testing::Pwnbox;
using testing::ReadFile;

using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;

const char* kPolicy = R"(version = 1
default = "allow"

[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET"]
action = "errno:EACCES"

[[rule]]
syscalls = ["socket"]
action = "allow"

[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET6"]
action = "kill"

[[rule]]
syscalls = ["@file"]
paths = ["/etc/shadow"]
action = "errno:EACCES"
)";

TEST(Check, ValidPolicyTellsWhereEachRuleRuns) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", kPolicy);
  auto r = Pwnbox({"check", d + "/p.toml"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, d + "/p.toml: valid: 4 rules, default allow, escalate notify, abi x86_64, io_uring denied (ENOSYS)\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 1 (" + d + "/p.toml:4:1) socket [domain == AF_INET] -> errno:EACCES: bpf\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 3 (" + d + "/p.toml:13:1) socket [domain == AF_INET6] -> kill: never reached")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 4 (" + d + "/p.toml:18:1) @file -> errno:EACCES: notify (paths are "
                              "emulated race-free from one read of the arguments): paths\n")) << r.out;
  // pwnbox's guards come first, in every policy.
  EXPECT_TRUE(Contains(r.out, "guard: ioctl [request == TIOCSTI] -> errno:EPERM: bpf")) << r.out;
  EXPECT_TRUE(Contains(r.out, "guard: clone3 -> errno:ENOSYS: bpf")) << r.out;
  EXPECT_TRUE(Contains(r.out, "warning: rule at " + d + "/p.toml:13:1 is never reached: earlier rules without conditions match socket first\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "BPF: ")) << r.out;
}

TEST(Check, InvalidPolicyExits125WithTheLocation) {
  std::string d = TempDir();
  WriteFile(d + "/bad.toml", "default = \"allow\"\n[[rule]]\nsyscalls = [\"opne\"]\naction = \"allow\"\n");
  auto r = Pwnbox({"check", d + "/bad.toml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(r.err, d + "/bad.toml:3:13: unknown syscall \"opne\" (did you mean \"open\"?)\n"
                       "syscalls = [\"opne\"]\n            ^\n"
                       "hint: `pwnbox groups` lists groups; syscall names are as in man 2 syscalls\n"
                       "pwnbox: invalid policy " + d + "/bad.toml: fix the error above (`pwnbox check " + d +
                       "/bad.toml` checks it)\n");
  r = Pwnbox({"check", d + "/missing.toml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(r.err, "pwnbox: cannot read policy " + d + "/missing.toml: No such file or directory\n");
}

TEST(Check, EachRuleSaysWhereItRunsUnderPtrace) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", R"(default = "allow"
[options]
escalate = "ptrace"
[[rule]]
syscalls = ["openat"]
paths = ["/etc/**"]
action = "errno:EACCES"
[[rule]]
syscalls = ["write"]
args = ["fd == 1"]
action = "modify"
set = { count = 1 }
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 0
)");
  auto r = Pwnbox({"check", d + "/p.toml"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "rule 1 (" + d + "/p.toml:4:1) openat -> errno:EACCES: notify (paths are emulated "
                              "race-free from one read of the arguments, whatever options.escalate says): paths\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 2 (" + d + "/p.toml:8:1) write [fd == 1] -> modify arg2=1: ptrace (action "
                              "modify changes the arguments of a call that then runs: only the tracer can): action modify\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 3 (" + d + "/p.toml:13:1) getuid -> return 0: ptrace (options.escalate)"))
      << r.out;
}

TEST(Check, ModifyWithPathsIsRefused) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", "default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc/**\"]\n"
                           "action = \"modify\"\nset = { flags = 0 }\n");
  auto r = Pwnbox({"check", d + "/p.toml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, d + "/p.toml:2:1: a modify rule cannot have paths: the call runs after the change")) << r.err;
  EXPECT_TRUE(Contains(r.err, "hint: use action = \"redirect\"")) << r.err;
}

TEST(Check, AValueWiderThanTheArgumentIsRefused) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", "default = \"allow\"\n[[rule]]\nsyscalls = [\"ioctl\"]\nargs = [\"request == 0x100005412\"]\n"
                           "action = \"errno:EPERM\"\n");
  auto r = Pwnbox({"check", d + "/p.toml"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, d + "/p.toml:2:1: condition \"request == 0x100005412\": arg1 of ioctl is unsigned int (32 bits"))
      << r.err;
}

TEST(Check, ShippedPoliciesAreValid) {
  for (const char* name : {"policies/default", "policies/no-network", "policies/read-only-fs", "policies/strict-stdio",
                           "policies/trace-execs", "examples/hello", "examples/hide-secrets"}) {
    auto r = Pwnbox({"check", SourcePath(std::string(name) + ".toml")});
    EXPECT_EQ(r.status, 0) << name << "\n" << r.err;
    EXPECT_FALSE(Contains(r.out, "warning:")) << name << "\n" << r.out;
  }
}

TEST(Compile, Formats) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", kPolicy);
  auto r = Pwnbox({"compile", d + "/p.toml", "--format", "disasm"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, " 0000: 0x20 0x00 0x00 0x00000004  A = arch\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, " socket) goto ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "return ERRNO(EACCES)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "return USER_NOTIF")) << r.out;

  r = Pwnbox({"compile", d + "/p.toml", "--format", "bpf", "-o", d + "/p.bpf"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string bpf = ReadFile(d + "/p.bpf");
  EXPECT_EQ(bpf.size() % 8, 0u);
  size_t lines = 0;
  for (const auto& l : testing::Lines(Pwnbox({"compile", d + "/p.toml"}).out))
    if (l.size() > 6 && l[5] == ':') ++lines;
  EXPECT_EQ(bpf.size() / 8, lines);

  r = Pwnbox({"compile", d + "/p.toml", "--format", "pfc"});
  EXPECT_TRUE(Contains(r.out, "# pseudo filter code start")) << r.out;

  r = Pwnbox({"compile", d + "/p.toml", "--format", "oci"});
  EXPECT_EQ(r.status, 125);  // the path rule needs the supervisor
  EXPECT_TRUE(Contains(r.err, "needs pwnbox's supervisor (paths): an OCI profile cannot express it")) << r.err;

  r = Pwnbox({"compile", d + "/p.toml", "--format", "elf"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(r.err, "pwnbox: unknown format \"elf\": use bpf, disasm, pfc, oci or c\n");
}

TEST(Compile, CProgramCompilesAndEnforces) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", "default = \"allow\"\n[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain == AF_INET\"]\n"
                           "action = \"errno:EACCES\"\n");
  auto r = Pwnbox({"compile", d + "/p.toml", "--format", "c", "-o", d + "/s.c"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto cc = testing::Run({"cc", "-o", d + "/s", d + "/s.c", "-lseccomp"});
  ASSERT_EQ(cc.status, 0) << cc.err;
  EXPECT_EQ(testing::Run({d + "/s", Prog("pol_try"), "socket", "2", "1", "0"}).out, "err=EACCES\n");
  // AF_INET with junk in the upper half: the kernel reads an int, so does the filter.
  EXPECT_EQ(testing::Run({d + "/s", Prog("pol_try"), "socket", "0x100000002", "1", "0"}).out, "err=EACCES\n");
  EXPECT_EQ(testing::Run({d + "/s", "sh", "-c", "ls / >/dev/null && echo ok"}).out, "ok\n");
  EXPECT_EQ(testing::Run({d + "/s", Prog("pol_try"), "--int80", "20"}).status, 159);
}

TEST(Convert, TomlToOciToTomlRoundTrip) {
  std::string d = TempDir();
  WriteFile(d + "/p.toml", R"(default = "errno:EPERM"
[options]
abi = ["x86_64", "i386"]
[[rule]]
syscalls = ["read", "write", "exit_group", "execve", "brk", "mmap"]
action = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_UNIX", "type & SOCK_CLOEXEC == 0"]
action = "allow"
[[rule]]
syscalls = ["kill"]
action = "kill"
)");
  auto r = Pwnbox({"convert", d + "/p.toml", "-o", d + "/p.json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(ReadFile(d + "/p.json"));
  EXPECT_EQ(j["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(j["defaultErrnoRet"], 1);
  EXPECT_EQ(j["architectures"], nlohmann::json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  r = Pwnbox({"convert", d + "/p.json", "-o", d + "/back.toml"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = Pwnbox({"convert", d + "/back.toml", "-o", d + "/again.json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(ReadFile(d + "/again.json")), j);
  auto a = Pwnbox({"compile", d + "/p.toml", "--format", "bpf", "-o", d + "/a.bpf"});
  auto b = Pwnbox({"compile", d + "/back.toml", "--format", "bpf", "-o", d + "/b.bpf"});
  ASSERT_EQ(a.status, 0);
  ASSERT_EQ(b.status, 0);
  EXPECT_EQ(ReadFile(d + "/a.bpf"), ReadFile(d + "/b.bpf"));
}

TEST(Convert, DockerDefaultProfile) {
  std::string d = TempDir();
  auto r = Pwnbox({"convert", testing::SharedPath("fixtures/docker-default-seccomp.json"), "-o", d + "/docker.toml"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "(reboot) skipped: needs capabilities Docker does not grant by default")) << r.err;
  std::string toml = ReadFile(d + "/docker.toml");
  EXPECT_TRUE(Contains(toml, "abi = [\"x86_64\", \"i386\", \"x32\"]")) << toml;
  r = Pwnbox({"check", d + "/docker.toml"});
  EXPECT_EQ(r.status, 0) << r.err;
  // And the converted profile runs real programs (via the exported C program: no supervisor).
  r = Pwnbox({"compile", d + "/docker.toml", "--format", "c", "-o", d + "/d.c"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(testing::Run({"cc", "-o", d + "/d", d + "/d.c", "-lseccomp"}).status, 0);
  EXPECT_EQ(testing::Run({d + "/d", "python3", "-c", "print(6*7)"}).out, "42\n");
  EXPECT_EQ(testing::Run({d + "/d", "sh", "-c", "ls /usr > /dev/null; echo $?"}).out, "0\n");
  EXPECT_EQ(testing::Run({d + "/d", Prog("pol_try"), "mount", "0", "0", "0"}).out, "err=EPERM\n");
}

TEST(Groups, ListAndMembers) {
  auto r = Pwnbox({"groups"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(Contains(r.out, "@file ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "@network ")) << r.out;
  r = Pwnbox({"groups", "@network"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(Contains(r.out, "\nsocket\n")) << r.out;
  // Syscalls newer than libseccomp 2.5.4 are in their groups.
  r = Pwnbox({"groups", "file"});
  EXPECT_EQ(r.status, 0);
  for (const char* n : {"setxattrat", "getxattrat", "removexattrat", "file_setattr", "open_tree_attr"})
    EXPECT_TRUE(Contains(r.out, std::string("\n") + n + "\n")) << n << "\n" << r.out;
  r = Pwnbox({"groups", "memory"});
  EXPECT_TRUE(Contains(r.out, "\nmseal\n")) << r.out;
  r = Pwnbox({"groups", "nope"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(r.err, "pwnbox: unknown group \"nope\"; `pwnbox groups` lists them\n");
}

}  // namespace
}  // namespace pwnbox
