// Reports (log = true, action log, --complain) decode every call exactly as `trace` prints it:
// the same programs under a policy that logs every call and under `pwnbox trace` give the same
// lines (addresses and pids aside; single-task programs, so that no call is split into
// <unfinished ...> and <... resumed>), and a report of a call whose result is unknown still
// decodes its flags.
#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// Lines of a trace or a report with what differs between two runs taken out: the pid prefix,
// the report's comment, addresses, the padding before " = ", set_tid_address's tid, strace's
// +++/--- lines (reports have none).
std::vector<std::string> Normalized(const std::string& text) {
  static const std::regex comment(R"( /\* pwnbox: .*\*/$)"), pid(R"(^\[pid +[0-9]+\] )"),
      hex(R"(0x[0-9a-f]+)"), pad(R"( += +)"), tid(R"(^(set_tid_address\(0xX\) = )[0-9]+)"),
      child(R"(^((clone|fork|vfork|wait4|clone3)\(.*\) = )[0-9]+)");
  std::vector<std::string> out;
  for (std::string line : Lines(text)) {
    if (line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0) continue;
    if (line.find("+++") != std::string::npos || line.find("---") != std::string::npos) {
      // "[pid  N] +++ exited with 0 +++"
      if (std::regex_search(line, std::regex(R"(^\[pid +[0-9]+\] (\+\+\+|---))"))) continue;
    }
    line = std::regex_replace(line, comment, "");
    line = std::regex_replace(line, pid, "");
    line = std::regex_replace(line, hex, "0xX");
    line = std::regex_replace(line, pad, " = ");
    line = std::regex_replace(line, tid, "$1N");
    line = std::regex_replace(line, child, "$1N");
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ReportsDecodeAsTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(ReportsDecodeAsTrace, EveryCallOfTheProgram) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/log-all.toml";
  WriteFile(policy, "version = 1\ndefault = \"log\"\n[options]\nescalate = \"ptrace\"\n");
  const std::string log = dir + "/report.txt", trace = dir + "/trace.txt";
  auto run = Pwnbox({"--policy", policy, "--log", log, "--", Prog(GetParam())});
  auto traced = Pwnbox({"trace", "-o", trace, "--", Prog(GetParam())});
  EXPECT_EQ(run.status, traced.status) << run.err << traced.err;
  const auto reported = Normalized(ReadFile(log)), shown = Normalized(ReadFile(trace));
  EXPECT_GT(reported.size(), 10u);
  EXPECT_EQ(reported, shown) << "report:\n" << ReadFile(log) << "trace:\n" << ReadFile(trace);
}

INSTANTIATE_TEST_SUITE_P(Programs, ReportsDecodeAsTrace,
                         ::testing::Values("tr_basic", "tr_structs", "tr_exec", "tr_signal"));

// The call goes on in the kernel (--complain under notify): its result is unknown, and yet the
// arguments after an output pointer are decoded (newfstatat's AT_EMPTY_PATH, not 0x1000).
TEST(Reports, ComplainDecodesFlagsOfACallWhoseResultIsUnknown) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/deny.toml";
  WriteFile(policy, "version = 1\ndefault = \"errno:EPERM\"\n");
  auto r = Pwnbox({"--complain", "--policy", policy, "--", "cat", "/etc/hostname"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Grep(r.err, "newfstatat(");
  ASSERT_FALSE(lines.empty()) << r.err;
  EXPECT_TRUE(Contains(lines[0], "AT_EMPTY_PATH) = ?")) << lines[0];
  EXPECT_FALSE(Contains(lines[0], "0x1000")) << lines[0];
  auto exec = Grep(r.err, "execve(");
  ASSERT_EQ(exec.size(), 1u) << r.err;
  EXPECT_TRUE(Contains(exec[0], "execve(\"/usr/bin/cat\", [\"cat\", \"/etc/hostname\"], 0x"))
      << exec[0];
}

// The shipped trace-execs policy logs execve under notify: the report shows the program and its
// arguments, not pointers (the tracer decodes them before the exec replaces the memory).
TEST(Reports, TraceExecsShowsProgramsAndArguments) {
  auto r = Pwnbox({"--policy", SourcePath("policies/trace-execs.toml"), "--", "sh", "-c",
                   "/bin/true one two"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Grep(r.err, "execve(\"/bin/true\", [\"/bin/true\", \"one\", \"two\"], 0x").size(), 1u)
      << r.err;
}

// --complain reports once per (syscall, rule, path): two files denied by the same rule are both
// named; repeats are counted at the end.
TEST(Reports, ComplainNamesEveryDistinctPathAndCountsRepeats) {
  const std::string dir = TempDir();
  WriteFile(dir + "/a", "a\n");
  WriteFile(dir + "/b", "b\n");
  const std::string policy = dir + "/p.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\n"
                    "paths = [\"" + dir + "/*\"]\naction = \"errno:EACCES\"\n");
  auto r = Pwnbox({"--complain", "--policy", policy, "--", "sh", "-c",
                   "cat " + dir + "/a " + dir + "/b " + dir + "/a " + dir + "/a"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "a\nb\na\na\n");
  EXPECT_EQ(Grep(r.err, "\"" + dir + "/a\"").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "\"" + dir + "/b\"").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "pwnbox: --complain: 2 more calls").size(), 1u) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
