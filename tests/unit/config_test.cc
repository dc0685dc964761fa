// Unit tests for pwnbox::config: the policy loader (every malformed case with its exact message),
// conditions, actions, includes, the built-in default and the TOML writer.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/policy.h"
#include "core/syscalls.h"

namespace pwnbox::config {
namespace {

struct BadCase {
  const char* name;
  const char* toml;
  const char* message;
};

const BadCase kBadCases[] = {
    {"BadTomlSyntax",
     "version = 1\ndefault = \"errno:EPERM\"\ninclude = [\"a.toml\"\n",
     "t.toml:3:21: invalid TOML: Error while parsing array: encountered end-of-file\ninclude = [\"a.toml\"\n                   ^\nhint: see https://toml.io for the syntax"},
    {"UnknownTopLevelKey",
     "version = 1\ndefault = \"errno:EPERM\"\ndefualt = \"allow\"\n",
     "t.toml:3:1: unknown key \"defualt\"\ndefualt = \"allow\"\n^\nhint: did you mean \"default\"? (known keys: version, default, include, options, rule)"},
    {"UnknownRuleKey",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\nsyscall = [\"write\"]\n",
     "t.toml:7:1: unknown rule key \"syscall\"\nsyscall = [\"write\"]\n^\nhint: did you mean \"syscalls\"? (known keys: syscalls, args, paths, tcp_ports, when, action, value, to, set, backend, log, escalate)"},
    {"UnknownOptionsKey",
     "version = 1\ndefault = \"errno:EPERM\"\n[options]\nescalte = \"ptrace\"\n",
     "t.toml:4:1: unknown [options] key \"escalte\"\nescalte = \"ptrace\"\n^\nhint: did you mean \"escalate\"? (known keys: escalate, abi, io_uring)"},
    {"WrongTypeSyscalls",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = \"read\"\naction = \"allow\"\n",
     "t.toml:5:12: \"syscalls\" must be an array, not a string\nsyscalls = \"read\"\n           ^\nhint: e.g. syscalls = [\"read\"]"},
    {"WrongTypeLog",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\nlog = \"yes\"\n",
     "t.toml:7:7: \"log\" must be a boolean, not a string\nlog = \"yes\"\n      ^\nhint: log = true"},
    {"MissingAction",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\n",
     "t.toml:4:1: rule has no \"action\"\n[[rule]]\n^\nhint: add e.g. action = \"allow\" (or deny, errno:NAME, kill, trap, log, return, ...)"},
    {"UnknownAction",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\naction = \"alow\"\n",
     "t.toml:6:10: unknown action \"alow\"\naction = \"alow\"\n         ^\nhint: actions: allow, deny, errno:NAME, errno:N, kill, kill-thread, trap, log, return, redirect, modify, proxy"},
    {"UnknownErrno",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\naction = \"errno:EPREM\"\n",
     "t.toml:6:10: unknown errno \"EPREM\"\naction = \"errno:EPREM\"\n         ^\nhint: use an errno name such as EPERM, EACCES, ENOENT, or a number"},
    {"UnknownSyscall",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\", \"opne\"]\naction = \"allow\"\n",
     "t.toml:5:21: unknown syscall \"opne\" (did you mean \"open\"?)\nsyscalls = [\"read\", \"opne\"]\n                    ^\nhint: `pwnbox groups` lists groups; syscall names are as in man 2 syscalls"},
    {"UnknownGroup",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"@fiel\"]\naction = \"allow\"\n",
     "t.toml:5:13: unknown group \"@fiel\"\nsyscalls = [\"@fiel\"]\n            ^\nhint: did you mean \"@file\"? `pwnbox groups` lists them"},
    {"UnknownConstant",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain == AF_UNIXX\"]\naction = \"allow\"\n",
     "t.toml:6:20: unknown constant \"AF_UNIXX\"\nargs = [\"domain == AF_UNIXX\"]\n                   ^\nhint: did you mean AF_UNIX?"},
    {"ConditionDoesNotParse",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"socket\"]\nargs = [\"domain = 1\"]\naction = \"allow\"\n",
     "t.toml:6:17: expected a comparison operator\nargs = [\"domain = 1\"]\n                ^\nhint: operators: == != < <= > >=, or ARG & MASK == VALUE"},
    {"ArgNameMissingInOneSyscall",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"socket\", \"bind\"]\nargs = [\"domain == 1\"]\naction = \"allow\"\n",
     "t.toml:6:10: syscall \"bind\" has no argument \"domain\"\nargs = [\"domain == 1\"]\n         ^\nhint: its arguments: arg0=sockfd, arg1=addr, arg2=addrlen; or write argN"},
    {"ArgIndexOutOfRange",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\nargs = [\"arg6 == 1\"]\naction = \"allow\"\n",
     "t.toml:6:10: argument index out of range: \"arg6\"\nargs = [\"arg6 == 1\"]\n         ^\nhint: a syscall has six arguments, arg0 to arg5"},
    {"ReturnWithoutValue",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"getuid\"]\naction = \"return\"\n",
     "t.toml:6:10: action \"return\" needs \"value\"\naction = \"return\"\n         ^\nhint: add value = 0"},
    {"RedirectWithoutTo",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"openat\"]\naction = \"redirect\"\n",
     "t.toml:6:10: action \"redirect\" needs \"to\"\naction = \"redirect\"\n         ^\nhint: add to = \"/srv/fake/hostname\""},
    {"ModifyWithoutSet",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"write\"]\naction = \"modify\"\n",
     "t.toml:6:10: action \"modify\" needs \"set\"\naction = \"modify\"\n         ^\nhint: add set = { count = 1 }"},
    {"ProxyWithoutBackend",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"openat\"]\naction = \"proxy\"\n",
     "t.toml:6:10: action \"proxy\" needs \"backend\"\naction = \"proxy\"\n         ^\nhint: add backend = \"unix:/run/pwnbox/proxy.sock\""},
    {"CompanionOnWrongAction",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\nto = \"/x\"\n",
     "t.toml:7:1: \"to\" is only for action \"redirect\" (this rule's action is \"allow\")\nto = \"/x\"\n^\nhint: remove it, or change the action"},
    {"VersionNotOne",
     "version = 2\ndefault = \"allow\"\n",
     "t.toml:1:11: unsupported policy version 2\nversion = 2\n          ^\nhint: this pwnbox reads version = 1"},
    {"UnknownAbi",
     "version = 1\ndefault = \"errno:EPERM\"\n[options]\nabi = [\"x86_64\", \"arm64\"]\n",
     "t.toml:4:18: unknown abi \"arm64\"\nabi = [\"x86_64\", \"arm64\"]\n                 ^\nhint: ABIs: \"x86_64\", \"i386\", \"x32\""},
    {"PathsOnSyscallWithoutPath",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\npaths = [\"/etc/**\"]\naction = \"deny\"\n",
     "t.toml:5:13: syscall \"read\" has no path argument, so \"paths\" can never match it\nsyscalls = [\"read\"]\n            ^\nhint: move it to a rule without paths"},
    {"EmptySyscalls",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = []\naction = \"allow\"\n",
     "t.toml:5:12: empty \"syscalls\" list: the rule would match nothing\nsyscalls = []\n           ^\nhint: name at least one syscall, number or @group"},
    {"EscalateInvalid",
     "version = 1\ndefault = \"errno:EPERM\"\n[options]\nescalate = \"seccomp\"\n",
     "t.toml:4:12: invalid escalate value \"seccomp\"\nescalate = \"seccomp\"\n           ^\nhint: escalate = \"notify\" or \"ptrace\""},
    {"MissingDefault",
     "version = 1\n",
     "t.toml:1:1: the policy has no \"default\" action\nversion = 1\n^\nhint: add a line such as default = \"errno:EPERM\" (or \"allow\")"},
    {"IoUringAllowedWhileDisabled",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"io_uring_setup\"]\naction = \"allow\"\n",
     "t.toml:5:13: \"io_uring_setup\" is always denied while options.io_uring is false\nsyscalls = [\"io_uring_setup\"]\n            ^\nhint: io_uring operations bypass seccomp; set io_uring = true in [options] to allow it"},
    {"MaskWithWrongOperator",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"openat\"]\nargs = [\"flags & O_CREAT != 0\"]\naction = \"allow\"\n",
     "t.toml:6:26: only == can follow a mask\nargs = [\"flags & O_CREAT != 0\"]\n                         ^\nhint: write ARG & MASK == VALUE"},
    {"MalformedNumber",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\nargs = [\"fd == 0x1g\"]\naction = \"allow\"\n",
     "t.toml:6:16: malformed number \"0x1g\"\nargs = [\"fd == 0x1g\"]\n               ^\nhint: numbers are decimal (42), hexadecimal (0x2a), octal (0o52) or binary (0b101)"},
    {"UnknownSyscallNumber",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [9999]\naction = \"allow\"\n",
     "t.toml:5:13: unknown syscall number 9999\nsyscalls = [9999]\n            ^\nhint: numbers are x86_64 syscall numbers; prefer names"},
    {"RelativePathPattern",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"etc/passwd\"]\naction = \"deny\"\n",
     "t.toml:6:10: path pattern \"etc/passwd\" is not absolute\npaths = [\"etc/passwd\"]\n         ^\nhint: paths are matched against absolute, normalised paths: start with /"},
    {"TrailingText",
     "version = 1\ndefault = \"errno:EPERM\"\n\n[[rule]]\nsyscalls = [\"read\"]\nargs = [\"fd == 1 && fd == 2\"]\naction = \"allow\"\n",
     "t.toml:6:18: unexpected text after the condition\nargs = [\"fd == 1 && fd == 2\"]\n                 ^\nhint: one condition per string; all conditions of a rule must hold"},
};

class MalformedPolicy : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedPolicy, ReportsExactMessage) {
  const BadCase& c = GetParam();
  auto p = LoadPolicyString(c.toml, "t.toml");
  ASSERT_FALSE(p.ok()) << c.name;
  EXPECT_EQ(p.error().message(), c.message) << c.name;
}

INSTANTIATE_TEST_SUITE_P(All, MalformedPolicy, ::testing::ValuesIn(kBadCases),
                         [](const auto& info) { return std::string(info.param.name); });

std::string TempDir() {
  static int n = 0;
  auto d = std::filesystem::temp_directory_path() /
           ("pwnbox_config_test_" + std::to_string(getpid()) + "_" + std::to_string(n++));
  std::filesystem::create_directories(d);
  return d.string();
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Includes, MissingIncludeIsReportedAtTheString) {
  std::string d = TempDir();
  Write(d + "/app.toml", "default = \"allow\"\ninclude = [\"nope.toml\"]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            d + "/app.toml:2:12: cannot read include \"nope.toml\" (" + d +
                "/nope.toml: No such file or directory)\ninclude = [\"nope.toml\"]\n           ^\n"
                "hint: include paths are relative to the including file");
  std::filesystem::remove_all(d);
}

TEST(Includes, CycleIsReportedWithTheChain) {
  std::string d = TempDir();
  Write(d + "/a.toml", "default = \"allow\"\ninclude = [\"b.toml\"]\n");
  Write(d + "/b.toml", "include = [\"a.toml\"]\n");
  auto p = LoadPolicyFile(d + "/a.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), d + "/b.toml:1:12: include cycle: " + d + "/a.toml -> " + d +
                                     "/b.toml -> " + d + "/a.toml\ninclude = [\"a.toml\"]\n" +
                                     "           ^\nhint: remove one of these includes");
  std::filesystem::remove_all(d);
}

// A diamond at every level (each file includes the next two, which share their includes):
// 2^30 include paths, 31 files. Each file is read once, so this loads at once.
TEST(Includes, DiamondsOfDepth30LoadEachFileOnce) {
  std::string d = TempDir();
  constexpr int kDepth = 30;
  for (int i = 0; i <= kDepth; ++i) {
    std::string text = "[[rule]]\nsyscalls = [" + std::to_string(i) + "]\naction = \"allow\"\n";
    if (i == 0) text = "default = \"allow\"\n" + text;
    if (i < kDepth) {
      text = "include = [\"f" + std::to_string(i + 1) + ".toml\", \"g" + std::to_string(i + 1) +
             ".toml\"]\n" + text;
    }
    Write(d + "/f" + std::to_string(i) + ".toml", text);
    // g_i is a second name of f_i's content through a symlink: one file, two spellings.
    if (i > 0) std::filesystem::create_symlink("f" + std::to_string(i) + ".toml",
                                               d + "/g" + std::to_string(i) + ".toml");
  }
  const auto start = std::chrono::steady_clock::now();
  auto p = LoadPolicyFile(d + "/f0.toml");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_EQ(p->rules.size(), static_cast<size_t>(kDepth + 1));  // each file's rule once
  for (int i = 0; i <= kDepth; ++i) EXPECT_EQ(p->rules[i].names[0], pwnbox::core::SyscallName(i));
  EXPECT_EQ(p->files.size(), static_cast<size_t>(kDepth + 1));
  std::filesystem::remove_all(d);
}

// Two distinct files that both include a third: the third's rules come once, after the first
// includer's (first-match: a second copy could never decide a call).
TEST(Includes, SharedIncludeIsReadOnceAtItsFirstPlace) {
  std::string d = TempDir();
  Write(d + "/app.toml", "default = \"allow\"\ninclude = [\"a.toml\", \"b.toml\"]\n");
  Write(d + "/a.toml", "include = [\"base.toml\"]\n[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\n");
  Write(d + "/b.toml", "include = [\"base.toml\"]\n[[rule]]\nsyscalls = [\"write\"]\naction = \"allow\"\n");
  Write(d + "/base.toml", "[[rule]]\nsyscalls = [\"close\"]\naction = \"kill\"\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->rules.size(), 3u);
  EXPECT_EQ(p->rules[0].names, std::vector<std::string>{"read"});
  EXPECT_EQ(p->rules[1].names, std::vector<std::string>{"close"});
  EXPECT_EQ(p->rules[2].names, std::vector<std::string>{"write"});
  std::filesystem::remove_all(d);
}

TEST(Includes, DevZeroIsRefusedAtTheEntry) {
  std::string d = TempDir();
  Write(d + "/app.toml", "default = \"allow\"\ninclude = [\"/dev/zero\"]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            d + "/app.toml:2:12: cannot read include \"/dev/zero\" (/dev/zero: a device, not a "
                "regular file)\ninclude = [\"/dev/zero\"]\n           ^\n"
                "hint: an include must be a regular file of at most 1 MiB");
  std::filesystem::remove_all(d);
}

// No writer ever opens the FIFO: a blocking open would hang the loader (and this test).
TEST(Includes, FifoIsRefusedWithoutBlocking) {
  std::string d = TempDir();
  ASSERT_EQ(mkfifo((d + "/pipe.toml").c_str(), 0600), 0);
  Write(d + "/app.toml", "include = [\"pipe.toml\"]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("app.toml:1:12: cannot read include \"pipe.toml\" (" + d +
                                     "/pipe.toml: a FIFO, not a regular file)"),
            std::string::npos)
      << p.error().message();
  std::filesystem::remove_all(d);
}

TEST(Includes, DirectoryIsRefused) {
  std::string d = TempDir();
  std::filesystem::create_directories(d + "/sub");
  Write(d + "/app.toml", "include = [\"sub\"]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("app.toml:1:12: cannot read include \"sub\" (" + d +
                                     "/sub: a directory, not a file)"),
            std::string::npos)
      << p.error().message();
  std::filesystem::remove_all(d);
}

TEST(Includes, FileOverOneMebibyteIsRefused) {
  std::string d = TempDir();
  Write(d + "/big.toml", "# " + std::string(1 << 20, 'x') + "\n");
  Write(d + "/app.toml", "include = [\"big.toml\"]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("(" + d + "/big.toml: larger than 1 MiB)"), std::string::npos)
      << p.error().message();
  // The top file too, and an endless device given directly.
  auto top = LoadPolicyFile(d + "/big.toml");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().message(), "cannot read policy " + d + "/big.toml: larger than 1 MiB");
  auto zero = LoadPolicyFile("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message(), "cannot read policy /dev/zero: larger than 1 MiB");
  std::filesystem::remove_all(d);
}

TEST(Includes, TotalSizeIsBounded) {
  std::string d = TempDir();
  std::string list;
  for (int i = 0; i < 20; ++i) {
    Write(d + "/p" + std::to_string(i) + ".toml", "# " + std::string(1000 * 1000, 'x') + "\n");
    list += (i ? ", \"p" : "\"p") + std::to_string(i) + ".toml\"";
  }
  Write(d + "/app.toml", "include = [" + list + "]\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("the policy and its includes exceed 16 MiB"),
            std::string::npos)
      << p.error().message();
  std::filesystem::remove_all(d);
}

TEST(Includes, DepthIsBounded) {
  std::string d = TempDir();
  for (int i = 0; i < 100; ++i)
    Write(d + "/c" + std::to_string(i) + ".toml",
          "include = [\"c" + std::to_string(i + 1) + ".toml\"]\n");
  Write(d + "/c100.toml", "default = \"allow\"\n");
  auto p = LoadPolicyFile(d + "/c0.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("c63.toml:1:12: includes nested more than 64 deep"),
            std::string::npos)
      << p.error().message();
  std::filesystem::remove_all(d);
}

// A policy may come from someone else: the line an error echoes, and the names it quotes, are
// escaped (control characters, DEL, C1) so they cannot move the cursor, recolour the terminal
// or forge lines; the caret still points at the column.
TEST(Errors, EchoedTextIsEscaped) {
  auto p = LoadPolicyString("default = \"allow\"\nx\033[2J = 1 \033]0;t\007\n", "e.toml");
  ASSERT_FALSE(p.ok());
  const std::string& m = p.error().message();
  for (char c : m) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c) << m;
  EXPECT_NE(m.find("x\\33[2J = 1 \\33]0;t\\7"), std::string::npos) << m;
  // A quoted key holding an escape, written with TOML's \u escapes.
  auto q = LoadPolicyString("default = \"allow\"\n\"a\\u001b[31m\\u009b\" = 1\n", "k.toml");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message(),
            "k.toml:2:1: unknown key \"a\\33[31m\\302\\233\"\n"
            "\"a\\u001b[31m\\u009b\" = 1\n^\n"
            "hint: known keys: version, default, include, options, rule");
  // The caret lines up with the escaped text: here under the "\1" that stands for byte 1.
  auto s = LoadPolicyString("default = \"allow\" # \001\n", "c.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("c.toml:1:21: invalid TOML: ")
            , std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("\ndefault = \"allow\" # \\1\n                    ^\n"),
            std::string::npos)
      << s.error().message();
  // A C1 control (raw U+009B is valid in a TOML string) before the column: the caret moves by
  // the width of its escape.
  auto c1 = LoadPolicyString(
      "default = \"allow\"\nrule = [{ paths = [\"/\xc2\x9bz\"], syscalls = [\"nope\"], action = "
      "\"allow\" }]\n",
      "c1.toml");
  ASSERT_FALSE(c1.ok());
  const std::string echoed =
      "rule = [{ paths = [\"/\\302\\233z\"], syscalls = [\"nope\"], action = \"allow\" }]";
  EXPECT_NE(c1.error().message().find("c1.toml:2:40: unknown syscall \"nope\""), std::string::npos)
      << c1.error().message();
  EXPECT_NE(c1.error().message().find(
                "\n" + echoed + "\n" + std::string(echoed.find("\"nope\""), ' ') + "^\n"),
            std::string::npos)
      << c1.error().message();
}

// Found by tests/fuzz/policy_loader_fuzz.cc (UBSan): TOML++ 3.3.0 reached
// __builtin_unreachable for some non-ASCII code points between tokens (config/loader.cc makes
// that branch answer "not whitespace"). A malformed file is an error; non-ASCII in strings and
// comments, and after a multi-line string's line-ending backslash, is fine.
TEST(Errors, NonAsciiBetweenTokens) {
  auto p = LoadPolicyString("default = \"allow\"\nversi\xc5\x9d = 1\n", "u.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message().rfind("u.toml:2:6: invalid TOML: ", 0), 0u) << p.error().message();
  auto v = LoadPolicyString("vers= 0\"\xc9\x90", "v.toml");
  ASSERT_FALSE(v.ok());
  auto m = LoadPolicyString("default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\n"
                            "paths = [\"\"\"/a\\\n\xc9\x90\"\"\"]\naction = \"errno:EACCES\"\n",
                            "m.toml");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->rules[0].paths[0], "/a\xc9\x90");
  auto q = LoadPolicyString(
      "# caf\xc3\xa9 \xe2\x80\x94 comment\ndefault = \"allow\" # \xc5\x9d\n[[rule]]\n"
      "syscalls = [\"openat\"]\npaths = [\"/srv/caf\xc3\xa9/**\", '/l\xc5\x9d\\', \"\"\"/m\n\xc5\x9d\"\"\"]\n"
      "action = \"errno:EACCES\"\n",
      "ok.toml");
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(q->rules[0].paths[0], "/srv/caf\xc3\xa9/**");
  // Control characters are refused anywhere (a NUL in a string led TOML++ to the same spot).
  auto z = LoadPolicyString(std::string("default = \"allow\"\nx = [\"/dev/z") + '\0' +
                                "C\xc7\xbc\"]\n",
                            "z.toml");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().message(),
            "z.toml:2:13: invalid TOML: a control character\nx = [\"/dev/z\\0C\xc7\xbc\"]\n"
            "            ^\nhint: write control characters in strings as escapes (\\u001b)");
}

TEST(Includes, IncludingFileRulesComeFirstAndItsSettingsWin) {
  std::string d = TempDir();
  Write(d + "/app.toml",
        "default = \"errno:EACCES\"\ninclude = [\"b1.toml\", \"b2.toml\"]\n"
        "[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\n");
  Write(d + "/b1.toml",
        "default = \"allow\"\n[options]\nio_uring = true\n"
        "[[rule]]\nsyscalls = [\"write\"]\naction = \"allow\"\n");
  Write(d + "/b2.toml", "[[rule]]\nsyscalls = [\"close\"]\naction = \"kill\"\n");
  auto p = LoadPolicyFile(d + "/app.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->default_action.ToString(), "errno:EACCES");
  EXPECT_TRUE(p->options.io_uring);  // set only by the include
  ASSERT_EQ(p->rules.size(), 3u);
  EXPECT_EQ(p->rules[0].names, std::vector<std::string>{"read"});
  EXPECT_EQ(p->rules[1].names, std::vector<std::string>{"write"});
  EXPECT_EQ(p->rules[2].names, std::vector<std::string>{"close"});
  EXPECT_EQ(p->rules[1].file, d + "/b1.toml");
  EXPECT_EQ(p->rules[1].line, 4);
  std::filesystem::remove_all(d);
}

TEST(Conditions, ValuesAndOperators) {
  std::vector<std::string> sc = {"openat"};
  auto c = std::get<Condition>(ParseCondition("flags & O_WRONLY|O_CREAT == O_CREAT", sc));
  EXPECT_EQ(c.arg, 2);
  EXPECT_EQ(c.op, Condition::Op::kMaskedEq);
  EXPECT_EQ(c.mask, 0x41u);
  EXPECT_EQ(c.value, 0x40u);
  EXPECT_TRUE(c.Matches(0x40 | 0x80000));
  EXPECT_FALSE(c.Matches(0x41));
  c = std::get<Condition>(ParseCondition("dirfd == -100", sc));
  EXPECT_EQ(c.arg, 0);
  EXPECT_EQ(c.value, static_cast<uint64_t>(-100));
  c = std::get<Condition>(ParseCondition("arg3 <= 0o755", sc));
  EXPECT_EQ(c.arg, 3);
  EXPECT_EQ(c.op, Condition::Op::kLe);
  EXPECT_EQ(c.value, 0755u);
  c = std::get<Condition>(ParseCondition("arg5>0x10", sc));
  EXPECT_EQ(c.op, Condition::Op::kGt);
  EXPECT_EQ(c.value, 16u);
  EXPECT_TRUE(c.Matches(17));
  EXPECT_FALSE(c.Matches(16));
  c = std::get<Condition>(ParseCondition("arg1 != 0b101", sc));
  EXPECT_EQ(c.value, 5u);
  EXPECT_EQ(c.ToString(), "arg1 != 0x5");
  auto e = std::get<ConditionError>(ParseCondition("arg0 == ", sc));
  EXPECT_EQ(e.message, "missing value");
  e = std::get<ConditionError>(ParseCondition("arg0 == 99999999999999999999", sc));
  EXPECT_EQ(e.message, "number \"99999999999999999999\" does not fit in 64 bits");
  e = std::get<ConditionError>(ParseCondition("arg0 & 1 == 2", sc));
  EXPECT_EQ(e.message, "value has bits outside the mask: the condition can never hold");
}

TEST(Conditions, ArgumentNameMustHaveOneIndex) {
  // "flags" is arg1 of open but arg2 of openat.
  auto e = std::get<ConditionError>(ParseCondition("flags == 0", {"open", "openat"}));
  EXPECT_EQ(e.message, "argument \"flags\" is not at the same position in every syscall of the rule");
  auto c = std::get<Condition>(ParseCondition("fd == 2", {"read", "write"}));
  EXPECT_EQ(c.arg, 0);
}

TEST(Actions, Parse) {
  EXPECT_EQ(ParseAction("deny")->errno_value, 1);
  EXPECT_EQ(ParseAction("errno:EACCES")->errno_value, 13);
  EXPECT_EQ(ParseAction("errno:38")->errno_value, 38);
  EXPECT_EQ(ParseAction("kill")->kind, ActionKind::kKill);
  EXPECT_EQ(ParseAction("kill-thread")->kind, ActionKind::kKillThread);
  EXPECT_EQ(ParseAction("trap")->kind, ActionKind::kTrap);
  EXPECT_EQ(ParseAction("log")->kind, ActionKind::kLog);
  EXPECT_FALSE(ParseAction("errno:5000").ok());
  EXPECT_FALSE(ParseAction("Allow").ok());
}

TEST(Load, FullRuleSet) {
  auto p = LoadPolicyString(R"(
version = 1
default = "errno:EPERM"
[options]
escalate = "ptrace"
abi = ["x86_64", "i386"]
io_uring = true
[[rule]]
syscalls = ["read", "write", 3, "read"]
action = "allow"
[[rule]]
syscalls = ["socket"]
args = ["domain == AF_UNIX", "type & SOCK_CLOEXEC == 0"]
action = "errno:EAFNOSUPPORT"
log = true
[[rule]]
syscalls = ["@file"]
paths = ["/etc/shadow", "/root/**"]
action = "errno:EACCES"
[[rule]]
syscalls = ["getuid"]
action = "return"
value = 0
[[rule]]
syscalls = ["openat"]
paths = ["/etc/hostname"]
action = "redirect"
to = "/srv/fake/hostname"
[[rule]]
syscalls = ["write"]
args = ["fd == 2"]
action = "modify"
set = { count = 1 }
[[rule]]
syscalls = ["openat"]
paths = ["/data/**"]
action = "proxy"
backend = "unix:/run/pwnbox/proxy.sock"
)", "full.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->options.escalate, Options::Escalate::kPtrace);
  EXPECT_TRUE(p->options.HasAbi(core::Abi::kI386));
  ASSERT_EQ(p->rules.size(), 7u);
  EXPECT_EQ(p->rules[0].names, (std::vector<std::string>{"close", "read", "write"}));
  EXPECT_EQ(p->rules[0].syscalls, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(p->rules[0].line, 8);
  EXPECT_FALSE(p->rules[0].NeedsUserSpace());
  EXPECT_EQ(p->rules[1].args.size(), 2u);
  EXPECT_EQ(p->rules[1].args[0].value, 1u);
  EXPECT_EQ(p->rules[1].args[1].arg, 1);
  EXPECT_TRUE(p->rules[1].NeedsUserSpace());
  EXPECT_EQ(p->rules[1].EscalationReason(), "log = true");
  // @file members without a path argument cannot match a path rule: left out.
  EXPECT_TRUE(p->rules[2].HasSyscall("openat"));
  EXPECT_FALSE(p->rules[2].HasSyscall("fchmod"));
  EXPECT_EQ(p->rules[2].EscalationReason(), "paths");
  EXPECT_EQ(p->rules[3].action.return_value, 0);
  EXPECT_EQ(p->rules[3].EscalationReason(), "action return");
  EXPECT_EQ(p->rules[4].action.to, "/srv/fake/hostname");
  ASSERT_EQ(p->rules[5].action.set.size(), 1u);
  EXPECT_EQ(p->rules[5].action.set[0].arg, 2);
  EXPECT_EQ(std::get<int64_t>(p->rules[5].action.set[0].value), 1);
  EXPECT_EQ(p->rules[6].action.backend, "unix:/run/pwnbox/proxy.sock");
}

TEST(Builtin, DefaultEqualsTheFile) {
  const char* src = std::getenv("PWNBOX_SOURCE_DIR");
  std::string root = src ? std::string(src)
                         : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
  std::string path = root + "/policies/default.toml";
  auto file = LoadPolicyFile(path);
  ASSERT_TRUE(file.ok()) << file.error().message();
  auto builtin = BuiltinPolicy("default");
  ASSERT_TRUE(builtin.ok()) << builtin.error().message();
  EXPECT_EQ(builtin->ToString(), file->ToString());
  EXPECT_EQ(builtin->source, "<builtin default>");
  EXPECT_FALSE(BuiltinPolicy("nope").ok());
}

TEST(ToToml, RoundTripsToAnEqualPolicy) {
  auto p = LoadPolicyString(R"(
default = "kill"
[options]
abi = ["x86_64", "x32"]
[[rule]]
syscalls = ["@process"]
args = ["arg0 & 0xff == 0x1"]
action = "trap"
[[rule]]
syscalls = ["openat"]
paths = ["/tmp/\"q\"/**"]
action = "modify"
set = { flags = 0, arg1 = "/x" }
log = true
[[rule]]
syscalls = ["getpid"]
action = "return"
value = -5
)", "rt.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  std::string text = ToToml(*p, {"header line"});
  auto back = LoadPolicyString(text, "back.toml");
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << text;
  EXPECT_EQ(back->ToString(), p->ToString());
}

// Found by tests/fuzz/policy_loader_fuzz.cc on examples/hello.toml: a group that allows
// io_uring members (@default) expanded to names that, written out by ToToml, were refused as
// "always denied while options.io_uring is false". Every shipped policy round-trips.
TEST(ToToml, ShippedPoliciesRoundTrip) {
  const std::string src = getenv("PWNBOX_SOURCE_DIR") ? getenv("PWNBOX_SOURCE_DIR") : ".";
  int n = 0;
  for (const char* dir : {"/policies", "/examples"}) {
    for (const auto& f : std::filesystem::directory_iterator(src + dir)) {
      if (f.path().extension() != ".toml") continue;
      SCOPED_TRACE(f.path().string());
      auto p = LoadPolicyFile(f.path().string());
      ASSERT_TRUE(p.ok()) << p.error().message();
      auto back = LoadPolicyString(ToToml(*p), "back.toml");
      ASSERT_TRUE(back.ok()) << back.error().message();
      EXPECT_EQ(back->ToString(), p->ToString());
      ++n;
    }
  }
  EXPECT_GE(n, 7);
}

TEST(ToToml, GroupWithIoUringMembersRoundTrips) {
  auto p = LoadPolicyString("default = \"errno:EPERM\"\n[[rule]]\nsyscalls = [\"@default\"]\n"
                            "action = \"allow\"\n",
                            "g.toml");
  ASSERT_TRUE(p.ok()) << p.error().message();
  for (const auto& n : p->rules[0].names) EXPECT_FALSE(IsIoUring(n)) << n;
  auto back = LoadPolicyString(ToToml(*p), "back.toml");
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->ToString(), p->ToString());
}

}  // namespace
}  // namespace pwnbox::config
