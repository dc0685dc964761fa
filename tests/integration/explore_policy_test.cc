// `pwnbox explore --policy P` with rules served in user space (docs/explore.md, "Policies
// served by the supervisor"): path rules (USER_NOTIF, served by a thread of the explorer for the
// baseline and every branch), return / log / modify rules under both escalation backends, a
// kill reached only in a branch, selected calls the policy serves through notify (taken at
// their syscall-enter-stop), a notification whose task is killed (a hung branch), SIGKILL of
// pwnbox. Every reproducer is run again under `pwnbox run`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using testing::Contains;
using testing::Prog;
using testing::Pwnbox;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

nlohmann::json Explore(const std::vector<std::string>& args, int expect_status) {
  std::vector<std::string> full = {"explore", "--json"};
  full.insert(full.end(), args.begin(), args.end());
  testing::RunResult r = Pwnbox(full);
  EXPECT_EQ(r.status, expect_status) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

// The points of `j` whose call names `needle`.
std::vector<nlohmann::json> Points(const nlohmann::json& j, const std::string& needle) {
  std::vector<nlohmann::json> out;
  for (const auto& p : j["points"])
    if (Contains(p["call"].get<std::string>(), needle)) out.push_back(p);
  return out;
}

// A directory with app.conf, secret, secret2 (readable) and a FIFO, and a policy: opening
// `secret` fails with EACCES, opening `secret2` kills, the rest of the directory is allowed on
// its paths (emulated by the supervisor), everything else is allowed.
struct Fixture {
  std::string dir = TempDir();
  std::string policy = dir + "/p.toml";
  Fixture() {
    WriteFile(dir + "/app.conf", "conf\n");
    WriteFile(dir + "/secret", "TOPSECRET\n");
    WriteFile(dir + "/secret2", "TOPSECRET2\n");
    EXPECT_EQ(mkfifo((dir + "/fifo").c_str(), 0644), 0);
    WriteFile(policy,
              "default = \"allow\"\n"
              "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                  dir +
                  "/secret\"]\n"
                  "action = \"errno:EACCES\"\n"
                  "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                  dir +
                  "/secret2\"]\n"
                  "action = \"kill\"\n"
                  "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                  dir +
                  "/**\"]\n"
                  "action = \"allow\"\n");
  }
  // exs_policy reading app.conf, or `file` when access(app.conf) fails.
  std::vector<std::string> Fallback(const std::string& file) const {
    return {Prog("exs_policy"), "fallback", dir, file};
  }
  // `explore -o DIR/out --policy P` of `cmd`, with access(app.conf) branched into ENOENT.
  nlohmann::json ExploreAppConfMissing(const std::vector<std::string>& cmd) const {
    std::vector<std::string> args = {"-o",   dir + "/out", "--policy",   policy,   "--at",
                                      "access:path=" + dir + "/app.conf", "--outcomes", "ENOENT", "--"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return Explore(args, 0);
  }
};

// A branch whose access(app.conf) fails falls back to `secret`, which the policy denies: the
// branch gets EACCES from the policy's supervisor (without the policy it reads the secret), and
// the reproducer does the same under `pwnbox run`.
TEST(ExplorePolicyTest, PathRuleDeniesTheFileABranchFallsBackTo) {
  Fixture f;
  const std::vector<std::string> cmd = f.Fallback("secret");
  auto j = f.ExploreAppConfMissing(cmd);
  EXPECT_EQ(j["baseline"]["exit"], 0);
  EXPECT_EQ(ReadFile(f.dir + "/out/baseline/stdout"), "conf: conf\n");
  auto pts = Points(j, "app.conf");
  ASSERT_EQ(pts.size(), 1u) << j.dump();
  ASSERT_EQ(pts[0]["branches"].size(), 1u) << j.dump();
  const auto b = pts[0]["branches"][0];
  EXPECT_EQ(b["exit"], 3) << b.dump();
  EXPECT_EQ(b["classification"], "different-exit");
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"), "open secret: Permission denied\n");
  // From scratch under `run`: the same denial.
  auto r = Pwnbox({"--policy", b["repro"], "--", cmd[0], cmd[1], cmd[2], cmd[3]});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "open secret: Permission denied\n");
  // Control: without the policy the same branch reads the secret.
  std::vector<std::string> bare = {
      "-o",         f.dir + "/bare", "--at", "access:path=" + f.dir + "/app.conf",
      "--outcomes", "ENOENT",        "--"};
  bare.insert(bare.end(), cmd.begin(), cmd.end());
  auto jb = Explore(bare, 0);
  auto bp = Points(jb, "app.conf");
  ASSERT_EQ(bp.size(), 1u) << jb.dump();
  EXPECT_EQ(bp[0]["branches"][0]["exit"], 2);
  EXPECT_EQ(ReadFile(bp[0]["branches"][0]["dir"].get<std::string>() + "/stdout"),
            "secret: TOPSECRET\n");
}

// openat is served through notify under this policy (USER_NOTIF outranks the explorer's TRACE):
// the selected open of app.conf is taken at its syscall-enter-stop, decided by the policy
// (allowed), and branched; the open of `secret` in a branch is the policy's (denied): reported
// as such, with no branch, not as a selector that matched nothing.
TEST(ExplorePolicyTest, SelectedCallServedThroughNotifyIsExploredAfterThePolicy) {
  Fixture f;
  const std::vector<std::string> cmd = {Prog("exs_policy"), "fallback", f.dir, "secret"};
  std::vector<std::string> args = {"-o",         f.dir + "/out",
                                   "--depth",    "2",
                                   "--policy",   f.policy,
                                   "--at",       "openat:path=" + f.dir + "/app.conf",
                                   "--at",       "openat:path=" + f.dir + "/secret",
                                   "--at",       "access:path=" + f.dir + "/app.conf",
                                   "--outcomes", "ENOENT",
                                   "--"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  auto j = Explore(args, 0);
  EXPECT_TRUE(j["unmatched_selectors"].empty()) << j.dump();
  auto conf = Points(j, "app.conf\", O_RDONLY");
  ASSERT_EQ(conf.size(), 1u) << j.dump();
  ASSERT_EQ(conf[0]["branches"].size(), 1u) << j.dump();
  const auto b = conf[0]["branches"][0];
  EXPECT_EQ(b["exit"], 3) << b.dump();
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"),
            "open conf: No such file or directory\n");
  auto r = Pwnbox({"--policy", b["repro"], "--", cmd[0], cmd[1], cmd[2], cmd[3]});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "open conf: No such file or directory\n");
  // In the branch of access -> ENOENT, the open of the secret is the policy's.
  auto secret = Points(j, "/secret\"");
  ASSERT_EQ(secret.size(), 1u) << j.dump();
  EXPECT_TRUE(secret[0]["branches"].empty()) << secret[0].dump();
  EXPECT_TRUE(Contains(secret[0]["refused"], "the policy decides this call itself"))
      << secret[0].dump();
  EXPECT_GT(secret[0]["parent"].get<int>(), 0);
  // No branch of the run read the secret.
  for (const auto& p : j["points"])
    for (const auto& br : p["branches"])
      EXPECT_FALSE(Contains(ReadFile(br["dir"].get<std::string>() + "/stdout"), "TOPSECRET"))
          << br.dump();
}

// The policy denies the branches' own output files (the injected openat of
// DIR/out/branches/ID/stdout is served by its supervisor like the target's own): each outcome is
// re-run from the start, under a filter and a listener of its own, and applied at the same
// occurrence of the open, which the policy serves through notify (an enter stop).
TEST(ExplorePolicyTest, BranchWhoseOutputThePolicyDeniesIsReRunWithItsOwnListener) {
  Fixture f;
  WriteFile(f.policy, "default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                          f.dir + "/secret\", \"" + f.dir +
                          "/out/**\"]\naction = \"errno:EACCES\"\n");
  auto j = Explore(
      {"-o", f.dir + "/out", "--policy", f.policy, "--at", "openat:path=" + f.dir + "/app.conf",
       "--outcomes", "ENOENT,EIO", "--", Prog("exs_policy"), "fallback", f.dir, "secret"},
      0);
  auto pts = Points(j, "app.conf");
  ASSERT_EQ(pts.size(), 1u) << j.dump();
  ASSERT_EQ(pts[0]["branches"].size(), 2u) << j.dump();
  for (const auto& b : pts[0]["branches"]) {
    EXPECT_TRUE(b["rerun"].get<bool>()) << b.dump();
    EXPECT_TRUE(Contains(b["note"], "Permission denied")) << b.dump();
    EXPECT_EQ(b["exit"], 3) << b.dump();
  }
  EXPECT_EQ(ReadFile(f.dir + "/out/branches/1/stdout"), "open conf: No such file or directory\n");
  EXPECT_EQ(ReadFile(f.dir + "/out/branches/2/stdout"), "open conf: Input/output error\n");
}

// A kill rule (on a path: carried out by the supervisor with SIGKILL) reached only in a branch.
TEST(ExplorePolicyTest, KillReachedOnlyInABranchIsKilledByPolicy) {
  Fixture f;
  const std::vector<std::string> cmd = f.Fallback("secret2");
  auto j = f.ExploreAppConfMissing(cmd);
  EXPECT_EQ(j["baseline"]["exit"], 0);
  auto pts = Points(j, "app.conf");
  ASSERT_EQ(pts.size(), 1u) << j.dump();
  const auto b = pts[0]["branches"][0];
  EXPECT_EQ(b["classification"], "killed-by-policy") << b.dump();
  EXPECT_EQ(b["signal"], SIGKILL);
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"), "");
  auto r = Pwnbox({"--policy", b["repro"], "--", cmd[0], cmd[1], cmd[2], cmd[3]});
  EXPECT_EQ(r.status, 128 + SIGKILL) << r.err;
  EXPECT_EQ(r.out, "");
}

class ExplorePolicyBackendTest : public ::testing::TestWithParam<std::string> {};

// return (getppid -> 4242), log (uname, reported in DIR/policy.log) and modify (write(2, ..., 9)
// -> 3 bytes) in the baseline and in a branch forked at the logged uname, which the policy
// decides first; the reproducer gives the branch's output under `run`.
TEST_P(ExplorePolicyBackendTest, ReturnLogAndModifyRules) {
  const std::string d = TempDir();
  WriteFile(d + "/p.toml", "default = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                               "\"\n"
                               "[[rule]]\nsyscalls = [\"getppid\"]\naction = \"return\"\n"
                               "value = 4242\n"
                               "[[rule]]\nsyscalls = [\"uname\"]\naction = \"allow\"\nlog = true\n"
                               "[[rule]]\nsyscalls = [\"write\"]\n"
                               "args = [\"arg0 == 2\", \"arg2 == 9\"]\naction = \"modify\"\n"
                               "set = { arg2 = 3 }\n");
  auto j = Explore({"-o", d + "/out", "--policy", d + "/p.toml", "--at", "uname", "--outcomes",
                    "EPERM", "--", Prog("exs_policy"), "escalated"},
                   0);
  EXPECT_EQ(ReadFile(d + "/out/baseline/stdout"), "ppid 4242\nuname ok\nppid 4242\n");
  EXPECT_EQ(ReadFile(d + "/out/baseline/stderr"), "abc");
  ASSERT_EQ(j["points"].size(), 1u) << j.dump();
  const auto b = j["points"][0]["branches"][0];
  EXPECT_EQ(b["classification"], "different-output") << b.dump();
  const std::string branch_out = "ppid 4242\nuname: Operation not permitted\nppid 4242\n";
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stdout"), branch_out);
  EXPECT_EQ(ReadFile(b["dir"].get<std::string>() + "/stderr"), "abc");
  // The baseline's uname was reported by the log rule (once: the branch's was not run).
  const std::string log = ReadFile(d + "/out/policy.log");
  EXPECT_EQ(testing::Grep(log, "uname(").size(), 1u) << log;
  EXPECT_TRUE(Contains(log, "rule 2")) << log;
  auto r = Pwnbox(
      {"--policy", b["repro"], "--log", d + "/run.log", "--", Prog("exs_policy"), "escalated"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, branch_out);
  EXPECT_EQ(r.err, "abc");
}

INSTANTIATE_TEST_SUITE_P(Backends, ExplorePolicyBackendTest, ::testing::Values("notify", "ptrace"));

// Runs `pwnbox ARGS` with fd 20 the write end of a pipe (every process of the run inherits it;
// exs_policy writes a byte to it on its fallback path). With `kill_at_byte`, pwnbox is
// SIGKILLed once the first byte arrives. Returns pwnbox's wait status; fails the test unless
// the read end then sees EOF, i.e. no process of the run is left.
int RunHoldingFd20(const std::vector<std::string>& args, bool kill_at_byte) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 20);
    close(p[0]);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    const std::string bin = testing::PwnboxBin();
    std::vector<char*> argv = {const_cast<char*>(bin.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(p[1]);
  pollfd pfd = {p[0], POLLIN, 0};
  char c;
  if (kill_at_byte) {
    EXPECT_EQ(poll(&pfd, 1, 60000), 1) << "no branch reached its fallback";
    EXPECT_EQ(read(p[0], &c, 1), 1);
    kill(pid, SIGKILL);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  for (;;) {
    if (poll(&pfd, 1, 30000) != 1) {
      ADD_FAILURE() << "a process of the run survived pwnbox";
      break;
    }
    const ssize_t n = read(p[0], &c, 1);
    if (n <= 0) break;
  }
  close(p[0]);
  return status;
}

// The branch opens a FIFO nobody writes to: the policy's supervisor performs that open (a path
// rule) on a worker, which blocks. At the timeout the branch is killed: its notification is
// gone, the worker is cancelled, explore ends (hang), and nothing is left.
TEST(ExplorePolicyTest, NotificationOfAKilledBranchIsCancelled) {
  Fixture f;
  const auto t0 = std::chrono::steady_clock::now();
  const int status =
      RunHoldingFd20({"explore", "-o", f.dir + "/out", "--timeout", "1", "--policy", f.policy,
                      "--at", "access:path=" + f.dir + "/app.conf", "--outcomes", "ENOENT", "--",
                      Prog("exs_policy"), "fallback", f.dir, "fifo"},
                     false);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // a hang is a finding
  EXPECT_LT(secs, 30);
  EXPECT_EQ(ReadFile(f.dir + "/out/baseline/stdout"), "conf: conf\n");
  EXPECT_EQ(ReadFile(f.dir + "/out/branches/1/stdout"), "");
}

// SIGKILL of pwnbox while a branch is blocked in a call its policy's supervisor performs:
// nothing of the run survives (the worker dies with pwnbox; every task has PTRACE_O_EXITKILL).
TEST(ExplorePolicyTest, NothingSurvivesSigkillOfPwnbox) {
  Fixture f;
  const int status =
      RunHoldingFd20({"explore", "--timeout", "600", "--policy", f.policy, "--at",
                      "access:path=" + f.dir + "/app.conf", "--outcomes", "ENOENT,EACCES", "--jobs",
                      "2", "--", Prog("exs_policy"), "fallback", f.dir, "fifo"},
                     true);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

// The policy serves the command's own execve through notify: the listener is served before the
// execve reaches the filter (no deadlock), and a denied execve fails as under `run`.
TEST(ExplorePolicyTest, ExecveServedThroughNotify) {
  const std::string d = TempDir();
  WriteFile(d + "/allow.toml",
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"execve\"]\npaths = [\"/**\"]\n"
            "action = \"allow\"\n");
  auto j = Explore({"--policy", d + "/allow.toml", "--at", "uname", "--outcomes", "EPERM", "--",
                    Prog("exs_policy"), "escalated"},
                   0);
  ASSERT_EQ(j["points"].size(), 1u) << j.dump();
  EXPECT_EQ(j["points"][0]["branches"][0]["classification"], "different-output");
  WriteFile(d + "/deny.toml",
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"execve\"]\npaths = [\"" +
                Prog("exs_policy") + "\"]\naction = \"errno:EACCES\"\n");
  auto r = Pwnbox({"explore", "--policy", d + "/deny.toml", "--", Prog("exs_policy"), "escalated"});
  auto run = Pwnbox({"--policy", d + "/deny.toml", "--", Prog("exs_policy"), "escalated"});
  EXPECT_EQ(run.status, 126) << run.err;
  EXPECT_EQ(r.status, run.status) << r.err;
  EXPECT_TRUE(Contains(r.err, "Permission denied")) << r.err;
}

}  // namespace
}  // namespace pwnbox
