// Class 7 of issue 12: outputs and parsers an attacker controls.
// - `trace -y` prints the paths behind fds escaped exactly as strace 6.1 does (compared with
//   the installed strace on the same program), so a file name cannot forge trace lines or send
//   terminal escapes.
// - A crafted .pwnr (bad ABI byte, event numbers going back, negative task ids) makes `show`,
//   `show --at`, `diff`, `replay` and `profile` fail with one `pwnbox:` line and status 125,
//   never crash.
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recorder/reader.h"
#include "recorder/writer.h"
#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// The lines of a trace from the program's chdir on (the dynamic loader's calls before it are
// the same for both tracers but not what this test is about), with pipe inode numbers masked.
std::vector<std::string> FromChdir(const std::string& trace) {
  std::vector<std::string> out;
  bool on = false;
  const std::regex inode(R"(pipe:\[[0-9]+\])");
  for (const auto& l : Lines(trace)) {
    if (l.rfind("chdir(", 0) == 0) on = true;
    if (on) out.push_back(std::regex_replace(l, inode, "pipe:[N]"));
  }
  return out;
}

TEST(Outputs, TraceYEscapesFileNamesAsStraceDoes) {
  const std::string set = "trace=chdir,openat,write,close,pipe2,mkdir";
  std::string dir_p = TempDir(), dir_s = TempDir();
  auto p = Pwnbox({"trace", "-y", "-e", set, "-o", dir_p + ".trace", "--", Prog("sec_out_names"),
                   dir_p});
  ASSERT_EQ(p.status, 0) << p.err;
  auto s = testing::Run({"strace", "-y", "-e", set, "-o", dir_s + ".trace", Prog("sec_out_names"), dir_s});
  ASSERT_EQ(s.status, 0) << s.err;
  std::string ours = ReadFile(dir_p + ".trace"), theirs = ReadFile(dir_s + ".trace");
  // Same lines but for the directory name.
  std::string mapped = theirs;
  for (size_t at; (at = mapped.find(dir_s)) != std::string::npos;)
    mapped.replace(at, dir_s.size(), dir_p);
  auto a = FromChdir(ours), b = FromChdir(mapped);
  ASSERT_GE(b.size(), 9u) << theirs;
  EXPECT_EQ(a, b) << "pwnbox:\n" << ours << "strace:\n" << theirs;
  // And what that means: no byte below 0x20 but the newlines, no forged exit line.
  for (char c : ours) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  size_t exits = 0;
  for (const auto& l : Lines(ours)) exits += l.rfind("+++ ", 0) == 0;
  EXPECT_EQ(exits, 1u) << ours;
  EXPECT_TRUE(Contains(ours, R"(\n+++ exited with 0 +++\n\33[31mred\74a\76\"q\"\\b\tz\1\2007>)"))
      << ours;
}

// Rewrites recording `in` to `out` with `edit` applied to every event.
template <typename Edit>
void Craft(const std::string& in, const std::string& out, Edit edit) {
  auto r = recorder::Reader::Open(in);
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto w = recorder::Writer::Create(out, r->header());
  ASSERT_TRUE(w.ok()) << w.error().message();
  recorder::Event e;
  uint64_t n = 0;
  for (;;) {
    auto more = r->Next(&e);
    ASSERT_TRUE(more.ok()) << more.error().message();
    if (!*more) break;
    edit(++n, &e);
    (*w)->Append(e);
  }
  ASSERT_TRUE((*w)->Finish().ok());
}

struct BadField {
  const char* name;
  void (*edit)(uint64_t n, recorder::Event* e);
  const char* why;
};

const BadField kBadFields[] = {
    {"AbiByte",
     [](uint64_t n, recorder::Event* e) {
       if (n == 5) e->abi = 7;
     },
     "ABI byte 7 out of range"},
    {"NegativePid",
     [](uint64_t n, recorder::Event* e) {
       if (n == 5) e->pid = -3;
     },
     "task id out of range"},
};

class CraftedRecording : public ::testing::TestWithParam<BadField> {};

TEST_P(CraftedRecording, EveryReaderFailsWithOneLine) {
  std::string dir = TempDir();
  auto rec = Pwnbox({"record", "-o", dir + "/good.pwnr", "--", Prog("sec_out_names"), dir});
  ASSERT_EQ(rec.status, 0) << rec.err;
  const std::string bad = dir + "/bad.pwnr";
  Craft(dir + "/good.pwnr", bad, GetParam().edit);
  const std::vector<std::vector<std::string>> commands = {
      {"show", bad},           {"show", "--json", bad},         {"show", "-c", bad},
      {"show", "--at", "9", bad}, {"diff", bad, dir + "/good.pwnr"}, {"diff", dir + "/good.pwnr", bad},
      {"replay", bad},         {"profile", bad},
  };
  for (const auto& args : commands) {
    auto r = Pwnbox(args);
    SCOPED_TRACE(args[0] + " " + args[1]);
    EXPECT_EQ(r.status, 125) << r.out << r.err;
    ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("pwnbox: ", 0), 0u) << r.err;
    EXPECT_TRUE(Contains(r.err, std::string("(") + GetParam().why + ")")) << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(All, CraftedRecording, ::testing::ValuesIn(kBadFields),
                         [](const auto& info) { return std::string(info.param.name); });

// Replay runs the recorded command for real: without a policy its calls have their effects
// again; `replay --policy` stops the ones the policy denies (the directory is not made).
TEST(Outputs, ReplayHasRealEffectsAndPolicyConfinesThem) {
  std::string dir = TempDir();
  auto rec = Pwnbox({"record", "-o", dir + "/run.pwnr", "--", Prog("sec_out_names"), dir});
  ASSERT_EQ(rec.status, 0) << rec.err;
  const std::string made = dir + "/d\033]0;title\007";
  ASSERT_EQ(access(made.c_str(), F_OK), 0);
  ASSERT_EQ(unlink((made + "/f").c_str()), 0);
  ASSERT_EQ(rmdir(made.c_str()), 0);
  auto help = Pwnbox({"replay", "--help"});
  EXPECT_TRUE(Contains(help.out, "Every other call really happens")) << help.out;

  WriteFile(dir + "/no-mkdir.toml",
            "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"mkdir\", \"mkdirat\"]\n"
            "action = \"errno:EACCES\"\n");
  auto confined = Pwnbox({"replay", "--policy", dir + "/no-mkdir.toml", dir + "/run.pwnr"});
  // mkdir failed this time, so the program gave up where the recording goes on.
  EXPECT_EQ(confined.status, 1) << confined.err;
  EXPECT_TRUE(Contains(confined.err, "replay diverged")) << confined.err;
  EXPECT_TRUE(Contains(confined.err, "replayed: exit_group(5)")) << confined.err;
  EXPECT_NE(access(made.c_str(), F_OK), 0) << "the policy did not stop mkdir";

  auto free_run = Pwnbox({"replay", dir + "/run.pwnr"});
  EXPECT_EQ(free_run.status, 0) << free_run.err;
  EXPECT_EQ(access(made.c_str(), F_OK), 0) << "replay without a policy made the directory again";
}

}  // namespace
}  // namespace pwnbox::testing
