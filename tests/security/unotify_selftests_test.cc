// The kernel's seccomp user-notification selftests (tools/testing/selftests/seccomp/
// seccomp_bpf.c, user_notification_*) that concern a supervisor, replayed end to end against
// pwnbox's: the target is a real program under `pwnbox run`, pwnbox is the supervisor.
//
//   basic               an escalated call gets the supervisor's answer (return 42), every time
//   kill_in_middle      a target killed while its call is being served ends the run
//   signal              a signal interrupts a call in flight: with SA_RESTART the call is
//                       restarted (a new notification) and answered once; without, EINTR
//   closed_listener     the supervisor dies while a call waits: the target dies with it
//   child_pid_ns        a target in its own pid (and user) namespace: the supervisor finds it by
//                       the pid it sees and serves its path rules
//   fifo_order          many threads' calls in flight at once: each is answered, once
//   continue            an allowed call that rests on no path continues in the kernel
//   addfd_rlimit        ADDFD fails with EMFILE: the call gets EMFILE, the target goes on
//   wait_killable, sync pwnbox sets neither WAIT_KILLABLE_RECV (a non-fatal signal must still
//                       interrupt a FIFO open in flight: `signal`) nor needs SYNC for answers;
//                       fault_recv, sibling pid ns and filter_empty test the supervisor's own
//                       ioctl buffer and a listener in another namespace: not reachable from a
//                       target.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/security/spawn.h"

namespace pwnbox::testing {
namespace {

class UnotifySelftests : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    chmod(dir_.c_str(), 0755);
    WriteFile(dir_ + "/public", "public\n");
    WriteFile(dir_ + "/secret", "secret\n");
    chmod((dir_ + "/public").c_str(), 0644);
    fifo_ = dir_ + "/fifo";
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0666), 0);
    policy_ = dir_ + "/policy.toml";
    WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                           "\"\n\n[[rule]]\nsyscalls = [\"@file\"]\npaths = [\"" + dir_ +
                           "/secret\"]\naction = \"errno:EACCES\"\n");
  }
  std::vector<std::string> Args(std::vector<std::string> cmd) {
    std::vector<std::string> args{"run", "--policy", policy_, "--"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return args;
  }
  RunResult Run(std::vector<std::string> cmd) { return Pwnbox(Args(cmd)); }
  void AddRule(const std::string& rule) {
    WriteFile(policy_, ReadFile(policy_) + "\n[[rule]]\n" + rule);
  }
  std::string dir_, fifo_, policy_;
};

TEST_P(UnotifySelftests, Basic) {
  AddRule("syscalls = [\"getppid\"]\naction = \"return\"\nvalue = 42\n");
  auto r = Run({Prog("sec_ans"), "getppid", "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "getppid=42\ngetppid=42\n") << r.err;
}

TEST_P(UnotifySelftests, ManyCallsInFlight) {
  AddRule("syscalls = [\"getppid\"]\naction = \"return\"\nvalue = 42\n");
  auto r = Run({Prog("sec_ans"), "threads", "32"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "threads=3200\n") << r.err;
}

TEST_P(UnotifySelftests, Continue) {
  AddRule("syscalls = [\"getppid\"]\naction = \"allow\"\nlog = true\n");
  auto r = Run({Prog("sec_ans"), "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out.rfind("getppid=", 0), 0u) << r.out;
  EXPECT_GT(std::stol(r.out.substr(8)), 1) << r.out;  // pwnbox's pid, not an answer
  EXPECT_TRUE(Contains(r.err, "getppid()")) << r.err;
}

TEST_P(UnotifySelftests, AddfdRlimit) {
  auto r = Run({Prog("sec_ans"), "emfile", dir_ + "/public"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "emfile=-1 EMFILE\nafter=0\n") << r.err;
}

TEST_P(UnotifySelftests, KillInMiddle) {
  Spawned s(Args({Prog("sec_ans"), "hang", fifo_}));
  std::string line = s.ReadLine();
  ASSERT_EQ(line.rfind("pid=", 0), 0u) << line;
  ASSERT_EQ(kill(std::stoi(line.substr(4)), SIGKILL), 0);
  EXPECT_EQ(s.Wait(), 128 + SIGKILL);
}

TEST_P(UnotifySelftests, ClosedListener) {
  Spawned s(Args({Prog("sec_ans"), "hang", fifo_}));
  std::string line = s.ReadLine();
  ASSERT_EQ(line.rfind("pid=", 0), 0u) << line;
  const pid_t target = std::stoi(line.substr(4));
  ASSERT_EQ(kill(s.pid(), SIGKILL), 0);
  EXPECT_EQ(s.Wait(), 128 + SIGKILL);
  EXPECT_TRUE(WaitGone(target, 30000)) << "the target outlived its supervisor";
}

// An open restarted after a signal (SA_RESTART) is a new notification; the first one's worker
// is cancelled. Without SA_RESTART the call fails with EINTR (or, when the signal came before
// the call, waits for the writer like any open).
TEST_P(UnotifySelftests, Signal) {
  for (int i = 0; i < 5; ++i) {
    auto r = Run({Prog("sec_ans"), "signal", fifo_, "1"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "signal=fd\nhandled=1 writer=ok\n") << r.err;
    r = Run({Prog("sec_ans"), "signal", fifo_, "0"});
    EXPECT_EQ(r.status, 0) << r.err;
    // (A writer may still find the interrupted open's worker as a reader until the loop has
    // cancelled it: the writer's result is not checked here.)
    EXPECT_TRUE(r.out.rfind("signal=-1 EINTR\nhandled=1 writer=", 0) == 0 ||
                r.out == "signal=fd\nhandled=1 writer=ok\n")
        << r.out << r.err;
  }
}

TEST_P(UnotifySelftests, ChildPidNs) {
  auto r = Run({"unshare", "--user", "--map-root-user", "--pid", "--fork", Prog("sb_paths"),
                "open", dir_ + "/public", "open", dir_ + "/secret", "stat", dir_ + "/public"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "open=public\nopen=-1 EACCES\nstat=7\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Notify, UnotifySelftests, ::testing::Values("notify"));

// The scenarios whose calls the ptrace backend serves too (no path rule involved).
class UnotifySelftestsBoth : public UnotifySelftests {};
TEST_P(UnotifySelftestsBoth, BasicAndKillInMiddle) {
  AddRule("syscalls = [\"getppid\"]\naction = \"return\"\nvalue = 42\n");
  auto r = Run({Prog("sec_ans"), "getppid"});
  EXPECT_EQ(r.out, "getppid=42\n") << r.err;
  Spawned s(Args({Prog("sec_ans"), "hang", fifo_}));
  std::string line = s.ReadLine();
  ASSERT_EQ(line.rfind("pid=", 0), 0u) << line;
  ASSERT_EQ(kill(std::stoi(line.substr(4)), SIGKILL), 0);
  EXPECT_EQ(s.Wait(), 128 + SIGKILL);
}
INSTANTIATE_TEST_SUITE_P(Backends, UnotifySelftestsBoth, ::testing::Values("notify", "ptrace"));

}  // namespace
}  // namespace pwnbox::testing
