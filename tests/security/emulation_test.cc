// Emulated calls act exactly as the target (issue 12, classes 3 and 6): its real ids for
// access(), its umask, its supplementary groups and capabilities when it dropped them under a
// root pwnbox, and never through a symlink swapped into a checked path. And the verdicts both
// backends carry out the same way: a trap in a non-leader thread runs that thread's SIGSYS
// handler and leaves the syscall number as the result, as the kernel's own trap does.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class EmulationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    chmod(dir_.c_str(), 0777);
    outside_ = TempDir();
    policy_ = dir_ + "/policy.toml";
    // Every file call is decided on its path (the rule's paths never match below dir_): all
    // of them are emulated under notify.
    WritePolicy("");
  }
  void WritePolicy(const std::string& extra) {
    WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                           "\"\n\n[[rule]]\nsyscalls = [\"@file\"]\npaths = [\"" + outside_ +
                           "\", \"" + outside_ + "/**\"]\naction = \"errno:EACCES\"\n" + extra);
  }
  RunResult Run(std::vector<std::string> ops) {
    std::vector<std::string> args{"run", "--policy", policy_, "--", Prog("sec_emu")};
    args.insert(args.end(), ops.begin(), ops.end());
    RunOptions o;
    o.cwd = dir_;
    return Pwnbox(args, o);
  }
  std::string dir_, outside_, policy_;
};

bool Root() { return geteuid() == 0; }

// access() checks the real ids: a target that dropped to nobody gets EACCES on a root-only
// file (the supervisor's own real uid is 0: checking with it gave 0).
TEST_P(EmulationTest, AccessUsesTheTargetsRealIds) {
  if (!Root()) GTEST_SKIP() << "needs root (a target that drops to nobody)";
  const std::string f = dir_ + "/rootonly";
  WriteFile(f, "root\n");
  chmod(f.c_str(), 0600);
  auto r = Run({"access", f, "drop", "65534", "65534", "access", f, "open", f});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "access=0\ndrop=0\naccess=-1 EACCES\nopen=-1 EACCES\n") << r.err;
}

// Files are created with the target's umask, not pwnbox's (022 in the tests).
TEST_P(EmulationTest, CreatedFilesGetTheTargetsUmask) {
  auto r = Run({"umask", "027", "creat", dir_ + "/new", "umask", "0", "creat", dir_ + "/new0"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "umask=0\ncreat=0640\numask=0\ncreat=0666\n") << r.err;
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// A root pwnbox whose target dropped its supplementary groups does not read, for it, a file
// only those groups may read; with the group kept, it may.
TEST_P(EmulationTest, DroppedGroupsCannotReadAGroupFile) {
  if (!Root()) GTEST_SKIP() << "needs root (a target that changes its groups)";
  const std::string f = dir_ + "/groupfile";
  WriteFile(f, "group\n");
  ASSERT_EQ(chown(f.c_str(), 1234, 0), 0);
  chmod(f.c_str(), 0040);
  auto r = Run({"drop", "5555", "5555", "open", f});
  EXPECT_EQ(r.out, "drop=0\nopen=-1 EACCES\n") << r.err;
  r = Run({"drop", "5555", "5555", "0", "open", f});
  EXPECT_EQ(r.out, "drop=0\nopen=group\n") << r.err;
}

// mknod of a device needs CAP_MKNOD in the target, not in pwnbox.
TEST_P(EmulationTest, MknodOfADeviceWithoutCapMknodFails) {
  auto r = Run({"nocap", "27", "mknod", dir_ + "/null"});
  EXPECT_EQ(r.out, "nocap=0\nmknod=-1 EPERM\n") << r.err;
  struct stat st;
  EXPECT_NE(lstat((dir_ + "/null").c_str(), &st), 0);
}

// A trap decided by the supervisor (log = true escalates the rule) signals the calling thread
// and leaves the syscall number as the result, with the siginfo of the kernel's SECCOMP_RET_TRAP
// (SYS_SECCOMP, si_syscall); the kernel's own trap (no log) is the reference.
TEST_P(EmulationTest, TrapInANonLeaderThreadRunsItsHandler) {
  const std::string expected = "trap=handler_in_caller=1 rax=nr ret=nr siginfo=seccomp\n";
  for (const char* log : {"false", "true"}) {
    WritePolicy(std::string("\n[[rule]]\nsyscalls = [\"getppid\"]\naction = \"trap\"\nlog = ") +
                log + "\n");
    for (int i = 0; i < 20; ++i) {
      auto r = Run({"trap"});
      ASSERT_EQ(r.status, 0) << "log = " << log << "\n" << r.err;
      ASSERT_EQ(r.out, expected) << "log = " << log << ", run " << i << "\n" << r.err;
    }
  }
}

// i386 calls (int 0x80) under a path rule are emulated too (struct stat64 converted), never let
// through to the kernel, which would read the path again after the check. (stat64 is named:
// the @file group lists x86_64 names.)
TEST_P(EmulationTest, I386CallsAreEmulated) {
  WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n"
                     "escalate = \"" + GetParam() + "\"\n\n[[rule]]\nsyscalls = [\"@file\", \"stat64\"]\n"
                     "paths = [\"" + outside_ + "/**\"]\naction = \"errno:EACCES\"\n");
  WriteFile(dir_ + "/f", "i386 file\n");
  chmod((dir_ + "/f").c_str(), 0640);
  WriteFile(outside_ + "/g", "denied\n");
  std::vector<std::string> args{"run", "--policy", policy_, "--", Prog("sec_emu_i386"),
                                "open", dir_ + "/f", "stat64", dir_ + "/f", "access", dir_ + "/f",
                                "mkdir", dir_ + "/sub", "rmdir", dir_ + "/sub", "open",
                                outside_ + "/g", "stat64", outside_ + "/g", "open", dir_ + "/big"};
  // Over 2 GiB: an i386 open without O_LARGEFILE fails with EOVERFLOW, as in the kernel.
  ASSERT_EQ(truncate((WriteFile(dir_ + "/big", ""), dir_ + "/big").c_str(), 3ll << 30), 0);
  auto r = Pwnbox(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "open=i386 file\nstat64=10 640\naccess=0\nmkdir=0\nrmdir=0\n"
                   "open=-1 EACCES\nstat64=-1 EACCES\nopen=-1 EOVERFLOW\n") << r.err;
  // A 64-bit open of it works (force_o_largefile).
  r = Run({"open", dir_ + "/big"});
  EXPECT_EQ(r.out, "open=\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, EmulationTest, ::testing::Values("notify", "ptrace"));

// Race: while another process keeps exchanging dir/d (a real directory) with a symlink to
// `outside` (denied), the target creates, chmods, links, renames and unlinks in dir/d. A call
// checked while d was the directory is performed through a parent opened without following
// symlinks, so it fails (ELOOP) if d became the symlink; one checked while d was the symlink is
// denied. `outside` must come out untouched: its one file, with its content and mode.
// Under both backends: path rules go through USER_NOTIF whatever options.escalate says, so the
// supervisor performs these calls under escalate = "ptrace" too (when they were decided at a
// ptrace stop the kernel performed them after the check, and leaked); the test first checks
// that `pwnbox check` still routes the policy's path rules that way.
class PathEmulationTest : public EmulationTest {};

TEST_P(PathEmulationTest, ASymlinkSwappedIntoACheckedPathNeverLeadsOutside) {
  auto check = Pwnbox({"check", policy_});
  ASSERT_EQ(check.status, 0) << check.err;
  ASSERT_TRUE(Contains(check.out, ": notify (paths are emulated race-free"))
      << check.out;
  // As pwnbox's own identity (done in the loop), and, as root, as a target that dropped to
  // another uid (done on a worker thread that took its credentials).
  for (bool drop : {false, true}) {
    if (drop && !Root()) break;
    SCOPED_TRACE(drop ? "target dropped to nobody" : "target as pwnbox");
    ASSERT_EQ(system(("rm -rf " + dir_ + "/d " + dir_ + "/e " + outside_ + "/*").c_str()), 0);
    WriteFile(outside_ + "/a", "keep\n");
    chmod((outside_ + "/a").c_str(), drop ? 0666 : 0600);
    chmod(outside_.c_str(), 0777);
    ASSERT_EQ(mkdir((dir_ + "/d").c_str(), 0777), 0);
    chmod((dir_ + "/d").c_str(), 0777);
    ASSERT_EQ(symlink(outside_.c_str(), (dir_ + "/e").c_str()), 0);
    std::atomic<bool> stop{false};
    std::atomic<long> swaps{0};
    std::thread swapper([&] {
      const std::string d = dir_ + "/d", e = dir_ + "/e";
      while (!stop.load()) {
        if (renameat2(AT_FDCWD, d.c_str(), AT_FDCWD, e.c_str(), RENAME_EXCHANGE) == 0) ++swaps;
      }
    });
    std::vector<std::string> ops{"race", dir_, "3000"};
    if (drop) ops.insert(ops.begin(), {"drop", "65534", "65534"});
    auto r = Run(ops);
    stop = true;
    swapper.join();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, std::string(drop ? "drop=0\n" : "") + "race=done\n") << r.err;
    EXPECT_GT(swaps.load(), 100);
    // Nothing happened outside.
    struct stat st;
    ASSERT_EQ(stat((outside_ + "/a").c_str(), &st), 0) << "outside/a was unlinked or renamed";
    EXPECT_EQ(st.st_mode & 07777, drop ? 0666u : 0600u) << "outside/a was chmodded";
    EXPECT_EQ(st.st_nlink, 1u) << "outside/a was linked";
    EXPECT_EQ(ReadFile(outside_ + "/a"), "keep\n") << "outside/a was truncated";
    for (const char* name : {"/l", "/m"})
      EXPECT_NE(lstat((outside_ + name).c_str(), &st), 0) << outside_ << name << " was created";
  }
}

// An i386 open under a redirect rule is performed by the supervisor on `to` (it used to fail
// with ENOSYS: i386 calls were not emulated).
TEST_P(PathEmulationTest, I386OpenIsRedirected) {
  WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nabi = [\"x86_64\", \"i386\"]\n"
                     "escalate = \"" + GetParam() + "\"\n\n[[rule]]\nsyscalls = [\"open\"]\n"
                     "paths = [\"" + dir_ + "/red\"]\naction = \"redirect\"\nto = \"" + dir_ +
                     "/f\"\n");
  WriteFile(dir_ + "/f", "redirected\n");
  auto r = Pwnbox({"run", "--policy", policy_, "--", Prog("sec_emu_i386"), "open", dir_ + "/red"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "open=redirected\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, PathEmulationTest, ::testing::Values("notify", "ptrace"));

}  // namespace
}  // namespace pwnbox::testing
