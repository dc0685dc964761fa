// tcp_ports (config/policy.h): loading (values, ranges, FILE:LINE:COL errors on bad ports and
// on the key where it does not apply), the canonical form and its TOML round trip, and
// filters::PlanLandlock's TCP part (which connect/bind chains Landlock decides, and why not).
#include <string>

#include <gtest/gtest.h>

#include "config/policy.h"
#include "filters/landlock_plan.h"

namespace pwnbox {
namespace {

core::Result<config::Policy> Load(const std::string& rules, const std::string& head = "") {
  return config::LoadPolicyString("version = 1\ndefault = \"allow\"\n" + head + rules, "t.toml");
}

std::string Rule(const std::string& syscalls, const std::string& ports, const std::string& action) {
  return "\n[[rule]]\nsyscalls = [" + syscalls + "]\n" +
         (ports.empty() ? "" : "tcp_ports = " + ports + "\n") + "action = \"" + action + "\"\n";
}

// The error's first line for `rules`, or "" when it loads.
std::string ErrorOf(const std::string& rules) {
  auto p = Load(rules);
  if (p.ok()) return "";
  const std::string& m = p.error().message();
  return m.substr(0, m.find('\n'));
}

TEST(TcpPortsLoad, PortsAndRangesNormalized) {
  auto p = Load(Rule("\"connect\", \"bind\"", "[443, \"8000-8010\", 80, \"8005-8020\", \"81\"]", "allow"));
  ASSERT_TRUE(p.ok()) << p.error().message();
  const auto& ports = p->rules[0].tcp_ports;
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0].ToString(), "80-81");
  EXPECT_EQ(ports[1].ToString(), "443");
  EXPECT_EQ(ports[2].ToString(), "8000-8020");
  EXPECT_TRUE(p->rules[0].NeedsUserSpace());
  EXPECT_EQ(p->rules[0].ToString(), "syscalls=[bind,connect] tcp_ports=[80-81, 443, 8000-8020] -> allow");
  auto back = config::LoadPolicyString(config::ToToml(*p), "back.toml");
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << config::ToToml(*p);
  EXPECT_EQ(back->ToString(), p->ToString());
  auto full = Load(Rule("\"connect\"", "[0, \"1-65535\"]", "errno:EACCES"));
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->rules[0].tcp_ports.size(), 1u);
  EXPECT_EQ(full->rules[0].tcp_ports[0].ToString(), "0-65535");
}

TEST(TcpPortsLoad, ErrorsPointAtTheValue) {
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[65536]", "allow")), "t.toml:6:14: port 65536 is out of range");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[-1]", "allow")), "t.toml:6:14: port -1 is out of range");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[80, \"90-80\"]", "allow")),
            "t.toml:6:18: port range \"90-80\" is empty (first > last)");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[\"8a\"]", "allow")), "t.toml:6:14: invalid port or range \"8a\"");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[\"1-70000\"]", "allow")),
            "t.toml:6:14: port range \"1-70000\" is out of range");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[\"\"]", "allow")), "t.toml:6:14: invalid port or range \"\"");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[1.5]", "allow")),
            "t.toml:6:14: tcp_ports entries must be ports or \"FIRST-LAST\" strings, not a float");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[]", "allow")),
            "t.toml:6:13: empty \"tcp_ports\" list: the rule would match nothing");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "80", "allow")),
            "t.toml:6:13: \"tcp_ports\" must be an array, not an integer");
  EXPECT_EQ(ErrorOf(Rule("\"connect\", \"sendto\"", "[80]", "allow")),
            "t.toml:5:24: \"tcp_ports\" applies only to connect and bind, not to \"sendto\"");
  EXPECT_EQ(ErrorOf(Rule("\"@network\"", "[80]", "allow")).substr(0, 52),
            "t.toml:5:12: \"tcp_ports\" applies only to connect and");
  EXPECT_EQ(ErrorOf(Rule("\"connect\"", "[80]", "return")),
            "t.toml:7:10: \"tcp_ports\" needs action allow, deny or errno:NAME, not \"return 0\"");
  EXPECT_EQ(ErrorOf("\n[[rule]]\nsyscalls = [\"connect\"]\ntcp_ports = [80]\naction = \"log\"\n"),
            "t.toml:7:10: \"tcp_ports\" needs action allow, deny or errno:NAME, not \"log\"");
  EXPECT_EQ(ErrorOf("\n[[rule]]\nsyscalls = [\"connect\"]\ntcp_ports = [80]\naction = \"allow\"\nwhen = 2\n"),
            "t.toml:8:8: \"when\" cannot be combined with \"tcp_ports\" (Landlock decides such rules in "
            "the kernel, where nothing is counted or reported)");
  EXPECT_EQ(ErrorOf("\n[[rule]]\nsyscalls = [\"connect\"]\ntcp_ports = [80]\naction = \"allow\"\nlog = true\n")
                .substr(0, 52),
            "t.toml:8:7: \"log\" cannot be combined with \"tcp_ports");
  EXPECT_EQ(ErrorOf("\n[[rule]]\nsyscalls = [\"connect\"]\ntcp_ports = [80]\naction = \"allow\"\nlog = false\n"), "");
  EXPECT_EQ(ErrorOf(Rule("\"bind\"", "[80]", "deny")), "");
}

std::string Chain(const std::string& syscalls, const std::string& allowed) {
  return Rule(syscalls, allowed, "allow") + Rule(syscalls, "[\"0-65535\"]", "errno:EACCES") +
         Rule(syscalls, "", "allow");
}

TEST(TcpPortsPlan, EligibleChains) {
  auto p = Load(Chain("\"connect\", \"bind\"", "[80, \"8000-8001\"]") + Rule("\"read\"", "", "allow"));
  ASSERT_TRUE(p.ok()) << p.error().message();
  filters::LandlockPlan plan = filters::PlanLandlock(*p);
  EXPECT_TRUE(plan.connect.handled);
  EXPECT_TRUE(plan.bind.handled);
  EXPECT_FALSE(plan.eligible);  // no path rules
  EXPECT_TRUE(plan.Applies());
  EXPECT_EQ(plan.HandledNet(), filters::kLandlockConnectTcp | filters::kLandlockBindTcp);
  ASSERT_EQ(plan.connect.ports.size(), 2u);
  EXPECT_EQ(plan.connect.ports[1].ToString(), "8000-8001");
  EXPECT_EQ(plan.tcp_rules, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan.tcp_why_not, "");
  // No rule after the catch-all, default allow: eligible too.
  auto q = Load(Rule("\"connect\"", "[443]", "allow") + Rule("\"connect\"", "[\"0-65535\"]", "errno:EACCES"));
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(filters::PlanLandlock(*q).connect.handled);
  EXPECT_FALSE(filters::PlanLandlock(*q).bind.handled);
}

TEST(TcpPortsPlan, IneligibleChainsSayWhy) {
  struct Case {
    std::string rules, why;
  } cases[] = {
      // Non-TCP connects denied: Landlock would let them through.
      {Rule("\"connect\"", "[80]", "allow") + Rule("\"connect\"", "", "errno:EPERM"),
       "connect: a rule without tcp_ports before the tcp_ports = [\"0-65535\"] errno:EACCES rule"},
      {Rule("\"connect\"", "[80]", "allow") + Rule("\"connect\"", "[\"0-65535\"]", "errno:EPERM") +
           Rule("\"connect\"", "", "allow"),
       "connect: the rule after the tcp_ports allow rules must be tcp_ports"},
      {Rule("\"connect\"", "[80]", "allow") + Rule("\"connect\"", "[\"1-65535\"]", "errno:EACCES") +
           Rule("\"connect\"", "", "allow"),
       "connect: the rule after the tcp_ports allow rules must be tcp_ports"},
      {Rule("\"connect\"", "[80]", "allow") + Rule("\"connect\"", "[\"0-65535\"]", "errno:EACCES") +
           Rule("\"connect\"", "", "errno:EPERM"),
       "connect: after the tcp_ports rules, a rule allowing the other connect calls must follow"},
      {Rule("\"connect\"", "", "allow") + Chain("\"connect\"", "[80]"),
       "connect: a rule without tcp_ports before"},
  };
  for (const auto& c : cases) {
    auto p = Load(c.rules);
    ASSERT_TRUE(p.ok()) << p.error().message();
    filters::LandlockPlan plan = filters::PlanLandlock(*p);
    EXPECT_FALSE(plan.connect.handled) << c.rules;
    EXPECT_EQ(plan.tcp_why_not.substr(0, c.why.size()), c.why) << plan.tcp_why_not;
  }
  auto i386 = Load(Chain("\"connect\"", "[80]"), "[options]\nabi = [\"x86_64\", \"i386\"]\n");
  ASSERT_TRUE(i386.ok()) << i386.error().message();
  EXPECT_FALSE(filters::PlanLandlock(*i386).connect.handled);
  EXPECT_EQ(filters::PlanLandlock(*i386).tcp_why_not, "options.abi lists other ABIs than x86_64");
  // One Landlock rule per port: at most kLandlockMaxPorts.
  auto many = Load(Chain("\"bind\"", "[\"1000-2023\"]"));
  ASSERT_TRUE(many.ok());
  EXPECT_TRUE(filters::PlanLandlock(*many).bind.handled);
  auto too_many = Load(Chain("\"bind\"", "[\"1000-2024\"]"));
  ASSERT_TRUE(too_many.ok());
  EXPECT_FALSE(filters::PlanLandlock(*too_many).bind.handled);
  EXPECT_EQ(filters::PlanLandlock(*too_many).tcp_why_not,
            "bind: 1025 allowed ports, more than 1024 (Landlock needs one rule per port)");
}

}  // namespace
}  // namespace pwnbox
