// Replay feeds recorded ids back (getpid, gettid), so calls that name processes hold recorded
// pids: replay maps them to the live tasks of the replayed program, and never signals a
// process outside it (it would be whatever process has that pid now). The canary is a process
// outside: it writes 'U' per SIGUSR1 and 'E' on SIGUSR2 (sent by the test as an end marker;
// sigwaitinfo takes the lower-numbered pending signal first).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

struct Canary {
  pid_t pid = -1;
  int out = -1;
  Canary() {
    int p[2];
    if (pipe(p) != 0) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigset_t old;
    sigprocmask(SIG_BLOCK, &set, &old);
    pid = fork();
    if (pid == 0) {
      close(p[0]);
      while (true) {
        int sig = sigwaitinfo(&set, nullptr);
        char c = sig == SIGUSR1 ? 'U' : 'E';
        if (write(p[1], &c, 1) != 1) _exit(1);
      }
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    close(p[1]);
    out = p[0];
  }
  ~Canary() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }
  // What it received since the last call: the letters up to the end marker.
  std::string Received() {
    kill(pid, SIGUSR2);
    std::string got;
    char c;
    while (read(out, &c, 1) == 1 && c != 'E') got += c;
    return got;
  }
};

TEST(ReplaySafety, APidOutsideTheReplayedProgramIsNotSignalled) {
  Canary canary;
  ASSERT_GT(canary.pid, 0);
  const std::string rec = TempDir() + "/kill.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--", "sh", "-c",
                   "kill -USR1 " + std::to_string(canary.pid) + " && echo sent"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "sent\n");
  EXPECT_EQ(canary.Received(), "U");  // the recorded run did signal it
  auto rp = Pwnbox({"replay", rec});
  EXPECT_EQ(rp.status, 0) << rp.err;
  EXPECT_EQ(rp.out, "sent\n");  // kill returned what it returned at record time
  EXPECT_EQ(canary.Received(), "") << "the replay signalled a process outside it";
}

// raise() in the replayed program reaches the program itself (its recorded pid and tid are
// rewritten to the live ones): the handler runs as at record time.
TEST(ReplaySafety, RaiseReachesTheReplayedProgram) {
  const std::string rec = TempDir() + "/raise.pwnr";
  const std::string script = "trap 'echo got USR1' USR1; kill -USR1 $$; echo after";
  auto r = Pwnbox({"record", "-o", rec, "--", "sh", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out, "got USR1\nafter\n");
  auto rp = Pwnbox({"replay", rec});
  EXPECT_EQ(rp.status, 0) << rp.err;
  EXPECT_EQ(rp.out, "got USR1\nafter\n") << rp.err;
}

// Every call that names a process by the id getpid() returned (fed back: the recorded pid)
// reaches the replayed process itself: prlimit64, sched_getaffinity, getpriority, getpgid,
// getsid, kcmp, process_vm_readv, wait4 (tests/progs/rp_pids.c). Before, they failed with
// ESRCH, or reached whatever process had the recorded pid now.
TEST(ReplaySafety, CallsNamingTheReplayedProcessReachIt) {
  const std::string rec = TempDir() + "/pids.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--", Prog("rp_pids")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "prlimit=ok\nsched_getaffinity=ok\ngetpriority=ok\ngetpgid=ok\ngetsid=ok\nkcmp=ok\n"
            "process_vm_readv=ok\nwait4=ok\nchild=3\n");
  auto rp = Pwnbox({"replay", rec});
  EXPECT_EQ(rp.status, 0) << rp.err;
  EXPECT_EQ(rp.out, r.out) << rp.err;
}

// Paths under /proc/PID/ built from the fed-back pid name the replayed process itself
// (tests/progs/rp_procpid.c): they are rewritten to its live pid. Before, the opens failed (or
// opened whatever process had the recorded pid) and the replay diverged.
TEST(ReplaySafety, ProcPidPathsNameTheReplayedProcess) {
  const std::string rec = TempDir() + "/procpid.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--", Prog("rp_procpid")});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out, "status=ok\ntask=ok\n");
  auto rp = Pwnbox({"replay", rec});
  EXPECT_EQ(rp.status, 0) << rp.err;
  EXPECT_EQ(rp.out, r.out) << rp.err;
}

}  // namespace
}  // namespace pwnbox::testing
