// A recording of a slow program killed with SIGKILL keeps what happened up to about a second
// before: the writer does not hold events back until it has 256 KiB of them.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

TEST(RecordFlush, EventsReachTheFileWhileTheProgramWaitsAndSurviveSigkill) {
  const std::string dir = TempDir();
  const std::string rec = dir + "/slow.pwnr";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pw = fork();
  if (pw == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::string bin = PwnboxBin(), prog = Prog("sig_term_wait");
    execl(bin.c_str(), bin.c_str(), "record", "-o", rec.c_str(), "--", prog.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  char buf[6];
  // The program has made its calls and waits in pause() from now on: no event will come.
  ASSERT_EQ(read(out[0], buf, 6), 6);
  const int in = inotify_init1(IN_CLOEXEC);
  ASSERT_GE(in, 0);
  ASSERT_GE(inotify_add_watch(in, rec.c_str(), IN_MODIFY), 0);
  // Wait (for writes to the file, not for time) until the write of "ready" is in a chunk.
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    auto show = Pwnbox({"show", rec});
    seen = Contains(show.out, "write(1, \"ready\\n\", 6)");
    if (seen) break;
    pollfd p{in, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 30000), 1) << "nothing was written to the recording";
    char ev[4096];
    ASSERT_GT(read(in, ev, sizeof ev), 0);
  }
  close(in);
  EXPECT_TRUE(seen);
  kill(pw, SIGKILL);
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  close(out[0]);
  auto show = Pwnbox({"show", rec});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "write(1, \"ready\\n\", 6)")) << show.out << show.err;
  EXPECT_TRUE(Contains(show.err, "cut short")) << show.err;
}

}  // namespace
}  // namespace pwnbox::testing
