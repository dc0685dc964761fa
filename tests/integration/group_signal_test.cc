// A target that signals its own process group (kill(0, SIGUSR1), as shells and servers do)
// reaches pwnbox too, which shares the group. pwnbox must survive it and report the target's
// end: under plain trace and record (no Landlock domain) and under run without Landlock
// (PWNBOX_NO_LANDLOCK=1, the fallback). strace dies of it (exit 138); pwnbox does not.
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class GroupSignal : public ::testing::TestWithParam<std::string> {};

TEST_P(GroupSignal, PwnboxSurvivesWhatTheTargetSendsItsGroup) {
  const std::string dir = TempDir();
  std::vector<std::string> args;
  if (GetParam() == "trace") args = {"trace", "-o", dir + "/trace.txt"};
  if (GetParam() == "record") args = {"record", "-o", dir + "/run.pwnr"};
  const std::vector<std::string> cmd = {
      "--", "sh", "-c",
      "trap 'echo got USR1' USR1; trap 'echo got RTMIN' RTMIN; "
      "kill -USR1 0; kill -RTMIN 0; kill -ALRM $PPID 2>/dev/null; echo survived"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  // pwnbox in a process group of its own, so the test is not in the target's group.
  std::vector<std::string> argv = {"setsid", "-w", PwnboxBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  if (GetParam() == "run-no-landlock") o.env = {"PWNBOX_NO_LANDLOCK=1"};
  auto r = ::pwnbox::testing::Run(argv, o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "got USR1\ngot RTMIN\nsurvived\n") << r.err;
  if (GetParam() == "record") {
    auto show = Pwnbox({"show", dir + "/run.pwnr"});
    EXPECT_EQ(show.status, 0) << show.err;
    EXPECT_TRUE(Contains(show.out, "+++ exited with 0 +++")) << show.out;
  }
}

std::string Name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Commands, GroupSignal,
                         ::testing::Values("run", "run-no-landlock", "trace", "record"), Name);

}  // namespace
}  // namespace pwnbox::testing
