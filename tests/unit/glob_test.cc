#include "supervisor/glob.h"

#include <gtest/gtest.h>

namespace pwnbox::supervisor {
namespace {

TEST(NormalizeLexically, Spellings) {
  EXPECT_EQ(NormalizeLexically("/"), "/");
  EXPECT_EQ(NormalizeLexically(""), "/");
  EXPECT_EQ(NormalizeLexically("//etc///passwd/."), "/etc/passwd");
  EXPECT_EQ(NormalizeLexically("/etc/./shadow/"), "/etc/shadow");
  EXPECT_EQ(NormalizeLexically("/a/b/../c"), "/a/c");
  EXPECT_EQ(NormalizeLexically("/../../x"), "/x");
  EXPECT_EQ(NormalizeLexically("/a/.."), "/");
  EXPECT_EQ(NormalizeLexically("/a/..b/.c"), "/a/..b/.c");
}

TEST(Glob, Literal) {
  EXPECT_TRUE(GlobMatch("/etc/shadow", "/etc/shadow"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "/etc/shadow2"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "/etc/shado"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "/etc"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "/etc/shadow/x"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "/ETC/shadow"));
  EXPECT_TRUE(GlobMatch("/", "/"));
  EXPECT_FALSE(GlobMatch("/", "/etc"));
}

TEST(Glob, StarStaysInOneComponent) {
  EXPECT_TRUE(GlobMatch("/etc/*", "/etc/passwd"));
  EXPECT_TRUE(GlobMatch("/etc/*", "/etc/.hidden"));
  EXPECT_FALSE(GlobMatch("/etc/*", "/etc/ssl/certs"));
  EXPECT_FALSE(GlobMatch("/etc/*", "/etc"));
  EXPECT_TRUE(GlobMatch("/home/*/.ssh/*", "/home/bob/.ssh/id_rsa"));
  EXPECT_FALSE(GlobMatch("/home/*/.ssh/*", "/home/bob/x/.ssh/id_rsa"));
  EXPECT_TRUE(GlobMatch("/usr/lib/*.so*", "/usr/lib/libc.so.6"));
  EXPECT_FALSE(GlobMatch("/usr/lib/*.so*", "/usr/lib/libc.a"));
  EXPECT_TRUE(GlobMatch("/tmp/a*b*c", "/tmp/aXbYbZc"));
  EXPECT_FALSE(GlobMatch("/tmp/a*b*c", "/tmp/aXbYbZ"));
  EXPECT_TRUE(GlobMatch("/tmp/*", "/tmp/x"));
  EXPECT_TRUE(GlobMatch("/*/passwd", "/etc/passwd"));
  EXPECT_FALSE(GlobMatch("/*/passwd", "/x/etc/passwd"));
  // "a**b" inside a component is a plain star.
  EXPECT_TRUE(GlobMatch("/tmp/a**b", "/tmp/aXXb"));
  EXPECT_FALSE(GlobMatch("/tmp/a**b", "/tmp/a/b"));
}

TEST(Glob, DoubleStarCrossesComponents) {
  EXPECT_TRUE(GlobMatch("/root/**", "/root"));
  EXPECT_TRUE(GlobMatch("/root/**", "/root/"));
  EXPECT_TRUE(GlobMatch("/root/**", "/root/.ssh"));
  EXPECT_TRUE(GlobMatch("/root/**", "/root/a/b/c/d"));
  EXPECT_FALSE(GlobMatch("/root/**", "/rootkit"));
  EXPECT_FALSE(GlobMatch("/root/**", "/"));
  EXPECT_TRUE(GlobMatch("/**", "/"));
  EXPECT_TRUE(GlobMatch("/**", "/anything/at/all"));
  EXPECT_TRUE(GlobMatch("/usr/**/*.h", "/usr/stdio.h"));
  EXPECT_TRUE(GlobMatch("/usr/**/*.h", "/usr/include/linux/types.h"));
  EXPECT_FALSE(GlobMatch("/usr/**/*.h", "/usr/include/linux/types.c"));
  EXPECT_TRUE(GlobMatch("/a/**/b/**/c", "/a/b/c"));
  EXPECT_TRUE(GlobMatch("/a/**/b/**/c", "/a/x/b/y/b/z/c"));
  EXPECT_FALSE(GlobMatch("/a/**/b/**/c", "/a/x/c/b"));
  EXPECT_TRUE(GlobMatch("/**/shadow", "/etc/shadow"));
  EXPECT_TRUE(GlobMatch("/**/shadow", "/shadow"));
  EXPECT_FALSE(GlobMatch("/**/shadow", "/etc/shadow.bak"));
}

TEST(Glob, QuestionMarkAndClasses) {
  EXPECT_TRUE(GlobMatch("/dev/tty?", "/dev/tty1"));
  EXPECT_FALSE(GlobMatch("/dev/tty?", "/dev/tty"));
  EXPECT_FALSE(GlobMatch("/dev/tty?", "/dev/tty10"));
  EXPECT_FALSE(GlobMatch("/a?b", "/a/b"));
  EXPECT_TRUE(GlobMatch("/dev/sd[ab]", "/dev/sda"));
  EXPECT_FALSE(GlobMatch("/dev/sd[ab]", "/dev/sdc"));
  EXPECT_TRUE(GlobMatch("/dev/sd[a-c]1", "/dev/sdc1"));
  EXPECT_FALSE(GlobMatch("/dev/sd[a-c]1", "/dev/sdd1"));
  EXPECT_TRUE(GlobMatch("/dev/sd[!a]", "/dev/sdb"));
  EXPECT_FALSE(GlobMatch("/dev/sd[!a]", "/dev/sda"));
  EXPECT_TRUE(GlobMatch("/x/[]]", "/x/]"));
  EXPECT_TRUE(GlobMatch("/x/[a-]", "/x/-"));
  EXPECT_TRUE(GlobMatch("/x/[ab", "/x/[ab"));  // unterminated: literal
  EXPECT_TRUE(GlobMatch("/x/\\*", "/x/*"));
  EXPECT_FALSE(GlobMatch("/x/\\*", "/x/y"));
}

TEST(Glob, PatternsAreNormalised) {
  EXPECT_TRUE(GlobMatch("/root/", "/root"));
  EXPECT_FALSE(GlobMatch("/root/", "/root/x"));
  EXPECT_TRUE(GlobMatch("/etc//./shadow/", "/etc/shadow"));
  EXPECT_TRUE(GlobMatch("/etc/x/../shadow", "/etc/shadow"));
  EXPECT_TRUE(GlobMatch("/data/**/", "/data/a"));
  EXPECT_EQ(Glob("//etc/./x/").pattern(), "/etc/x");
  // Paths with extra separators or "." components match the same.
  EXPECT_TRUE(GlobMatch("/etc/shadow", "//etc///shadow/."));
}

TEST(Glob, RelativeNeverMatches) {
  EXPECT_FALSE(GlobMatch("etc/shadow", "/etc/shadow"));
  EXPECT_FALSE(GlobMatch("/etc/shadow", "etc/shadow"));
  EXPECT_FALSE(GlobMatch("", "/"));
  EXPECT_FALSE(GlobMatch("/**", ""));
}

TEST(Glob, CompiledIsReusableAndCopyable) {
  Glob g("/home/*/secret/**");
  Glob copy = g;
  Glob moved = std::move(g);
  for (const Glob* x : {&copy, &moved}) {
    EXPECT_TRUE(x->Matches("/home/alice/secret"));
    EXPECT_TRUE(x->Matches("/home/alice/secret/a/b"));
    EXPECT_FALSE(x->Matches("/home/alice/public/a"));
  }
}

}  // namespace
}  // namespace pwnbox::supervisor
