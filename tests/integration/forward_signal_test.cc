// SIGTERM (and SIGHUP) sent to pwnbox are passed on to the target, which decides how to end;
// pwnbox reports that end, in `run`, `trace` and `record` alike (a recording is finished, not cut).
// The target may also handle the signal and carry on: pwnbox then carries on with it.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class ForwardSignal : public ::testing::TestWithParam<std::string> {};

TEST_P(ForwardSignal, SigtermReachesTheTargetWhichEndsAsItChooses) {
  const std::string dir = TempDir();
  const std::string mode = GetParam();
  std::vector<std::string> args;
  if (mode == "trace") args = {"trace", "-o", dir + "/trace.txt"};
  if (mode == "record") args = {"record", "-o", dir + "/run.pwnr"};
  // The target says it is ready once its handler is in place, then waits in pause(): only the
  // forwarded SIGTERM ends it. (Not a shell: dash defers a trap until a blocking `read` ends.)
  args.push_back("--");
  args.push_back(Prog("sig_term_wait"));
  int out[2], in[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(in), 0);
  pid_t pw = fork();
  if (pw == 0) {
    dup2(out[1], 1);
    dup2(in[0], 0);
    close(out[0]);
    close(in[1]);
    ExecPwnbox(args);
  }
  close(out[1]);
  close(in[0]);
  char buf[64];
  ASSERT_EQ(read(out[0], buf, 6), 6);
  ASSERT_EQ(std::string(buf, 6), "ready\n");
  ASSERT_EQ(kill(pw, SIGTERM), 0);
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  ssize_t n = read(out[0], buf, sizeof buf);
  close(out[0]);
  close(in[1]);
  ASSERT_TRUE(WIFEXITED(st)) << "pwnbox was killed by signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 3);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "got TERM\n");
  if (mode == "record") {
    auto show = Pwnbox({"show", dir + "/run.pwnr"});
    EXPECT_EQ(show.status, 0) << show.err;
    EXPECT_TRUE(Contains(show.out, "+++ exited with 3 +++")) << show.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Commands, ForwardSignal, ::testing::Values("run", "trace", "record"));

// The target decides: one that handles SIGTERM and carries on keeps running, and pwnbox with
// it (pwnbox neither dies of the SIGTERM nor ends the run); a SIGHUP it ends on ends the run
// with its status. `run` under each of its loops: the default profile (decided in the kernel,
// the tracer only follows), a policy served through USER_NOTIF, one served at ptrace stops;
// and trace, trace --policy, record.
class TargetDecides : public ::testing::TestWithParam<std::string> {};

std::string Policy(const std::string& dir, const std::string& escalate) {
  const std::string path = dir + "/" + escalate + ".toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + escalate +
                      "\"\n[[rule]]\nsyscalls = [\"getuid\"]\naction = \"return\"\nvalue = 7\n");
  return path;
}

TEST_P(TargetDecides, SigtermHandledAndSighupEndTheRunAsTheTargetChooses) {
  const std::string dir = TempDir();
  const std::string mode = GetParam();
  std::vector<std::string> args;
  if (mode == "run-notify") args = {"run", "--policy", Policy(dir, "notify")};
  if (mode == "run-ptrace") args = {"run", "--policy", Policy(dir, "ptrace")};
  if (mode == "trace") args = {"trace", "-o", dir + "/trace.txt"};
  if (mode == "trace-policy")
    args = {"trace", "-o", dir + "/trace.txt", "--policy", Policy(dir, "notify")};
  if (mode == "record") args = {"record", "-o", dir + "/run.pwnr"};
  args.push_back("--");
  args.push_back(Prog("po_sig_decide"));
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pw = fork();
  if (pw == 0) {
    dup2(out[1], 1);
    close(out[0]);
    ExecPwnbox(args);
  }
  close(out[1]);
  // A line of the target's output, or "(nothing)" after 30 s: a signal that was not passed on
  // fails the test instead of hanging it.
  auto read_line = [&] {
    std::string line;
    char c;
    pollfd p{out[0], POLLIN, 0};
    while (poll(&p, 1, 30000) == 1 && read(out[0], &c, 1) == 1 && c != '\n') line += c;
    return p.revents ? line : "(nothing)";
  };
  struct Reaper {  // on an early return: pwnbox (and, through it, the target) is killed
    pid_t pid;
    bool reaped = false;
    ~Reaper() {
      if (reaped) return;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{pw};
  ASSERT_EQ(read_line(), "ready");
  ASSERT_EQ(kill(pw, SIGTERM), 0);
  EXPECT_EQ(read_line(), "got TERM");
  // pwnbox is still there: had it died of the SIGTERM, it (and the target, by PDEATHSIG or
  // EXITKILL) would be gone and the SIGHUP below would never print.
  ASSERT_EQ(kill(pw, SIGHUP), 0);
  EXPECT_EQ(read_line(), "got HUP");
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  reaper.reaped = true;
  close(out[0]);
  ASSERT_TRUE(WIFEXITED(st)) << "pwnbox was killed by signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 4);
  if (mode == "record") {
    auto show = Pwnbox({"show", dir + "/run.pwnr"});
    EXPECT_EQ(show.status, 0) << show.err;
    EXPECT_TRUE(Contains(show.out, "--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER")) << show.out;
    EXPECT_TRUE(Contains(show.out, "+++ exited with 4 +++")) << show.out;
  }
  if (mode == "trace" || mode == "trace-policy") {
    const std::string trace = ReadFile(dir + "/trace.txt");
    EXPECT_TRUE(Contains(trace, "--- SIGHUP {si_signo=SIGHUP, si_code=SI_USER")) << trace;
    EXPECT_TRUE(Contains(trace, "+++ exited with 4 +++")) << trace;
  }
}

INSTANTIATE_TEST_SUITE_P(Commands, TargetDecides,
                         ::testing::Values("run", "run-notify", "run-ptrace", "trace",
                                           "trace-policy", "record"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace pwnbox::testing
