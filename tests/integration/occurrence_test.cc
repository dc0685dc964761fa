// Occurrence conditions (`when`) end to end, from real processes (tests/progs/oc_calls.c prints
// one line per call: "I NAME ok" or "I NAME ERRNO"): only the chosen calls get the rule's
// action, combined with args and paths (only the calls they match are counted), counted across
// forked children and threads, under both escalation backends, under --complain, and the same
// under `trace --policy` and `record --policy`; policy mistakes as FILE:LINE:COL; `check` says
// why the rule is escalated; `convert` refuses to write it as OCI.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class OccurrenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { dir_ = TempDir(); }
  // A policy (default allow) with options.escalate set to the backend under test.
  std::string Policy(const std::string& rules) {
    const std::string path = dir_ + "/policy.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                        "\"\n" + rules);
    return path;
  }
  RunResult Calls(const std::string& policy, std::vector<std::string> calls,
                  std::vector<std::string> flags = {}) {
    std::vector<std::string> args = flags;
    args.insert(args.end(), {"--policy", policy, "--", Prog("oc_calls")});
    args.insert(args.end(), calls.begin(), calls.end());
    RunOptions o;
    o.cwd = dir_;
    return Pwnbox(args, o);
  }
  std::string dir_;
};

TEST_P(OccurrenceTest, OnlyTheThirdCallFails) {
  auto p = Policy("[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"3\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"getppid*5"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "1 getppid ok\n2 getppid ok\n3 getppid EACCES\n4 getppid ok\n5 getppid ok\n");
  // Each run counts from 1 again.
  EXPECT_EQ(Calls(p, {"getppid*3"}).out, "1 getppid ok\n2 getppid ok\n3 getppid EACCES\n");
}

TEST_P(OccurrenceTest, ARangeWithAStep) {
  auto p =
      Policy("[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2..6+2\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"getppid*8"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "1 getppid ok\n2 getppid EACCES\n3 getppid ok\n4 getppid EACCES\n5 getppid ok\n"
            "6 getppid EACCES\n7 getppid ok\n8 getppid ok\n");
}

TEST_P(OccurrenceTest, OnlyCallsMatchingArgsAreCounted) {
  // lseek on fds that are not open: EBADF when allowed, the policy's EACCES when denied.
  auto p = Policy(
      "[[rule]]\nsyscalls = [\"lseek\"]\nargs = [\"fd == 100\"]\nwhen = \"2\"\n"
      "action = \"errno:EACCES\"\n");
  auto r = Calls(p, {"lseek:100", "lseek:101*2", "lseek:100*2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "1 lseek:100 EBADF\n2 lseek:101 EBADF\n3 lseek:101 EBADF\n4 lseek:100 EACCES\n"
            "5 lseek:100 EBADF\n");
}

TEST_P(OccurrenceTest, TheThirdOpenOfOneFileFailsWithEnoent) {
  // docs/policy.md's example: only opens of app.conf are counted, whatever their spelling.
  WriteFile(dir_ + "/app.conf", "x\n");
  WriteFile(dir_ + "/other.conf", "y\n");
  auto p = Policy("[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + dir_ +
                  "/app.conf\"]\nwhen = \"3\"\naction = \"errno:ENOENT\"\n");
  auto r = Calls(p, {"open:" + dir_ + "/app.conf", "open:other.conf*2", "open:./app.conf",
                     "open:other.conf", "open:../" + dir_.substr(dir_.rfind('/') + 1) + "/app.conf",
                     "open:app.conf"});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string up = "../" + dir_.substr(dir_.rfind('/') + 1);
  EXPECT_EQ(r.out, "1 open:" + dir_ + "/app.conf ok\n2 open:other.conf ok\n3 open:other.conf ok\n"
                   "4 open:./app.conf ok\n5 open:other.conf ok\n6 open:" + up +
                   "/app.conf ENOENT\n7 open:app.conf ok\n");
}

TEST_P(OccurrenceTest, ACallWithTwoMatchingPathsIsCountedOnce) {
  // Both of rename's paths match the rule: each rename is one occurrence, so the 2nd fails.
  WriteFile(dir_ + "/a", "x\n");
  auto p = Policy("[[rule]]\nsyscalls = [\"rename\"]\npaths = [\"" + dir_ +
                  "/**\"]\nwhen = \"2\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"rename:a:b", "rename:b:c", "rename:b:d"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 rename:a:b ok\n2 rename:b:c EACCES\n3 rename:b:d ok\n");
  struct stat st;
  EXPECT_EQ(stat((dir_ + "/d").c_str(), &st), 0);
}

TEST_P(OccurrenceTest, CallsThatAreNotOccurrencesFallThroughToTheNextRules) {
  // Rule 1 takes the 2nd getppid; rule 2 counts only the calls that reach it (the 1st, 3rd,
  // 4th, ...) and takes its 2nd, the program's 3rd; rule 3 answers the rest.
  auto p = Policy(
      "[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2\"\naction = \"errno:EACCES\"\n\n"
      "[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2\"\naction = \"errno:ENOENT\"\n\n"
      "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EPERM\"\n");
  auto r = Calls(p, {"getppid*5"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 getppid EPERM\n2 getppid EACCES\n3 getppid ENOENT\n4 getppid EPERM\n"
                   "5 getppid EPERM\n");
}

TEST_P(OccurrenceTest, AForkedChildIsCountedWithItsParent) {
  // The parent makes 2 calls, then waits for a child that makes 2: the child's first is the
  // run's 3rd. (The child's line numbers continue from its parent's.)
  auto p = Policy("[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"3\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"getppid*2", "fork", "getppid*2", "join", "getppid*2"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 getppid ok\n2 getppid ok\n3 getppid EACCES\n4 getppid ok\n"
                   "3 getppid ok\n4 getppid ok\n");
}

TEST_P(OccurrenceTest, ThreadsShareOneCountAndNoNumberIsTakenTwice) {
  // 4 threads make 50 calls each at once; every odd occurrence fails: exactly half of them,
  // whichever thread made them.
  auto p = Policy("[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"1+2\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"threads:4:getppid*50"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "threads 100 failed of 200\n");
}

TEST_P(OccurrenceTest, RacingThreadsGetNoMoreThanTheAllowedCalls) {
  // An allowance: the first 3 getppid of the run, then denied. 200 calls racing in 4 threads
  // cannot get a 4th through.
  auto p = Policy(
      "[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"1..3\"\naction = \"allow\"\n\n"
      "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EPERM\"\n");
  auto r = Calls(p, {"threads:4:getppid*50", "getppid"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "threads 197 failed of 200\n1 getppid EPERM\n");
}

TEST_P(OccurrenceTest, ComplainReportsTheOccurrenceAndDeniesNothing) {
  auto p =
      Policy("[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2..3\"\naction = \"errno:EACCES\"\n");
  auto r = Calls(p, {"getppid*4"}, {"--complain"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 getppid ok\n2 getppid ok\n3 getppid ok\n4 getppid ok\n");
  auto reports = Grep(r.err, "/* pwnbox:");
  ASSERT_EQ(reports.size(), 1u) << r.err;  // once per (syscall, rule)
  EXPECT_TRUE(Contains(reports[0], "getppid() ")) << reports[0];
  EXPECT_TRUE(Contains(reports[0], "/* pwnbox: --complain, would be errno:EACCES, rule 1 at " + p +
                                       ":5:1, occurrence 2 (when = \"2..3\") */"))
      << reports[0];
}

TEST_P(OccurrenceTest, ALoggedOccurrenceNamesItsNumber) {
  auto p = Policy(
      "[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2\"\naction = \"errno:EACCES\"\nlog = true\n");
  auto r = Calls(p, {"getppid*3"});
  EXPECT_EQ(r.out, "1 getppid ok\n2 getppid EACCES\n3 getppid ok\n") << r.err;
  auto reports = Grep(r.err, "/* pwnbox:");
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_TRUE(Contains(reports[0], "/* pwnbox: errno:EACCES, rule 1 at " + p +
                                       ":5:1, occurrence 2 (when = \"2\") */"))
      << reports[0];
}

INSTANTIATE_TEST_SUITE_P(Backends, OccurrenceTest, ::testing::Values("notify", "ptrace"));

// `trace --policy` and `record --policy` enforce through the tracer: the trace and the
// recording show the same call failing as `run` makes fail.
class OccurrenceToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    policy_ = dir_ + "/policy.toml";
    WriteFile(dir_ + "/app.conf", "x\n");
    WriteFile(policy_,
              "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
              "when = \"2..4+2\"\naction = \"errno:EACCES\"\n\n[[rule]]\nsyscalls = [\"openat\"]\n"
              "paths = [\"" + dir_ + "/app.conf\"]\nwhen = 3\naction = \"errno:ENOENT\"\n");
  }
  std::vector<std::string> Program() {
    return {Prog("oc_calls"), "getppid*5", "open:" + dir_ + "/app.conf*4"};
  }
  static constexpr const char* kOut =
      "1 getppid ok\n2 getppid EACCES\n3 getppid ok\n4 getppid EACCES\n5 getppid ok\n";
  // The getppid and openat(app.conf) results of a trace, in order.
  std::vector<std::string> Results(const std::string& trace) {
    std::vector<std::string> out;
    for (const std::string& l : Lines(trace)) {
      if (l.rfind("getppid()", 0) != 0 && !Contains(l, "app.conf\", O_RDONLY)")) continue;
      const size_t eq = l.rfind("= ");
      out.push_back(l.substr(0, l.find('(')) + " " + (eq == std::string::npos ? "" : l.substr(eq + 2)));
    }
    return out;
  }
  std::string dir_, policy_;
};

std::string Summarise(const std::vector<std::string>& results) {
  std::string s;
  for (const std::string& r : results) {
    // getppid's success is the parent's pid, openat's an fd: keep only failures' errno names.
    const size_t e = r.find("-1 ");
    s += r.substr(0, r.find(' ')) + (e == std::string::npos ? " ok" : " " + r.substr(e + 3, r.find(' ', e + 3) - e - 3)) + "\n";
  }
  return s;
}

constexpr const char* kExpectedResults =
    "getppid ok\ngetppid EACCES\ngetppid ok\ngetppid EACCES\ngetppid ok\n"
    "openat ok\nopenat ok\nopenat ENOENT\nopenat ok\n";

TEST_F(OccurrenceToolsTest, TracePolicyShowsTheSameCallsFailing) {
  std::vector<std::string> args{"trace", "-o", dir_ + "/trace.txt", "--policy", policy_, "--"};
  for (const auto& a : Program()) args.push_back(a);
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kOut) + "6 open:" + dir_ + "/app.conf ok\n7 open:" + dir_ +
                       "/app.conf ok\n8 open:" + dir_ + "/app.conf ENOENT\n9 open:" + dir_ +
                       "/app.conf ok\n");
  EXPECT_EQ(Summarise(Results(ReadFile(dir_ + "/trace.txt"))), kExpectedResults)
      << ReadFile(dir_ + "/trace.txt");
}

TEST_F(OccurrenceToolsTest, RecordPolicyRecordsTheSameCallsFailing) {
  const std::string rec = dir_ + "/run.pwnr";
  std::vector<std::string> args{"record", "-o", rec, "--policy", policy_, "--"};
  for (const auto& a : Program()) args.push_back(a);
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 9u) << r.out;
  auto s = Pwnbox({"show", rec});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(Summarise(Results(s.out)), kExpectedResults) << s.out;
}

TEST(OccurrencePolicyErrors, RunAndCheckPointAtTheMistake) {
  const std::string dir = TempDir();
  const std::string p = dir + "/bad.toml";
  struct Case {
    const char* when;
    const char* where;  // LINE:COL
    const char* message;
  };
  const Case cases[] = {
      {"\"0\"", "6:9", "occurrences count from 1: 0 names no call"},
      {"\"5..3\"", "6:12", "empty range 5..3: the last occurrence comes before the first"},
      {"\"x\"", "6:9", "expected the first occurrence (a decimal number), found \"x\""},
      {"\"1..9+0\"", "6:14", "a step of 0 never advances"},
  };
  for (const Case& c : cases) {
    WriteFile(p, std::string("version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
                             "when = ") + c.when + "\naction = \"deny\"\n");
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"--policy", p, "--", Prog("oc_calls"), "getppid"},
          std::vector<std::string>{"check", p},
          std::vector<std::string>{"trace", "--policy", p, "--", Prog("oc_calls"), "getppid"}}) {
      auto r = Pwnbox(cmd);
      EXPECT_EQ(r.status, 125) << cmd[0] << " " << c.when << "\n" << r.err;
      EXPECT_TRUE(Contains(r.err, p + ":" + c.where + ": " + c.message)) << c.when << "\n" << r.err;
      EXPECT_TRUE(Contains(r.err, "\nhint: ")) << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;  // the program never ran
    }
  }
}

TEST(OccurrenceCheck, SaysTheRuleIsEscalatedAndWhy) {
  const std::string dir = TempDir();
  const std::string p = dir + "/p.toml";
  WriteFile(p, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
               "when = \"2..6+2\"\naction = \"errno:EACCES\"\n");
  auto r = Pwnbox({"check", p});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "rule 1 (" + p + ":4:1) getppid when=2..6+2 -> errno:EACCES: "
                              "notify (options.escalate): when = \"2..6+2\" (only the "
                              "supervisor counts calls)\n"))
      << r.out;
}

TEST(OccurrenceConvert, OciCannotExpressItAndNothingIsWritten) {
  const std::string dir = TempDir();
  const std::string p = dir + "/p.toml";
  WriteFile(p, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
               "when = \"3\"\naction = \"errno:EACCES\"\n");
  auto r = Pwnbox({"convert", p, "-o", dir + "/p.json"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(Contains(r.err, "rule at " + p + ":4:1 needs pwnbox's supervisor (when = \"3\" "
                              "(only the supervisor counts calls)): an OCI profile cannot express "
                              "it"))
      << r.err;
  struct stat st;
  EXPECT_NE(stat((dir + "/p.json").c_str(), &st), 0);
  r = Pwnbox({"compile", p, "--format", "oci"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_TRUE(Contains(r.err, "an OCI profile cannot express it")) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
