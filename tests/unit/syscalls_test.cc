#include "core/syscalls.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <linux/audit.h>
#include <sys/syscall.h>

#include <algorithm>
#include <set>
#include <string>

#include "core/xlat.h"

namespace pwnbox::core {
namespace {

bool HasSignature(std::string_view name) { return Signature(name).name == name; }

std::string MissingSignatures(Abi abi) {
  std::string missing;
  for (int nr : AllSyscalls(abi)) {
    std::string_view name = SyscallName(nr, abi);
    if (name.empty() || !HasSignature(name)) missing += " " + std::string(name);
  }
  return missing;
}

TEST(SyscallTable, EveryX86_64SyscallHasASignature) {
  ASSERT_GT(AllSyscalls(Abi::kX86_64).size(), 300u);
  EXPECT_EQ(MissingSignatures(Abi::kX86_64), "") << "syscalls without a signature";
}

TEST(SyscallTable, EveryI386AndX32SyscallHasASignature) {
  ASSERT_GT(AllSyscalls(Abi::kI386).size(), 350u);
  ASSERT_GT(AllSyscalls(Abi::kX32).size(), 300u);
  EXPECT_EQ(MissingSignatures(Abi::kI386), "");
  EXPECT_EQ(MissingSignatures(Abi::kX32), "");
}

TEST(SyscallTable, NumbersMatchSysSyscallH) {
  struct Case {
    const char* name;
    long nr;
  };
  const Case cases[] = {
      {"read", SYS_read},
      {"write", SYS_write},
      {"openat", SYS_openat},
      {"clone3", SYS_clone3},
      {"io_uring_setup", SYS_io_uring_setup},
      {"execve", SYS_execve},
      {"mmap", SYS_mmap},
      {"exit_group", SYS_exit_group},
      {"pidfd_open", SYS_pidfd_open},
      {"close_range", SYS_close_range},
      {"rt_sigreturn", SYS_rt_sigreturn},
      {"landlock_restrict_self", SYS_landlock_restrict_self},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SyscallNumber(c.name), std::optional<int>(c.nr)) << c.name;
    EXPECT_EQ(SyscallName(static_cast<int>(c.nr)), c.name);
  }
}

TEST(SyscallTable, AllSyscallsAscendingAndRoundTrip) {
  for (Abi abi : {Abi::kX86_64, Abi::kI386, Abi::kX32}) {
    std::span<const int> all = AllSyscalls(abi);
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
    for (int nr : all) {
      std::string_view name = SyscallName(nr, abi);
      ASSERT_FALSE(name.empty()) << nr;
      EXPECT_EQ(SyscallNumber(name, abi), std::optional<int>(nr)) << name << " " << AbiName(abi);
    }
  }
}

TEST(SyscallTable, I386Numbers) {
  EXPECT_EQ(SyscallNumber("write", Abi::kI386), 4);
  EXPECT_EQ(SyscallNumber("exit", Abi::kI386), 1);
  EXPECT_EQ(SyscallNumber("socketcall", Abi::kI386), 102);
  EXPECT_EQ(SyscallNumber("mmap2", Abi::kI386), 192);
  EXPECT_EQ(SyscallName(4, Abi::kI386), "write");
  EXPECT_EQ(SyscallName(140, Abi::kI386), "_llseek");
  // libseccomp resolves these to socketcall/ipc pseudo-numbers; the kernel has direct ones.
  EXPECT_EQ(SyscallNumber("socket", Abi::kI386), 359);
  EXPECT_EQ(SyscallNumber("shmget", Abi::kI386), 395);
}

TEST(SyscallTable, AbsentSyscallsAreNullopt) {
  // libseccomp gives negative pseudo-numbers for these on x86-64.
  EXPECT_EQ(SyscallNumber("socketcall"), std::nullopt);
  EXPECT_EQ(SyscallNumber("mmap2"), std::nullopt);
  EXPECT_EQ(SyscallNumber("stat64"), std::nullopt);
  EXPECT_EQ(SyscallNumber("no_such_syscall"), std::nullopt);
  EXPECT_EQ(SyscallNumber(""), std::nullopt);
  EXPECT_EQ(SyscallNumber("arch_prctl", Abi::kX32), std::optional<int>(0x40000000 + 158));
  EXPECT_EQ(SyscallName(99999), "");
  EXPECT_EQ(SyscallName(-1), "");
}

TEST(SyscallTable, X32NumbersHaveBit30) {
  EXPECT_EQ(SyscallNumber("read", Abi::kX32), 0x40000000);
  EXPECT_EQ(SyscallNumber("write", Abi::kX32), 0x40000001);
  EXPECT_EQ(SyscallName(0x40000001, Abi::kX32), "write");
  EXPECT_EQ(SyscallName(1, Abi::kX32), "");
  for (int nr : AllSyscalls(Abi::kX32)) EXPECT_NE(nr & 0x40000000, 0);
}

TEST(SyscallTable, Abis) {
  EXPECT_EQ(AbiName(Abi::kX86_64), "x86_64");
  EXPECT_EQ(AbiName(Abi::kI386), "i386");
  EXPECT_EQ(AbiName(Abi::kX32), "x32");
  EXPECT_EQ(AbiFromName("i386"), Abi::kI386);
  EXPECT_EQ(AbiFromName("x32"), Abi::kX32);
  EXPECT_EQ(AbiFromName("x86_64"), Abi::kX86_64);
  EXPECT_EQ(AbiFromName("arm"), std::nullopt);
  EXPECT_EQ(AuditArch(Abi::kX86_64), AUDIT_ARCH_X86_64);
  EXPECT_EQ(AuditArch(Abi::kX32), AUDIT_ARCH_X86_64);
  EXPECT_EQ(AuditArch(Abi::kI386), AUDIT_ARCH_I386);
}

// The syscalls libseccomp 2.5.4 does not know, checked against the running kernel: each number
// is a syscall there (a call with bad arguments fails with something other than ENOSYS).
TEST(SyscallTable, ExtraSyscallsAreKnownAndExistOnThisKernel) {
  for (const ExtraSyscall& e : ExtraSyscalls()) {
    EXPECT_EQ(SyscallNumber(e.name), e.x86_64) << e.name;
    EXPECT_EQ(SyscallName(e.x86_64), e.name);
    if (e.i386 >= 0) EXPECT_EQ(SyscallName(e.i386, Abi::kI386), e.name);
    if (e.x32 >= 0) EXPECT_EQ(SyscallNumber(e.name, Abi::kX32), e.x32 | 0x40000000);
    EXPECT_STRNE(Signature(e.name).name, "") << e.name << " has no signature";
    if (e.name == "uretprobe" || e.name == "uprobe") continue;  // SIGILL outside a uprobe
    errno = 0;
    // -1 as the first argument (a bad fd or address) makes every one of them fail early.
    long r = syscall(e.x86_64, -1L, 0L, 0L, 0L, 0L, 0L);
    EXPECT_FALSE(r < 0 && errno == ENOSYS) << e.name << " (" << e.x86_64 << ") is not a syscall here";
  }
  EXPECT_EQ(SyscallNumber("uretprobe", Abi::kI386), std::nullopt);
  // The path-taking ones have dirfd and path kinds (the supervisor's path fallback uses them).
  EXPECT_EQ(Signature("setxattrat").args[0].kind, ArgKind::kDirFd);
  EXPECT_EQ(Signature("setxattrat").args[1].kind, ArgKind::kPath);
  EXPECT_EQ(Signature("file_setattr").args[1].kind, ArgKind::kPath);
}

TEST(Signatures, ArgumentWidthsAsTheKernelReadsThem) {
  EXPECT_EQ(ArgType("ioctl", 1), (ArgWidth{32, false}));  // unsigned int cmd
  EXPECT_EQ(ArgType("ioctl", 2), (ArgWidth{64, false}));  // unsigned long arg
  EXPECT_EQ(ArgType("socket", 0), (ArgWidth{32, true}));  // int family
  EXPECT_EQ(ArgType("prctl", 0), (ArgWidth{32, true}));   // int option
  EXPECT_EQ(ArgType("prctl", 1), (ArgWidth{64, false}));  // unsigned long arg2
  EXPECT_EQ(ArgType("openat", 0), (ArgWidth{32, true}));  // int dfd
  EXPECT_EQ(ArgType("openat", 3), (ArgWidth{16, false}));  // umode_t
  EXPECT_EQ(ArgType("read", 2), (ArgWidth{64, false}));   // size_t
  EXPECT_EQ(ArgType("clone", 0), (ArgWidth{64, false}));  // unsigned long clone_flags
  EXPECT_EQ(ArgType("mmap", 3), (ArgWidth{64, false}));   // unsigned long flags
  EXPECT_EQ(ArgType("lseek", 1), (ArgWidth{64, true}));   // off_t
  EXPECT_EQ(ArgType("ptrace", 0), (ArgWidth{64, true}));  // long request
  EXPECT_EQ(ArgType("poll", 1), (ArgWidth{32, false}));   // unsigned int nfds
  EXPECT_EQ(ArgType("lseek", 1, Abi::kI386), (ArgWidth{32, true}));
  EXPECT_EQ(ArgType("no_such_call", 0), (ArgWidth{64, false}));
}

TEST(Signatures, Examples) {
  const SyscallSig& read = Signature("read");
  ASSERT_EQ(read.nargs, 3);
  EXPECT_EQ(read.args[0].kind, ArgKind::kFd);
  EXPECT_EQ(read.args[1].kind, ArgKind::kOutBuf);
  EXPECT_EQ(read.args[1].len_arg, 2);
  EXPECT_TRUE(read.args[1].out);
  EXPECT_EQ(read.args[2].kind, ArgKind::kUInt);

  const SyscallSig& write = Signature("write");
  EXPECT_EQ(write.args[1].kind, ArgKind::kInBuf);
  EXPECT_FALSE(write.args[1].out);

  const SyscallSig& openat = Signature("openat");
  ASSERT_EQ(openat.nargs, 4);
  EXPECT_EQ(openat.args[0].kind, ArgKind::kDirFd);
  EXPECT_EQ(openat.args[1].kind, ArgKind::kPath);
  EXPECT_STREQ(openat.args[1].name, "pathname");
  EXPECT_EQ(openat.args[2].kind, ArgKind::kFlags);
  EXPECT_STREQ(openat.args[2].table, "open_flags");
  EXPECT_EQ(openat.args[3].kind, ArgKind::kMode);
  EXPECT_EQ(openat.ret, RetKind::kFd);

  const SyscallSig& mmap = Signature("mmap");
  ASSERT_EQ(mmap.nargs, 6);
  EXPECT_STREQ(mmap.args[2].table, "prot");
  EXPECT_STREQ(mmap.args[3].table, "mmap_flags");
  EXPECT_EQ(mmap.args[4].kind, ArgKind::kFd);
  EXPECT_EQ(mmap.ret, RetKind::kHex);

  const SyscallSig& fstat = Signature("fstat");
  EXPECT_EQ(fstat.args[1].kind, ArgKind::kStruct);
  EXPECT_STREQ(fstat.args[1].table, "stat");
  EXPECT_TRUE(fstat.args[1].out);

  EXPECT_EQ(Signature("exit_group").ret, RetKind::kNoReturn);
  EXPECT_EQ(Signature("getpid").nargs, 0);
  EXPECT_EQ(Signature("_llseek").nargs, 5);
  EXPECT_EQ(Signature("mmap2").nargs, 6);
  EXPECT_EQ(Signature("socketcall").nargs, 2);
}

TEST(Signatures, UnknownIsGeneric) {
  const SyscallSig& s = Signature("no_such_syscall");
  ASSERT_EQ(s.nargs, 6);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(s.args[i].kind, ArgKind::kHex);
    EXPECT_EQ(std::string(s.args[i].name), "arg" + std::to_string(i));
  }
}

TEST(Signatures, TablesAndStructsExist) {
  const std::set<std::string_view> kStructs = {"stat",
                                               "statx",
                                               "statfs",
                                               "sockaddr",
                                               "msghdr",
                                               "mmsghdr",
                                               "iovec",
                                               "timespec",
                                               "timeval",
                                               "timezone",
                                               "itimerspec",
                                               "itimerval",
                                               "sigaction",
                                               "sigset",
                                               "siginfo",
                                               "clone_args",
                                               "pollfd",
                                               "epoll_event",
                                               "fd_set",
                                               "rlimit",
                                               "rusage",
                                               "utsname",
                                               "sysinfo",
                                               "tms",
                                               "linux_dirent64",
                                               "linux_dirent",
                                               "sched_param",
                                               "open_how",
                                               "file_handle",
                                               "file_handle_in",
                                               "pselect6_sigmask",
                                               "pipefds",
                                               "int",
                                               "uint64",
                                               "socklen",
                                               "cap",
                                               "futex_addr",
                                               "robust_list",
                                               "rseq",
                                               "io_uring_params",
                                               "sock_fprog",
                                               "winsize_or_ioctl_arg",
                                               "sched_attr",
                                               "stack_t",
                                               "kernel_timex",
                                               "mq_attr",
                                               "user_desc",
                                               "msqid_ds",
                                               "shmid_ds",
                                               "sembuf",
                                               "landlock_ruleset_attr",
                                               "mount_attr",
                                               "perf_event_attr",
                                               "bpf_attr",
                                               "sockopt",
                                               "landlock_rule_attr",
                                               "sigevent",
                                               "utimbuf"};
  std::span<const SyscallSig> sigs = AllSignatures();
  EXPECT_TRUE(std::is_sorted(sigs.begin(), sigs.end(), [](const auto& a, const auto& b) {
    return std::string_view(a.name) < std::string_view(b.name);
  }));
  for (const SyscallSig& s : sigs) {
    for (int i = 0; i < s.nargs; ++i) {
      const ArgSpec& a = s.args[i];
      ASSERT_NE(a.name, nullptr) << s.name;
      if (a.kind == ArgKind::kFlags || a.kind == ArgKind::kEnum) {
        ASSERT_NE(a.table, nullptr) << s.name << " " << a.name;
        const Xlat* x = FindXlat(a.table);
        ASSERT_NE(x, nullptr) << s.name << " " << a.name << " " << a.table;
      }
      if (a.kind == ArgKind::kStruct) {
        ASSERT_NE(a.table, nullptr) << s.name << " " << a.name;
        EXPECT_TRUE(kStructs.count(a.table)) << s.name << " " << a.name << " " << a.table;
      }
      if (a.kind == ArgKind::kInBuf || a.kind == ArgKind::kOutBuf) {
        EXPECT_GE(a.len_arg, 0) << s.name;
        EXPECT_LT(a.len_arg, s.nargs) << s.name;
        EXPECT_NE(a.len_arg, i) << s.name;
      }
    }
  }
}

TEST(Signatures, ArgIndex) {
  EXPECT_EQ(ArgIndex("openat", "flags"), 2);
  EXPECT_EQ(ArgIndex("openat", "pathname"), 1);
  EXPECT_EQ(ArgIndex("mmap", "fd"), 4);
  EXPECT_EQ(ArgIndex("socket", "domain"), 0);
  EXPECT_EQ(ArgIndex("clone", "flags"), 0);
  EXPECT_EQ(ArgIndex("preadv2", "flags"), 5);
  EXPECT_EQ(ArgIndex("read", "flags"), std::nullopt);
  EXPECT_EQ(ArgIndex("no_such_syscall", "arg3"), 3);
}

TEST(Signatures, SuggestSyscalls) {
  std::vector<std::string> s = SuggestSyscalls("opne");
  EXPECT_NE(std::find(s.begin(), s.end(), "open"), s.end());
  EXPECT_LE(s.size(), 3u);
  s = SuggestSyscalls("opnat");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "openat");
  s = SuggestSyscalls("io_uring_");
  EXPECT_EQ(s.size(), 3u);
  for (const std::string& n : s) EXPECT_TRUE(n.starts_with("io_uring_")) << n;
  EXPECT_TRUE(SuggestSyscalls("qqqqqqqqqq").empty());
}

TEST(Errno, NamesAndTexts) {
  EXPECT_EQ(ErrnoName(ENOENT), "ENOENT");
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory");
  EXPECT_EQ(ErrnoName(EPERM), "EPERM");
  EXPECT_EQ(ErrnoText(EPERM), "Operation not permitted");
  EXPECT_EQ(ErrnoText(EACCES), "Permission denied");
  EXPECT_EQ(ErrnoName(EAGAIN), "EAGAIN");
  EXPECT_EQ(ErrnoText(EAGAIN), "Resource temporarily unavailable");
  EXPECT_EQ(ErrnoName(ENOSYS), "ENOSYS");
  EXPECT_EQ(ErrnoText(ENOSYS), "Function not implemented");
  EXPECT_EQ(ErrnoName(512), "ERESTARTSYS");
  EXPECT_EQ(ErrnoText(512), "To be restarted if SA_RESTART is set");
  EXPECT_EQ(ErrnoName(513), "ERESTARTNOINTR");
  EXPECT_EQ(ErrnoText(513), "To be restarted");
  EXPECT_EQ(ErrnoName(514), "ERESTARTNOHAND");
  EXPECT_EQ(ErrnoText(514), "To be restarted if no handler");
  EXPECT_EQ(ErrnoName(516), "ERESTART_RESTARTBLOCK");
  EXPECT_EQ(ErrnoText(516), "Interrupted by signal");
  EXPECT_EQ(ErrnoName(0), "");
  EXPECT_EQ(ErrnoName(-1), "");
  EXPECT_EQ(ErrnoName(4000), "");
}

TEST(Errno, RoundTrip) {
  int named = 0;
  for (int e = 1; e < 600; ++e) {
    std::string_view name = ErrnoName(e);
    if (name.empty()) continue;
    ++named;
    EXPECT_FALSE(ErrnoText(e).empty()) << e;
    EXPECT_EQ(ErrnoFromName(name), e) << name;
  }
  EXPECT_GT(named, 130);
  EXPECT_EQ(ErrnoFromName("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(ErrnoFromName("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(ErrnoFromName("EHWPOISON"), EHWPOISON);
  EXPECT_EQ(ErrnoFromName("ENOPE"), std::nullopt);
}

TEST(Groups, MembersExistSortedUnique) {
  ASSERT_GE(Groups().size(), 15u);
  std::set<std::string_view> names;
  for (const SyscallGroup& g : Groups()) {
    EXPECT_TRUE(names.insert(g.name).second) << g.name;
    EXPECT_FALSE(g.description.empty()) << g.name;
    EXPECT_FALSE(g.members.empty()) << g.name;
    EXPECT_TRUE(std::is_sorted(g.members.begin(), g.members.end())) << g.name;
    EXPECT_EQ(std::adjacent_find(g.members.begin(), g.members.end()), g.members.end()) << g.name;
    for (std::string_view m : g.members) {
      EXPECT_TRUE(SyscallNumber(m).has_value()) << g.name << ": " << m;
      EXPECT_TRUE(HasSignature(m)) << g.name << ": " << m;
    }
  }
  for (const char* required :
       {"file",          "process",  "network", "signal",   "ipc",      "desc",      "memory",
        "time",          "creds",    "stat",    "lstat",    "fstat",    "stat_like", "statfs_like",
        "pure",          "default",  "mount",   "module",   "raw-io",   "reboot",    "swap",
        "privileged",    "obsolete", "debug",   "keyring",  "io_uring", "namespace", "clock",
        "cpu-emulation", "aio",      "chown",   "resources"}) {
    EXPECT_TRUE(names.count(required)) << required;
  }
}

bool InGroup(std::string_view group, std::string_view name) {
  const SyscallGroup* g = FindGroup(group);
  return g && std::binary_search(g->members.begin(), g->members.end(), name);
}

TEST(Groups, FindGroupSpellings) {
  const SyscallGroup* file = FindGroup("file");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(FindGroup("@file"), file);
  EXPECT_EQ(FindGroup("%file"), file);
  EXPECT_EQ(FindGroup("%net"), FindGroup("network"));
  EXPECT_EQ(FindGroup("%network"), FindGroup("network"));
  EXPECT_EQ(FindGroup("%clock"), FindGroup("time"));
  EXPECT_EQ(FindGroup("@clock")->name, "clock");
  EXPECT_EQ(FindGroup("%creds"), FindGroup("creds"));
  EXPECT_EQ(FindGroup("%%stat"), FindGroup("stat_like"));
  EXPECT_EQ(FindGroup("%%statfs"), FindGroup("statfs_like"));
  EXPECT_EQ(FindGroup("nosuch"), nullptr);
  EXPECT_EQ(FindGroup("@"), nullptr);
}

TEST(Groups, Membership) {
  EXPECT_TRUE(InGroup("file", "openat"));
  EXPECT_FALSE(InGroup("file", "read"));
  EXPECT_TRUE(InGroup("desc", "read"));
  EXPECT_TRUE(InGroup("network", "socket"));
  EXPECT_TRUE(InGroup("process", "clone3"));
  EXPECT_TRUE(InGroup("signal", "rt_sigaction"));
  EXPECT_TRUE(InGroup("memory", "mmap"));
  EXPECT_TRUE(InGroup("privileged", "reboot"));   // via @reboot
  EXPECT_TRUE(InGroup("privileged", "setuid"));   // via @setuid
  EXPECT_TRUE(InGroup("aio", "io_uring_enter"));  // via @io_uring
  EXPECT_TRUE(InGroup("debug", "ptrace"));
  EXPECT_TRUE(InGroup("namespace", "unshare"));
}

// @file is "takes a file name": every syscall with a path argument, and nothing else but getcwd.
TEST(Groups, FileMatchesPathArguments) {
  for (int nr : AllSyscalls()) {
    std::string_view name = SyscallName(nr);
    const SyscallSig& s = Signature(name);
    bool has_path = false;
    for (int i = 0; i < s.nargs; ++i) has_path |= s.args[i].kind == ArgKind::kPath;
    if (name == "getcwd") continue;
    EXPECT_EQ(has_path, InGroup("file", name)) << name;
  }
}

// @desc is "takes or returns a file descriptor".
TEST(Groups, DescMatchesFdArguments) {
  for (int nr : AllSyscalls()) {
    std::string_view name = SyscallName(nr);
    const SyscallSig& s = Signature(name);
    bool fd = s.ret == RetKind::kFd;
    for (int i = 0; i < s.nargs; ++i) {
      fd |= s.args[i].kind == ArgKind::kFd || s.args[i].kind == ArgKind::kDirFd;
      if (s.args[i].kind == ArgKind::kStruct) {
        std::string_view t = s.args[i].table;
        fd |= t == "pipefds" || t == "pollfd" || t == "fd_set";
      }
    }
    if (name == "bpf") continue;  // returns an fd for most commands
    EXPECT_EQ(fd, InGroup("desc", name)) << name;
  }
}

}  // namespace
}  // namespace pwnbox::core
