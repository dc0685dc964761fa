// `trace --policy` and `record --policy`: every policy that `run` accepts starts the program
// (deny-by-default profiles included: the trace filter goes in through the launch site), and
// path rules, decided and emulated race-free by the notify loop, show in the trace and the
// recording like any other call.
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class TracedPolicy : public ::testing::TestWithParam<std::string> {
 protected:
  std::string PathPolicy() {
    const std::string path = TempDir() + "/paths.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                        "\"\n[[rule]]\nsyscalls = [\"openat\", \"open\"]\npaths = [\"" + secret_ +
                        "\"]\naction = \"errno:EACCES\"\n");
    return path;
  }
  void SetUp() override {
    dir_ = TempDir();
    secret_ = dir_ + "/secret";
    WriteFile(secret_, "top secret\n");
    WriteFile(dir_ + "/public", "hello\n");
  }
  std::string dir_, secret_;
};

TEST_P(TracedPolicy, TraceShowsPathRuleDecisionsAndTheProgramSeesThem) {
  auto r = Pwnbox({"trace", "--policy", PathPolicy(), "-e", "trace=openat", "--", "sh", "-c",
                   "cat " + dir_ + "/public; cat " + secret_ + "; echo rc=$?"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "hello")) << r.out;
  EXPECT_FALSE(Contains(r.out, "top secret")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rc=1")) << r.out;
  EXPECT_EQ(Grep(r.err, "openat(AT_FDCWD, \"" + secret_ + "\", O_RDONLY) = -1 EACCES").size(), 1u)
      << r.err;
  EXPECT_EQ(Grep(r.err, "openat(AT_FDCWD, \"" + dir_ + "/public\", O_RDONLY) = 3").size(), 1u)
      << r.err;
}

TEST_P(TracedPolicy, RecordKeepsPathRuleDecisions) {
  const std::string rec = dir_ + "/run.pwnr";
  auto r = Pwnbox({"record", "-o", rec, "--policy", PathPolicy(), "--", "cat", secret_});
  EXPECT_EQ(r.status, 1) << r.err;
  auto show = Pwnbox({"show", rec});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_EQ(Grep(show.out, "openat(AT_FDCWD, \"" + secret_ + "\", O_RDONLY) = -1 EACCES").size(),
            1u)
      << show.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, TracedPolicy, ::testing::Values("notify", "ptrace"));

// Deny-by-default profiles deny seccomp() itself; the launcher's second filter must still go in.
class DenyByDefault : public ::testing::TestWithParam<std::string> {};

TEST_P(DenyByDefault, TraceAndRecordStartTheProgramAsRunDoes) {
  const std::string policy = SourcePath(GetParam());
  const std::string rec = TempDir() + "/run.pwnr";
  auto run = Pwnbox({"--policy", policy, "--", "cat", "/etc/hostname"});
  ASSERT_EQ(run.status, 0) << run.err;
  auto trace = Pwnbox({"trace", "--policy", policy, "-o", "/dev/null", "--", "cat", "/etc/hostname"});
  EXPECT_EQ(trace.status, 0) << trace.err;
  EXPECT_EQ(trace.out, run.out);
  auto record = Pwnbox({"record", "-o", rec, "--policy", policy, "--", "cat", "/etc/hostname"});
  EXPECT_EQ(record.status, 0) << record.err;
  EXPECT_EQ(record.out, run.out);
}

INSTANTIATE_TEST_SUITE_P(Policies, DenyByDefault,
                         ::testing::Values("policies/strict-stdio.toml", "examples/hello.toml"),
                         [](const auto& info) {
                           std::string n = info.param.substr(info.param.find('/') + 1);
                           return n.substr(0, n.find('.')) == "strict-stdio" ? std::string("StrictStdio")
                                                                              : std::string("Hello");
                         });

TEST(DenyByDefaultPython, TraceRunsPythonUnderTheHelloExample) {
  auto r = Pwnbox({"trace", "--policy", SourcePath("examples/hello.toml"), "-o", "/dev/null", "--",
                   "/usr/bin/python3", "-c", "print(1)"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

// A path rule on execve: the supervisor decides it but cannot perform an exec for the target,
// so the call goes on in the kernel and its result is not seen: the trace says `= ?`, never a
// made-up value.
TEST(TracedPolicyServed, ACallThatWentOnInTheKernelShowsAnUnknownResult) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/exec.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"execve\"]\n"
                    "paths = [\"/usr/bin/true\"]\naction = \"allow\"\n");
  auto r = Pwnbox({"trace", "--policy", policy, "-e", "trace=execve", "--", "sh", "-c",
                   "/usr/bin/true; echo done"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "done\n");
  auto lines = Grep(r.err, "execve(\"/usr/bin/true\"");
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_TRUE(lines[0].size() >= 3 && lines[0].compare(lines[0].size() - 3, 3, "= ?") == 0)
      << lines[0];
}

}  // namespace
}  // namespace pwnbox::testing
