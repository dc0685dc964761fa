// A backend per rule (`escalate` on a [[rule]]): the loader's errors for bad values and for values
// that contradict what the rule's action needs (exact FILE:LINE:COL blocks), the TOML round trip,
// and the compiler's routes: each rule's calls return its own route from the BPF, a `when`
// fall-through that needs the other route is refused at the key, --complain follows the key.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "config/policy.h"
#include "filters/bpf.h"
#include "filters/filters.h"

namespace pwnbox {
namespace {

using filters::RulePlacement;

const std::string kHead = "version = 1\ndefault = \"allow\"\n";

config::Policy MustLoad(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "t.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? std::move(p).value() : config::Policy{};
}

std::string LoadError(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "t.toml");
  return p.ok() ? "(loaded)" : p.error().message();
}

seccomp_data Data(int nr, std::initializer_list<uint64_t> args = {}) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  int i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

// ---- loader ----

TEST(RuleEscalateLoader, ReadsBothValuesAndLeavesItUnsetWithoutTheKey) {
  config::Policy p = MustLoad(kHead +
                              "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1\n"
                              "escalate = \"ptrace\"\n"
                              "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"return\"\nvalue = 2\n"
                              "escalate = \"notify\"\n"
                              "[[rule]]\nsyscalls = [\"getsid\"]\naction = \"return\"\nvalue = 3\n");
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(p.rules[0].escalate, config::Options::Escalate::kPtrace);
  EXPECT_EQ(p.rules[0].escalate_line, 7);
  EXPECT_EQ(p.rules[0].escalate_column, 12);
  EXPECT_EQ(p.rules[1].escalate, config::Options::Escalate::kNotify);
  EXPECT_FALSE(p.rules[2].escalate.has_value());
  EXPECT_NE(p.rules[0].ToString().find("escalate=ptrace"), std::string::npos) << p.rules[0].ToString();
  EXPECT_EQ(p.rules[2].ToString().find("escalate"), std::string::npos);
}

TEST(RuleEscalateLoader, BadValueIsAnErrorAtTheValue) {
  EXPECT_EQ(LoadError(kHead + "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1\n"
                              "escalate = \"seccomp\"\n"),
            "t.toml:7:12: invalid escalate value \"seccomp\"\n"
            "escalate = \"seccomp\"\n"
            "           ^\n"
            "hint: escalate = \"notify\" or \"ptrace\"");
  EXPECT_EQ(LoadError(kHead + "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1\n"
                              "escalate = true\n"),
            "t.toml:7:12: \"escalate\" must be a string, not a boolean\n"
            "escalate = true\n"
            "           ^\n"
            "hint: escalate = \"notify\" or \"ptrace\"");
}

TEST(RuleEscalateLoader, MisspelledKeyIsAnUnknownKeyWithASuggestion) {
  const std::string e = LoadError(kHead + "[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\n"
                                          "escalte = \"ptrace\"\n");
  EXPECT_EQ(e.rfind("t.toml:6:1: unknown rule key \"escalte\"\n", 0), 0u) << e;
  EXPECT_NE(e.find("did you mean \"escalate\"?"), std::string::npos) << e;
}

struct Contradiction {
  const char* name;
  const char* rule;      // the rule's keys, without escalate
  const char* escalate;  // the contradicting value
  const char* message;   // the error's first line after "t.toml:LINE:12: "
  const char* hint;      // its hint line
};

const Contradiction kContradictions[] = {
    {"ModifyOnNotify", "syscalls = [\"write\"]\nargs = [\"fd == 1\"]\naction = \"modify\"\nset = { count = 1 }\n",
     "notify",
     "this rule cannot go through notify: action modify changes the arguments of a call that then "
     "runs: only the tracer can",
     "hint: write escalate = \"ptrace\" (or remove it: the rule takes that route by itself)"},
    {"PathsOnPtrace", "syscalls = [\"openat\"]\npaths = [\"/etc/shadow\"]\naction = \"errno:EACCES\"\n",
     "ptrace",
     "this rule cannot go through ptrace: paths are emulated race-free from one read of the arguments",
     "hint: write escalate = \"notify\" (or remove it: the rule takes that route by itself)"},
    {"RedirectOnPtrace", "syscalls = [\"openat\"]\naction = \"redirect\"\nto = \"/tmp/x\"\n",
     "ptrace",
     "this rule cannot go through ptrace: redirect is emulated race-free",
     "hint: write escalate = \"notify\" (or remove it: the rule takes that route by itself)"},
    {"ProxyOnPtrace", "syscalls = [\"uname\"]\naction = \"proxy\"\nbackend = \"unix:/tmp/p.sock\"\n",
     "ptrace",
     "this rule cannot go through ptrace: the backend's fd and data reach the target through the "
     "notification",
     "hint: write escalate = \"notify\" (or remove it: the rule takes that route by itself)"},
    {"LogOnNotify", "syscalls = [\"uname\"]\naction = \"log\"\n", "notify",
     "this rule cannot go through notify: a report of a call that runs needs its result: only the "
     "tracer sees it",
     "hint: write escalate = \"ptrace\" (or remove it: the rule takes that route by itself)"},
    {"AllowWithLogOnNotify", "syscalls = [\"uname\"]\naction = \"allow\"\nlog = true\n", "notify",
     "this rule cannot go through notify: a report of a call that runs needs its result: only the "
     "tracer sees it",
     "hint: write escalate = \"ptrace\" (or remove it: the rule takes that route by itself)"},
};

class RuleEscalateContradiction : public ::testing::TestWithParam<Contradiction> {};

TEST_P(RuleEscalateContradiction, IsAnErrorAtTheValueSayingWhyAndWhatToWrite) {
  const Contradiction& c = GetParam();
  const std::string rule = c.rule;
  const int line = 4 + static_cast<int>(std::count(rule.begin(), rule.end(), '\n'));
  const std::string esc_line = std::string("escalate = \"") + c.escalate + "\"";
  EXPECT_EQ(LoadError(kHead + "[[rule]]\n" + rule + esc_line + "\n"),
            "t.toml:" + std::to_string(line) + ":12: " + c.message + "\n" + esc_line + "\n" +
                std::string(11, ' ') + "^\n" + c.hint);
  // The value it needs loads.
  const std::string other = std::string(c.escalate) == "notify" ? "ptrace" : "notify";
  config::Policy p = MustLoad(kHead + "[[rule]]\n" + rule + "escalate = \"" + other + "\"\n");
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_TRUE(p.rules[0].escalate.has_value());
}

INSTANTIATE_TEST_SUITE_P(All, RuleEscalateContradiction, ::testing::ValuesIn(kContradictions),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(RuleEscalateLoader, ToTomlRoundTripKeepsEachRulesKey) {
  config::Policy p = MustLoad(kHead +
                              "[options]\nescalate = \"ptrace\"\n"
                              "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1\n"
                              "escalate = \"notify\"\n"
                              "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"fd == 1\"]\naction = \"modify\"\n"
                              "set = { count = 1 }\nescalate = \"ptrace\"\n"
                              "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"return\"\nvalue = 2\n");
  const std::string toml = config::ToToml(p);
  EXPECT_NE(toml.find("escalate = \"notify\"\n"), std::string::npos) << toml;
  auto again = config::LoadPolicyString(toml, "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << toml;
  EXPECT_EQ(again->ToString(), p.ToString());
  EXPECT_EQ(again->rules[0].escalate, config::Options::Escalate::kNotify);
  EXPECT_EQ(again->rules[1].escalate, config::Options::Escalate::kPtrace);
  EXPECT_FALSE(again->rules[2].escalate.has_value());
}

// The loader fuzz target's seed (tests/fuzz/corpus/policy_loader/rule_escalate.toml) survives
// the same round trip the fuzz target checks (ToToml, then load, prints equally).
TEST(RuleEscalateLoader, FuzzSeedRoundTrips) {
  const char* src = std::getenv("PWNBOX_SOURCE_DIR");
  const std::string root = src ? src
                               : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
  auto p = config::LoadPolicyFile(root + "/tests/fuzz/corpus/policy_loader/rule_escalate.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->rules.size(), 5u);
  EXPECT_EQ(p->rules[0].escalate, config::Options::Escalate::kPtrace);
  EXPECT_EQ(p->rules[4].escalate, config::Options::Escalate::kPtrace);
  auto again = config::LoadPolicyString(config::ToToml(*p), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->ToString(), p->ToString());
}

// ---- compiler ----

filters::Program MustCompile(const config::Policy& p, const filters::CompileOptions& o = {}) {
  auto prog = filters::Compile(p, o);
  EXPECT_TRUE(prog.ok()) << prog.error().message();
  return prog.ok() ? std::move(prog).value() : filters::Program{};
}

class RuleRoutes : public ::testing::TestWithParam<std::string> {
 protected:
  // options.escalate is the parameter; getppid's rule says the other backend, getpgrp's none.
  std::string Other() const { return GetParam() == "notify" ? "ptrace" : "notify"; }
  config::Policy Policy() const {
    return MustLoad(kHead + "[options]\nescalate = \"" + GetParam() + "\"\n" +
                    "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\nvalue = 1\n"
                    "escalate = \"" + Other() + "\"\n"
                    "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"return\"\nvalue = 2\n"
                    "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"fd == 1\"]\naction = \"modify\"\n"
                    "set = { count = 1 }\n"
                    "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc/shadow\"]\n"
                    "action = \"errno:EACCES\"\n");
  }
  static uint32_t Ret(const std::string& how, int rule) {
    return how == "notify" ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_TRACE | static_cast<uint32_t>(rule + 1);
  }
  static RulePlacement::Route RouteNamed(const std::string& how) {
    return how == "notify" ? RulePlacement::Route::kNotify : RulePlacement::Route::kPtrace;
  }
};

TEST_P(RuleRoutes, EachRuleReturnsItsOwnRouteFromTheFilter) {
  config::Policy p = Policy();
  filters::Program prog = MustCompile(p);
  EXPECT_TRUE(prog.uses_notify);
  EXPECT_TRUE(prog.uses_trace);
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_getppid)), Ret(Other(), 0));
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_getpgrp)), Ret(GetParam(), 1));
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_write, {1, 0, 5})), SECCOMP_RET_TRACE | 3u);
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_write, {2, 0, 5})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_openat)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(prog.rules[0].route, RouteNamed(Other()));
  EXPECT_EQ(prog.rules[0].route_why, "escalate = \"" + Other() + "\" on the rule");
  EXPECT_EQ(prog.rules[1].route, RouteNamed(GetParam()));
  EXPECT_EQ(prog.rules[1].route_why, "options.escalate");
  EXPECT_EQ(prog.rules[2].route, RulePlacement::Route::kPtrace);
  EXPECT_EQ(prog.rules[3].route, RulePlacement::Route::kNotify);
}

TEST_P(RuleRoutes, ComplainFollowsTheRulesKeyForKernelRules) {
  config::Policy p = MustLoad(kHead + "[options]\nescalate = \"" + GetParam() + "\"\n" +
                              "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EPERM\"\n"
                              "escalate = \"" + Other() + "\"\n"
                              "[[rule]]\nsyscalls = [\"getpgrp\"]\naction = \"errno:EPERM\"\n");
  filters::Program kernel = MustCompile(p);
  EXPECT_EQ(kernel.rules[0].route, RulePlacement::Route::kKernel);  // the key changes nothing
  EXPECT_EQ(filters::RunBpf(kernel.bpf, Data(SYS_getppid)), SECCOMP_RET_ERRNO | EPERM);
  filters::CompileOptions complain;
  complain.complain = true;
  filters::Program prog = MustCompile(p, complain);
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_getppid)), Ret(Other(), 0));
  EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_getpgrp)), Ret(GetParam(), 1));
  EXPECT_EQ(prog.rules[0].route, RouteNamed(Other()));
  EXPECT_EQ(prog.rules[1].route, RouteNamed(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Backends, RuleRoutes, ::testing::Values("notify", "ptrace"));

// Several rules on one syscall with different routes: the first rule whose args match picks the
// route of the call, and FirstMatch (what the supervisor decides by) names that same rule.
TEST(RuleRoutesOneSyscall, TheFirstMatchingRulesRouteDecides) {
  config::Policy p = MustLoad(kHead +
                              "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"fd == 1\"]\n"
                              "action = \"return\"\nvalue = 1\nescalate = \"ptrace\"\n"
                              "[[rule]]\nsyscalls = [\"write\"]\nargs = [\"count == 7\"]\n"
                              "action = \"return\"\nvalue = 2\n"
                              "[[rule]]\nsyscalls = [\"write\"]\naction = \"return\"\nvalue = 3\n"
                              "escalate = \"ptrace\"\n");
  filters::Program prog = MustCompile(p);
  struct Case {
    uint64_t fd, count;
    uint32_t ret;
    int rule;
  } cases[] = {{1, 7, SECCOMP_RET_TRACE | 1u, 0},
               {2, 7, SECCOMP_RET_USER_NOTIF, 1},
               {2, 8, SECCOMP_RET_TRACE | 3u, 2},
               {1, 8, SECCOMP_RET_TRACE | 1u, 0}};
  for (const Case& c : cases) {
    seccomp_data d = Data(SYS_write, {c.fd, 0, c.count});
    EXPECT_EQ(filters::RunBpf(prog.bpf, d), c.ret) << c.fd << " " << c.count;
    const uint64_t args[6] = {c.fd, 0, c.count, 0, 0, 0};
    EXPECT_EQ(filters::FirstMatch(p, core::Abi::kX86_64, SYS_write, args), c.rule);
  }
}

TEST(RuleRoutesWhen, AKeyContradictingTheFallThroughIsRefusedAtTheKey) {
  // The calls of rule 1 that are not its 2nd fall through to a path rule: notify only.
  auto p = MustLoad(kHead +
                    "[[rule]]\nsyscalls = [\"openat\"]\nwhen = 2\naction = \"errno:EPERM\"\n"
                    "escalate = \"ptrace\"\n"
                    "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc/shadow\"]\n"
                    "action = \"errno:EACCES\"\n");
  auto prog = filters::Compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_EQ(prog.error().message(),
            "t.toml:7:12: this rule cannot go through ptrace: its other calls fall through to the "
            "rule at t.toml:8:1, served race-free through notify\n"
            "hint: write escalate = \"notify\" (or remove it: the rule takes that route by itself)");
  // Without the key it takes notify by itself; with the right one too.
  p.rules[0].escalate.reset();
  EXPECT_EQ(MustCompile(p).rules[0].route, RulePlacement::Route::kNotify);
  p.rules[0].escalate = config::Options::Escalate::kNotify;
  EXPECT_EQ(MustCompile(p).rules[0].route, RulePlacement::Route::kNotify);

  // The calls of rule 1 that are not its 1st fall through to a modify rule: ptrace only.
  auto q = MustLoad(kHead +
                    "[[rule]]\nsyscalls = [\"write\"]\nwhen = 1\naction = \"return\"\nvalue = 0\n"
                    "escalate = \"notify\"\n"
                    "[[rule]]\nsyscalls = [\"write\"]\naction = \"modify\"\nset = { count = 1 }\n");
  auto qprog = filters::Compile(q);
  ASSERT_FALSE(qprog.ok());
  EXPECT_EQ(qprog.error().message(),
            "t.toml:8:12: this rule cannot go through notify: its other calls fall through to the "
            "modify rule at t.toml:9:1: only the tracer can\n"
            "hint: write escalate = \"ptrace\" (or remove it: the rule takes that route by itself)");
}

// A modify rule reached from an earlier path rule on the same calls arrives through notify (the
// path rule's route): the compiler warns (the run fails such calls closed, with ENOSYS).
TEST(RuleRoutesFallThrough, ModifyBehindAPathRuleIsWarnedOf) {
  auto p = MustLoad(kHead +
                    "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/nonexistent/**\"]\n"
                    "action = \"errno:EACCES\"\n"
                    "[[rule]]\nsyscalls = [\"openat\"]\nargs = [\"flags == 0\"]\naction = \"modify\"\n"
                    "set = { flags = 0 }\n");
  filters::Program prog = MustCompile(p);
  ASSERT_EQ(prog.warnings.size(), 1u);
  EXPECT_EQ(prog.warnings[0],
            "rule at t.toml:7:1 needs the tracer, but the calls of openat that the path rule at "
            "t.toml:3:1 does not match can reach it through notify (that rule's route) and fail "
            "with ENOSYS; move it before the path rule, or give the path rule args that exclude "
            "its calls");
  // In the other order the modify rule's calls go to the tracer: no warning.
  std::swap(p.rules[0], p.rules[1]);
  EXPECT_TRUE(MustCompile(p).warnings.empty());
}

// An encoding the kernel filter cannot decide (junk in the upper half of a narrow argument
// compared by range) goes to pwnbox; when a rule of that syscall is a path rule it must go
// through notify whatever options.escalate says: through the tracer, an allowed path would be
// read again by the kernel after pwnbox checked it.
TEST(RuleRoutesCanonical, JunkEncodingsOfAPathRulesSyscallGoThroughNotify) {
  for (const std::string how : {"notify", "ptrace"}) {
    auto p = MustLoad(kHead + "[options]\nescalate = \"" + how + "\"\n" +
                      "[[rule]]\nsyscalls = [\"openat\"]\nargs = [\"mode > 5\"]\naction = \"errno:EPERM\"\n"
                      "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc/shadow\"]\naction = \"errno:EACCES\"\n"
                      "[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain > 5\"]\naction = \"errno:EPERM\"\n");
    filters::Program prog = MustCompile(p);
    ASSERT_FALSE(prog.canonical_checks.empty()) << how;
    const uint64_t junk = uint64_t{1} << 32;
    EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_openat, {0, 0, 0, junk | 1})), SECCOMP_RET_USER_NOTIF)
        << how;
    EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_openat, {0, 0, 0, 1})), SECCOMP_RET_USER_NOTIF) << how;
    EXPECT_EQ(filters::RunBpf(prog.bpf, Data(SYS_openat, {0, 0, 0, 6})), SECCOMP_RET_ERRNO | EPERM) << how;
  }
}

// A policy built in code (not loaded) with a contradicting key is refused by the compiler too,
// at the rule.
TEST(RuleRoutesBuilt, ContradictionWithoutASourceIsRefusedAtTheRule) {
  auto p = MustLoad(kHead + "[[rule]]\nsyscalls = [\"write\"]\naction = \"modify\"\nset = { count = 1 }\n");
  p.rules[0].escalate = config::Options::Escalate::kNotify;
  auto prog = filters::Compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_EQ(prog.error().message().rfind("t.toml:3:1: this rule cannot go through notify: action modify", 0), 0u)
      << prog.error().message();
}

}  // namespace
}  // namespace pwnbox
