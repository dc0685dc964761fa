// SIGTERM (and SIGHUP) sent to pwnbox are passed on to the target, which decides how to end;
// pwnbox reports that end, in `run`, `trace` and `record` alike (a recording is finished, not cut).
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
    std::vector<char*> argv;
    std::string bin = PwnboxBin();
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
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

}  // namespace
}  // namespace pwnbox::testing
