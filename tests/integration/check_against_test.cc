// `pwnbox check POLICY --against RUN` (issue 19.3): a recorded run (or an strace -f log) is
// decided call by call as `run` would decide it, without running anything; the first call the
// policy would deny is named with the rule that denies it, and the exit status is 1. Paths are
// resolved as the run named them: through its chdir and its dirfds.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// Records `cmd` into DIR/run.pwnr; the recording's path.
std::string RecordRun(const std::string& dir, const std::vector<std::string>& cmd) {
  std::vector<std::string> args = {"record", "-o", dir + "/run.pwnr", "--"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = Pwnbox(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return dir + "/run.pwnr";
}

std::string DenyUnder(const std::string& dir, const std::string& tree) {
  const std::string path = dir + "/deny.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"open\", \"openat\"]\n"
                  "paths = [\"" + tree + "/**\"]\naction = \"errno:EACCES\"\n");
  return path;
}

TEST(CheckAgainst, ARecordingsRelativeOpenAfterChdirIsDenied) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/secret").c_str(), 0755), 0);
  WriteFile(dir + "/secret/key", "k\n");
  // The shell enters the directory, then cat opens the file by a relative name: the policy
  // must see DIR/secret/key, as `run` would.
  const std::string rec = RecordRun(dir, {"sh", "-c", "cd " + dir + "/secret && cat key"});
  const std::string policy = DenyUnder(dir, dir + "/secret");
  auto r = Pwnbox({"check", policy, "--against", rec});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_TRUE(Contains(lines[0], "openat(AT_FDCWD, \"key\", O_RDONLY")) << r.out;
  EXPECT_TRUE(Contains(lines[0], "event ")) << r.out;
  EXPECT_EQ(lines[1], "  would be denied: errno EACCES by rule 1 (" + policy + ":4:1)") << r.out;
  EXPECT_TRUE(Contains(lines[2], "would deny 1 of the run's ")) << r.out;

  // A policy that denies another tree lets the whole run through.
  auto ok = Pwnbox({"check", DenyUnder(dir, dir + "/elsewhere"), "--against", rec});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  EXPECT_TRUE(Contains(ok.out, "allows every call of " + rec)) << ok.out;
}

TEST(CheckAgainst, DirfdRelativePathsFollowTheOpenedDirectory) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/d").c_str(), 0755), 0);
  WriteFile(dir + "/d/f", "x");
  // find opens the directory, then the entries relative to it (openat(fd, "f") / newfstatat).
  const std::string rec =
      RecordRun(dir, {"python3", "-c",
                      "import os; fd = os.open('" + dir + "/d', os.O_RDONLY); "
                      "os.close(os.open('f', os.O_RDONLY, dir_fd=fd))"});
  // A rule on another file of the directory denies nothing.
  const std::string other = dir + "/other.toml";
  WriteFile(other, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\n"
                   "paths = [\"" + dir + "/d/g\"]\naction = \"errno:EPERM\"\n");
  auto r = Pwnbox({"check", other, "--against", rec});
  EXPECT_EQ(r.status, 0) << r.out;
  const std::string exact = dir + "/exact.toml";
  WriteFile(exact, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\n"
                   "paths = [\"" + dir + "/d/f\"]\naction = \"errno:EPERM\"\n");
  r = Pwnbox({"check", exact, "--against", rec});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"f\"")) << r.out;
  EXPECT_TRUE(Contains(r.out, "errno EPERM by rule 1")) << r.out;
}

TEST(CheckAgainst, WhenCountsTheRunsCalls) {
  const std::string dir = TempDir();
  const std::string rec = RecordRun(dir, {Prog("rp_steps")});  // getppid 5 times
  const std::string policy = dir + "/third.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"getppid\"]\n"
                    "when = \"3\"\naction = \"errno:EPERM\"\n");
  auto r = Pwnbox({"check", policy, "--against", rec, "-c"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "getppid()")) << r.out;
  EXPECT_TRUE(Contains(r.out, "would deny 1 of the run's ")) << r.out;
  // The summary: the rule took one call, the default the others.
  EXPECT_TRUE(Contains(r.out, "       1        1  rule 1 (" + policy)) << r.out;
  EXPECT_TRUE(Contains(r.out, "default -> allow")) << r.out;
}

TEST(CheckAgainst, AnStraceLogNeedsItsStartingDirectoryForRelativePaths) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/secret").c_str(), 0755), 0);
  WriteFile(dir + "/secret/key", "k\n");
  const std::string log = dir + "/run.strace";
  RunOptions in_dir;
  in_dir.cwd = dir;
  auto s = pwnbox::testing::Run({"strace", "-f", "-o", log, "cat", "secret/key"}, in_dir);
  ASSERT_EQ(s.status, 0) << s.err;
  const std::string policy = DenyUnder(dir, dir + "/secret");
  // Without --cwd the relative open cannot be placed: undecided, and said so.
  auto r = Pwnbox({"check", policy, "--against", log});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "undecided")) << r.out;
  r = Pwnbox({"check", policy, "--against", log, "--cwd", dir});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "openat(\"secret/key\"")) << r.out;
  EXPECT_TRUE(Contains(r.out, "errno EACCES by rule 1")) << r.out;
}

TEST(CheckAgainst, BadInputIsOneLineAnd125) {
  const std::string dir = TempDir();
  const std::string policy = DenyUnder(dir, "/x");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"check", policy, "--against", dir + "/missing.pwnr"},
           {"check", policy, "--against", policy},  // neither a recording nor an strace log
           {"check", policy, "--against", policy, "--cwd", "relative"},
           {"check", policy, "-c"}}) {
    auto r = Pwnbox(args);
    EXPECT_EQ(r.status, 125) << args.back() << ": " << r.out;
    auto lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("pwnbox: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing
