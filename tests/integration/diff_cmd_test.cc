// `pwnbox diff`: two recordings of the same run are the same (exit 0) despite different pids
// and addresses; a run that read different data differs (exit 1) at the call that read it; the
// JSON form; bad files and usage fail with one line and 125.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

std::string Record(const std::string& out, const std::vector<std::string>& cmd, int status) {
  std::vector<std::string> args = {"record", "-o", out, "--"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto r = Pwnbox(args);
  EXPECT_EQ(r.status, status) << r.err;
  return out;
}

TEST(DiffCmd, SameRunIsSame) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "hello\n");
  std::string a = Record(dir + "/a.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  std::string b = Record(dir + "/b.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  auto r = Pwnbox({"diff", a, b});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST(DiffCmd, ForkingRunIsSameDespitePids) {
  std::string dir = TempDir();
  std::string a = Record(dir + "/a.pwnr", {Prog("tr_fork")}, 7);
  std::string b = Record(dir + "/b.pwnr", {Prog("tr_fork")}, 7);
  auto r = Pwnbox({"diff", a, b});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  // fork vs vfork: the parent's clone call differs, the child's task is still paired.
  std::string c = Record(dir + "/c.pwnr", {Prog("tr_fork"), "vfork"}, 7);
  r = Pwnbox({"diff", "--json", a, c});
  EXPECT_EQ(r.status, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_GE(doc["tasks"].size(), 2u) << r.out;
  EXPECT_EQ(doc["tasks"][1]["task"], "1.1");
  EXPECT_TRUE(doc["tasks"][1]["a_pid"].is_number()) << r.out;
  EXPECT_TRUE(doc["tasks"][1]["b_pid"].is_number()) << r.out;
}

TEST(DiffCmd, TimeAndPidsAreNotDifferencesRandomnessIs) {
  // rp_inputs calls getrandom, clock_gettime (the syscall) and getpid, then prints them. The
  // runs first differ at getrandom's bytes (what the program prints follows from them); with
  // --ignore-random only the printed line differs.
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "data\n");
  std::string a = Record(dir + "/a.pwnr", {Prog("rp_inputs"), dir + "/in.txt"}, 0);
  std::string b = Record(dir + "/b.pwnr", {Prog("rp_inputs"), dir + "/in.txt"}, 0);
  auto r = Pwnbox({"diff", "--json", a, b});
  EXPECT_EQ(r.status, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["first_divergence"]["op"], "change");
  EXPECT_EQ(doc["first_divergence"]["a_call"].get<std::string>().rfind("getrandom(\"", 0), 0u)
      << r.out;

  r = Pwnbox({"diff", "--json", "--ignore-random", a, b});
  EXPECT_EQ(r.status, 1) << r.err;
  doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["first_divergence"]["op"], "change");
  EXPECT_EQ(doc["first_divergence"]["a_call"].get<std::string>().rfind("write(1, \"random=", 0),
            0u) << r.out;
  ASSERT_EQ(doc["tasks"].size(), 2u) << r.out;
  EXPECT_EQ(doc["tasks"][0]["changed"], 1) << r.out;
  EXPECT_EQ(doc["tasks"][0]["edits"].size(), 1u) << r.out;
  EXPECT_EQ(doc["tasks"][1]["edits"].size(), 0u) << r.out;  // the child
}

TEST(DiffCmd, DifferentInputDiffersAtTheRead) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "hello\n");
  std::string a = Record(dir + "/a.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  WriteFile(dir + "/in.txt", "hello, a longer line\n");
  std::string b = Record(dir + "/b.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  auto r = Pwnbox({"diff", a, b});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  EXPECT_TRUE(Contains(lines[2], "first divergence: task 1 ")) << r.out;
  EXPECT_EQ(lines[3], "-read(3, \"hello\\n\", 64) = 6") << r.out;
  EXPECT_EQ(lines[4], "+read(3, \"hello, a longer line\\n\", 64) = 21") << r.out;
  EXPECT_EQ(Grep(r.out, "0 inserted, 0 removed, 1 changed").size(), 1u) << r.out;
  EXPECT_EQ(Grep(r.out, "@@ task 1:").size(), 1u) << r.out;

  auto j = Pwnbox({"diff", a, b, "--json"});
  EXPECT_EQ(j.status, 1) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["same"], false);
  EXPECT_EQ(doc["first_divergence"]["op"], "change");
  EXPECT_EQ(doc["first_divergence"]["task"], "1");
  EXPECT_TRUE(Contains(doc["first_divergence"]["b_call"].get<std::string>(), "longer line"));
  EXPECT_EQ(doc["first_divergence"]["a_event"], doc["tasks"][0]["edits"][0]["a_event"]);
  ASSERT_EQ(doc["tasks"].size(), 1u);
  EXPECT_EQ(doc["tasks"][0]["changed"], 1);
  EXPECT_EQ(doc["tasks"][0]["inserted"], 0);
  EXPECT_EQ(doc["tasks"][0]["removed"], 0);
  ASSERT_EQ(doc["tasks"][0]["edits"].size(), 1u);

  auto same = Pwnbox({"diff", "--json", a, a});
  EXPECT_EQ(same.status, 0) << same.err;
  auto sdoc = nlohmann::json::parse(same.out);
  EXPECT_EQ(sdoc["same"], true);
  EXPECT_TRUE(sdoc["first_divergence"].is_null());
}

TEST(DiffCmd, ExtraCallsAreInsertions) {
  // A different program: its extra calls are removals / insertions, and a task only one run has
  // is all insertions.
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "x\n");
  std::string a = Record(dir + "/a.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  std::string b = Record(dir + "/b.pwnr", {Prog("tr_fork")}, 7);
  auto r = Pwnbox({"diff", "--json", a, b});
  EXPECT_EQ(r.status, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["tasks"].size(), 2u);
  EXPECT_GT(doc["tasks"][0]["removed"].get<int>(), 0);
  EXPECT_TRUE(doc["tasks"][1]["a_pid"].is_null());
  EXPECT_EQ(doc["tasks"][1]["inserted"], doc["tasks"][1]["b_calls"]);
}

TEST(DiffCmd, BadFilesAndUsageFailWithOneLine) {
  std::string dir = TempDir();
  WriteFile(dir + "/in.txt", "x\n");
  std::string a = Record(dir + "/a.pwnr", {Prog("tr_basic"), dir + "/in.txt"}, 3);
  WriteFile(dir + "/junk.pwnr", "this is not a recording at all\n");
  std::string whole = ReadFile(a);
  WriteFile(dir + "/cut.pwnr", whole.substr(0, whole.size() / 2));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"diff", a, dir + "/junk.pwnr"},
           {"diff", dir + "/cut.pwnr", a},
           {"diff", a, dir + "/missing.pwnr"},
           {"diff", a},
           {"diff", a, a, "--frobnicate"}}) {
    auto r = Pwnbox(args);
    EXPECT_EQ(r.status, 125) << args.back() << ": " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

// A call the supervisor let go on in the kernel (record --policy, execve under a path rule) has
// no recorded result: diff shows it as `= ?`, as show and trace do, never as `= 0`.
TEST(DiffCmd, UnknownResultsShowAsQuestionMarks) {
  const std::string dir = TempDir();
  const std::string policy = dir + "/exec.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"execve\"]\n"
                    "paths = [\"/usr/bin/true\"]\naction = \"allow\"\n");
  const std::string a = dir + "/a.pwnr", b = dir + "/b.pwnr";
  ASSERT_EQ(Pwnbox({"record", "--policy", policy, "-o", a, "--", "sh", "-c", "/usr/bin/true"})
                .status,
            0);
  ASSERT_EQ(Pwnbox({"record", "--policy", policy, "-o", b, "--", "sh", "-c",
                    "/usr/bin/true one"})
                .status,
            0);
  auto r = Pwnbox({"diff", a, b});
  EXPECT_EQ(r.status, 1) << r.err;
  auto minus = Grep(r.out, "-execve(\"/usr/bin/true\"");
  auto plus = Grep(r.out, "+execve(\"/usr/bin/true\"");
  ASSERT_EQ(minus.size(), 1u) << r.out;
  ASSERT_EQ(plus.size(), 1u) << r.out;
  for (const auto& line : {minus[0], plus[0]})
    EXPECT_EQ(line.substr(line.size() - 4), " = ?") << line;
}

}  // namespace
}  // namespace pwnbox::testing
