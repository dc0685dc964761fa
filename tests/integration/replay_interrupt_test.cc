// Ctrl-C during `pwnbox replay`: the terminal sends SIGINT to the whole foreground process
// group. The replayed program dies of it where the recording shows it going on; that is an
// interruption, not a divergence: pwnbox says so and dies of SIGINT itself (so a shell loop
// stops), as run and trace do. tests/progs/rp_fifo.c opens a FIFO, which the test opens for
// writing at record time; replayed, the open really happens and no writer comes, so it waits
// until the SIGINT.
//
// Signals from outside the program are delivered where the recording has them: the SIGUSR1 the
// test sent to rp_pause while it waited, the timer's SIGALRM and the child's SIGCHLD of
// rp_alarm.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

struct Started {
  pid_t pid = -1;  // pwnbox, leader of its own process group
  int out = -1;    // the target's stdout
};

// Starts pwnbox with `args` in a process group of its own, stdout to a pipe, stderr to `err`.
Started StartInGroup(const std::vector<std::string>& args, const std::string& err) {
  int p[2];
  if (pipe(p) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(p[1], 1);
    FILE* e = fopen(err.c_str(), "w");
    if (e) dup2(fileno(e), 2);
    close(p[0]);
    ExecPwnbox(args);
  }
  close(p[1]);
  setpgid(pid, pid);
  return {pid, p[0]};
}

// The "ready PID" line the target prints; its pid (0 when none came).
pid_t ReadReady(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (line.rfind("ready ", 0) != 0) return 0;
  return static_cast<pid_t>(std::stol(line.substr(6)));
}

TEST(ReplayInterrupt, CtrlCEndsTheReplayAsTheSignalSays) {
  const std::string dir = TempDir();
  const std::string rec = dir + "/fifo.pwnr", err = dir + "/err", fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Started r = StartInGroup({"record", "-o", rec, "--", Prog("rp_fifo"), fifo}, err);
  ASSERT_GT(r.pid, 0);
  ASSERT_GT(ReadReady(r.out), 0) << ReadFile(err);
  int w = open(fifo.c_str(), O_WRONLY);  // waits for the program's open
  ASSERT_GE(w, 0);
  close(w);
  int st = 0;
  ASSERT_EQ(waitpid(r.pid, &st, 0), r.pid);
  close(r.out);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << " " << ReadFile(err);

  Started p = StartInGroup({"replay", rec}, err);
  ASSERT_GT(p.pid, 0);
  ASSERT_GT(ReadReady(p.out), 0) << ReadFile(err);
  // The replayed program now waits in open(), for good: Ctrl-C.
  kill(-p.pid, SIGINT);
  ASSERT_EQ(waitpid(p.pid, &st, 0), p.pid);
  close(p.out);
  const std::string msg = ReadFile(err);
  ASSERT_TRUE(WIFSIGNALED(st)) << "pwnbox exited " << WEXITSTATUS(st) << ": " << msg;
  EXPECT_EQ(WTERMSIG(st), SIGINT);
  EXPECT_TRUE(Contains(msg, "replay interrupted by SIGINT")) << msg;
  EXPECT_FALSE(Contains(msg, "diverged")) << msg;
}

// A SIGUSR1 another process sent while the program waited in sigsuspend is sent again at that
// call: the replay ends as the recording did (before, it waited for good).
TEST(ReplaySignals, AKillFromOutsideIsDeliveredAtTheSameCall) {
  const std::string dir = TempDir();
  const std::string rec = dir + "/pause.pwnr", err = dir + "/err";
  Started r = StartInGroup({"record", "-o", rec, "--", Prog("rp_pause")}, err);
  ASSERT_GT(r.pid, 0);
  pid_t target = ReadReady(r.out);
  ASSERT_GT(target, 0) << ReadFile(err);
  ASSERT_EQ(kill(target, SIGUSR1), 0);
  int st = 0;
  ASSERT_EQ(waitpid(r.pid, &st, 0), r.pid);
  close(r.out);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << " " << ReadFile(err);
  RunOptions bounded;
  bounded.timeout_sec = 30;  // a replay that waits for the signal fails, not hangs
  auto p = Pwnbox({"replay", rec}, bounded);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(Contains(p.out, "ready ")) << p.out;
}

// alarm's SIGALRM and a child's SIGCHLD each come once, at the call the recording has them
// interrupt (the real timer is not armed, the child's real SIGCHLD is dropped).
TEST(ReplaySignals, TimerAndChildSignalsComeOnceWhereRecorded) {
  const std::string rec = TempDir() + "/alarm.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--", Prog("rp_alarm")});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.out, "alarm count=1\nchild count=2\n");
  RunOptions bounded;
  bounded.timeout_sec = 30;
  auto p = Pwnbox({"replay", rec}, bounded);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, r.out) << p.err;
}

}  // namespace
}  // namespace pwnbox::testing
