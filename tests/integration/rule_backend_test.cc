// A backend per rule: one policy mixing notify and ptrace rules, under `run`, `trace --policy`
// and `record --policy`. Each rule's calls take their own route: a redirect (only the notify
// loop emulates it), a modify (only the tracer can), and two `return` rules on routes chosen by
// the rule's `escalate` key and by options.escalate; `run --stats` counts the calls the tracer
// decided. `check` prints each rule's route (bpf, notify, ptrace).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

constexpr int kPpidCalls = 3, kPgrpCalls = 5;

// Lines of a trace that show `call` (its name and arguments) ending with `= result`.
size_t Calls(const std::string& text, const std::string& call, const std::string& result) {
  size_t n = 0;
  for (const std::string& line : Grep(text, call))
    if (line.rfind(call, 0) == 0 && line.size() >= result.size() + 2 &&
        line.compare(line.size() - result.size() - 2, std::string::npos, "= " + result) == 0)
      ++n;
  return n;
}

// The parameter is options.escalate; getppid's rule says the other backend, getpgrp's none.
class RuleBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    WriteFile(dir_ + "/secret", "the real file\n");
    WriteFile(dir_ + "/fake", "the redirected file\n");
    policy_ = dir_ + "/mixed.toml";
    WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                           "\"\n"
                           "[[rule]]\nsyscalls = [\"openat\", \"open\"]\npaths = [\"" + dir_ +
                           "/secret\"]\naction = \"redirect\"\nto = \"" + dir_ + "/fake\"\n"
                           "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"fd == 1\", \"count == 11\"]\n"
                           "action = \"modify\"\nset = { count = 4 }\n"
                           "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1111\n"
                           "escalate = \"" + Other() + "\"\n"
                           "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"return\"\nvalue = 2222\n");
  }
  std::string Other() const { return GetParam() == "notify" ? "ptrace" : "notify"; }
  std::vector<std::string> Command() const {
    return {Prog("rb_mixed"), dir_ + "/secret", std::to_string(kPpidCalls),
            std::to_string(kPgrpCalls)};
  }
  // What rb_mixed prints when every rule took effect.
  void ExpectEveryRuleTookEffect(const std::string& out) {
    EXPECT_TRUE(Contains(out, "file=the redirected file\n")) << out;   // notify
    EXPECT_TRUE(Contains(out, "0123\n<after the modified write>\n")) << out;  // ptrace
    EXPECT_FALSE(Contains(out, "456789")) << out;
    EXPECT_TRUE(Contains(out, "ppid=1111 pgrp=2222\n")) << out;
    EXPECT_FALSE(Contains(out, "tracer=0\n")) << out;
    EXPECT_FALSE(Contains(out, "tracer=-1\n")) << out;
  }
  std::string dir_, policy_;
};

TEST_P(RuleBackend, CheckPrintsEachRulesRoute) {
  auto r = Pwnbox({"check", policy_});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "rule 1 (" + policy_ + ":5:1) openat, open -> redirect " + dir_ +
                                  "/fake: notify (paths are emulated race-free"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 2 (" + policy_ + ":10:1) write [fd == 1, count == 11] -> "
                              "modify arg2=4: ptrace (action modify changes the arguments"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 3 (" + policy_ + ":15:1) getppid -> return 1111: " + Other() +
                                  " (escalate = \"" + Other() + "\" on the rule): action return\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "rule 4 (" + policy_ + ":20:1) getpgrp -> return 2222: " +
                                  GetParam() + " (options.escalate): action return\n"))
      << r.out;
}

// A rule the kernel decides has no backend: check says when its key applies; --complain
// escalates it through the backend the key names.
TEST(RuleBackendCheck, AKeyOnAKernelRuleAppliesUnderComplain) {
  const std::string policy = TempDir() + "/k.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n"
                    "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EPERM\"\nescalate = \"ptrace\"\n"
                    "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"errno:EPERM\"\n");
  auto r = Pwnbox({"check", policy});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "getppid -> errno:EPERM: bpf (escalate = \"ptrace\" applies only under "
                              "--complain)\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "getpgrp -> errno:EPERM: bpf\n")) << r.out;
  auto c = Pwnbox({"check", "--complain", policy});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_TRUE(Contains(c.out, "getppid -> errno:EPERM: ptrace (escalate = \"ptrace\" on the rule): "
                              "--complain\n"))
      << c.out;
  EXPECT_TRUE(Contains(c.out, "getpgrp -> errno:EPERM: notify (options.escalate): --complain\n"))
      << c.out;
}

TEST_P(RuleBackend, RunServesEachRuleOnItsRoute) {
  const std::string stats = dir_ + "/stats.json";
  std::vector<std::string> args = {"--policy", policy_, "--stats", stats, "--"};
  for (const auto& a : Command()) args.push_back(a);
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  ExpectEveryRuleTookEffect(r.out);
  auto s = nlohmann::json::parse(ReadFile(stats), nullptr, false);
  ASSERT_FALSE(s.is_discarded()) << ReadFile(stats);
  // Through the tracer: the modified write, and the calls of whichever return rule routes there.
  const int expected = 1 + (Other() == "ptrace" ? kPpidCalls : kPgrpCalls);
  EXPECT_EQ(s["escalated_ptrace"], expected) << s.dump();
  // Through notify: the other return rule's calls and every openat (the path rule), at least.
  EXPECT_GE(s["escalated"].get<int>(), expected + (Other() == "ptrace" ? kPgrpCalls : kPpidCalls) + 1)
      << s.dump();
  EXPECT_EQ(s["lifecycle"], "ptrace") << s.dump();
  EXPECT_EQ(s["kernel_errors"], 0) << s.dump();
}

TEST_P(RuleBackend, TracePolicyServesEachRuleOnItsRoute) {
  std::vector<std::string> args = {"trace", "--policy", policy_, "-e",
                                   "trace=getppid,getpgrp,write,openat", "--"};
  for (const auto& a : Command()) args.push_back(a);
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  ExpectEveryRuleTookEffect(r.out);
  EXPECT_EQ(Calls(r.err, "getppid()", "1111"), static_cast<size_t>(kPpidCalls)) << r.err;
  EXPECT_EQ(Calls(r.err, "getpgrp()", "2222"), static_cast<size_t>(kPgrpCalls)) << r.err;
  EXPECT_EQ(Calls(r.err, "write(1, \"0123\", 4)", "4"), 1u) << r.err;
  EXPECT_EQ(Calls(r.err, "openat(AT_FDCWD, \"" + dir_ + "/secret\", O_RDONLY)", "3"), 1u) << r.err;
}

TEST_P(RuleBackend, RecordPolicyKeepsEachRulesDecision) {
  const std::string rec = dir_ + "/run.pwnr";
  std::vector<std::string> args = {"record", "-o", rec, "--policy", policy_, "--"};
  for (const auto& a : Command()) args.push_back(a);
  auto r = Pwnbox(args);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  ExpectEveryRuleTookEffect(r.out);
  auto show = Pwnbox({"show", rec});
  ASSERT_EQ(show.status, 0) << show.err;
  EXPECT_EQ(Calls(show.out, "getppid()", "1111"), static_cast<size_t>(kPpidCalls)) << show.out;
  EXPECT_EQ(Calls(show.out, "getpgrp()", "2222"), static_cast<size_t>(kPgrpCalls)) << show.out;
  EXPECT_EQ(Calls(show.out, "write(1, \"0123\", 4)", "4"), 1u) << show.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, RuleBackend, ::testing::Values("notify", "ptrace"));

// A policy whose escalated rules all go through notify runs no tracer decision at all; one rule
// saying "ptrace" moves exactly its calls to the tracer.
TEST(RuleBackendStats, OneRuleOnPtraceMovesExactlyItsCalls) {
  const std::string dir = TempDir();
  for (const std::string key : {"", "escalate = \"ptrace\"\n"}) {
    const std::string policy = dir + "/p.toml", stats = dir + "/stats.json";
    WriteFile(policy, "version = 1\ndefault = \"allow\"\n"
                      "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 7\n" + key +
                      "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"return\"\nvalue = 8\n");
    auto r = Pwnbox({"--policy", policy, "--lifecycle", "ptrace", "--stats", stats, "--",
                     Prog("rb_mixed"), dir + "/none", "3", "4"});
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, "ppid=7 pgrp=8\n")) << r.out;
    EXPECT_TRUE(Contains(r.out, "0123456789\n")) << r.out;  // no modify rule here
    auto s = nlohmann::json::parse(ReadFile(stats), nullptr, false);
    ASSERT_FALSE(s.is_discarded());
    EXPECT_EQ(s["escalated_ptrace"], key.empty() ? 0 : 3) << key << s.dump();
    EXPECT_EQ(s["escalated"], 7) << key << s.dump();
  }
}

// A modify rule behind a path rule on the same calls: those calls reach pwnbox through the path
// rule's route (notify), where no argument can be changed: they fail closed with ENOSYS, and
// `check` warns of it. In the other order the modify rule's calls go to the tracer.
TEST(RuleBackendFallThrough, ModifyReachedThroughNotifyFailsClosed) {
  const std::string dir = TempDir();
  WriteFile(dir + "/file", "contents\n");
  const std::string path_rule =
      "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/nonexistent/**\"]\naction = \"errno:EACCES\"\n";
  // rb_mixed opens its file with O_RDONLY (0); the loader's opens have O_CLOEXEC.
  const std::string modify_rule =
      "[[rule]]\nsyscalls = [\"openat\"]\nargs = [\"flags == 0\"]\naction = \"modify\"\nset = { flags = 0 }\n";
  for (bool modify_first : {false, true}) {
    const std::string policy = dir + "/p.toml";
    WriteFile(policy, "version = 1\ndefault = \"allow\"\n" +
                          (modify_first ? modify_rule + path_rule : path_rule + modify_rule));
    auto check = Pwnbox({"check", policy});
    ASSERT_EQ(check.status, 0) << check.err;
    EXPECT_EQ(Contains(check.out, "fail with ENOSYS"), !modify_first) << check.out;
    auto r = Pwnbox({"--policy", policy, "--", Prog("rb_mixed"), dir + "/file", "0", "0"});
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_TRUE(Contains(r.out, modify_first ? "file=contents\n" : "file=open failed: Function not implemented\n"))
        << modify_first << r.out << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing
