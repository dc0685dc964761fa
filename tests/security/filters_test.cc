// Attacks on the compiled filter from inside the sandbox, under both escalation backends:
// 32-bit arguments with junk in the upper half (the kernel reads only the low word), pwnbox's
// guards (TIOCSTI, CLONE_UNTRACED, clone3), and syscalls newer than libseccomp 2.5.4.
// tests/progs/sec_flt_calls.c makes each call with raw syscall().
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class FiltersAttack : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Policy(const std::string& body) {
    std::string path = TempDir() + "/policy.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[options]\nescalate = \"" + GetParam() + "\"\n\n" + body);
    return path;
  }
  RunResult Calls(const std::string& policy, const std::vector<std::string>& ops,
                  const std::string& lifecycle = "auto") {
    std::vector<std::string> argv = {"--policy", policy, "--lifecycle", lifecycle, "--",
                                     Prog("sec_flt_calls")};
    argv.insert(argv.end(), ops.begin(), ops.end());
    return Pwnbox(argv);
  }
};

const char* kDenies = R"(
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_INET"]
action = "errno:EACCES"

[[rule]]
syscalls = ["prctl"]
args = ["option == PR_SET_NAME"]
action = "errno:EPERM"

[[rule]]
syscalls = ["setxattrat", "mseal"]
action = "errno:EPERM"
)";

TEST_P(FiltersAttack, JunkInTheUpperHalfOfA32BitArgumentIsStillDenied) {
  auto r = Calls(Policy(kDenies), {"socket-inet-junk", "socket-inet", "prctl-name-junk", "socket-unix"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"socket-inet-junk:EACCES", "socket-inet:EACCES",
                                                    "prctl-name-junk:EPERM", "socket-unix:ok"}));
  // Control: without the rules the same calls succeed (the kernel ignores the upper half).
  auto c = Calls(Policy(""), {"socket-inet-junk", "prctl-name-junk"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(Lines(c.out), (std::vector<std::string>{"socket-inet-junk:ok", "prctl-name-junk:ok"}));
}

TEST_P(FiltersAttack, GuardsHoldInEveryPolicy) {
  // Even a policy that allows ioctl, clone and clone3 explicitly.
  // CLONE_UNTRACED is refused where tasks are traced (--lifecycle ptrace), and runs in a PID
  // namespace, where nothing is traced.
  const std::string allow =
      Policy("[[rule]]\nsyscalls = [\"ioctl\", \"clone\", \"clone3\"]\naction = \"allow\"\n");
  auto r = Calls(allow, {"tiocsti", "tiocsti-junk", "clone-untraced", "clone3"}, "ptrace");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"tiocsti:EPERM", "tiocsti-junk:EPERM",
                                                    "clone-untraced:EPERM", "clone3:ENOSYS"}));
  auto ns = Calls(allow, {"tiocsti", "tiocsti-junk", "clone-untraced", "clone3"}, "namespace");
  ASSERT_EQ(ns.status, 0) << ns.err;
  EXPECT_EQ(Lines(ns.out), (std::vector<std::string>{"tiocsti:EPERM", "tiocsti-junk:EPERM",
                                                     "clone-untraced:ok", "clone3:ENOSYS"}));
  // Ordinary programs still fork (glibc falls back from clone3 to clone).
  auto sh = Pwnbox({"--policy", Policy(""), "--", "/bin/sh", "-c", "(echo child) | cat; echo parent"});
  EXPECT_EQ(sh.status, 0) << sh.err;
  EXPECT_EQ(sh.out, "child\nparent\n");
}

TEST_P(FiltersAttack, SyscallsNewerThanLibseccompAreEnforced) {
  std::string f = TempDir() + "/f";
  WriteFile(f, "x");
  auto r = Calls(Policy(kDenies), {"mseal", "setxattrat=" + f});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"mseal:EPERM", "setxattrat:EPERM"}));
  auto c = Calls(Policy(""), {"mseal"});
  EXPECT_EQ(Lines(c.out), (std::vector<std::string>{"mseal:ok"}));
}

TEST_P(FiltersAttack, DefaultDenyPoliciesCatchNewSyscalls) {
  // A policy can name a syscall libseccomp 2.5.4 does not know; @memory has mseal.
  std::string path = TempDir() + "/policy.toml";
  WriteFile(path, "version = 1\ndefault = \"errno:EPERM\"\n[options]\nescalate = \"" + GetParam() +
                      "\"\n[[rule]]\nsyscalls = [\"mseal\"]\naction = \"errno:EACCES\"\n"
                      "[[rule]]\nsyscalls = [\"@default\", \"@basic-io\", \"@file\", \"@memory\", \"@process\", "
                      "\"@signal\", \"@desc\"]\naction = \"allow\"\n");
  auto r = Calls(path, {"mseal"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"mseal:EACCES"}));
}

TEST_P(FiltersAttack, I386CallsOfNewSyscallsAndGuardsAreDecidedToo) {
  // With abi i386 listed, int 0x80 reaches the filter's i386 part: libseccomp 2.5.4 cannot put
  // mseal there; pwnbox's prologue does.
  std::string path = TempDir() + "/policy.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                      "\"\nabi = [\"x86_64\", \"i386\"]\n" + kDenies);
  auto r = Calls(path, {"mseal-int80", "tiocsti-int80", "mseal"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out), (std::vector<std::string>{"mseal-int80:EPERM", "tiocsti-int80:EPERM", "mseal:EPERM"}));
  // Control: without the rule the i386 call goes through.
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                      "\"\nabi = [\"x86_64\", \"i386\"]\n");
  auto c = Calls(path, {"mseal-int80"});
  EXPECT_EQ(Lines(c.out), (std::vector<std::string>{"mseal-int80:ok"})) << c.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, FiltersAttack, ::testing::Values("notify", "ptrace"));

}  // namespace
}  // namespace pwnbox::testing
