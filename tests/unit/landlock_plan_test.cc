// filters::PlanLandlock and the Landlock route, property-tested against the real kernel:
// random policies over a temporary tree; for each eligible one, a forked child enters the
// Landlock domain the launcher would build (supervisor::PreparePathsRuleset) and opens random
// spellings of files, directories, symlinks and missing names with random flags. Each answer is
// compared with what the supervisor decides for the same call: the path resolved as the
// supervisor resolves it (ResolveTargetPath), the rules by FirstMatch and Glob. The compiled BPF
// is checked to hand Landlock exactly the calls without O_CREAT/O_PATH/O_TMPFILE. Policies out
// of the subset are generated too and must be refused with a reason.
#include <algorithm>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/policy.h"
#include "filters/bpf.h"
#include "filters/filters.h"
#include "filters/landlock_plan.h"
#include "supervisor/glob.h"
#include "supervisor/landlock.h"
#include "supervisor/path_resolver.h"

namespace pwnbox {
namespace {

std::string MakeTree() {
  char tmpl[] = "/tmp/ll_plan_XXXXXX";
  if (!mkdtemp(tmpl)) return "";
  char real[PATH_MAX];
  std::string t = realpath(tmpl, real) ? real : tmpl;
  for (const char* d : {"/a", "/a/sub", "/a/sub/deep", "/b", "/b/sub", "/c", "/c/dir"})
    mkdir((t + d).c_str(), 0755);
  for (const char* f : {"/a/f", "/a/sub/g", "/a/sub/deep/h", "/b/f", "/b/sub/g", "/c/f"}) {
    int fd = open((t + f).c_str(), O_CREAT | O_WRONLY, 0644);
    close(fd);
  }
  symlink("../b/f", (t + "/a/to_b").c_str());         // relative, into another tree
  symlink((t + "/a/sub").c_str(), (t + "/b/to_asub").c_str());  // absolute, to a directory
  symlink("nowhere", (t + "/c/dangling").c_str());
  return t;
}

const std::vector<std::string>& Dirs() {
  // /b/to_asub and /a/to_b are symlinks (to a directory, to a file): globs beneath them match
  // no canonical path, and are left out of the ruleset.
  static const std::vector<std::string> d{"/a",     "/b",          "/c",     "/a/sub",   "/b/sub",
                                          "/a/sub/deep", "/c/dir", "/b/to_asub", "/a/to_b"};
  return d;
}

const std::vector<std::string>& Spellings() {
  static const std::vector<std::string> s{
      "/a/f", "/a/sub/g", "/a/sub/deep/h", "/b/f", "/b/sub/g", "/c/f", "/a", "/a/sub", "/b",
      "/c", "/c/dir", "/a/sub/deep", "/a/to_b", "/b/to_asub/g", "/b/to_asub", "/c/dangling",
      "/a/../b/f", "/a/sub/../../c/f", "/a/missing", "/zz/missing", "/a/f/", "/b/sub/./g",
      "/", "/a/sub/deep/../g"};
  return s;
}

const std::vector<int>& Flags() {
  static const std::vector<int> f{O_RDONLY,           O_WRONLY,           O_RDWR,
                                  O_RDONLY | O_DIRECTORY, O_WRONLY | O_TRUNC, O_RDONLY | O_NOFOLLOW,
                                  O_RDWR | O_NOFOLLOW, O_RDONLY | O_APPEND};
  return f;
}

// What the supervisor decides for openat(AT_FDCWD, path, flags): the errno (0: allowed) and
// whether the rules decided it (false: a resolution error came first).
struct Expected {
  bool resolved = false;
  bool allowed = false;
  int resolution_errno = 0;
};

Expected Decide(const config::Policy& p, const std::string& path, int flags) {
  Expected e;
  auto view = supervisor::ResolveTargetPath(getpid(), AT_FDCWD, path, !(flags & O_NOFOLLOW));
  if (!view.ok()) {
    e.resolution_errno = view.error().sys_errno();
    return e;
  }
  e.resolved = true;
  const int nr = *core::SyscallNumber("openat");
  uint64_t args[6] = {static_cast<uint64_t>(AT_FDCWD), 0, static_cast<uint64_t>(flags), 0, 0, 0};
  size_t from = 0;
  for (;;) {
    int k = filters::FirstMatch(p, core::Abi::kX86_64, nr, args, from);
    if (k < 0) {
      e.allowed = p.default_action.kind == config::ActionKind::kAllow;
      return e;
    }
    const config::Rule& r = p.rules[k];
    bool match = r.paths.empty();
    for (const auto& g : r.paths) match = match || supervisor::GlobMatch(g, view->path);
    if (match) {
      e.allowed = r.action.kind == config::ActionKind::kAllow;
      return e;
    }
    from = static_cast<size_t>(k) + 1;
  }
}

// open(2) itself when `raw_open`, else openat(2) (what glibc's open() makes).
int OpenErrno(const std::string& path, int flags, bool raw_open) {
  int fd = raw_open ? static_cast<int>(syscall(SYS_open, path.c_str(), flags | O_CLOEXEC))
                    : openat(AT_FDCWD, path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

struct Case {
  std::string path;
  int flags;
  bool raw_open;
};

// The answers of `cases` opened in a child inside the domain of `plan`.
std::vector<int> UnderLandlock(const filters::LandlockPlan& plan, const std::vector<Case>& cases) {
  auto rs = supervisor::PreparePathsRuleset(plan);
  EXPECT_TRUE(rs.ok()) << rs.error().message();
  if (!rs.ok()) return {};
  int pfd[2];
  if (pipe(pfd) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || supervisor::LandlockRestrictSelf(rs->get()) != 0)
      _exit(2);
    for (const Case& c : cases) {
      int err = OpenErrno(c.path, c.flags, c.raw_open);
      if (write(pfd[1], &err, sizeof err) != sizeof err) _exit(3);
    }
    _exit(0);
  }
  close(pfd[1]);
  std::vector<int> out;
  int err;
  while (read(pfd[0], &err, sizeof err) == sizeof err) out.push_back(err);
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return out;
}

std::string Toml(const std::string& body, const std::string& def) {
  return "version = 1\ndefault = \"" + def + "\"\n" + body;
}

std::string AllowRule(const std::vector<std::string>& calls, const std::vector<std::string>& globs) {
  std::string s = "[[rule]]\nsyscalls = [";
  for (size_t i = 0; i < calls.size(); ++i) s += (i ? ", \"" : "\"") + calls[i] + "\"";
  s += "]\npaths = [";
  for (size_t i = 0; i < globs.size(); ++i) s += (i ? ", \"" : "\"") + globs[i] + "\"";
  return s + "]\naction = \"allow\"\n";
}

class LandlockPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (supervisor::LandlockAbi() < filters::kLandlockPathsAbi)
      GTEST_SKIP() << "Landlock ABI " << supervisor::LandlockAbi();
    tree_ = MakeTree();
    ASSERT_FALSE(tree_.empty());
  }
  void TearDown() override {
    if (!tree_.empty()) system(("rm -rf '" + tree_ + "'").c_str());
  }
  std::string tree_;
};

TEST_F(LandlockPlanTest, RandomEligiblePoliciesAgreeWithTheSupervisor) {
  std::mt19937 rng(20261203);
  int policies = 0, compared = 0, denied = 0, allowed = 0;
  for (int round = 0; round < 60; ++round) {
    // 1..3 allow rules naming open and openat (and sometimes creat/openat2), 1..3 trees each,
    // then EACCES by a rule or by the default.
    std::string body;
    std::set<std::string> want;
    const int nrules = 1 + rng() % 3;
    const bool by_rule = rng() % 2;
    // Under `default = "allow"` every open call must be listed (creat and openat2 too, or
    // Landlock would restrict calls the policy allows: not eligible).
    std::vector<std::string> calls{"open", "openat"};
    if (by_rule || rng() % 2) calls.push_back("creat");
    if (by_rule || rng() % 2) calls.push_back("openat2");
    for (int r = 0; r < nrules; ++r) {
      std::vector<std::string> globs;
      const int n = 1 + rng() % 3;
      for (int i = 0; i < n; ++i) {
        std::string d = tree_ + Dirs()[rng() % Dirs().size()];
        globs.push_back(d + "/**");
        if (d.find("/to_") == std::string::npos) want.insert(d);
      }
      body += AllowRule(calls, globs);
    }
    std::string def = by_rule ? "allow" : "errno:EACCES";
    if (by_rule) {
      body += "[[rule]]\nsyscalls = [";
      for (size_t i = 0; i < calls.size(); ++i) body += (i ? ", \"" : "\"") + calls[i] + "\"";
      body += "]\naction = \"errno:EACCES\"\n";
    }
    auto p = config::LoadPolicyString(Toml(body, def), "gen.toml");
    ASSERT_TRUE(p.ok()) << p.error().message();
    filters::LandlockPlan plan = filters::PlanLandlock(*p);
    ASSERT_TRUE(plan.eligible) << plan.why_not << "\n" << body;
    std::erase_if(want, [&](const std::string& d) {  // beneath another listed tree: redundant
      return std::any_of(want.begin(), want.end(),
                         [&](const std::string& o) { return d.rfind(o + "/", 0) == 0; });
    });
    EXPECT_EQ(std::set<std::string>(plan.dirs.begin(), plan.dirs.end()), want);
    EXPECT_EQ(plan.syscalls, (std::vector<std::string>{"open", "openat"}));

    // The BPF: Landlock's calls allowed in the kernel, the others escalated.
    filters::CompileOptions with;
    with.landlock = true;
    auto prog = filters::Compile(*p, with);
    ASSERT_TRUE(prog.ok()) << prog.error().message();
    EXPECT_TRUE(prog->landlock.eligible);
    auto plain = filters::Compile(*p);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->landlock.eligible);
    for (const char* name : {"open", "openat"}) {
      const int fa = filters::LandlockFlagsArg(name);
      for (int flags : {O_RDONLY, O_WRONLY | O_TRUNC, O_RDWR | O_APPEND, O_DIRECTORY, O_CREAT | O_WRONLY,
                        O_PATH, O_TMPFILE | O_RDWR, O_NOFOLLOW | O_PATH, O_CREAT | O_EXCL}) {
        seccomp_data d{};
        d.nr = *core::SyscallNumber(name);
        d.arch = AUDIT_ARCH_X86_64;
        d.args[fa] = static_cast<uint32_t>(flags);
        const bool landlock = (flags & filters::kLandlockEscalatedOpenFlags) == 0;
        EXPECT_EQ(filters::RunBpf(prog->bpf, d),
                  landlock ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF)
            << name << " flags " << std::oct << flags;
        EXPECT_EQ(filters::RunBpf(plain->bpf, d), SECCOMP_RET_USER_NOTIF) << name;
        // The upper half of the register does not change the answer (flags is an int).
        d.args[fa] |= 0xffffffff00000000ULL;
        EXPECT_EQ(filters::RunBpf(prog->bpf, d), landlock ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF);
      }
    }
    for (size_t k = 0; k + (by_rule ? 1 : 0) < p->rules.size(); ++k)
      EXPECT_EQ(prog->rules[k].route, filters::RulePlacement::Route::kLandlock);

    // The kernel's answers.
    std::vector<Case> cases;
    for (int i = 0; i < 40; ++i)
      cases.push_back({tree_ + Spellings()[rng() % Spellings().size()], Flags()[rng() % Flags().size()],
                       rng() % 2 == 0});
    std::vector<int> got = UnderLandlock(plan, cases);
    ASSERT_EQ(got.size(), cases.size());
    ++policies;
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      Expected e = Decide(*p, c.path, c.flags);
      const int native = OpenErrno(c.path, c.flags, c.raw_open);
      SCOPED_TRACE(c.path + " flags 0" + std::to_string(c.flags) + "\n" + body);
      if (!e.resolved) {
        EXPECT_EQ(got[i], e.resolution_errno);  // the kernel's error, before any rule
        continue;
      }
      ++compared;
      if (e.allowed) {
        ++allowed;
        EXPECT_EQ(got[i], native);
      } else {
        ++denied;
        // Denied: EACCES; an error the kernel finds before opening (EISDIR, ELOOP of O_NOFOLLOW,
        // ENOTDIR of O_DIRECTORY, ENOENT) comes first under Landlock (docs/policy.md).
        if (native == 0) EXPECT_EQ(got[i], EACCES);
        else EXPECT_TRUE(got[i] == EACCES || got[i] == native) << got[i] << " native " << native;
      }
    }
  }
  EXPECT_EQ(policies, 60);
  EXPECT_GT(allowed, 200);
  EXPECT_GT(denied, 200);
  std::printf("%d policies, %d calls decided by rules: %d allowed, %d denied\n", policies, compared,
              allowed, denied);
}

TEST_F(LandlockPlanTest, PoliciesOutsideTheSubsetStayInTheSupervisor) {
  const std::string a = tree_ + "/a", b = tree_ + "/b";
  struct Bad {
    std::string body, def, why;
  } bad[] = {
      {AllowRule({"open", "openat"}, {a + "/f"}), "errno:EACCES", "is not \"/DIR/**\""},
      {AllowRule({"open", "openat"}, {a + "/*.txt"}), "errno:EACCES", "is not \"/DIR/**\""},
      {AllowRule({"open", "openat"}, {a + "/s*/**"}), "errno:EACCES", "is not \"/DIR/**\""},
      {AllowRule({"open", "openat"}, {a + "/**"}), "errno:EPERM", "must be errno:EACCES"},
      {AllowRule({"open", "openat"}, {a + "/**"}), "allow", "must be errno:EACCES"},
      {AllowRule({"open", "openat"}, {a + "/**"}) + AllowRule({"openat"}, {b + "/**"}), "errno:EACCES",
       "differs"},
      {"[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" + a + "/sub/**\"]\naction = \"errno:EACCES\"\n" +
           AllowRule({"open", "openat"}, {a + "/**"}),
       "errno:EACCES", "on paths"},
      {"[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + a +
           "/**\"]\nargs = [\"arg0 == 1\"]\naction = \"allow\"\n",
       "errno:EACCES", "argument conditions"},
      {"[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + a + "/**\"]\nlog = true\naction = \"allow\"\n",
       "errno:EACCES", "log"},
      {"[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + a + "/**\"]\nwhen = \"2..\"\naction = \"allow\"\n",
       "errno:EACCES", "when"},
      {AllowRule({"open", "openat"}, {"/proc/1/**"}), "errno:EACCES", "beneath /proc"},
      {AllowRule({"open", "openat"}, {a + "/nothere/**"}), "errno:EACCES", "not an existing directory"},
      {AllowRule({"open", "openat"}, {a + "/**"}) + "[[rule]]\nsyscalls = [\"openat2\"]\naction = \"allow\"\n",
       "errno:EACCES", "openat2"},
      {"[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + a + "/**\"]\naction = \"redirect\"\nto = \"" +
           b + "/f\"\n",
       "errno:EACCES", "action redirect"},
      {"[options]\nabi = [\"x86_64\", \"i386\"]\n" + AllowRule({"open", "openat"}, {a + "/**"}), "errno:EACCES",
       "options.abi"},
      {"[[rule]]\nsyscalls = [\"stat\"]\npaths = [\"" + a + "/**\"]\naction = \"allow\"\n", "errno:EACCES",
       "no allow-list"},
  };
  for (const Bad& x : bad) {
    auto p = config::LoadPolicyString(Toml(x.body, x.def), "bad.toml");
    ASSERT_TRUE(p.ok()) << p.error().message() << "\n" << x.body;
    filters::LandlockPlan plan = filters::PlanLandlock(*p);
    EXPECT_FALSE(plan.eligible) << x.body;
    EXPECT_NE(plan.why_not.find(x.why), std::string::npos) << plan.why_not << "\n" << x.body;
    // Compiled for a run: nothing is left to Landlock, every open call reaches the supervisor.
    filters::CompileOptions with;
    with.landlock = true;
    auto prog = filters::Compile(*p, with);
    ASSERT_TRUE(prog.ok()) << prog.error().message();
    EXPECT_FALSE(prog->landlock.eligible);
    for (const auto& pl : prog->rules) EXPECT_NE(pl.route, filters::RulePlacement::Route::kLandlock);
  }
}

TEST_F(LandlockPlanTest, TreesBeneathListedTreesAreLeftOut) {
  // /a/sub and /a/sub/deep add nothing to /a (the same rights): the ruleset and check's line
  // name /a once; /b (a sibling whose name /a is not a prefix of, as a path) stays.
  auto p = config::LoadPolicyString(
      Toml(AllowRule({"open", "openat"},
                     {tree_ + "/a/sub/deep/**", tree_ + "/a/**", tree_ + "/a/sub/**", tree_ + "/b/**"}),
           "errno:EACCES"),
      "nested.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  filters::LandlockPlan plan = filters::PlanLandlock(*p);
  ASSERT_TRUE(plan.eligible) << plan.why_not;
  EXPECT_EQ(plan.dirs, (std::vector<std::string>{tree_ + "/a", tree_ + "/b"}));
}

TEST_F(LandlockPlanTest, ClosedCallsNeedNoAllowList) {
  // open denied outright (in the kernel), openat allow-listed: eligible, only openat on Landlock.
  auto p = config::LoadPolicyString(
      Toml("[[rule]]\nsyscalls = [\"open\", \"creat\"]\naction = \"errno:EPERM\"\n" +
               AllowRule({"openat"}, {tree_ + "/a/**"}),
           "errno:EACCES"),
      "closed.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  filters::LandlockPlan plan = filters::PlanLandlock(*p);
  ASSERT_TRUE(plan.eligible) << plan.why_not;
  EXPECT_EQ(plan.syscalls, std::vector<std::string>{"openat"});
  EXPECT_EQ(plan.dirs, std::vector<std::string>{tree_ + "/a"});
  filters::CompileOptions with;
  with.landlock = true;
  auto prog = filters::Compile(*p, with);
  ASSERT_TRUE(prog.ok());
  seccomp_data d{};
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = *core::SyscallNumber("open");
  EXPECT_EQ(filters::RunBpf(prog->bpf, d), SECCOMP_RET_ERRNO | EPERM);
  // complain and kernel_only never hand anything to Landlock.
  with.complain = true;
  EXPECT_FALSE(filters::Compile(*p, with)->landlock.eligible);
  EXPECT_EQ(filters::Compile(*p, with)->landlock.why_not, "--complain reports every denial from the supervisor");
  with.complain = false;
  with.kernel_only = true;
  EXPECT_FALSE(filters::Compile(*p, with)->landlock.eligible);
}

TEST_F(LandlockPlanTest, ARulesetThatCannotBeBuiltIsAnError) {
  // A directory gone between the compile and the launch: the launcher gets an error and the
  // run does not start (the BPF relies on the ruleset).
  filters::LandlockPlan plan;
  plan.eligible = true;
  plan.syscalls = {"openat"};
  plan.dirs = {tree_ + "/a", tree_ + "/gone"};
  auto rs = supervisor::PreparePathsRuleset(plan);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().sys_errno(), ENOENT);
  EXPECT_NE(rs.error().message().find(tree_ + "/gone"), std::string::npos) << rs.error().message();
  plan.dirs = {tree_ + "/a/f"};  // a file: O_DIRECTORY refuses it
  rs = supervisor::PreparePathsRuleset(plan);
  ASSERT_FALSE(rs.ok());
  EXPECT_EQ(rs.error().sys_errno(), ENOTDIR);
}

TEST_F(LandlockPlanTest, TheForceOffKnob) {
  ASSERT_EQ(setenv("PWNBOX_LANDLOCK", "off", 1), 0);
  EXPECT_FALSE(supervisor::LandlockPathsWanted());
  ASSERT_EQ(setenv("PWNBOX_LANDLOCK", "on", 1), 0);
  EXPECT_TRUE(supervisor::LandlockPathsWanted());
  ASSERT_EQ(setenv("PWNBOX_NO_LANDLOCK", "1", 1), 0);
  EXPECT_FALSE(supervisor::LandlockPathsWanted());
  unsetenv("PWNBOX_NO_LANDLOCK");
  unsetenv("PWNBOX_LANDLOCK");
}

}  // namespace
}  // namespace pwnbox
