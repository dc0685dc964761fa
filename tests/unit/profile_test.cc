// Tests for pwnbox::profile: observations merged from several runs, the generated policy (exact
// syscall set, --args and --paths rules checked with FirstMatch and the compiled BPF), reading
// recordings, and every output format read back by its own reader (TOML, OCI), compiled and run
// (C), or compared line by line (systemd).
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/policy.h"
#include "filters/bpf.h"
#include "filters/filters.h"
#include "filters/oci.h"
#include "profile/profile.h"
#include "recorder/reader.h"
#include "recorder/writer.h"

namespace pwnbox::profile {
namespace {

namespace fs = std::filesystem;

Call C(const std::string& name, std::vector<uint64_t> args = {}, int64_t ret = 0,
       std::vector<std::string> paths = {}) {
  Call c;
  c.name = name;
  c.nr = core::SyscallNumber(name).value_or(-1);
  for (size_t i = 0; i < args.size() && i < 6; ++i) c.args[i] = args[i];
  c.known_args = 0x3f;
  c.paths = std::move(paths);
  c.returned = true;
  c.ret = ret;
  return c;
}

class ProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pwnbox_profile_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::permissions(dir_, fs::perms::all);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

Generated Gen(const Observations& obs, Options o = {}) {
  auto g = Generate(obs, o);
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().message());
  if (!g.ok()) return {};
  return std::move(*g);
}

// The decision for a call, by the policy's own evaluation and by the compiled filter, which
// must agree; true when the call is allowed.
bool Allowed(const config::Policy& p, const std::string& name, std::vector<uint64_t> args = {}) {
  const int nr = *core::SyscallNumber(name);
  uint64_t a[6] = {};
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  for (size_t i = 0; i < args.size(); ++i) a[i] = d.args[i] = args[i];
  const int k = filters::FirstMatch(p, core::Abi::kX86_64, nr, a);
  const bool by_policy =
      (k >= 0 ? p.rules[static_cast<size_t>(k)].action : p.default_action).kind ==
          config::ActionKind::kAllow && k != filters::kIoUringGuard;
  auto prog = filters::Compile(p);
  EXPECT_TRUE(prog.ok());
  if (!prog.ok()) return by_policy;
  const uint32_t ret = filters::RunBpf(prog->bpf, d);
  const bool by_bpf = ret == SECCOMP_RET_ALLOW;
  EXPECT_EQ(by_policy, by_bpf) << name << " policy and BPF disagree (" << filters::RetName(ret) << ")";
  return by_bpf;
}

std::set<std::string> AllowedNames(const config::Policy& p) {
  std::set<std::string> out;
  for (const auto& r : p.rules)
    if (r.action.kind == config::ActionKind::kAllow) out.insert(r.names.begin(), r.names.end());
  return out;
}

const config::Rule* RuleFor(const config::Policy& p, const std::string& name) {
  for (const auto& r : p.rules)
    if (r.HasSyscall(name)) return &r;
  return nullptr;
}

size_t RulesFor(const config::Policy& p, const std::string& name) {
  size_t n = 0;
  for (const auto& r : p.rules) n += r.HasSyscall(name);
  return n;
}

// Runs `cmd` with /bin/sh; returns the exit status (128+N for signal N) and the output.
int Shell(const std::string& cmd, std::string* out = nullptr) {
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int st = pclose(f);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The pwnbox binary of this build (tests/unit_* sit in BUILD/tests, pwnbox in BUILD/cli).
std::string PwnboxBinary() {
  if (const char* b = std::getenv("PWNBOX_BIN")) return b;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" / "pwnbox").string();
}

// ---------------------------------------------------------------------------------------------
// Observations

TEST_F(ProfileTest, MergesRunsWithPerRunCounts) {
  Observations obs;
  obs.Add("a.pwnr", C("openat", {uint64_t(AT_FDCWD), 0x1000, O_RDONLY}, 3, {"/etc/passwd"}));
  obs.Add("a.pwnr", C("openat", {uint64_t(AT_FDCWD), 0x1000, O_RDONLY | O_CLOEXEC}, 3, {"/etc/group"}));
  obs.Add("b.log", C("openat", {uint64_t(AT_FDCWD), 0x2000, O_RDONLY}, -2, {"/etc/passwd"}));
  obs.Add("b.log", C("read", {3, 0x3000, 10}, 10));
  Call unknown = C("write", {1, 0, 5}, 5);
  unknown.known_args = 0b101;
  obs.Add("b.log", unknown);

  EXPECT_EQ(obs.runs(), (std::vector<std::string>{"a.pwnr", "b.log"}));
  EXPECT_EQ(obs.total_calls(), 5u);
  const auto& u = obs.usage().at({core::Abi::kX86_64, "openat"});
  EXPECT_EQ(u.calls, 3u);
  EXPECT_EQ(u.per_run.at("a.pwnr"), 2u);
  EXPECT_EQ(u.per_run.at("b.log"), 1u);
  EXPECT_EQ(u.values[2].at(O_RDONLY), 2u);
  EXPECT_EQ(u.values[2].at(O_RDONLY | O_CLOEXEC), 1u);
  EXPECT_EQ(u.paths.at("/etc/passwd"), 2u);
  EXPECT_EQ(u.succeeded, 2u);
  const auto& w = obs.usage().at({core::Abi::kX86_64, "write"});
  EXPECT_EQ(w.unknown[1], 1u);
  EXPECT_EQ(w.unknown[0], 0u);
  EXPECT_TRUE(w.values[1].empty());

  Generated g = Gen(obs);
  ASSERT_EQ(g.rule_comments.size(), g.policy.rules.size());
  bool found = false;
  for (size_t k = 0; k < g.policy.rules.size(); ++k) {
    if (g.policy.rules[k].HasSyscall("openat")) {
      EXPECT_EQ(g.rule_comments[k], "openat: 3 calls (a.pwnr 2, b.log 1)");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ProfileTest, CapsDistinctValues) {
  Observations obs;
  for (uint64_t v = 0; v < Observations::kMaxValues + 5; ++v) obs.Add("r", C("ioctl", {1, v}));
  const auto& u = obs.usage().at({core::Abi::kX86_64, "ioctl"});
  EXPECT_EQ(u.values[1].size(), Observations::kMaxValues);
  EXPECT_TRUE(u.overflow[1]);
  EXPECT_FALSE(u.overflow[0]);
  EXPECT_EQ(u.calls, Observations::kMaxValues + 5);
}

TEST_F(ProfileTest, ThousandsInComments) {
  Observations obs;
  for (int i = 0; i < 1200; ++i) obs.Add("ls.pwnr", C("openat", {uint64_t(AT_FDCWD), 0, 0}));
  for (int i = 0; i < 4; ++i) obs.Add("cat.log", C("openat", {uint64_t(AT_FDCWD), 0, 0}));
  Generated g = Gen(obs);
  ASSERT_EQ(g.policy.rules.size(), 1u);
  EXPECT_EQ(g.rule_comments[0], "openat: 1,204 calls (ls.pwnr 1,200, cat.log 4)");
}

// ---------------------------------------------------------------------------------------------
// Generate: the syscall set, options, default

TEST_F(ProfileTest, AllowsExactlyTheSyscallsSeen) {
  Observations obs;
  for (const char* n : {"read", "write", "openat", "close", "mmap", "exit_group", "rt_sigaction"})
    obs.Add("run", C(n));
  Generated g = Gen(obs);
  EXPECT_EQ(AllowedNames(g.policy),
            (std::set<std::string>{"close", "exit_group", "mmap", "openat", "read", "rt_sigaction", "write"}));
  for (const auto& r : g.policy.rules) EXPECT_TRUE(r.args.empty() && r.paths.empty()) << r.ToString();
  EXPECT_EQ(g.policy.default_action.kind, config::ActionKind::kErrno);
  EXPECT_EQ(g.policy.default_action.errno_value, EPERM);
  EXPECT_EQ(g.policy.options.abi, std::vector<core::Abi>{core::Abi::kX86_64});
  EXPECT_FALSE(g.policy.options.io_uring);
  for (int nr : core::AllSyscalls()) {
    std::string name(core::SyscallName(nr));
    const bool seen = AllowedNames(g.policy).count(name) > 0;
    EXPECT_EQ(Allowed(g.policy, name), seen) << name;
  }
  // Sections in a fixed order, sorted by name within each.
  ASSERT_EQ(g.rule_groups.size(), g.policy.rules.size());
  std::vector<std::string> order;
  for (const auto& r : g.policy.rules) order.push_back(r.names[0]);
  EXPECT_EQ(order, (std::vector<std::string>{"openat", "close", "read", "write", "mmap", "exit_group",
                                             "rt_sigaction"}));
  EXPECT_EQ(g.rule_groups[0], "file");
  EXPECT_EQ(g.rule_groups[1], "desc");
  EXPECT_EQ(g.rule_groups[4], "memory");
  EXPECT_EQ(g.rule_groups[5], "process");
  EXPECT_EQ(g.rule_groups[6], "signal");
}

TEST_F(ProfileTest, NoCallsDeniesEverything) {
  Observations obs;
  Generated g = Gen(obs);
  EXPECT_TRUE(g.policy.rules.empty());
  EXPECT_FALSE(Allowed(g.policy, "read"));
  auto text = Render(g, Format::kToml);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(config::LoadPolicyString(*text, "empty.toml").ok());
}

TEST_F(ProfileTest, DefaultActionFromOptions) {
  Observations obs;
  obs.Add("run", C("read"));
  Options o;
  o.default_action = config::Action{config::ActionKind::kKill};
  Generated g = Gen(obs, o);
  EXPECT_EQ(g.policy.default_action.kind, config::ActionKind::kKill);
  auto prog = filters::Compile(g.policy);
  ASSERT_TRUE(prog.ok());
  seccomp_data d{};
  d.nr = SYS_socket;
  d.arch = AUDIT_ARCH_X86_64;
  EXPECT_EQ(filters::RunBpf(prog->bpf, d), SECCOMP_RET_KILL_PROCESS);
}

TEST_F(ProfileTest, OtherAbisAreListed) {
  Observations obs;
  obs.Add("run", C("read"));
  Call c;
  c.abi = core::Abi::kI386;
  c.name = "socketcall";
  c.nr = *core::SyscallNumber("socketcall", core::Abi::kI386);
  obs.Add("run", c);
  Generated g = Gen(obs);
  EXPECT_EQ(g.policy.options.abi, (std::vector<core::Abi>{core::Abi::kX86_64, core::Abi::kI386}));
  EXPECT_TRUE(AllowedNames(g.policy).count("socketcall"));
  uint64_t a[6] = {};
  EXPECT_GE(filters::FirstMatch(g.policy, core::Abi::kI386, c.nr, a), 0);
  EXPECT_TRUE(filters::Compile(g.policy).ok());
}

TEST_F(ProfileTest, IoUringOnlyWhenSetupSucceeded) {
  {
    Observations obs;
    obs.Add("run", C("io_uring_setup", {8, 0x1000}, 3));
    obs.Add("run", C("io_uring_enter", {3, 1}, 1));
    Generated g = Gen(obs);
    EXPECT_TRUE(g.policy.options.io_uring);
    EXPECT_TRUE(Allowed(g.policy, "io_uring_setup"));
    EXPECT_TRUE(Allowed(g.policy, "io_uring_enter"));
    EXPECT_FALSE(Allowed(g.policy, "io_uring_register"));
  }
  {
    Observations obs;
    obs.Add("run", C("io_uring_setup", {8, 0x1000}, -ENOSYS));
    obs.Add("run", C("read"));
    Generated g = Gen(obs);
    EXPECT_FALSE(g.policy.options.io_uring);
    EXPECT_FALSE(AllowedNames(g.policy).count("io_uring_setup"));
    EXPECT_FALSE(Allowed(g.policy, "io_uring_setup"));
    bool noted = false;
    for (const auto& h : g.header) noted = noted || h.find("io_uring") != std::string::npos;
    EXPECT_TRUE(noted);
  }
}

TEST_F(ProfileTest, HeaderSaysWhereFromAndHowToUse) {
  Observations obs;
  obs.Add("ls.pwnr", C("read"));
  obs.Add("cat.log", C("write"));
  Generated g = Gen(obs);
  std::string all;
  for (const auto& h : g.header) all += h + "\n";
  EXPECT_NE(all.find("Generated by pwnbox profile from 2 runs: ls.pwnr (1 call), cat.log (1 call)"),
            std::string::npos) << all;
  EXPECT_NE(all.find("pwnbox --policy FILE -- CMD"), std::string::npos);
  EXPECT_NE(all.find("--complain"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// --args

Generated GenArgs(const Observations& obs) {
  Options o;
  o.args = true;
  return Gen(obs, o);
}

TEST_F(ProfileTest, ArgsSocketDomainAndType) {
  Observations obs;
  obs.Add("r", C("socket", {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, 3));
  obs.Add("r", C("socket", {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, 3));
  obs.Add("r", C("socket", {AF_INET, SOCK_DGRAM, 0}, 4));
  Generated g = GenArgs(obs);
  EXPECT_EQ(RulesFor(g.policy, "socket"), 2u);
  EXPECT_TRUE(Allowed(g.policy, "socket", {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}));
  EXPECT_TRUE(Allowed(g.policy, "socket", {AF_INET, SOCK_DGRAM, 0}));
  EXPECT_FALSE(Allowed(g.policy, "socket", {AF_INET, SOCK_STREAM, 0}));
  EXPECT_FALSE(Allowed(g.policy, "socket", {AF_UNIX, SOCK_DGRAM, 0}));
  EXPECT_FALSE(Allowed(g.policy, "socket", {AF_INET6, SOCK_DGRAM, 0}));
  EXPECT_FALSE(Allowed(g.policy, "socket", {AF_NETLINK, SOCK_RAW, 0}));
  auto text = Render(g, Format::kToml);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"domain == AF_UNIX\", \"type == SOCK_STREAM|SOCK_CLOEXEC\""), std::string::npos) << *text;
}

TEST_F(ProfileTest, ArgsCloneWithoutNamespaceFlags) {
  const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  const uint64_t fork_flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
  {
    Observations obs;
    obs.Add("r", C("clone", {thread}, 100));
    obs.Add("r", C("clone", {fork_flags}, 101));
    Generated g = GenArgs(obs);
    EXPECT_EQ(RulesFor(g.policy, "clone"), 1u);
    EXPECT_TRUE(Allowed(g.policy, "clone", {thread}));
    EXPECT_TRUE(Allowed(g.policy, "clone", {fork_flags}));
    EXPECT_TRUE(Allowed(g.policy, "clone", {SIGCHLD}));  // not seen, but not a namespace
    for (uint64_t ns : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                        CLONE_NEWNET, CLONE_NEWCGROUP})
      EXPECT_FALSE(Allowed(g.policy, "clone", {fork_flags | ns})) << std::hex << ns;
  }
  {
    Observations obs;  // a namespace was made: clone is not narrowed
    obs.Add("r", C("clone", {CLONE_NEWUSER | SIGCHLD}, 100));
    Generated g = GenArgs(obs);
    EXPECT_TRUE(RuleFor(g.policy, "clone")->args.empty());
    EXPECT_TRUE(Allowed(g.policy, "clone", {CLONE_NEWNET | SIGCHLD}));
  }
}

TEST_F(ProfileTest, ArgsMmapMprotectWithoutExec) {
  Observations obs;
  obs.Add("r", C("mmap", {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS}));
  obs.Add("r", C("mprotect", {0x1000, 4096, PROT_READ}));
  obs.Add("r", C("pkey_mprotect", {0x1000, 4096, PROT_NONE, 1}));
  obs.Add("r", C("mmap", {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE}, 0));
  obs.Add("r2", C("mprotect", {0x1000, 4096, PROT_READ | PROT_WRITE}));
  Generated g = GenArgs(obs);
  // mmap was used with PROT_EXEC: anything goes.
  EXPECT_TRUE(RuleFor(g.policy, "mmap")->args.empty());
  EXPECT_TRUE(Allowed(g.policy, "mmap", {0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC}));
  // mprotect and pkey_mprotect never were.
  EXPECT_TRUE(Allowed(g.policy, "mprotect", {0x1000, 4096, PROT_READ}));
  EXPECT_TRUE(Allowed(g.policy, "mprotect", {0x2000, 8192, PROT_READ | PROT_WRITE}));
  EXPECT_FALSE(Allowed(g.policy, "mprotect", {0x1000, 4096, PROT_READ | PROT_EXEC}));
  EXPECT_FALSE(Allowed(g.policy, "mprotect", {0x1000, 4096, PROT_EXEC}));
  EXPECT_TRUE(Allowed(g.policy, "pkey_mprotect", {0x1000, 4096, PROT_READ, 1}));
  EXPECT_FALSE(Allowed(g.policy, "pkey_mprotect", {0x1000, 4096, PROT_READ | PROT_EXEC, 1}));
  ASSERT_EQ(RuleFor(g.policy, "mprotect")->args.size(), 1u);
  EXPECT_EQ(RuleFor(g.policy, "mprotect")->args[0].text, "prot & PROT_EXEC == 0");
}

TEST_F(ProfileTest, ArgsIoctlRequestsLow32Bits) {
  Observations obs;
  obs.Add("r", C("ioctl", {1, TCGETS, 0x7ffd0000}, 0));
  obs.Add("r", C("ioctl", {1, TIOCGWINSZ, 0x7ffd0000}, 0));
  obs.Add("r", C("ioctl", {0, TCGETS, 0x7ffd0000}, -ENOTTY));
  Generated g = GenArgs(obs);
  EXPECT_EQ(RulesFor(g.policy, "ioctl"), 2u);
  EXPECT_TRUE(Allowed(g.policy, "ioctl", {1, TCGETS}));
  EXPECT_TRUE(Allowed(g.policy, "ioctl", {5, TIOCGWINSZ, 0}));
  EXPECT_TRUE(Allowed(g.policy, "ioctl", {1, 0xffffffff00000000ull | TCGETS}));  // as the kernel
  EXPECT_FALSE(Allowed(g.policy, "ioctl", {1, FIONREAD}));
  EXPECT_FALSE(Allowed(g.policy, "ioctl", {1, TIOCSTI}));
  auto text = Render(g, Format::kToml);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"request & 0xffffffff == TCGETS\""), std::string::npos) << *text;
}

TEST_F(ProfileTest, ArgsFcntlAndPrctl) {
  Observations obs;
  obs.Add("r", C("fcntl", {3, F_GETFL}, 0));
  obs.Add("r", C("fcntl", {3, F_SETFD, FD_CLOEXEC}, 0));
  obs.Add("r", C("prctl", {PR_SET_NAME, 0x1000}, 0));
  Generated g = GenArgs(obs);
  EXPECT_TRUE(Allowed(g.policy, "fcntl", {7, F_GETFL}));
  EXPECT_TRUE(Allowed(g.policy, "fcntl", {3, F_SETFD, 0}));
  EXPECT_FALSE(Allowed(g.policy, "fcntl", {3, F_SETFL, O_NONBLOCK}));
  EXPECT_FALSE(Allowed(g.policy, "fcntl", {3, F_SETOWN, 1}));
  EXPECT_TRUE(Allowed(g.policy, "prctl", {PR_SET_NAME, 0x2000}));
  EXPECT_FALSE(Allowed(g.policy, "prctl", {PR_SET_DUMPABLE, 1}));
  EXPECT_FALSE(Allowed(g.policy, "prctl", {PR_SET_SECCOMP, 2}));
}

TEST_F(ProfileTest, ArgsOpenReadOnly) {
  Observations obs;
  obs.Add("r", C("openat", {uint64_t(AT_FDCWD), 0x1000, O_RDONLY | O_CLOEXEC}, 3));
  obs.Add("r", C("openat", {uint64_t(AT_FDCWD), 0x1000, O_RDONLY | O_DIRECTORY | O_NONBLOCK}, 3));
  obs.Add("r", C("open", {0x1000, O_RDONLY}, 3));
  obs.Add("r", C("open", {0x1000, O_WRONLY | O_CREAT | O_TRUNC, 0644}, 3));
  Generated g = GenArgs(obs);
  // openat only read.
  EXPECT_TRUE(Allowed(g.policy, "openat", {uint64_t(AT_FDCWD), 0x2000, O_RDONLY}));
  EXPECT_TRUE(Allowed(g.policy, "openat", {3, 0x2000, O_RDONLY | O_NOFOLLOW | O_CLOEXEC}));
  for (uint64_t f : {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_RDONLY | O_CREAT),
                     uint64_t(O_RDONLY | O_TRUNC), uint64_t(O_TMPFILE | O_RDWR),
                     uint64_t(O_TMPFILE | O_WRONLY), uint64_t(O_ACCMODE)})
    EXPECT_FALSE(Allowed(g.policy, "openat", {uint64_t(AT_FDCWD), 0x2000, f, 0600})) << std::hex << f;
  // open wrote a file: not narrowed.
  EXPECT_TRUE(RuleFor(g.policy, "open")->args.empty());
  EXPECT_TRUE(Allowed(g.policy, "open", {0x1000, O_RDWR}));
}

TEST_F(ProfileTest, ArgsNotNarrowedWhenVariedOrUnknown) {
  Observations obs;
  for (uint64_t v = 0; v < 17; ++v) obs.Add("r", C("ioctl", {1, 0x5400 + v}));
  obs.Add("r", C("fcntl", {3, F_GETFL}));
  Call unknown = C("fcntl", {3, 0});
  unknown.known_args = 0b001;  // a log that did not decode the command
  obs.Add("r", unknown);
  obs.Add("r", C("read", {0, 0, 10}));
  Generated g = GenArgs(obs);
  EXPECT_EQ(RulesFor(g.policy, "ioctl"), 1u);
  EXPECT_TRUE(RuleFor(g.policy, "ioctl")->args.empty());
  EXPECT_TRUE(Allowed(g.policy, "ioctl", {1, FIONREAD}));
  EXPECT_TRUE(RuleFor(g.policy, "fcntl")->args.empty());
  EXPECT_TRUE(RuleFor(g.policy, "read")->args.empty());
}

TEST_F(ProfileTest, NoArgsWithoutTheOption) {
  Observations obs;
  obs.Add("r", C("socket", {AF_UNIX, SOCK_STREAM, 0}, 3));
  obs.Add("r", C("mprotect", {0x1000, 4096, PROT_READ}));
  Generated g = Gen(obs);
  for (const auto& r : g.policy.rules) EXPECT_TRUE(r.args.empty()) << r.ToString();
  EXPECT_TRUE(Allowed(g.policy, "socket", {AF_INET, SOCK_RAW, 0}));
}

// ---------------------------------------------------------------------------------------------
// --paths

TEST_F(ProfileTest, PathsFromDirectoriesSeen) {
  Observations obs;
  const uint64_t cwd = uint64_t(AT_FDCWD);
  for (const char* lib : {"libc.so.6", "libselinux.so.1", "libpcre2-8.so.0", "libcap.so.2", "libacl.so.1"})
    obs.Add("r", C("openat", {cwd, 0x1000, O_RDONLY | O_CLOEXEC}, 3,
                   {std::string("/usr/lib/x86_64-linux-gnu/") + lib}));
  obs.Add("r", C("openat", {cwd, 0x1000, O_RDONLY | O_CLOEXEC}, 3, {"/etc/ld.so.cache"}));
  obs.Add("r", C("openat", {cwd, 0x1000, O_RDONLY}, 3, {"/proc/self/status"}));
  obs.Add("r", C("newfstatat", {3, 0x1000, 0x2000, AT_EMPTY_PATH}, 0, {""}));
  obs.Add("r", C("read", {3, 0x1000, 10}, 10));
  Options o;
  o.paths = true;
  Generated g = Gen(obs, o);
  const config::Rule* open = RuleFor(g.policy, "openat");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->paths, (std::vector<std::string>{"/etc/ld.so.cache", "/proc/*/status",
                                                   "/usr/lib/x86_64-linux-gnu/*"}));
  // Calls on descriptors cannot be restricted by path.
  EXPECT_TRUE(RuleFor(g.policy, "newfstatat")->paths.empty());
  EXPECT_TRUE(RuleFor(g.policy, "read")->paths.empty());
  // Without a path match the call falls to the default: no other openat rule.
  EXPECT_EQ(RulesFor(g.policy, "openat"), 1u);
  auto text = Render(g, Format::kToml);
  ASSERT_TRUE(text.ok());
  auto back = config::LoadPolicyString(*text, "p.toml");
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << *text;
  EXPECT_EQ(back->ToString(), g.policy.ToString());
  // Formats without a supervisor refuse path rules.
  for (Format f : {Format::kOci, Format::kSystemd, Format::kC}) {
    auto r = Render(g, f);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("path"), std::string::npos) << r.error().message();
  }
  // Without --paths there are none.
  for (const auto& r : Gen(obs).policy.rules) EXPECT_TRUE(r.paths.empty());
}

TEST_F(ProfileTest, PathsAreCappedAndResolved) {
  Observations obs;
  // 40 files in 40 directories under two trees: the list is merged into DIR/** patterns.
  for (int i = 0; i < 20; ++i) {
    obs.Add("r", C("openat", {uint64_t(AT_FDCWD), 0, 0}, 3,
                   {"/opt/app/share/d" + std::to_string(i) + "/f"}));
    obs.Add("r", C("openat", {uint64_t(AT_FDCWD), 0, 0}, 3,
                   {"/srv/data/x" + std::to_string(i) + "/y/z"}));
  }
  // A path through a symlink (merged /usr: /lib -> usr/lib) is listed as the kernel resolves it.
  obs.Add("r", C("openat", {uint64_t(AT_FDCWD), 0, 0}, 3, {"/lib/x86_64-linux-gnu/libc.so.6"}));
  Options o;
  o.paths = true;
  Generated g = Gen(obs, o);
  const auto& paths = RuleFor(g.policy, "openat")->paths;
  EXPECT_LE(paths.size(), 24u);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/opt/app/share/**"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/srv/data/**"), paths.end());
  // Many files in a top-level directory's subtrees: merged to fit the cap.
  Observations wide;
  for (int i = 0; i < 30; ++i)
    wide.Add("r", C("openat", {uint64_t(AT_FDCWD), 0, 0}, 3, {"/data/d" + std::to_string(i) + "/f"}));
  wide.Add("r", C("openat", {uint64_t(AT_FDCWD), 0, 0}, 3, {"/etc/hostname"}));
  EXPECT_EQ(RuleFor(Gen(wide, o).policy, "openat")->paths,
            (std::vector<std::string>{"/data/**", "/etc/hostname"}));
  std::error_code ec;
  const std::string libc = fs::canonical("/lib/x86_64-linux-gnu/libc.so.6", ec).string();
  if (!ec) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), libc), paths.end()) << libc;
  }
}

// ---------------------------------------------------------------------------------------------
// Output formats

Observations Typical() {
  Observations obs;
  obs.Add("ls.pwnr", C("openat", {uint64_t(AT_FDCWD), 0, O_RDONLY | O_CLOEXEC}, 3));
  obs.Add("ls.pwnr", C("read", {3, 0, 100}, 100));
  obs.Add("ls.pwnr", C("close", {3}));
  obs.Add("ls.pwnr", C("ioctl", {1, TCGETS}, -ENOTTY));
  obs.Add("ls.pwnr", C("mprotect", {0x1000, 4096, PROT_READ}));
  obs.Add("ls.pwnr", C("socket", {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0}, 3));
  obs.Add("cat.log", C("write", {1, 0, 5}, 5));
  obs.Add("cat.log", C("exit_group", {0}));
  return obs;
}

TEST_F(ProfileTest, TomlRoundTrip) {
  for (bool args : {false, true}) {
    Options o;
    o.args = args;
    Generated g = Gen(Typical(), o);
    auto text = Render(g, Format::kToml);
    ASSERT_TRUE(text.ok());
    auto back = config::LoadPolicyString(*text, "profile.toml");
    ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << *text;
    EXPECT_EQ(back->ToString(), g.policy.ToString()) << *text;
    EXPECT_TRUE(filters::Compile(*back).ok());
    EXPECT_NE(text->find("version = 1\n"), std::string::npos);
    EXPECT_NE(text->find("default = \"errno:EPERM\"\n"), std::string::npos);
    EXPECT_NE(text->find("abi = [\"x86_64\"]\n"), std::string::npos);
    EXPECT_NE(text->find("io_uring = false\n"), std::string::npos);
    EXPECT_NE(text->find("# read: 1 call (ls.pwnr 1)\n[[rule]]\nsyscalls = [\"read\"]\naction = \"allow\"\n"),
              std::string::npos) << *text;
    EXPECT_NE(text->find("# ==== file: "), std::string::npos);
    EXPECT_EQ(text->find("# Generated by pwnbox profile"), 0u);
  }
}

TEST_F(ProfileTest, OciRoundTrip) {
  Options o;
  o.args = true;
  Generated g = Gen(Typical(), o);
  auto json = Render(g, Format::kOci);
  ASSERT_TRUE(json.ok()) << json.error().message();
  auto back = filters::PolicyFromOci(*json, "profile.json");
  ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << *json;
  // Same decisions for every x86_64 syscall, and for the argument values the rules test.
  const std::vector<std::vector<uint64_t>> samples = {
      {},
      {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK},
      {AF_INET, SOCK_STREAM},
      {1, TCGETS},
      {1, FIONREAD},
      {0x1000, 4096, PROT_READ},
      {0x1000, 4096, PROT_EXEC},
  };
  for (int nr : core::AllSyscalls()) {
    std::string name(core::SyscallName(nr));
    for (const auto& s : samples)
      EXPECT_EQ(Allowed(*back, name, s), Allowed(g.policy, name, s)) << name;
  }
}

TEST_F(ProfileTest, SystemdFragment) {
  Observations obs;
  obs.Add("r", C("read"));
  obs.Add("r", C("openat"));
  obs.Add("r", C("close"));
  Generated g = Gen(obs);
  g.header.clear();
  auto text = Render(g, Format::kSystemd);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text,
            "[Service]\nSystemCallFilter=close openat read\nSystemCallErrorNumber=EPERM\n"
            "SystemCallArchitectures=native\n");
  // kill: systemd's own default; argument conditions dropped, and said so.
  Options o;
  o.args = true;
  o.default_action = config::Action{config::ActionKind::kKill};
  obs.Add("r", C("prctl", {PR_SET_NAME}));
  g = Gen(obs, o);
  g.header.clear();
  text = Render(g, Format::kSystemd);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "[Service]\n# systemd cannot check arguments: openat, prctl are allowed with any arguments here\n"
            "SystemCallFilter=close openat prctl read\nSystemCallArchitectures=native\n");
  // Long lists are wrapped into several SystemCallFilter= lines (systemd ORs them).
  Observations many;
  std::set<std::string> want;
  for (int nr : core::AllSyscalls()) {
    std::string n(core::SyscallName(nr));
    if (config::IsIoUring(n) || want.size() >= 80) continue;
    many.Add("r", C(n));
    want.insert(n);
  }
  g = Gen(many);
  text = Render(g, Format::kSystemd);
  ASSERT_TRUE(text.ok());
  std::set<std::string> got;
  int lines = 0;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    EXPECT_LE(line.size(), 100u) << line;
    if (!line.starts_with("SystemCallFilter=")) continue;
    ++lines;
    std::istringstream words(line.substr(17));
    for (std::string w; words >> w;) got.insert(w);
  }
  EXPECT_GT(lines, 1);
  EXPECT_EQ(got, want);
  // Defaults systemd cannot express are refused.
  o = {};
  o.default_action = config::Action{config::ActionKind::kTrap};
  g = Gen(obs, o);
  EXPECT_FALSE(Render(g, Format::kSystemd).ok());
}

TEST_F(ProfileTest, FormatNames) {
  EXPECT_EQ(FormatFromName("toml"), Format::kToml);
  EXPECT_EQ(FormatFromName("oci"), Format::kOci);
  EXPECT_EQ(FormatFromName("systemd"), Format::kSystemd);
  EXPECT_EQ(FormatFromName("c"), Format::kC);
  EXPECT_EQ(FormatFromName("json"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Recordings

// Writes events with recorder::Writer, as `pwnbox record` lays them out.
TEST_F(ProfileTest, ReadRecordingPairsEntriesAndExits) {
  recorder::Header h;
  h.metadata["cwd"] = "/home/user";
  auto w = recorder::Writer::Create(Path("r.pwnr"), h);
  ASSERT_TRUE(w.ok());
  uint64_t seq = 0;
  auto syscall = [&](int pid, const char* name, std::vector<uint64_t> args, bool returned,
                     int64_t ret, std::vector<recorder::MemoryBlob> mem = {}) {
    recorder::Event e;
    e.kind = recorder::Event::Kind::kSyscall;
    e.seq = ++seq;
    e.pid = e.tgid = pid;
    e.nr = *core::SyscallNumber(name);
    for (size_t i = 0; i < args.size(); ++i) e.args[i] = args[i];
    e.returned = returned;
    e.ret = ret;
    e.entry_mem = std::move(mem);
    (*w)->Append(e);
  };
  const uint64_t fdcwd = static_cast<uint32_t>(AT_FDCWD);
  // Two tasks interleaved.
  syscall(10, "openat", {fdcwd, 0x1000, O_RDONLY}, false, 0, {{0x1000, std::string("rel/f\0", 6)}});
  syscall(11, "read", {0, 0x2000, 10}, false, 0);
  syscall(10, "openat", {fdcwd, 0x1000, O_RDONLY}, true, 3);
  syscall(11, "read", {0, 0x2000, 10}, true, 4);
  // Relative to another directory: as written. Absolute: as written.
  syscall(10, "openat", {3, 0x1000, O_RDONLY}, false, 0, {{0x1000, std::string("x\0", 2)}});
  syscall(10, "openat", {3, 0x1000, O_RDONLY}, true, -ENOENT);
  syscall(10, "execve", {0x3000, 0, 0}, false, 0, {{0x3000, std::string("/bin/true\0", 10)}});
  // A non-leader's execve returns in the leader's tid.
  recorder::Event exec;
  exec.kind = recorder::Event::Kind::kExec;
  exec.seq = ++seq;
  exec.pid = 9;
  exec.args[0] = 10;
  (*w)->Append(exec);
  syscall(9, "execve", {0x3000, 0, 0}, true, 0);
  // Never returns.
  syscall(9, "exit_group", {0}, false, 0);
  ASSERT_TRUE((*w)->Finish().ok());

  std::vector<Call> calls;
  ASSERT_TRUE(ReadRecording(Path("r.pwnr"), [&](const Call& c) { calls.push_back(c); }).ok());
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].name, "openat");
  EXPECT_EQ(calls[0].paths, std::vector<std::string>{"/home/user/rel/f"});
  EXPECT_TRUE(calls[0].returned);
  EXPECT_EQ(calls[0].ret, 3);
  EXPECT_EQ(calls[0].known_args, 0x0f);  // openat has four arguments
  EXPECT_EQ(calls[0].args[2], uint64_t(O_RDONLY));
  EXPECT_EQ(calls[1].name, "read");
  EXPECT_EQ(calls[1].ret, 4);
  EXPECT_EQ(calls[1].pid, 11);
  EXPECT_EQ(calls[2].paths, std::vector<std::string>{"x"});
  EXPECT_EQ(calls[2].ret, -ENOENT);
  EXPECT_EQ(calls[3].name, "execve");
  EXPECT_EQ(calls[3].paths, std::vector<std::string>{"/bin/true"});
  EXPECT_TRUE(calls[3].returned);
  EXPECT_EQ(calls[4].name, "exit_group");
  EXPECT_FALSE(calls[4].returned);

  // ReadInput picks the reader by content.
  std::vector<Call> again;
  ASSERT_TRUE(ReadInput(Path("r.pwnr"), [&](const Call& c) { again.push_back(c); }).ok());
  EXPECT_EQ(again.size(), calls.size());
  Observations obs;
  ASSERT_TRUE(obs.AddFile(Path("r.pwnr"), "r.pwnr").ok());
  EXPECT_EQ(obs.total_calls(), 5u);
  EXPECT_EQ(obs.usage().at({core::Abi::kX86_64, "openat"}).per_run.at("r.pwnr"), 2u);
}

TEST_F(ProfileTest, ReadRecordingErrors) {
  std::ofstream(Path("bad.pwnr")) << "PWNRgarbage";
  EXPECT_FALSE(ReadInput(Path("bad.pwnr"), [](const Call&) {}).ok());
  EXPECT_FALSE(ReadInput(Path("missing"), [](const Call&) {}).ok());
}

// Records a real program with the pwnbox binary and profiles it: the profile allows exactly the
// syscalls of the recording, and C output built from it runs the program and denies the rest.
class RecordedProfileTest : public ProfileTest {
 protected:
  void SetUp() override {
    ProfileTest::SetUp();
    pwnbox_ = PwnboxBinary();
    ASSERT_TRUE(fs::exists(pwnbox_)) << pwnbox_;
  }
  std::string pwnbox_;
};

TEST_F(RecordedProfileTest, RealRecordingOfLs) {
  std::string out;
  ASSERT_EQ(Shell("cd " + dir_ + " && " + pwnbox_ + " record -o ls.pwnr -- /bin/ls -a . /", &out), 0) << out;
  // The calls ReadRecording yields are the recording's entry events.
  auto reader = recorder::Reader::Open(Path("ls.pwnr"));
  ASSERT_TRUE(reader.ok());
  uint64_t entries = 0;
  std::set<std::string> names;
  recorder::Event e;
  while (*reader->Next(&e)) {
    if (e.kind == recorder::Event::Kind::kSyscall && !e.returned) {
      ++entries;
      names.insert(std::string(core::SyscallName(e.nr, static_cast<core::Abi>(e.abi))));
    }
  }
  std::vector<Call> calls;
  ASSERT_TRUE(ReadRecording(Path("ls.pwnr"), [&](const Call& c) { calls.push_back(c); }).ok());
  EXPECT_EQ(calls.size(), entries);
  bool saw_exec = false, saw_exit = false, saw_dot = false;
  for (const auto& c : calls) {
    if (c.name == "execve") {
      saw_exec = true;
      EXPECT_EQ(c.paths, std::vector<std::string>{"/bin/ls"});
    }
    if (c.name == "exit_group") saw_exit = !c.returned;
    for (const auto& p : c.paths) {
      if (!p.empty()) {
        EXPECT_EQ(p[0], '/') << c.name << " " << p;
      }
      saw_dot = saw_dot || p == dir_ + "/.";
    }
  }
  EXPECT_TRUE(saw_exec);
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(saw_dot) << "relative paths are joined to the recorded cwd";

  Observations obs;
  ASSERT_TRUE(obs.AddFile(Path("ls.pwnr"), "ls.pwnr").ok());
  for (bool args : {false, true}) {
    Options o;
    o.args = args;
    Generated g = Gen(obs, o);
    EXPECT_EQ(AllowedNames(g.policy), names);
    auto text = Render(g, Format::kToml);
    ASSERT_TRUE(text.ok());
    std::ofstream(Path("ls.toml")) << *text;
    EXPECT_EQ(Shell(pwnbox_ + " check " + Path("ls.toml"), &out), 0) << out;
  }
}

TEST_F(RecordedProfileTest, COutputCompilesRunsAndDenies) {
  // A helper that makes one extra call (socket) when asked to.
  std::ofstream(Path("helper.c")) << R"(
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "socket") == 0) {
    if (socket(AF_INET, SOCK_STREAM, 0) < 0) return errno == EPERM ? 3 : 4;
  }
  return 0;
})";
  std::string out;
  ASSERT_EQ(Shell("cc -O1 -o " + Path("helper") + " " + Path("helper.c"), &out), 0) << out;
  ASSERT_EQ(Shell(pwnbox_ + " record -o " + Path("h.pwnr") + " -- " + Path("helper"), &out), 0) << out;
  Observations obs;
  ASSERT_TRUE(obs.AddFile(Path("h.pwnr"), "h.pwnr").ok());
  Options o;
  o.args = true;
  Generated g = Gen(obs, o);
  auto c = Render(g, Format::kC);
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::ofstream(Path("sandbox.c")) << *c;
  ASSERT_EQ(Shell("cc -o " + Path("sandbox") + " " + Path("sandbox.c") + " -lseccomp", &out), 0) << out;
  EXPECT_EQ(Shell(Path("sandbox") + " " + Path("helper"), &out), 0) << out;
  // The run never made a socket: under the profile it gets EPERM.
  EXPECT_EQ(Shell(Path("helper") + " socket", &out), 0) << out;
  EXPECT_EQ(Shell(Path("sandbox") + " " + Path("helper") + " socket", &out), 3) << out;
}

}  // namespace
}  // namespace pwnbox::profile
