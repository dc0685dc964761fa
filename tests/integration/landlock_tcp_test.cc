// tcp_ports rules (config/policy.h, docs/policy.md "TCP ports on Landlock") observed from a real
// program (lt_tcp) against real listeners on 127.0.0.1: TCP connect/bind to a listed port runs
// as it would natively, to another port fails with EACCES, UDP and other non-TCP calls are left
// to the rest of the policy. The same answers whether Landlock decides (eligible chain, "on"),
// the supervisor does (PWNBOX_LANDLOCK=off) or there is no Landlock (PWNBOX_NO_LANDLOCK=1), over
// both escalation backends; a policy Landlock cannot express runs in the supervisor even with
// Landlock on; `pwnbox check` names the route.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// A TCP listener on 127.0.0.1, ephemeral port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0) return;
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { if (fd_ >= 0) close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// "on": Landlock decides; "off": PWNBOX_LANDLOCK=off; "none": PWNBOX_NO_LANDLOCK=1.
using Param = std::tuple<std::string, std::string>;

class LandlockTcpTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    ASSERT_GT(allowed_.port(), 0);
    ASSERT_GT(denied_.port(), 0);
    a_ = std::to_string(allowed_.port());
    b_ = std::to_string(denied_.port());
    dir_ = TempDir();
  }
  std::string Header() const {
    return "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + std::get<1>(GetParam()) +
           "\"\n";
  }
  // The eligible chain for connect and bind: port A allowed, other TCP ports EACCES, the rest
  // allowed.
  std::string Eligible() const {
    return Header() +
           "\n[[rule]]\nsyscalls = [\"connect\", \"bind\"]\ntcp_ports = [" + a_ + "]\naction = \"allow\"\n"
           "\n[[rule]]\nsyscalls = [\"connect\", \"bind\"]\ntcp_ports = [\"0-65535\"]\naction = \"errno:EACCES\"\n"
           "\n[[rule]]\nsyscalls = [\"connect\", \"bind\"]\naction = \"allow\"\n";
  }
  RunOptions Opts() const {
    RunOptions o;
    const std::string& mode = std::get<0>(GetParam());
    if (mode == "off") o.env.push_back("PWNBOX_LANDLOCK=off");
    if (mode == "none") o.env.push_back("PWNBOX_NO_LANDLOCK=1");
    return o;
  }
  RunResult Sandboxed(const std::string& policy_text, std::vector<std::string> ops,
                      const std::string& stats = "") {
    const std::string policy = dir_ + "/policy.toml";
    WriteFile(policy, policy_text);
    std::vector<std::string> args{"run", "--policy", policy};
    if (!stats.empty()) args.push_back("--stats=" + stats);
    args.push_back("--");
    args.push_back(Prog("lt_tcp"));
    args.insert(args.end(), ops.begin(), ops.end());
    return Pwnbox(args, Opts());
  }
  RunResult Check(const std::string& policy_text) {
    const std::string policy = dir_ + "/check.toml";
    WriteFile(policy, policy_text);
    return Pwnbox({"check", policy}, Opts());
  }
  // lt_tcp's line for `op` run natively (no pwnbox).
  static std::string Native(const std::string& op) {
    RunResult r = pwnbox::testing::Run({Prog("lt_tcp"), op});
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }
  static std::string Denied(const std::string& op, const std::string& err) {
    return op.substr(0, op.find(':')) + " " + op.substr(op.find(':') + 1) + ": " + err + "\n";
  }
  bool landlock() const { return std::get<0>(GetParam()) == "on"; }

  Listener allowed_, denied_;
  std::string a_, b_, dir_;
};

TEST_P(LandlockTcpTest, ListedPortsRunOthersAreDeniedNonTcpFallsThrough) {
  const std::vector<std::string> ops = {"connect:" + a_, "connect:" + b_, "connect6:" + a_,
                                        "connect6:" + b_, "udp:" + a_,     "udp:" + b_,
                                        "bind:" + a_,    "bind:" + b_,    "udpbind:" + b_,
                                        "unspec:" + a_,  "unspec:" + b_};
  std::string want;
  for (const auto& op : ops) {
    const bool tcp_denied = op.find(":" + b_) != std::string::npos && op.rfind("udp", 0) != 0;
    want += tcp_denied ? Denied(op, "EACCES") : Native(op);
  }
  // The listed port is reachable (the listener answers), not just "not denied".
  EXPECT_EQ(Native("connect:" + a_), "connect " + a_ + ": ok\n");
  const std::string stats = dir_ + "/stats.json";
  RunResult r = Sandboxed(Eligible(), ops, stats);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, want) << r.err;
  // Landlock: nothing reaches the supervisor; otherwise every connect and bind does.
  const std::string escalated =
      "\"escalated\":" + std::string(landlock() ? "0" : std::to_string(ops.size())) + ",";
  EXPECT_TRUE(Contains(ReadFile(stats), escalated)) << ReadFile(stats);
}

TEST_P(LandlockTcpTest, CheckNamesTheRoute) {
  RunResult r = Check(Eligible());
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string route = landlock() ? "landlock (" : std::get<1>(GetParam()) + " (";
  auto lines = Grep(r.out, ": tcp_ports (");
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const auto& l : lines) EXPECT_TRUE(Contains(l, "-> allow: " + route) || Contains(l, "-> errno:EACCES: " + route)) << l;
  // The landlock: line says what Landlock decides for TCP, or that the supervisor does.
  auto ll = Grep(r.out, "landlock: tcp: ");
  ASSERT_EQ(ll.size(), 1u) << r.out;
  EXPECT_TRUE(Contains(ll[0], landlock() ? "decided in the kernel" : "not used")) << ll[0];
}

// Non-TCP connects denied by the policy: Landlock cannot express it (it never restricts UDP), so
// the supervisor decides every connect, Landlock on or not; bind stays unrestricted.
TEST_P(LandlockTcpTest, NotEligibleRunsInTheSupervisor) {
  const std::string policy = Header() +
      "\n[[rule]]\nsyscalls = [\"connect\"]\ntcp_ports = [" + a_ + "]\naction = \"allow\"\n"
      "\n[[rule]]\nsyscalls = [\"connect\"]\naction = \"errno:EPERM\"\n";
  RunResult c = Check(policy);
  ASSERT_EQ(c.status, 0) << c.err;
  auto lines = Grep(c.out, ": tcp_ports (");
  ASSERT_EQ(lines.size(), 1u) << c.out;
  EXPECT_TRUE(Contains(lines[0], ": " + std::get<1>(GetParam()) + " (")) << lines[0];
  RunResult r = Sandboxed(policy, {"connect:" + a_, "connect:" + b_, "udp:" + a_, "bind:" + b_});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "connect " + a_ + ": ok\n" + Denied("connect:" + b_, "EPERM") +
                       Denied("udp:" + a_, "EPERM") + Native("bind:" + b_))
      << r.err;
}

// Path allow-lists and TCP ports in one Landlock domain: both decided, neither loosened.
TEST_P(LandlockTcpTest, WithPathRulesInOneDomain) {
  const std::string secret = dir_ + "/secret";
  WriteFile(secret, "x\n");
  const std::string progs = Prog("lt_tcp").substr(0, Prog("lt_tcp").rfind('/'));
  const std::string policy =
      Eligible() +
      "\n[[rule]]\nsyscalls = [\"open\", \"openat\", \"creat\", \"openat2\"]\n"
      "paths = [\"/usr/**\", \"/etc/**\", \"/proc/**\", \"/dev/**\", \"" + progs + "/**\"]\n"
      "action = \"allow\"\n"
      "\n[[rule]]\nsyscalls = [\"open\", \"openat\", \"creat\", \"openat2\"]\naction = \"errno:EACCES\"\n";
  const std::string p = dir_ + "/mixed.toml";
  WriteFile(p, policy);
  RunResult r = Pwnbox({"run", "--policy", p, "--", "sh", "-c",
                        "cat " + secret + " 2>/dev/null || echo denied; " + Prog("lt_tcp") +
                            " connect:" + a_ + " connect:" + b_ + " udp:" + b_},
                       Opts());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "denied\nconnect " + a_ + ": ok\n" + Denied("connect:" + b_, "EACCES") +
                       Native("udp:" + b_))
      << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, LandlockTcpTest,
    ::testing::Combine(::testing::Values("on", "off", "none"), ::testing::Values("notify", "ptrace")),
    [](const ::testing::TestParamInfo<Param>& i) {
      return std::get<0>(i.param) + "_" + std::get<1>(i.param);
    });

}  // namespace
}  // namespace pwnbox::testing
