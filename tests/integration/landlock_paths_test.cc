// Path allow-lists on Landlock (filters/landlock_plan.h, docs/policy.md "Path rules on
// Landlock"), observed from real programs: every open-family right allowed inside the list and
// denied outside, by the C helper (ll_open) and by cat, ls, sh, truncate, touch; the same
// answers with Landlock forced off (PWNBOX_LANDLOCK=off: every path rule in the supervisor) and
// with no Landlock at all (PWNBOX_NO_LANDLOCK=1); a policy mixing Landlock, notify and ptrace
// rules; the documented differences (renames into the list, exec outside it); `pwnbox check`'s
// routes; the supervisor left out of the calls Landlock decides (--stats). Parameterised over
// the three Landlock settings and both escalation backends.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

std::string Canonical(const std::string& p) {
  char real[PATH_MAX];
  return realpath(p.c_str(), real) ? real : p;
}

std::string Dir(const std::string& path) { return path.substr(0, path.rfind('/')); }

// "on": Landlock decides; "off": PWNBOX_LANDLOCK=off; "none": PWNBOX_NO_LANDLOCK=1.
using Param = std::tuple<std::string, std::string>;

class LandlockPathsTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    t_ = Canonical(TempDir());
    mkdir((t_ + "/in").c_str(), 0755);
    mkdir((t_ + "/in/sub").c_str(), 0755);
    mkdir((t_ + "/out").c_str(), 0755);
    WriteFile(t_ + "/in/a", "inside\n");
    WriteFile(t_ + "/in/sub/b", "deeper\n");
    WriteFile(t_ + "/out/s", "secret\n");
    symlink((t_ + "/out/s").c_str(), (t_ + "/in/to_out").c_str());
    symlink((t_ + "/in/a").c_str(), (t_ + "/out/to_in").c_str());
    progs_ = Canonical(Dir(Prog("ll_open")));
    policy_ = t_ + "/policy.toml";
    WriteFile(policy_, PolicyText(""));
  }
  std::string PolicyText(const std::string& more) {
    return "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + std::get<1>(GetParam()) +
           "\"\n" + more +
           "\n[[rule]]\nsyscalls = [\"open\", \"openat\", \"creat\", \"openat2\"]\n"
           "paths = [\"/usr/**\", \"/etc/**\", \"/proc/**\", \"/dev/**\", \"" +
           progs_ + "/**\", \"" + t_ + "/in/**\"]\naction = \"allow\"\n\n"
           "[[rule]]\nsyscalls = [\"open\", \"openat\", \"creat\", \"openat2\"]\n"
           "action = \"errno:EACCES\"\n";
  }
  RunOptions Opts() {
    RunOptions o;
    o.cwd = t_;
    const std::string& mode = std::get<0>(GetParam());
    if (mode == "off") o.env.push_back("PWNBOX_LANDLOCK=off");
    if (mode == "none") o.env.push_back("PWNBOX_NO_LANDLOCK=1");
    return o;
  }
  RunResult Sandboxed(std::vector<std::string> cmd, const std::string& stats = "") {
    std::vector<std::string> args{"--policy", policy_};
    if (!stats.empty()) args.push_back("--stats=" + stats);
    args.push_back("--");
    args.insert(args.end(), cmd.begin(), cmd.end());
    return Pwnbox(args, Opts());
  }
  RunResult Helper(std::vector<std::string> ops) {
    ops.insert(ops.begin(), Prog("ll_open"));
    return Sandboxed(ops);
  }
  bool landlock() const { return std::get<0>(GetParam()) == "on"; }
  std::string t_, progs_, policy_;
};

TEST_P(LandlockPathsTest, EveryOpenRightAllowedInsideDeniedOutside) {
  auto r = Helper({"read", t_ + "/in/a", "readat", t_ + "/in/sub/b", "write", t_ + "/in/a", "rdwr",
                   t_ + "/in/sub/b", "list", t_ + "/in", "trunc", t_ + "/in/sub/b", "read", t_ + "/in/sub/b",
                   "creat", t_ + "/in/new", "opath", t_ + "/in/a", "tmpfile", t_ + "/in", "read",
                   t_ + "/out/to_in", "nofollow", t_ + "/in/a"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "read=inside\nreadat=deeper\nwrite=0\nrdwr=0\nlist=5\ntrunc=0\nread=\ncreat=0\nopath=-1 E38\n"
            "tmpfile=0\nread=inside\nnofollow=inside\n");
  r = Helper({"read", t_ + "/out/s", "readat", t_ + "/out/s", "write", t_ + "/out/s", "rdwr", t_ + "/out/s",
              "list", t_ + "/out", "list", t_, "trunc", t_ + "/out/s", "creat", t_ + "/out/new", "opath",
              t_ + "/out/s", "tmpfile", t_ + "/out", "read", t_ + "/in/to_out", "read",
              t_ + "/in/../out/s", "read", "/proc/self/root" + t_ + "/out/s"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "read=-1 EACCES\nreadat=-1 EACCES\nwrite=-1 EACCES\nrdwr=-1 EACCES\nlist=-1 EACCES\n"
            "list=-1 EACCES\ntrunc=-1 EACCES\ncreat=-1 EACCES\nopath=-1 EACCES\ntmpfile=-1 EACCES\n"
            "read=-1 EACCES\nread=-1 EACCES\nread=-1 EACCES\n");
  EXPECT_EQ(ReadFile(t_ + "/out/s"), "secret\n");  // not truncated, not appended to
  EXPECT_NE(access((t_ + "/out/new").c_str(), F_OK), 0);  // not created
}

TEST_P(LandlockPathsTest, RealToolsReadWriteListTruncateCreate) {
  auto r = Sandboxed({"sh", "-c",
                      "cat in/a && ls in && echo more >> in/a && truncate -s 0 in/sub/b && touch in/t "
                      "&& cat in/a && wc -c < in/sub/b && ls in"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "inside\na\nsub\nto_out\ninside\nmore\n0\na\nsub\nt\nto_out\n");
  for (const std::string& cmd :
       {std::string("cat out/s"), std::string("ls out"), std::string("echo x >> out/s"),
        std::string("truncate -s 0 out/s"), std::string("touch out/t"), std::string("cat in/to_out")}) {
    r = Sandboxed({"sh", "-c", cmd});
    EXPECT_NE(r.status, 0) << cmd;
    EXPECT_TRUE(Contains(r.err, "Permission denied")) << cmd << "\n" << r.err;
  }
  EXPECT_EQ(ReadFile(t_ + "/out/s"), "secret\n");
  EXPECT_NE(access((t_ + "/out/t").c_str(), F_OK), 0);
}

TEST_P(LandlockPathsTest, CallsThePolicyDoesNotRuleAreUntouched) {
  // mkdir, rm, same-directory mv, ln, truncate(2) by path are not open calls: allowed
  // everywhere, with or without Landlock.
  auto r = Sandboxed({"sh", "-c",
                      "mkdir out/d in/d && rmdir out/d && rm out/s && mv in/a in/a2 && ln in/a2 in/a3 && "
                      "mv in/sub/b in/b && ln -s x out/l && echo done"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "done\n");
  EXPECT_NE(access((t_ + "/out/s").c_str(), F_OK), 0);
  EXPECT_EQ(ReadFile(t_ + "/in/a3"), "inside\n");
  EXPECT_EQ(ReadFile(t_ + "/in/b"), "deeper\n");
}

TEST_P(LandlockPathsTest, ChildrenAndExecutedProgramsKeepTheRules) {
  // sh forks cat; cat (in /usr) runs; the helper is executed from the allowed progs directory.
  auto r = Sandboxed({"sh", "-c", "(cat out/s || echo denied) && " + Prog("ll_open") + " read in/a"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "denied\nread=inside\n");
}

TEST_P(LandlockPathsTest, MixedLandlockNotifyAndPtraceRules) {
  // stat on out/ denied by a notify path rule, getppid answered through the route
  // options.escalate gives (`return`), openat on Landlock when it is on.
  WriteFile(policy_, PolicyText("\n[[rule]]\nsyscalls = [\"stat\", \"newfstatat\", \"statx\"]\npaths = [\"" + t_ +
                                "/out/**\"]\naction = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"getppid\"]\n"
                                "action = \"return\"\nvalue = 4242\n"));
  auto check = Pwnbox({"check", policy_}, Opts());
  EXPECT_EQ(check.status, 0) << check.err;
  const std::string backend = std::get<1>(GetParam());
  EXPECT_TRUE(Contains(check.out, "stat, newfstatat, statx -> errno:EPERM: notify (")) << check.out;
  EXPECT_TRUE(Contains(check.out, "getppid -> return 4242: " + backend + " (")) << check.out;
  EXPECT_EQ(Contains(check.out, ": landlock ("), landlock()) << check.out;
  auto r = Sandboxed({"sh", "-c", "stat -c %s out/s; stat -c %s in/a; cat in/a; cat out/s; " +
                                      Prog("sb_calls") + " getppid"});
  EXPECT_TRUE(Contains(r.err, "out/s': Operation not permitted")) << r.err;
  EXPECT_TRUE(Contains(r.err, "out/s: Permission denied")) << r.err;
  EXPECT_EQ(r.out, "7\ninside\ngetppid=4242\n") << r.err;
}

TEST_P(LandlockPathsTest, CheckSaysWhereThePathRulesRun) {
  auto r = Pwnbox({"check", policy_}, Opts());
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string& mode = std::get<0>(GetParam());
  if (mode == "on") {
    EXPECT_TRUE(Contains(r.out, "-> allow: landlock (open, openat without O_CREAT/O_PATH/O_TMPFILE"))
        << r.out;
    EXPECT_TRUE(Contains(r.out, "landlock: ABI ")) << r.out;
    // Every tree of the allow-list, once: a tree beneath another listed one (TMPDIR under
    // /dev/shm, say) is left out as redundant.
    const size_t from = r.out.find("list beneath ");
    ASSERT_NE(from, std::string::npos) << r.out;
    const size_t to = r.out.find("; EACCES elsewhere", from);
    ASSERT_NE(to, std::string::npos) << r.out;
    std::vector<std::string> listed;
    std::string list = r.out.substr(from + 13, to - from - 13) + ", ";
    for (size_t at = 0, next; (next = list.find(", ", at)) != std::string::npos; at = next + 2)
      listed.push_back(list.substr(at, next - at));
    for (const std::string& want : {std::string("/usr"), std::string("/etc"), std::string("/proc"),
                                    std::string("/dev"), progs_, t_ + "/in"}) {
      size_t covering = 0;
      for (const auto& d : listed) covering += want == d || want.rfind(d + "/", 0) == 0;
      EXPECT_EQ(covering, 1u) << want << " in " << r.out;
    }
  } else {
    EXPECT_TRUE(Contains(r.out, "-> allow: notify (paths are emulated")) << r.out;
    EXPECT_TRUE(Contains(r.out, mode == "off" ? "landlock: not used (PWNBOX_LANDLOCK=off)"
                                              : "landlock: not used (Landlock ABI 0, needs 6)"))
        << r.out;
  }
}

TEST_P(LandlockPathsTest, LandlockCallsNeverReachTheSupervisor) {
  const std::string stats = t_ + "/stats.json";
  std::vector<std::string> ops{Prog("ll_open")};
  for (int i = 0; i < 50; ++i) {
    ops.push_back("read");
    ops.push_back(t_ + (i % 2 ? "/in/a" : "/out/s"));
  }
  auto r = Sandboxed(ops, stats);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Grep(r.out, "read=inside").size(), 25u);
  EXPECT_EQ(Grep(r.out, "read=-1 EACCES").size(), 25u);
  auto j = nlohmann::json::parse(ReadFile(stats));
  const uint64_t escalated = j["escalated"].get<uint64_t>();
  if (landlock()) {
    EXPECT_LT(escalated, 10u) << j.dump();  // the loader's and libc's opens included: none
    EXPECT_EQ(j["isolation"], "landlock");
  } else {
    EXPECT_GE(escalated, 50u) << j.dump();
  }
}

// Differences of the Landlock route (docs/policy.md): stricter than the supervisor alone.
TEST_P(LandlockPathsTest, DocumentedDifferences) {
  WriteFile(t_ + "/out/m", "moved\n");
  std::string cp = "cp /bin/true " + t_ + "/out/true";
  ASSERT_EQ(system(cp.c_str()), 0);
  auto r = Helper({"rename", t_ + "/out/m", t_ + "/in/m", "link", t_ + "/out/s", t_ + "/in/s", "rename",
              t_ + "/in/a", t_ + "/out/a", "exec", "/bin/true", "exec", t_ + "/out/true"});
  EXPECT_EQ(r.status, 0) << r.err;
  if (landlock()) {
    // Into the list from outside: the file would gain rights (REFER): EXDEV. Out of it: fine.
    // Executing needs the file readable under the open rules.
    EXPECT_EQ(r.out, "rename=-1 EXDEV\nlink=-1 EXDEV\nrename=0\nexec=0\nexec=-1 EACCES\n");
  } else {
    EXPECT_EQ(r.out, "rename=0\nlink=0\nrename=0\nexec=0\nexec=0\n");
  }
}

TEST_P(LandlockPathsTest, APipeReopenedThroughProcIsNotInTheHierarchy) {
  // /proc/** is allowed: the supervisor resolves /proc/self/fd/0 to a pipe, which matches no
  // glob (EACCES); Landlock does not restrict pipes (docs/policy.md).
  RunOptions o = Opts();
  o.stdin_data = "piped\n";
  auto r = Pwnbox({"--policy", policy_, "--", "sh", "-c", "cat /proc/self/fd/0"}, o);
  if (landlock()) {
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "piped\n");
  } else {
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(Contains(r.err, "Permission denied")) << r.err;
  }
}

TEST_P(LandlockPathsTest, EverySpellingOfAnOutsideFileIsDenied) {
  // Relative to another cwd, "..", /proc/self/cwd, a symlink inside the list, a directory fd
  // opened inside the list (sh's `cd`): the file reached is what counts, in every mode.
  RunOptions o = Opts();
  o.cwd = t_ + "/in/sub";
  auto r = Pwnbox({"--policy", policy_, "--", Prog("ll_open"), "read", "../../out/s", "read", "../a", "read",
                   "/proc/self/cwd/../../out/s", "read", "../to_out", "readat", t_ + "/in/sub/../../out/s",
                   "list", "../..", "list", ".."},
                  o);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "read=-1 EACCES\nread=inside\nread=-1 EACCES\nread=-1 EACCES\nreadat=-1 EACCES\n"
            "list=-1 EACCES\nlist=5\n");
  r = Sandboxed({"sh", "-c", "cd out && cat s"});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(Contains(r.err, "Permission denied")) << r.err;
}

TEST_P(LandlockPathsTest, NoMountIntoTheList) {
  // A bind mount of an outside directory into the list would change what the paths name:
  // Landlock refuses every mount change to a task whose domain handles file access.
  if (!landlock()) GTEST_SKIP() << "a property of the Landlock route (docs/policy.md)";
  mkdir((t_ + "/in/mnt").c_str(), 0755);
  const std::string unshare = geteuid() == 0 ? "unshare -m" : "unshare -Urm";
  auto r = Sandboxed({"sh", "-c", unshare + " mount --bind " + t_ + "/out " + t_ + "/in/mnt; cat in/mnt/s"});
  EXPECT_NE(r.status, 0);
  EXPECT_FALSE(Contains(r.out, "secret")) << r.out;
  EXPECT_TRUE(Contains(r.err, "Operation not permitted")) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Modes, LandlockPathsTest,
                         ::testing::Combine(::testing::Values("on", "off", "none"),
                                            ::testing::Values("notify", "ptrace")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace pwnbox::testing
