// Unit tests for occurrence conditions (`when`): the parser (every form and every mistake with
// its offset), the loader's FILE:LINE:COL errors, the TOML writer, where the compiler sends such
// rules (escalated, and through which backend), the OCI refusal, and the Decider's counting
// (first match, fall-through, one number per call even from many threads at once).
#include <gtest/gtest.h>

#include <sys/syscall.h>

#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "config/policy.h"
#include "filters/filters.h"
#include "filters/oci.h"
#include "supervisor/decider.h"

namespace pwnbox::config {
namespace {

Occurrence Parse(const std::string& text) {
  auto r = ParseOccurrence(text);
  if (auto* e = std::get_if<ConditionError>(&r)) {
    ADD_FAILURE() << text << ": " << e->message;
    return {};
  }
  return std::get<Occurrence>(r);
}

ConditionError ParseError(const std::string& text) {
  auto r = ParseOccurrence(text);
  if (auto* e = std::get_if<ConditionError>(&r)) return *e;
  ADD_FAILURE() << text << " was accepted";
  return {};
}

std::vector<uint64_t> Members(const Occurrence& o, uint64_t upto) {
  std::vector<uint64_t> out;
  for (uint64_t n = 1; n <= upto; ++n)
    if (o.Matches(n)) out.push_back(n);
  return out;
}

TEST(ParseOccurrence, EveryForm) {
  constexpr uint64_t kNo = Occurrence::kNoLast;
  struct Case {
    const char* text;
    uint64_t first, last, step;
    const char* canonical;
  };
  const Case cases[] = {
      {"3", 3, 3, 1, "3"},           {"2..5", 2, 5, 1, "2..5"},   {"2..", 2, kNo, 1, "2.."},
      {"2+", 2, kNo, 1, "2.."},      {"1..9+2", 1, 9, 2, "1..9+2"}, {"4+3", 4, kNo, 3, "4+3"},
      {"4..+3", 4, kNo, 3, "4+3"},   {"5..5", 5, 5, 1, "5"},      {"5..5+2", 5, 5, 1, "5"},
      {"2..6+1", 2, 6, 1, "2..6"},   {"007", 7, 7, 1, "7"},
      {"18446744073709551615", kNo, kNo, 1, "18446744073709551615"},
  };
  for (const Case& c : cases) {
    Occurrence o = Parse(c.text);
    EXPECT_EQ(o.first, c.first) << c.text;
    EXPECT_EQ(o.last, c.last) << c.text;
    EXPECT_EQ(o.step, c.step) << c.text;
    EXPECT_EQ(o.ToString(), c.canonical) << c.text;
    EXPECT_EQ(Parse(o.ToString()), o) << c.text << " does not read back";
  }
}

TEST(ParseOccurrence, Membership) {
  EXPECT_EQ(Members(Parse("3"), 10), (std::vector<uint64_t>{3}));
  EXPECT_EQ(Members(Parse("2..6+2"), 10), (std::vector<uint64_t>{2, 4, 6}));
  EXPECT_EQ(Members(Parse("1..9+2"), 12), (std::vector<uint64_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(Members(Parse("8.."), 10), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_EQ(Members(Parse("4+3"), 12), (std::vector<uint64_t>{4, 7, 10}));
  EXPECT_EQ(Members(Parse("2..7+3"), 12), (std::vector<uint64_t>{2, 5}));
  EXPECT_FALSE(Parse("1..").Matches(0));
  EXPECT_TRUE(Parse("1..").Matches(Occurrence::kNoLast));
}

TEST(ParseOccurrence, MistakesPointAtTheirToken) {
  struct Case {
    const char* text;
    size_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"", 0, "empty \"when\": it would name no call"},
      {"0", 0, "occurrences count from 1: 0 names no call"},
      {"0..4", 0, "occurrences count from 1: 0 names no call"},
      {"x", 0, "expected the first occurrence (a decimal number), found \"x\""},
      {"-1", 0, "expected the first occurrence (a decimal number), found \"-\""},
      {" 3", 0, "expected the first occurrence (a decimal number), found \" \""},
      {"5..3", 3, "empty range 5..3: the last occurrence comes before the first"},
      {"1..9+0", 5, "a step of 0 never advances"},
      {"2+0", 2, "a step of 0 never advances"},
      {"1..x", 3, "expected the last occurrence (a decimal number), found \"x\""},
      {"1..9+x", 5, "expected the step (a decimal number), found \"x\""},
      {"3 ", 1, "unexpected \" \" in \"when\""},
      {"3,4", 1, "unexpected \",4\" in \"when\""},
      {"1...4", 3, "expected the last occurrence (a decimal number), found \".\""},
      {"99999999999999999999", 0, "the first occurrence 99999999999999999999 is too large"},
  };
  for (const Case& c : cases) {
    ConditionError e = ParseError(c.text);
    EXPECT_EQ(e.offset, c.offset) << c.text;
    EXPECT_EQ(e.message, c.message) << c.text;
    EXPECT_FALSE(e.hint.empty()) << c.text;
  }
  EXPECT_EQ(ParseError("5..3").hint,
            "write FIRST..LAST with FIRST <= LAST (\"3..5\"), or FIRST.. for every call from "
            "FIRST on");
  EXPECT_EQ(ParseError("0").hint, "the first matching call is 1 (when = \"1\")");
}

std::string Rules(const std::string& rules) {
  return "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n" + rules;
}

std::string LoadError(const std::string& toml) {
  auto p = LoadPolicyString(toml, "t.toml");
  if (p.ok()) {
    ADD_FAILURE() << "accepted:\n" << toml;
    return "";
  }
  return p.error().message();
}

TEST(LoadWhen, ErrorsAreFileLineColumnWithTheLineAndAHint) {
  EXPECT_EQ(LoadError(Rules("when = \"0\"\naction = \"deny\"\n")),
            "t.toml:6:9: occurrences count from 1: 0 names no call\nwhen = \"0\"\n        ^\n"
            "hint: the first matching call is 1 (when = \"1\")");
  EXPECT_EQ(LoadError(Rules("when = \"5..3\"\naction = \"deny\"\n")),
            "t.toml:6:12: empty range 5..3: the last occurrence comes before the first\n"
            "when = \"5..3\"\n           ^\nhint: write FIRST..LAST with FIRST <= LAST (\"3..5\"), "
            "or FIRST.. for every call from FIRST on");
  EXPECT_EQ(LoadError(Rules("action = \"deny\"\nwhen = \"x\"\n")),
            "t.toml:7:9: expected the first occurrence (a decimal number), found \"x\"\n"
            "when = \"x\"\n        ^\nhint: write N (the N-th call), N..M, N.. (from N on), "
            "N..M+S or N+S (every S-th from N), counted from 1: when = \"3\", \"2..5\", "
            "\"1..9+2\"");
  EXPECT_EQ(LoadError(Rules("when = \"1..9+0\"\naction = \"deny\"\n")),
            "t.toml:6:14: a step of 0 never advances\nwhen = \"1..9+0\"\n             ^\n"
            "hint: +1 takes every call, +2 every other one (when = \"1..9+2\": 1, 3, 5, 7, 9)");
  EXPECT_EQ(LoadError(Rules("when = 0\naction = \"deny\"\n")),
            "t.toml:6:8: occurrences count from 1: 0 names no call\nwhen = 0\n       ^\n"
            "hint: the first matching call is 1 (when = 1)");
  EXPECT_EQ(LoadError(Rules("when = -2\naction = \"deny\"\n")),
            "t.toml:6:8: occurrences count from 1: -2 names no call\nwhen = -2\n       ^\n"
            "hint: the first matching call is 1 (when = 1)");
  EXPECT_EQ(LoadError(Rules("when = [3]\naction = \"deny\"\n")),
            "t.toml:6:8: \"when\" must be a string or an integer, not an array\nwhen = [3]\n"
            "       ^\nhint: e.g. when = \"3\" (the 3rd matching call), \"2..5\", \"1..9+2\"");
  EXPECT_EQ(LoadError(Rules("wehn = \"3\"\naction = \"deny\"\n")),
            "t.toml:6:1: unknown rule key \"wehn\"\nwehn = \"3\"\n^\nhint: did you mean "
            "\"when\"? (known keys: syscalls, args, paths, tcp_ports, when, action, value, to, set, backend, "
            "log, escalate)");
}

TEST(LoadWhen, IntegerAndStringAreTheSame) {
  auto a = LoadPolicyString(Rules("when = 3\naction = \"deny\"\n"), "a.toml");
  auto b = LoadPolicyString(Rules("when = \"3\"\naction = \"deny\"\n"), "b.toml");
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(a->ToString(), b->ToString());
  EXPECT_EQ(a->rules[0].ToString(), "syscalls=[getppid] when=3 -> errno:EPERM");
}

TEST(LoadWhen, ToTomlRoundTrips) {
  auto p = LoadPolicyString(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"lseek\"]\nargs = [\"fd == 100\"]\n"
      "when = \"2..6+2\"\naction = \"errno:EACCES\"\n\n[[rule]]\nsyscalls = [\"openat\"]\n"
      "paths = [\"/etc/app.conf\"]\nwhen = \"4+3\"\naction = \"errno:ENOENT\"\nlog = true\n",
      "t.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  const std::string toml = ToToml(*p);
  EXPECT_NE(toml.find("when = \"2..6+2\"\n"), std::string::npos) << toml;
  auto q = LoadPolicyString(toml, "back.toml");
  ASSERT_TRUE(q.ok()) << q.error().message() << "\n" << toml;
  EXPECT_EQ(p->ToString(), q->ToString());
  EXPECT_EQ(q->rules[1].when, (Occurrence{4, Occurrence::kNoLast, 3}));
}

Policy Load(const std::string& toml) {
  auto p = LoadPolicyString(toml, "t.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : Policy{};
}

TEST(CompileWhen, EscalatedWithTheReasonThroughTheChosenBackend) {
  for (const char* escalate : {"notify", "ptrace"}) {
    Policy p = Load(std::string("version = 1\ndefault = \"allow\"\n[options]\nescalate = \"") +
                    escalate + "\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"3\"\n"
                    "action = \"errno:EACCES\"\n");
    auto prog = filters::Compile(p);
    ASSERT_TRUE(prog.ok()) << prog.error().message();
    const auto& pl = prog->rules[0];
    EXPECT_EQ(pl.where, filters::RulePlacement::Where::kEscalated);
    EXPECT_EQ(pl.why, "when = \"3\" (only the supervisor counts calls)");
    EXPECT_EQ(pl.route, std::string(escalate) == "notify" ? filters::RulePlacement::Route::kNotify
                                                          : filters::RulePlacement::Route::kPtrace);
    EXPECT_EQ(pl.route_why, "options.escalate");
    // The filter escalates getppid and nothing else.
    EXPECT_EQ(filters::RuleAction(p, 0) & 0xffff0000u,
              std::string(escalate) == "notify" ? 0x7fc00000u : 0x7ff00000u);
  }
}

TEST(CompileWhen, AFallThroughToAPathRuleGoesThroughNotify) {
  Policy p = Load(
      "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"ptrace\"\n\n[[rule]]\n"
      "syscalls = [\"openat\"]\nwhen = \"2\"\naction = \"errno:EACCES\"\n\n[[rule]]\n"
      "syscalls = [\"openat\"]\npaths = [\"/etc/**\"]\naction = \"errno:ENOENT\"\n");
  auto prog = filters::Compile(p);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_EQ(prog->rules[0].route, filters::RulePlacement::Route::kNotify);
  EXPECT_EQ(prog->rules[0].route_why,
            "its other calls fall through to the rule at t.toml:11:1, served race-free through "
            "notify, whatever options.escalate says");
}

TEST(CompileWhen, AFallThroughToAModifyRuleGoesThroughTheTracer) {
  Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"write\"]\nwhen = \"2\"\n"
      "action = \"errno:EACCES\"\n\n[[rule]]\nsyscalls = [\"write\"]\naction = \"modify\"\n"
      "set = { count = 1 }\n");
  auto prog = filters::Compile(p);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_EQ(prog->rules[0].route, filters::RulePlacement::Route::kPtrace);
}

TEST(CompileWhen, ATracerRuleThatFallsThroughToAPathRuleIsRefused) {
  Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"openat\"]\nwhen = \"2\"\n"
      "action = \"allow\"\nlog = true\n\n[[rule]]\nsyscalls = [\"openat\"]\n"
      "paths = [\"/etc/**\"]\naction = \"errno:ENOENT\"\n");
  auto prog = filters::Compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_EQ(prog.error().message(),
            "t.toml:4:1: this rule goes through the tracer (a report of a call that runs), but "
            "its calls that are not its occurrences (when = \"2\") fall through to the rule at "
            "t.toml:10:1, which only notify serves race-free (paths, redirect, proxy)\nhint: narrow "
            "this rule's syscalls or args so that they do not overlap the later rule's, or move "
            "the later rule first");
}

TEST(CompileWhen, ARuleWithoutArgsAfterItIsNotCalledShadowed) {
  Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2\"\n"
      "action = \"errno:EACCES\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:EPERM\"\n");
  auto prog = filters::Compile(p);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_NE(prog->rules[1].where, filters::RulePlacement::Where::kShadowed);
  EXPECT_TRUE(prog->warnings.empty()) << prog->warnings.front();
}

TEST(OciWhen, RefusedWithTheRuleAndWhy) {
  Policy p = Load(Rules("when = \"3\"\naction = \"log\"\n"));
  std::vector<std::string> notes;
  auto oci = filters::PolicyToOci(p, &notes);
  ASSERT_FALSE(oci.ok());
  EXPECT_EQ(oci.error().message(),
            "rule at t.toml:4:1 needs pwnbox's supervisor (when = \"3\" (only the supervisor "
            "counts calls), action log): an OCI profile cannot express it");
  // The same policy without `when` is expressible (action log is SCMP_ACT_LOG).
  EXPECT_TRUE(filters::PolicyToOci(Load(Rules("action = \"log\"\n")), &notes).ok());
}

}  // namespace
}  // namespace pwnbox::config

namespace pwnbox::supervisor {
namespace {

config::Policy Load(const std::string& toml) {
  auto p = config::LoadPolicyString(toml, "t.toml");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : config::Policy{};
}

// The verdict of `n` calls of `nr` with `arg0` as their first argument.
std::string Decisions(Decider& d, int nr, uint64_t arg0, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const uint64_t args[6] = {arg0, 0, 0, 0, 0, 0};
    Verdict v = d.Decide(core::Abi::kX86_64, nr, args);
    if (!out.empty()) out += " ";
    out += v.kind == Verdict::Kind::kFail ? "E" + std::to_string(v.value) : "ok";
    if (v.occurrence) out += "#" + std::to_string(v.occurrence);
  }
  return out;
}

TEST(DecideWhen, OnlyTheOccurrencesMatch) {
  config::Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
      "when = \"2..6+2\"\naction = \"errno:13\"\n");
  Decider d(p, false);
  EXPECT_EQ(Decisions(d, SYS_getppid, 0, 8), "ok E13#2 ok E13#4 ok E13#6 ok ok");
  EXPECT_EQ(d.occurrences(0), 8u);
}

TEST(DecideWhen, ArgsSayWhichCallsCount) {
  config::Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"lseek\"]\n"
      "args = [\"fd == 100\"]\nwhen = \"2\"\naction = \"errno:13\"\n");
  Decider d(p, false);
  EXPECT_EQ(Decisions(d, SYS_lseek, 100, 1), "ok");
  EXPECT_EQ(Decisions(d, SYS_lseek, 101, 2), "ok ok");  // not counted
  EXPECT_EQ(Decisions(d, SYS_lseek, 100, 2), "E13#2 ok");
  EXPECT_EQ(d.occurrences(0), 3u);
}

TEST(DecideWhen, ARuleCountsOnlyTheCallsThatReachIt) {
  // Rule 1 takes the 2nd getppid; rule 2 counts the calls that fall through (1st, 3rd, ...),
  // and takes its own 2nd: the program's 3rd call.
  config::Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = 2\n"
      "action = \"errno:13\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = 2\n"
      "action = \"errno:2\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\naction = \"errno:1\"\n");
  Decider d(p, false);
  EXPECT_EQ(Decisions(d, SYS_getppid, 0, 5), "E1 E13#2 E2#2 E1 E1");
  EXPECT_EQ(d.occurrences(0), 5u);
  EXPECT_EQ(d.occurrences(1), 4u);
  EXPECT_EQ(d.occurrences(2), 0u);  // no `when`: not counted
}

TEST(DecideWhen, ComplainReportsTheOccurrenceAndStillCounts) {
  config::Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"2..3\"\n"
      "action = \"errno:13\"\n");
  Decider d(p, true);
  const uint64_t args[6] = {};
  std::vector<Verdict> v;
  for (int i = 0; i < 4; ++i) v.push_back(d.Decide(core::Abi::kX86_64, SYS_getppid, args));
  for (const Verdict& x : v) EXPECT_EQ(x.kind, Verdict::Kind::kContinue);
  EXPECT_FALSE(v[0].complained);
  EXPECT_TRUE(v[1].complained && v[1].report);
  EXPECT_EQ(v[1].rule, 0);
  EXPECT_EQ(v[1].occurrence, 2u);
  EXPECT_TRUE(v[2].complained && !v[2].report);  // once per (syscall, rule)
  EXPECT_EQ(d.complaints_suppressed(), 1u);
}

TEST(DecideWhen, ConcurrentDecisionsEachGetTheirOwnNumber) {
  config::Policy p = Load(
      "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\nwhen = \"1+2\"\n"
      "action = \"errno:13\"\n");
  Decider d(p, false);
  constexpr int kThreads = 8, kCalls = 5000;
  std::vector<int> failed(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t args[6] = {};
      for (int i = 0; i < kCalls; ++i)
        if (d.Decide(core::Abi::kX86_64, SYS_getppid, args).kind == Verdict::Kind::kFail)
          ++failed[static_cast<size_t>(t)];
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int f : failed) total += f;
  // Every odd number taken once: exactly half the calls fail.
  EXPECT_EQ(total, kThreads * kCalls / 2);
  EXPECT_EQ(d.occurrences(0), static_cast<uint64_t>(kThreads * kCalls));
  EXPECT_EQ(d.decisions(), static_cast<uint64_t>(kThreads * kCalls));
}

}  // namespace
}  // namespace pwnbox::supervisor
