// What a new user hits on the first day (issue 13's "Misleading"): bad input gets one clear line
// and a documented status, and nothing is left behind that looks valid.
#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(FirstDay, NegativeStringLimitIsRefused) {
  auto r = Pwnbox({"trace", "-s", "-5", "-o", "/dev/null", "--", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("pwnbox: -s takes", 0), 0u) << r.err;
  EXPECT_EQ(Pwnbox({"trace", "-s", "0", "-o", "/dev/null", "--", "true"}).status, 0);
}

TEST(FirstDay, RecordOfACommandThatIsNotFoundLeavesNoRecording) {
  const std::string out = TempDir() + "/run.pwnr";
  auto r = Pwnbox({"record", "-o", out, "--", "/nonexistent/cmd"});
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  EXPECT_FALSE(Exists(out));
}

TEST(FirstDay, RecordUnderAPolicyThatCannotBeReadLeavesNoRecording) {
  const std::string dir = TempDir();
  auto r = Pwnbox({"record", "-o", dir + "/run.pwnr", "--policy", dir + "/missing.toml", "--",
                   "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_FALSE(Exists(dir + "/run.pwnr"));
}

TEST(FirstDay, CheckOfADirectorySaysItIsADirectory) {
  auto r = Pwnbox({"check", TempDir()});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "a directory, not a file")) << r.err;
  EXPECT_FALSE(Contains(r.err, "default")) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
