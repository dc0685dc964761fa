// When the target dies of a signal, pwnbox dies of the same signal (as strace and sudo do), so a
// shell sees it: loops stop on Ctrl-C and bash prints "Segmentation fault" itself. $? still
// reads 128+N, and pwnbox leaves no core of its own.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// Runs pwnbox with `args` and returns its raw wait status.
int RawStatus(const std::vector<std::string>& args, const std::string& cwd) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(99);
    ExecPwnbox(args);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

class ExitSignal : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(ExitSignal, PwnboxDiesOfTheSignalThatKilledTheTargetWithoutACore) {
  const std::string dir = TempDir();  // a core file would land here
  std::vector<std::string> args = GetParam();
  for (const char* a : {"--", "sh", "-c", "kill -SEGV $$"}) args.push_back(a);
  const int status = RawStatus(args, dir);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  EXPECT_FALSE(WCOREDUMP(status));
}

TEST_P(ExitSignal, ExitStatusOfAnExitingTargetIsUnchanged) {
  std::vector<std::string> args = GetParam();
  for (const char* a : {"--", "sh", "-c", "exit 130"}) args.push_back(a);
  const int status = RawStatus(args, TempDir());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);  // an exit code that looks like a signal is not one
}

TEST_P(ExitSignal, BashReportsTheCrashAndSeesOneHundredThirtyNine) {
  std::string cmd = "'" + PwnboxBin() + "'";
  for (const auto& a : GetParam()) cmd += " '" + a + "'";
  cmd += " -- sh -c 'kill -SEGV $$'; echo status=$?";
  RunOptions opts;
  opts.cwd = TempDir();
  auto r = pwnbox::testing::Run({"bash", "-c", cmd}, opts);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(Contains(r.out, "status=139")) << r.out;
  EXPECT_TRUE(Contains(r.err, "Segmentation fault")) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Commands, ExitSignal,
    ::testing::Values(std::vector<std::string>{"run"},
                      std::vector<std::string>{"trace", "-o", "/dev/null"},
                      std::vector<std::string>{"record", "-o", "rec.pwnr"}),
    [](const auto& info) { return info.param[0]; });

}  // namespace
}  // namespace pwnbox::testing
