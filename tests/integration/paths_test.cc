// `paths` rules observed from real processes: every spelling that names a denied file is
// denied (symlinks, "..", another cwd or dirfd, /proc/self/fd/N, "//", "/./"), other files work,
// and a second thread rewriting the path cannot slip a denied file through (notify backend,
// where the supervisor performs the call on the path it checked).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

class PathsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    WriteFile(dir_ + "/secret.txt", "secret\n");
    WriteFile(dir_ + "/public.txt", "public\n");
    mkdir((dir_ + "/sub").c_str(), 0755);
    mkdir((dir_ + "/vault").c_str(), 0755);
    WriteFile(dir_ + "/vault/key", "secret key\n");
    symlink((dir_ + "/secret.txt").c_str(), (dir_ + "/link").c_str());
    symlink("../secret.txt", (dir_ + "/sub/rel").c_str());
    symlink(dir_.c_str(), (dir_ + "/sub/up").c_str());
    policy_ = dir_ + "/policy.toml";
    WriteFile(policy_, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + GetParam() +
                           "\"\n\n[[rule]]\nsyscalls = [\"@file\"]\npaths = [\"" + dir_ +
                           "/secret.txt\", \"" + dir_ + "/vault/**\"]\naction = \"errno:EACCES\"\n");
  }
  RunResult Run(std::vector<std::string> ops, const std::string& cwd = "") {
    std::vector<std::string> args{"--policy", policy_, "--", Prog("sb_paths")};
    args.insert(args.end(), ops.begin(), ops.end());
    RunOptions o;
    o.cwd = cwd.empty() ? dir_ : cwd;
    return Pwnbox(args, o);
  }
  std::string dir_, policy_;
};

TEST_P(PathsTest, AllowedFilesWork) {
  auto r = Run({"open", "public.txt", "stat", dir_ + "/public.txt", "access", "public.txt",
                "readlink", "link", "lstat", "link"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "open=public\nstat=7\naccess=0\nreadlink=" + dir_ +
                       "/secret.txt\nlstat=link\n");
}

TEST_P(PathsTest, EverySpellingOfTheDeniedFileIsDenied) {
  const std::string denied = "=-1 EACCES";
  for (const std::string& spelling :
       {dir_ + "/secret.txt", std::string("secret.txt"), std::string("./secret.txt"),
        std::string("sub/../secret.txt"), std::string("link"), std::string("sub/rel"),
        std::string("sub/up/secret.txt"), "/" + dir_ + "//secret.txt", dir_ + "/./secret.txt",
        dir_ + "/sub/../secret.txt", std::string("/proc/self/cwd/secret.txt"),
        "/proc/self/root" + dir_ + "/secret.txt", dir_ + "/vault/key",
        std::string("vault/../vault/./key")}) {
    auto r = Run({"open", spelling});
    EXPECT_EQ(r.out, "open" + denied + "\n") << spelling << "\n" << r.err;
    r = Run({"stat", spelling});
    EXPECT_EQ(r.out, "stat" + denied + "\n") << spelling << "\n" << r.err;
  }
}

TEST_P(PathsTest, OtherCwdAndDirfd) {
  auto r = Run({"cd", "sub", "open", "../secret.txt", "open", "../public.txt"});
  EXPECT_EQ(r.out, "cd=0\nopen=-1 EACCES\nopen=public\n") << r.err;
  r = Run({"openat", dir_ + "/sub", "../secret.txt", "openat", dir_, "secret.txt", "openat",
           dir_, "public.txt"});
  EXPECT_EQ(r.out, "openat=-1 EACCES\nopenat=-1 EACCES\nopenat=public\n") << r.err;
}

TEST_P(PathsTest, ProcSelfFdOfADirectory) {
  // /proc/self/fd/N/NAME where N is an fd of the directory.
  std::vector<std::string> args{"--policy", policy_, "--", "sh", "-c",
                                "exec 7<" + dir_ + "; cat /proc/self/fd/7/secret.txt; "
                                "cat /proc/self/fd/7/public.txt"};
  auto r = Pwnbox(args);
  EXPECT_EQ(r.out, "public\n") << r.err;
  EXPECT_TRUE(Contains(r.err, "Permission denied")) << r.err;
}

TEST_P(PathsTest, ModifyingCallsOnDeniedPaths) {
  auto r = Run({"unlink", "link", "unlink", "secret.txt", "rename", "secret.txt", "moved",
                "rename", "public.txt", "vault/pub", "link", "secret.txt", "hard", "mkdir",
                "vault/new", "creat", "vault/x", "chmod", "secret.txt", "symlink", "whatever",
                "vault/l"});
  EXPECT_EQ(r.out,
            "unlink=0\n"           // the link itself is not the secret (unlink does not follow)
            "unlink=-1 EACCES\nrename=-1 EACCES\nrename=-1 EACCES\nlink=-1 EACCES\n"
            "mkdir=-1 EACCES\ncreat=-1 EACCES\nchmod=-1 EACCES\nsymlink=-1 EACCES\n")
      << r.err;
  EXPECT_EQ(ReadFile(dir_ + "/secret.txt"), "secret\n");
  EXPECT_EQ(access((dir_ + "/vault/pub").c_str(), F_OK), -1);
}

TEST_P(PathsTest, AllowedModifyingCallsWork) {
  auto r = Run({"creat", "new.txt", "open", "new.txt", "mkdir", "d", "rename", "new.txt",
                "d/n.txt", "open", "d/n.txt", "symlink", "d/n.txt", "sl", "open", "sl", "unlink",
                "sl", "unlink", "d/n.txt", "rmdir", "d"});
  EXPECT_EQ(r.out,
            "creat=0\nopen=new\nmkdir=0\nrename=0\nopen=new\nsymlink=0\nopen=new\nunlink=0\n"
            "unlink=0\nrmdir=0\n")
      << r.err;
  // Created with the target's umask (022 here) and mode.
  r = Run({"creat", "m.txt"});
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/m.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u & ~0022u);
}

TEST_P(PathsTest, RealToolsUnderPathRules) {
  auto r = Pwnbox({"--policy", policy_, "--", "sh", "-c",
                   "cat public.txt; ls vault 2>&1 | head -1; tar cf - public.txt | tar tf -; "
                   "cat secret.txt 2>/dev/null || echo denied"},
                  RunOptions{.cwd = dir_});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "public\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Permission denied")) << r.out;  // ls vault
  EXPECT_TRUE(Contains(r.out, "public.txt\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "denied\n")) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, PathsTest, ::testing::Values("notify", "ptrace"));

TEST(PathsRace, AThreadFlippingThePathNeverReachesTheDeniedFile) {
  std::string dir = TempDir();
  WriteFile(dir + "/secret.txt", "secret\n");
  WriteFile(dir + "/public.txt", "public\n");
  std::string policy = dir + "/p.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"open\", "
                    "\"openat\"]\npaths = [\"" + dir + "/secret.txt\"]\naction = \"errno:EACCES\"\n");
  auto r = Pwnbox({"--policy", policy, "--", Prog("sb_paths"), "race", dir + "/public.txt",
                   dir + "/secret.txt", "20000"});
  EXPECT_EQ(r.status, 0) << r.err;
  long leaked = -1, opened = -1;
  ASSERT_EQ(sscanf(r.out.c_str(), "race=%ld opened=%ld", &leaked, &opened), 2) << r.out;
  EXPECT_EQ(leaked, 0) << "the denied file was opened " << leaked << " times";
  EXPECT_GT(opened, 0) << "the test opened nothing: it proves nothing";
}

TEST(PathsRedirect, OpenReachesTheOtherFile) {
  for (std::string backend : {"notify", "ptrace"}) {
    std::string dir = TempDir();
    WriteFile(dir + "/fake", "fake host\n");
    std::string policy = dir + "/p.toml";
    WriteFile(policy, "version = 1\ndefault = \"allow\"\n[options]\nescalate = \"" + backend +
                          "\"\n\n[[rule]]\nsyscalls = [\"open\", \"openat\"]\npaths = "
                          "[\"/etc/hostname\"]\naction = \"redirect\"\nto = \"" + dir + "/fake\"\n");
    auto r = Pwnbox({"--policy", policy, "--", "cat", "/etc/hostname", "/etc/passwd"});
    EXPECT_EQ(r.status, 0) << backend << r.err;
    EXPECT_EQ(r.out.rfind("fake host\nroot:", 0), 0u) << backend << r.out.substr(0, 40);
  }
}

}  // namespace
}  // namespace pwnbox::testing

namespace pwnbox::testing {
namespace {

// Redirect is carried out by emulation through notify, whatever options.escalate says: on a
// path call pwnbox does not emulate (chdir) it is refused before the run, with the reason.
TEST(PathsRedirect, OnACallPwnboxDoesNotEmulateIsRefusedBeforeTheRun) {
  const std::string dir = TempDir();
  for (const char* escalate : {"notify", "ptrace"}) {
    const std::string policy = dir + "/r.toml";
    WriteFile(policy, std::string("version = 1\ndefault = \"allow\"\n[options]\nescalate = \"") +
                          escalate + "\"\n[[rule]]\nsyscalls = [\"chdir\"]\npaths = [\"/etc\"]\n"
                          "action = \"redirect\"\nto = \"/tmp\"\n");
    auto r = Pwnbox({"--policy", policy, "--", "true"});
    EXPECT_EQ(r.status, 125) << escalate << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "redirect cannot apply to chdir: pwnbox does not emulate it"))
        << escalate << ": " << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing
