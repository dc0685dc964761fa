// explore::ParseSelector and Selector::Matches (the `--at` language of `pwnbox explore`):
// names, groups, argument conditions compared with the argument's C width, path globs, #K,
// and the one-line errors with their hints.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "explore/selector.h"

namespace pwnbox {
namespace {

using explore::ParseSelector;

TEST(ParseSelector, NameGroupConditionsOccurrence) {
  auto s = ParseSelector("openat:path=/etc/*.conf:flags=O_RDONLY#2");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->names, (std::set<std::string>{"openat"}));
  EXPECT_EQ(s->path_glob, "/etc/*.conf");
  ASSERT_EQ(s->args.size(), 1u);
  EXPECT_EQ(s->args[0].arg, 2);
  EXPECT_EQ(s->occurrence, 2u);

  auto g = ParseSelector("@network");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->names.contains("connect"));
  EXPECT_TRUE(g->names.contains("socket"));
  EXPECT_EQ(g->occurrence, 0u);
}

TEST(ParseSelector, GroupWithPathKeepsThePathTakingMembers) {
  auto g = ParseSelector("@file:path=/tmp/**");
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_TRUE(g->names.contains("openat"));
  EXPECT_FALSE(g->names.contains("getcwd"));
}

TEST(SelectorMatches, ArgumentsWithTheirWidthAndPaths) {
  auto s = ParseSelector("read:fd=0");
  ASSERT_TRUE(s.ok());
  uint64_t args[6] = {0, 0x1000, 10, 0, 0, 0};
  EXPECT_TRUE(s->Matches("read", args, ""));
  args[0] = 3;
  EXPECT_FALSE(s->Matches("read", args, ""));
  // An int argument: the upper half of the register is not looked at, as the kernel reads it.
  args[0] = 0xdead00000000ull;
  EXPECT_TRUE(s->Matches("read", args, ""));
  EXPECT_FALSE(s->Matches("write", args, ""));

  auto neg = ParseSelector("openat:dirfd=AT_FDCWD");
  ASSERT_TRUE(neg.ok()) << neg.error().message();
  uint64_t oargs[6] = {static_cast<uint32_t>(AT_FDCWD), 0, 0, 0, 0, 0};  // zero-extended
  EXPECT_TRUE(neg->Matches("openat", oargs, "/x"));
  oargs[0] = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));  // sign-extended
  EXPECT_TRUE(neg->Matches("openat", oargs, "/x"));

  auto p = ParseSelector("openat:path=/etc/**");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Matches("openat", oargs, "/etc/ssl/openssl.cnf"));
  EXPECT_FALSE(p->Matches("openat", oargs, "/tmp/x"));
  EXPECT_FALSE(p->Matches("openat", oargs, ""));  // unresolved: no path matches a glob
}

TEST(ParseSelector, ErrorsAreOneLineWithAHint) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"opnat", "did you mean openat"},
      {"@netwrk", "did you mean @network"},
      {"read:fdd=0", "no argument \"fdd\""},
      {"read:fd", "expected path=GLOB or ARG=VALUE"},
      {"read:path=/x", "read takes no path"},
      {"openat:path=x", "absolute"},
      {"write#0", "#K"},
      {"write#x", "#K"},
      {"", "no syscall"},
      {"read:fd=NOTACONST", "NOTACONST"},
  };
  for (const Case& c : cases) {
    auto s = ParseSelector(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    const std::string m = s.error().message();
    EXPECT_NE(m.find(c.expect), std::string::npos) << c.text << ": " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.rfind(std::string("--at ") + c.text, 0), 0u) << m;
  }
}

}  // namespace
}  // namespace pwnbox
