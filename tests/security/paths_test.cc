// Path rules under attack (issue 12, class 3): a call with two paths cannot move or link a
// denied file into an allowed tree or an allowed file out of it; openat2's RESOLVE_* flags
// give the kernel's own answers and the rules see the file the kernel would open
// (RESOLVE_IN_ROOT included); i386 (`int 0x80`) path calls are decided on their paths; and a
// thread rewriting the path of an openat2 or i386 open never gets the denied file.
//
// The decisions (denials) hold under both backends. The race tests rest on the supervisor
// performing the call itself on the path it checked (the emulation of openat2 with RESOLVE_*
// flags and of i386 calls): path rules go through USER_NOTIF whatever options.escalate says,
// so they hold under escalate = "ptrace" as well; each race test first checks that `pwnbox
// check` still routes the rule that way (were it decided at a ptrace stop, the kernel would read
// the path again after the decision: 162 leaked links in 2,654 when it was).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20
#endif

namespace pwnbox::testing {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

class PathRulesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    WriteFile(dir_ + "/secret.txt", "secret\n");
    mkdir((dir_ + "/allowed").c_str(), 0755);
    mkdir((dir_ + "/outside").c_str(), 0755);
    WriteFile(dir_ + "/allowed/public.txt", "public\n");
  }
  // A policy: `rules` after the header (default allow, escalate = the backend under test).
  std::string Policy(const std::string& rules, const std::string& options = "") {
    std::string path = dir_ + "/policy.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                        "\"\n" + options + "\n" + rules);
    return path;
  }
  RunResult Sandboxed(const std::string& policy, const std::vector<std::string>& ops) {
    std::vector<std::string> args{"--policy", policy, "--", Prog("sec_path_ops")};
    args.insert(args.end(), ops.begin(), ops.end());
    return Pwnbox(args, RunOptions{.cwd = dir_});
  }
  RunResult Native(const std::vector<std::string>& ops) {
    std::vector<std::string> argv{Prog("sec_path_ops")};
    argv.insert(argv.end(), ops.begin(), ops.end());
    return testing::Run(argv, RunOptions{.cwd = dir_});
  }
  bool Exists(const std::string& rel) { return access((dir_ + "/" + rel).c_str(), F_OK) == 0; }

  std::string dir_;
};

constexpr const char* kTwoPathCalls =
    "[\"link\", \"linkat\", \"rename\", \"renameat\", \"renameat2\", \"symlink\", \"symlinkat\"]";

// An allow-list: only DIR/allowed/** may be named by the two-path calls. Before, a call matched
// when either of its paths was allowed, so the secret could be linked or moved into the allowed
// tree (or the allowed file out of it) while the rule looked satisfied.
TEST_P(PathRulesTest, TwoPathCallsNeedEveryPathAllowed) {
  const std::string policy =
      Policy("[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = [\"" + dir_ +
             "/secret.txt\"]\naction = \"errno:EACCES\"\n\n"
             "[[rule]]\nsyscalls = " + std::string(kTwoPathCalls) + "\npaths = [\"" + dir_ +
             "/allowed/**\"]\naction = \"allow\"\n\n"
             "[[rule]]\nsyscalls = " + std::string(kTwoPathCalls) +
             "\naction = \"errno:EACCES\"\n");
  auto r = Sandboxed(policy, {
      "link", "secret.txt", "allowed/s1",                 // the secret into the allowed tree
      "linkat", "secret.txt", "allowed/s2",
      "rename", "secret.txt", "allowed/s3",
      "renameat", "secret.txt", "allowed/s4",
      "exchange", "secret.txt", "allowed/public.txt",     // RENAME_EXCHANGE
      "link", "allowed/public.txt", "outside/p1",         // the allowed file out
      "linkat", "allowed/public.txt", "outside/p2",
      "rename", "allowed/public.txt", "outside/p3",
      "renameat", "allowed/public.txt", "outside/p4",
      "exchange", "allowed/public.txt", "outside/../secret.txt",
      "symlinkat", "allowed/public.txt", "outside/l",
      // The link path is allowed: the link is made. Its text is not a path of the call; opening
      // it resolves to the secret, which is decided then.
      "symlink", dir_ + "/secret.txt", "allowed/l",
      "cat", "allowed/l",
      // Allowed on both sides: works.
      "link", "allowed/public.txt", "allowed/p5",
      "rename", "allowed/p5", "allowed/p6",
      "exchange", "allowed/public.txt", "allowed/p6",
      "cat", "allowed/public.txt",
  });
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "link=-1 EACCES\nlinkat=-1 EACCES\nrename=-1 EACCES\nrenameat=-1 EACCES\n"
            "exchange=-1 EACCES\n"
            "link=-1 EACCES\nlinkat=-1 EACCES\nrename=-1 EACCES\nrenameat=-1 EACCES\n"
            "exchange=-1 EACCES\nsymlinkat=-1 EACCES\n"
            "symlink=0\ncat=-1 EACCES\n"
            "link=0\nrename=0\nexchange=0\ncat=public\n")
      << r.err;
  EXPECT_EQ(ReadFile(dir_ + "/secret.txt"), "secret\n");
  for (const char* f : {"allowed/s1", "allowed/s2", "allowed/s3", "allowed/s4", "outside/p1",
                        "outside/p2", "outside/p3", "outside/p4", "outside/l"})
    EXPECT_FALSE(Exists(f)) << f;
}

// A deny rule naming the secret denies the call whichever argument names it.
TEST_P(PathRulesTest, DenyRuleHoldsInEitherArgument) {
  const std::string policy = Policy("[[rule]]\nsyscalls = " + std::string(kTwoPathCalls) +
                                    "\npaths = [\"" + dir_ +
                                    "/secret.txt\"]\naction = \"errno:EACCES\"\n");
  auto r = Sandboxed(policy, {
      "link", "secret.txt", "outside/a",
      "rename", "allowed/public.txt", "secret.txt",      // would overwrite the secret
      "renameat", "allowed/public.txt", "allowed/../secret.txt",
      "exchange", "allowed/public.txt", "secret.txt",
      "linkat", "allowed/public.txt", "outside/b",
  });
  EXPECT_EQ(r.out,
            "link=-1 EACCES\nrename=-1 EACCES\nrenameat=-1 EACCES\nexchange=-1 EACCES\n"
            "linkat=0\n")
      << r.err;
  EXPECT_EQ(ReadFile(dir_ + "/secret.txt"), "secret\n");
  EXPECT_EQ(ReadFile(dir_ + "/allowed/public.txt"), "public\n");
}

// Per path, then the most restrictive: errno on one path and kill on the other kills; errno on
// one and allow on the other fails with the errno.
TEST_P(PathRulesTest, MostRestrictiveVerdictWins) {
  const std::string policy =
      Policy("[[rule]]\nsyscalls = [\"rename\"]\npaths = [\"" + dir_ +
             "/allowed/**\"]\naction = \"errno:EPERM\"\n\n"
             "[[rule]]\nsyscalls = [\"rename\"]\npaths = [\"" + dir_ +
             "/secret.txt\"]\naction = \"kill\"\n");
  auto r = Sandboxed(policy, {"rename", "outside/../outside", "allowed/x", "rename",
                              "allowed/public.txt", "secret.txt"});
  EXPECT_EQ(r.out, "rename=-1 EPERM\n") << r.err;
  EXPECT_TRUE(r.status == 137 || r.status == 159) << r.status << r.err;
  EXPECT_EQ(ReadFile(dir_ + "/secret.txt"), "secret\n");
}

// A call is reported when any of its paths' rules asks for it, naming that rule.
TEST_P(PathRulesTest, ReportNamesTheRuleOfThePathThatAsks) {
  const std::string policy = Policy("[[rule]]\nsyscalls = [\"rename\"]\npaths = [\"" + dir_ +
                                    "/allowed/**\"]\naction = \"allow\"\nlog = true\n");
  WriteFile(dir_ + "/outside/x", "x\n");
  auto r = Sandboxed(policy, {"rename", "outside/x", "allowed/y"});
  EXPECT_EQ(r.out, "rename=0\n") << r.err;
  auto reports = Grep(r.err, "pwnbox: allow, rule 1 at ");
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_TRUE(Contains(reports[0], "rename(")) << reports[0];
}

// openat2 with every RESOLVE_* flag: the kernel (run natively) is the oracle. Where it fails
// (EXDEV, ELOOP, ENOENT, ...), the sandbox fails the same way; where it opens an allowed file,
// the sandbox opens that very file; where it would open a denied one, the sandbox says EACCES.
TEST_P(PathRulesTest, Openat2ResolveFlagsGiveTheKernelsAnswers) {
  const std::string d = dir_;
  symlink("../secret.txt", (d + "/allowed/to_secret").c_str());
  symlink((d + "/secret.txt").c_str(), (d + "/allowed/abs_secret").c_str());
  symlink((d + "/allowed/public.txt").c_str(), (d + "/allowed/abs_pub").c_str());
  symlink("public.txt", (d + "/allowed/rel_pub").c_str());
  symlink("/proc/self/cwd/secret.txt", (d + "/allowed/magic_secret").c_str());
  mkdir((d + "/jail").c_str(), 0755);
  mkdir((d + "/jail/etc").c_str(), 0755);
  WriteFile(d + "/jail/etc/passwd", "jail passwd\n");
  WriteFile(d + "/jail/etc/shadow", "secret shadow\n");
  symlink("/etc/passwd", (d + "/jail/abs").c_str());
  symlink("../../etc/shadow", (d + "/jail/etc/up").c_str());
  const std::string policy = Policy("[[rule]]\nsyscalls = [\"openat2\"]\npaths = [\"" + d +
                                    "/secret.txt\", \"" + d +
                                    "/jail/etc/shadow\", \"/etc/passwd\"]\n"
                                    "action = \"errno:EACCES\"\n");
  const uint64_t resolves[] = {0,
                               RESOLVE_NO_XDEV,
                               RESOLVE_NO_MAGICLINKS,
                               RESOLVE_NO_SYMLINKS,
                               RESOLVE_BENEATH,
                               RESOLVE_IN_ROOT,
                               RESOLVE_CACHED,
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
  struct Case {
    std::string dirfd, path;
  };
  const std::vector<Case> cases = {
      {"allowed", "public.txt"},       {"allowed", "../secret.txt"},
      {"allowed", "to_secret"},        {"allowed", "abs_secret"},
      {"allowed", "abs_pub"},          {"allowed", "rel_pub"},
      {"allowed", "magic_secret"},     {"allowed", d + "/secret.txt"},
      {"allowed", "../allowed/public.txt"}, {"jail", "/etc/passwd"},
      {"jail", "etc/passwd"},          {"jail", "/etc/shadow"},
      {"jail", "abs"},                 {"jail", "etc/up"},
      {"jail", "../secret.txt"},       {"-", "/proc/self/cwd/secret.txt"},
      {"-", "allowed/../secret.txt"},  {"/", "etc/passwd"},
  };
  std::vector<std::string> ops;
  std::vector<std::string> names;
  for (const Case& c : cases)
    for (uint64_t res : resolves) {
      for (const std::string& w : {std::string("openat2"), c.dirfd, c.path, Hex(O_RDONLY),
                                   Hex(res)})
        ops.push_back(w);
      names.push_back(c.dirfd + " " + c.path + " resolve " + Hex(res));
    }
  auto native = Native(ops);
  ASSERT_EQ(native.status, 0) << native.err;
  auto boxed = Sandboxed(policy, ops);
  EXPECT_EQ(boxed.status, 0) << boxed.err;
  auto want = Lines(native.out), got = Lines(boxed.out);
  ASSERT_EQ(want.size(), names.size());
  ASSERT_EQ(got.size(), names.size()) << boxed.out << boxed.err;
  const std::string host_passwd = "openat2=" + Lines(ReadFile("/etc/passwd")).at(0);
  int denied = 0, kernel_errors = 0, opened = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string expect = want[i];
    const bool is_error = expect.rfind("openat2=-1 ", 0) == 0;
    if (is_error) {
      ++kernel_errors;
      // RESOLVE_CACHED may fail natively where the dentries were cold (EAGAIN): then
      // anything the sandbox answers must still keep the secret out.
      if (expect == "openat2=-1 EAGAIN") {
        EXPECT_TRUE(got[i].find("secret") == std::string::npos) << names[i];
        continue;
      }
    } else if (expect.find("secret") != std::string::npos || expect == host_passwd) {
      expect = "openat2=-1 EACCES";  // the host /etc/passwd, the secrets
      ++denied;
    } else {
      ++opened;
    }
    EXPECT_EQ(got[i], expect) << names[i] << " (natively " << want[i] << ")";
  }
  EXPECT_GT(denied, 5);
  EXPECT_GT(kernel_errors, 20);
  EXPECT_GT(opened, 20);
}

// RESOLVE_IN_ROOT: "/etc/passwd" under a dirfd names DIRFD/etc/passwd; a rule on the host's
// /etc/passwd does not apply, a rule on the dirfd's tree does.
TEST_P(PathRulesTest, ResolveInRootNamesTheFileUnderTheDirfd) {
  mkdir((dir_ + "/jail").c_str(), 0755);
  mkdir((dir_ + "/jail/etc").c_str(), 0755);
  WriteFile(dir_ + "/jail/etc/passwd", "jail passwd\n");
  WriteFile(dir_ + "/jail/etc/shadow", "jail shadow\n");
  symlink("/etc/shadow", (dir_ + "/jail/link").c_str());
  const std::string policy = Policy(
      "[[rule]]\nsyscalls = [\"openat2\"]\npaths = [\"/etc/passwd\", \"" + dir_ +
      "/jail/etc/shadow\"]\naction = \"errno:EACCES\"\n");
  const std::string in_root = Hex(RESOLVE_IN_ROOT);
  auto r = Sandboxed(policy, {"openat2", "jail", "/etc/passwd", "0", in_root,
                              "openat2", "jail", "/etc/shadow", "0", in_root,
                              "openat2", "jail", "link", "0", in_root,
                              "openat2", "jail", "../../../../../etc/passwd", "0", in_root,
                              "openat2", "-", "/etc/passwd", "0", "0"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "openat2=jail passwd\nopenat2=-1 EACCES\nopenat2=-1 EACCES\nopenat2=jail passwd\n"
            "openat2=-1 EACCES\n")
      << r.err;
}

// openat2's struct open_how is checked as the kernel does before any lookup.
TEST_P(PathRulesTest, Openat2InvalidHowFailsAsInTheKernel) {
  const std::string policy = Policy("[[rule]]\nsyscalls = [\"openat2\"]\npaths = [\"" + dir_ +
                                    "/secret.txt\"]\naction = \"errno:EACCES\"\n");
  const std::vector<std::string> ops = {
      "openat2", "-", "secret.txt", "0", "0x40",                          // unknown resolve bit
      "openat2", "-", "secret.txt", "0", Hex(RESOLVE_BENEATH | RESOLVE_IN_ROOT),
      "openat2", "-", "secret.txt", Hex(O_CREAT | O_DIRECTORY), "0",
      "openat2", "-", "allowed/public.txt", Hex(O_TRUNC | O_RDWR), Hex(RESOLVE_CACHED),
      "openat2", "-", "secret.txt", "0x80000000", "0"};                     // unknown flag
  auto native = Native(ops);
  auto r = Sandboxed(policy, ops);
  EXPECT_EQ(native.out,
            "openat2=-1 EINVAL\nopenat2=-1 EINVAL\nopenat2=-1 EINVAL\nopenat2=-1 EAGAIN\n"
            "openat2=-1 EINVAL\n");
  EXPECT_EQ(r.out, native.out) << r.err;
}

// i386 path calls (`int 0x80` from a 64-bit program) are decided on their 32-bit arguments.
TEST_P(PathRulesTest, I386PathCallsAreDecided) {
  const std::string policy =
      Policy("[[rule]]\nsyscalls = [\"open\", \"openat\", \"stat64\"]\npaths = [\"" + dir_ +
                 "/secret.txt\"]\naction = \"errno:EACCES\"\n",
             "abi = [\"x86_64\", \"i386\"]\n");
  auto r = Sandboxed(policy, {"open32", dir_ + "/secret.txt", "open32", "allowed/../secret.txt",
                              "openat32", dir_ + "/allowed", "../secret.txt", "stat32",
                              "secret.txt", "open32", "allowed/public.txt", "openat32",
                              dir_ + "/allowed", "public.txt", "stat32", "allowed/public.txt",
                              "open32", "nothere", "open32hi", "secret.txt", "open32hi",
                              "allowed/public.txt"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "open32=-1 EACCES\nopen32=-1 EACCES\nopenat32=-1 EACCES\nstat32=-1 EACCES\n"
            "open32=public\nopenat32=public\nstat32=7\nopen32=-1 ENOENT\n"
            "open32hi=-1 EACCES\nopen32hi=public\n")
      << r.err;
}

// A second thread flips the path buffer between an allowed and a denied file while the first
// opens it: the denied file must never be read.
class PathRacesTest : public PathRulesTest {
 protected:
  // The path rules of `policy` are served through USER_NOTIF (emulated), whatever its
  // options.escalate says.
  void ExpectRoutedThroughNotify(const std::string& policy) {
    auto check = Pwnbox({"check", policy});
    ASSERT_EQ(check.status, 0) << check.err;
    ASSERT_TRUE(Contains(check.out, ": notify (paths are emulated race-free"))
        << check.out;
    ASSERT_FALSE(Contains(check.out, ": ptrace (")) << check.out;
  }
  void ExpectNoLeak(const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.status, 0) << what << r.err;
    long leaked = -1, opened = -1;
    ASSERT_EQ(sscanf(r.out.c_str(), "race=%ld opened=%ld", &leaked, &opened), 2) << r.out;
    EXPECT_EQ(leaked, 0) << what << ": the denied file was read " << leaked << " times";
    EXPECT_GT(opened, 0) << what << ": nothing was opened, the test proves nothing";
  }
};

TEST_P(PathRacesTest, Openat2WithResolveFlags) {
  const std::string policy = Policy("[[rule]]\nsyscalls = [\"openat2\"]\npaths = [\"" + dir_ +
                                    "/secret.txt\"]\naction = \"errno:EACCES\"\n");
  ASSERT_NO_FATAL_FAILURE(ExpectRoutedThroughNotify(policy));
  for (uint64_t res : {uint64_t{0}, uint64_t{RESOLVE_BENEATH}, uint64_t{RESOLVE_IN_ROOT},
                       uint64_t{RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS}, uint64_t{RESOLVE_NO_SYMLINKS},
                       uint64_t{RESOLVE_CACHED}}) {
    ExpectNoLeak(
        Sandboxed(policy, {"race2", "allowed/public.txt", "secret.txt", "4000", Hex(res)}),
        "resolve " + Hex(res));
  }
}

TEST_P(PathRacesTest, I386Open) {
  const std::string policy =
      Policy("[[rule]]\nsyscalls = [\"open\"]\npaths = [\"" + dir_ +
                 "/secret.txt\"]\naction = \"errno:EACCES\"\n",
             "abi = [\"x86_64\", \"i386\"]\n");
  ASSERT_NO_FATAL_FAILURE(ExpectRoutedThroughNotify(policy));
  ExpectNoLeak(Sandboxed(policy, {"race32", dir_ + "/allowed/public.txt", dir_ + "/secret.txt",
                                  "10000"}),
               "i386 open");
}

// link(2) with its old path flipping between the allowed file and the secret, into the allowed
// tree: the secret never gets a name there.
TEST_P(PathRacesTest, LinkIntoTheAllowedTree) {
  const std::string policy =
      Policy("[[rule]]\nsyscalls = " + std::string(kTwoPathCalls) + "\npaths = [\"" + dir_ +
             "/allowed/**\"]\naction = \"allow\"\n\n[[rule]]\nsyscalls = " +
             std::string(kTwoPathCalls) + "\naction = \"errno:EACCES\"\n");
  ASSERT_NO_FATAL_FAILURE(ExpectRoutedThroughNotify(policy));
  ExpectNoLeak(Sandboxed(policy, {"racelink", dir_ + "/allowed/public.txt",
                                  dir_ + "/secret.txt", dir_ + "/allowed/new", "4000"}),
               "link");
}

INSTANTIATE_TEST_SUITE_P(Backends, PathRulesTest, ::testing::Values("notify", "ptrace"));
INSTANTIATE_TEST_SUITE_P(Backends, PathRacesTest, ::testing::Values("notify", "ptrace"));

}  // namespace
}  // namespace pwnbox::testing
