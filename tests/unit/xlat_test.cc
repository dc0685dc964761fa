#include "core/xlat.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/syscalls.h"

namespace pwnbox::core {
namespace {

const Xlat& T(std::string_view name) {
  const Xlat* x = FindXlat(name);
  EXPECT_NE(x, nullptr) << name;
  static const Xlat kEmpty{"", {}, false};
  return x ? *x : kEmpty;
}

TEST(Xlat, RequiredTablesExist) {
  for (const char* name :
       {"open_flags",      "at_flags",      "access_mode",          "prot",
        "mmap_flags",      "mremap_flags",  "madvise_advice",       "clone_flags",
        "address_family",  "socket_type",   "ip_protocol",          "socket_level",
        "socket_option",   "msg_flags",     "shutdown_how",         "fcntl_cmd",
        "fd_flags",        "ioctl_request", "prctl_option",         "arch_prctl_code",
        "futex_op",        "signals",       "sigprocmask_how",      "wait_options",
        "rlimit_resource", "clockid",       "poll_events",          "epoll_ctl_op",
        "epoll_events",    "lseek_whence",  "seccomp_op",           "mount_flags",
        "umount_flags",    "rename_flags",  "statx_mask",           "getrandom_flags",
        "memfd_flags",     "eventfd_flags", "timerfd_flags",        "inotify_mask",
        "pipe_flags",      "dup3_flags",    "splice_flags",         "itimer_which",
        "sched_policy",    "xattr_flags",   "personality",          "fallocate_mode",
        "lock_op",         "mlock_flags",   "msync_flags",          "unshare_flags",
        "keyctl_cmd",      "bpf_cmd",       "io_uring_enter_flags", "close_range_flags",
        "pidfd_flags",     "waitid_which"}) {
    EXPECT_NE(FindXlat(name), nullptr) << name;
  }
  EXPECT_EQ(FindXlat("no_such_table"), nullptr);
}

TEST(Xlat, TablesWellFormed) {
  std::set<std::string_view> names;
  std::map<std::string_view, uint64_t> values;  // a constant means one thing in every table
  for (const Xlat* t : AllXlats()) {
    EXPECT_TRUE(names.insert(t->name).second) << "duplicate table " << t->name;
    EXPECT_FALSE(t->entries.empty()) << t->name;
    EXPECT_EQ(FindXlat(t->name), t);
    for (const XlatEntry& e : t->entries) {
      ASSERT_NE(e.name, nullptr) << t->name;
      EXPECT_NE(std::string_view(e.name), "") << t->name;
      auto [it, inserted] = values.emplace(e.name, e.value);
      EXPECT_EQ(it->second, e.value) << e.name << " differs in " << t->name;
      EXPECT_EQ(ConstantValue(e.name), it->second) << e.name;
    }
  }
}

TEST(Xlat, OpenFlags) {
  const Xlat& t = T("open_flags");
  EXPECT_EQ(FormatFlags(t, O_WRONLY | O_CREAT | O_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(FormatFlags(t, 0), "O_RDONLY");
  EXPECT_EQ(FormatFlags(t, O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(FormatFlags(t, O_RDWR | O_NONBLOCK | O_CLOEXEC), "O_RDWR|O_NONBLOCK|O_CLOEXEC");
  EXPECT_EQ(FormatFlags(t, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
  EXPECT_EQ(FormatFlags(t, O_RDONLY | O_DIRECTORY), "O_RDONLY|O_DIRECTORY");
  EXPECT_EQ(FormatFlags(t, O_WRONLY | O_SYNC), "O_WRONLY|O_SYNC");
  EXPECT_EQ(FormatFlags(t, O_DSYNC), "O_RDONLY|O_DSYNC");
  EXPECT_EQ(FormatFlags(t, 0100000), "O_RDONLY|O_LARGEFILE");
  EXPECT_EQ(FormatFlags(t, O_ACCMODE), "O_ACCMODE");
  EXPECT_EQ(FormatFlags(t, O_WRONLY | 0x40000000), "O_WRONLY|0x40000000");
}

TEST(Xlat, ProtAndMmap) {
  const Xlat& prot = T("prot");
  EXPECT_EQ(FormatFlags(prot, 0), "PROT_NONE");
  EXPECT_EQ(FormatFlags(prot, PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
  EXPECT_EQ(FormatFlags(prot, PROT_READ | PROT_EXEC), "PROT_READ|PROT_EXEC");
  EXPECT_EQ(FormatFlags(prot, PROT_READ | 0x100000), "PROT_READ|0x100000");
  const Xlat& mmap = T("mmap_flags");
  EXPECT_EQ(FormatFlags(mmap, MAP_PRIVATE | MAP_ANONYMOUS), "MAP_PRIVATE|MAP_ANONYMOUS");
  EXPECT_EQ(FormatFlags(mmap, MAP_SHARED | MAP_FIXED), "MAP_SHARED|MAP_FIXED");
  EXPECT_EQ(FormatFlags(mmap, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE),
            "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
  EXPECT_EQ(FormatFlags(mmap, MAP_SHARED_VALIDATE), "MAP_SHARED_VALIDATE");
}

TEST(Xlat, FlagsWithoutZeroEntry) {
  EXPECT_EQ(FormatFlags(T("msg_flags"), 0), "0");
  EXPECT_EQ(FormatFlags(T("msg_flags"), MSG_DONTWAIT | MSG_NOSIGNAL), "MSG_DONTWAIT|MSG_NOSIGNAL");
  // No named bit: strace's "0x80000000 /* AT_??? */"; with one: "AT_EMPTY_PATH|0x80000000".
  EXPECT_EQ(FormatFlags(T("at_flags"), 0x80000000), "0x80000000 /* AT_??? */");
  EXPECT_EQ(FormatFlags(T("at_flags"), 0x80000000 | AT_EMPTY_PATH), "AT_EMPTY_PATH|0x80000000");
  EXPECT_EQ(FormatFlags(T("fsopen_flags"), 2), "0x2 /* FSOPEN_??? */");
  EXPECT_EQ(FormatFlags(T("access_mode"), 0), "F_OK");
  EXPECT_EQ(FormatFlags(T("access_mode"), R_OK | X_OK), "R_OK|X_OK");
}

TEST(Xlat, CloneFlagsWithSignal) {
  const Xlat& t = T("clone_flags");
  EXPECT_EQ(FormatFlags(t, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(FormatFlags(t, SIGCHLD), "SIGCHLD");
  EXPECT_EQ(FormatFlags(t, CLONE_VM | CLONE_VFORK | SIGCHLD), "CLONE_VM|CLONE_VFORK|SIGCHLD");
  EXPECT_EQ(FormatFlags(t, CLONE_NEWUSER | CLONE_NEWNS), "CLONE_NEWNS|CLONE_NEWUSER");
  EXPECT_EQ(FormatFlags(t, 0), "0");
  EXPECT_EQ(FormatFlags(T("unshare_flags"), CLONE_NEWNET), "CLONE_NEWNET");
  // unshare has no exit-signal byte: CLONE_NEWTIME (0x80) lives there, first in strace's
  // unshare_flags.
  EXPECT_EQ(FormatFlags(T("unshare_flags"), CLONE_NEWTIME | CLONE_NEWNS),
            "CLONE_NEWTIME|CLONE_NEWNS");
}

TEST(Xlat, Statx) {
  EXPECT_EQ(FormatFlags(T("statx_flags"), 0), "AT_STATX_SYNC_AS_STAT");
  EXPECT_EQ(FormatFlags(T("statx_flags"), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT),
            "AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT");
  EXPECT_EQ(FormatFlags(T("statx_flags"), AT_STATX_DONT_SYNC | AT_EMPTY_PATH),
            "AT_STATX_DONT_SYNC|AT_EMPTY_PATH");
  EXPECT_EQ(FormatFlags(T("statx_mask"), STATX_BASIC_STATS | STATX_BTIME), "STATX_ALL");
  EXPECT_EQ(FormatFlags(T("statx_mask"), STATX_TYPE | STATX_MODE), "STATX_TYPE|STATX_MODE");
}

TEST(Xlat, SocketType) {
  const Xlat& t = T("socket_type");
  EXPECT_EQ(FormatFlags(t, SOCK_STREAM), "SOCK_STREAM");
  EXPECT_EQ(FormatFlags(t, SOCK_DGRAM | SOCK_CLOEXEC), "SOCK_DGRAM|SOCK_CLOEXEC");
  EXPECT_EQ(FormatFlags(t, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC),
            "SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK");
}

TEST(Xlat, Enums) {
  EXPECT_EQ(FormatEnum(T("address_family"), AF_INET), "AF_INET");
  EXPECT_EQ(FormatEnum(T("address_family"), AF_UNIX), "AF_UNIX");
  EXPECT_EQ(FormatEnum(T("address_family"), 12345), "0x3039 /* AF_??? */");
  EXPECT_EQ(FormatEnum(T("fcntl_cmd"), F_SETFD), "F_SETFD");
  EXPECT_EQ(FormatEnum(T("fcntl_cmd"), F_DUPFD_CLOEXEC), "F_DUPFD_CLOEXEC");
  EXPECT_EQ(FormatEnum(T("ioctl_request"), TCGETS), "TCGETS");
  EXPECT_EQ(FormatEnum(T("ioctl_request"), TIOCGWINSZ), "TIOCGWINSZ");
  EXPECT_EQ(FormatEnum(T("ioctl_request"), FIONREAD), "FIONREAD");
  EXPECT_EQ(FormatEnum(T("lseek_whence"), SEEK_END), "SEEK_END");
  EXPECT_EQ(FormatEnum(T("lseek_whence"), 0xffffffffu), "0xffffffff /* SEEK_??? */");
  EXPECT_EQ(FormatEnum(T("madvise_advice"), 25), "MADV_COLLAPSE");
  EXPECT_EQ(FormatEnum(T("membarrier_cmd"), 0x1000), "0x1000 /* MEMBARRIER_CMD_??? */");
  EXPECT_EQ(FormatEnum(T("mempolicy_mode"), 99), "0x63 /* MPOL_??? */");
}

TEST(Xlat, FutexOp) {
  const Xlat& t = T("futex_op");
  EXPECT_EQ(FormatEnum(t, FUTEX_WAIT), "FUTEX_WAIT");
  EXPECT_EQ(FormatEnum(t, FUTEX_WAIT_PRIVATE), "FUTEX_WAIT_PRIVATE");
  EXPECT_EQ(FormatEnum(t, FUTEX_WAKE_PRIVATE), "FUTEX_WAKE_PRIVATE");
  EXPECT_EQ(FormatEnum(t, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME),
            "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
}

TEST(Xlat, Signals) {
  const Xlat& t = T("signals");
  EXPECT_EQ(FormatEnum(t, SIGKILL), "SIGKILL");
  EXPECT_EQ(FormatEnum(t, SIGCHLD), "SIGCHLD");
  EXPECT_EQ(FormatEnum(t, SIGSYS), "SIGSYS");
  EXPECT_EQ(FormatEnum(t, SIGABRT), "SIGABRT");
  EXPECT_EQ(FormatEnum(t, SIGIO), "SIGIO");
  EXPECT_EQ(FormatEnum(t, 32), "SIGRTMIN");
  EXPECT_EQ(FormatEnum(t, 34), "SIGRT_2");
  EXPECT_EQ(FormatEnum(t, 64), "SIGRT_32");
  EXPECT_EQ(FormatEnum(t, 65), "65");
}

TEST(Xlat, ConstantValue) {
  EXPECT_EQ(ConstantValue("CLONE_NEWUSER"), uint64_t{CLONE_NEWUSER});
  EXPECT_EQ(ConstantValue("AF_INET"), uint64_t{AF_INET});
  EXPECT_EQ(ConstantValue("PROT_EXEC"), uint64_t{PROT_EXEC});
  EXPECT_EQ(ConstantValue("O_WRONLY"), uint64_t{O_WRONLY});
  EXPECT_EQ(ConstantValue("O_RDONLY"), uint64_t{0});
  EXPECT_EQ(ConstantValue("O_CREAT"), uint64_t{O_CREAT});
  EXPECT_EQ(ConstantValue("SOCK_STREAM"), uint64_t{SOCK_STREAM});
  EXPECT_EQ(ConstantValue("TIOCSTI"), uint64_t{TIOCSTI});
  EXPECT_EQ(ConstantValue("SIGKILL"), uint64_t{SIGKILL});
  EXPECT_EQ(ConstantValue("SIGRT_3"), uint64_t{35});
  EXPECT_EQ(ConstantValue("EPERM"), uint64_t{EPERM});
  EXPECT_EQ(ConstantValue("ENOENT"), uint64_t{ENOENT});
  EXPECT_EQ(ConstantValue("AT_FDCWD"), static_cast<uint64_t>(int64_t{-100}));
  EXPECT_EQ(ConstantValue("O_WRONLY|O_CREAT"), std::nullopt);
  EXPECT_EQ(ConstantValue("NOT_A_CONSTANT"), std::nullopt);
  EXPECT_EQ(ConstantValue(""), std::nullopt);
}

TEST(Xlat, SuggestConstants) {
  std::vector<std::string> s = SuggestConstants("CLONE_NEWUSR");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "CLONE_NEWUSER");
  s = SuggestConstants("PROT_EXE");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "PROT_EXEC");
  EXPECT_LE(SuggestConstants("O_RDWRR").size(), 3u);
  EXPECT_TRUE(SuggestConstants("ZZZZZZZZZZZZZZZZZZZZ").empty());
}

}  // namespace
}  // namespace pwnbox::core
