// Decoder tests: syscalls decoded from a FakeMemory (the decoder's own input: address -> bytes)
// against the text strace prints, and a few decoded from a real child through ProcessMemory.
#include "core/decoder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/statfs.h>
#include <sys/times.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <map>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace pwnbox::core {
namespace {

// Target memory made of byte regions; reads stop at the end of a region.
class FakeMemory : public TargetMemory {
 public:
  ssize_t Read(uint64_t addr, void* buf, size_t len) override {
    auto it = regions_.upper_bound(addr);
    if (it == regions_.begin()) return -1;
    --it;
    const uint64_t start = it->first;
    const std::string& bytes = it->second;
    if (addr >= start + bytes.size()) return -1;
    const size_t n = std::min<size_t>(len, start + bytes.size() - addr);
    memcpy(buf, bytes.data() + (addr - start), n);
    return static_cast<ssize_t>(n);
  }
  void Put(uint64_t addr, std::string_view bytes) { regions_[addr] = std::string(bytes); }
  template <typename T>
  void PutObj(uint64_t addr, const T& v) {
    Put(addr, std::string_view(reinterpret_cast<const char*>(&v), sizeof(v)));
  }
  void PutStr(uint64_t addr, std::string_view s) { Put(addr, std::string(s) + '\0'); }

 private:
  std::map<uint64_t, std::string> regions_;
};

constexpr uint64_t kA = 0x10000;  // addresses of test data
constexpr uint64_t kB = 0x20000;
constexpr uint64_t kC = 0x30000;
constexpr uint64_t kD = 0x40000;
constexpr uint64_t kBad = 0xdead0000;

int Nr(const char* name, Abi abi = Abi::kX86_64) {
  std::optional<int> nr = SyscallNumber(name, abi);
  EXPECT_TRUE(nr.has_value()) << name;
  return nr.value_or(-1);
}

SyscallCall Call(const char* name, std::initializer_list<uint64_t> args, int64_t ret = 0) {
  SyscallCall c;
  c.pid = 42;
  c.nr = Nr(name);
  int i = 0;
  for (uint64_t a : args) c.args[i++] = a;
  c.ret = ret;
  return c;
}

DecodedCall Decode(const SyscallCall& call, TargetMemory& mem, DecodeOptions opts = {}) {
  Decoder d(std::move(opts));
  DecodedCall out;
  d.Entry(call, mem, &out);
  d.Exit(call, mem, &out);
  return out;
}

std::string Line(const SyscallCall& call, TargetMemory& mem, DecodeOptions opts = {}) {
  return Decode(call, mem, std::move(opts)).Line();
}

// The line without the padding before "= " (strace's column 40).
std::string Flat(const std::string& line) {
  return std::regex_replace(line, std::regex(R"(\) +=)"), ") =");
}
std::string FlatLine(const SyscallCall& call, TargetMemory& mem, DecodeOptions opts = {}) {
  return Flat(Line(call, mem, std::move(opts)));
}

// ---- strings ----

TEST(QuoteString, EscapesLikeStrace) {
  EXPECT_EQ(QuoteString("a\n\t\"\\b", 32), R"("a\n\t\"\\b")");
  EXPECT_EQ(QuoteString("\r\f\v", 32), R"("\r\f\v")");
  EXPECT_EQ(QuoteString(std::string_view("\177ELF\2\1\1\3\0\0", 10), 32),
            R"("\177ELF\2\1\1\3\0\0")");
  // A digit after an escaped byte forces three octal digits.
  EXPECT_EQ(QuoteString(std::string_view("\0" "1\x01" "8\x1b" "7", 6), 32), R"("\0001\18\0337")");
  EXPECT_EQ(QuoteString("\xff", 32), R"("\377")");
}

TEST(QuoteString, CutsAtLimit) {
  EXPECT_EQ(QuoteString("abcdefgh", 4), R"("abcd"...)");
  EXPECT_EQ(QuoteString("abcd", 4), R"("abcd")");
  EXPECT_EQ(QuoteString("ab", 4, true), R"("ab"...)");
}

// ---- lines, padding, errors ----

TEST(Decoder, OpenatLineAndPadding) {
  FakeMemory mem;
  mem.PutStr(kA, "/etc/hostname");
  EXPECT_EQ(Line(Call("openat", {static_cast<uint64_t>(AT_FDCWD), kA, O_RDONLY}, 3), mem),
            R"(openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3)");
  EXPECT_EQ(Line(Call("close", {3}, 0), mem), "close(3)                                = 0");
  std::string l = Line(Call("close", {3}, 0), mem);
  EXPECT_EQ(l.find("= "), 40u);
  // Exactly 39 characters: one space.
  mem.PutStr(kB, "/etc/abcdefghijklmno");
  EXPECT_EQ(Line(Call("access", {kB, R_OK}, 0), mem).find("= "), 40u);
  // With a "[pid  42] " prefix strace counts the prefix.
  EXPECT_EQ(Decode(Call("close", {3}, 0), mem).Line(10), "close(3)                      = 0");
}

TEST(Decoder, OpenatWithCreatPrintsMode) {
  FakeMemory mem;
  mem.PutStr(kA, "/tmp/x");
  EXPECT_EQ(Line(Call("openat", {static_cast<uint64_t>(AT_FDCWD), kA,
                                 O_WRONLY | O_CREAT | O_TRUNC, 0644}, 3), mem),
            R"(openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3)");
  EXPECT_EQ(Line(Call("chmod", {kA, 04755}, 0), mem),
            R"(chmod("/tmp/x", 04755)                  = 0)");
  EXPECT_EQ(Line(Call("mknodat", {static_cast<uint64_t>(AT_FDCWD), kA, S_IFIFO | 0666, 0}, 0),
                 mem),
            R"(mknodat(AT_FDCWD, "/tmp/x", S_IFIFO|0666) = 0)");
}

TEST(Decoder, FailedCall) {
  FakeMemory mem;
  mem.PutStr(kA, "/nope");
  DecodedCall d = Decode(Call("openat", {static_cast<uint64_t>(AT_FDCWD), kA, O_RDONLY},
                              -ENOENT), mem);
  EXPECT_EQ(d.Line(), R"(openat(AT_FDCWD, "/nope", O_RDONLY)     = -1 ENOENT (No such file or directory))");
  EXPECT_EQ(d.error, "ENOENT");
  EXPECT_EQ(d.ret, "-1 ENOENT (No such file or directory)");
}

TEST(Decoder, RestartAndNoReturn) {
  FakeMemory mem;
  EXPECT_EQ(Line(Call("pause", {}, -512), mem),
            "pause()                                 = ? ERESTARTSYS (To be restarted if "
            "SA_RESTART is set)");
  EXPECT_EQ(Line(Call("exit_group", {0}, 0), mem), "exit_group(0)                           = ?");
  // The tracer never sees exit_group return: the line is complete after Entry().
  Decoder d({});
  DecodedCall out;
  d.Entry(Call("exit_group", {1}), mem, &out);
  EXPECT_EQ(out.Line(), "exit_group(1)                           = ?");
  EXPECT_EQ(out.EntryText(), "exit_group(1");
}

TEST(Decoder, InterruptedSleepShowsRemaining) {
  FakeMemory mem;
  timespec req{5, 0}, rem{4, 999};
  mem.PutObj(kA, req);
  mem.PutObj(kB, rem);
  EXPECT_EQ(Line(Call("nanosleep", {kA, kB}, -516), mem),
            "nanosleep({tv_sec=5, tv_nsec=0}, {tv_sec=4, tv_nsec=999}) = ? ERESTART_RESTARTBLOCK "
            "(Interrupted by signal)");
  // On success the kernel does not write it: only the address.
  EXPECT_EQ(Line(Call("nanosleep", {kA, kB}, 0), mem),
            "nanosleep({tv_sec=5, tv_nsec=0}, 0x20000) = 0");
}

TEST(Decoder, ReadEntryResumedAndLimit) {
  FakeMemory mem;
  mem.Put(kA, "vm\n");
  SyscallCall c = Call("read", {3, kA, 131072}, 3);
  Decoder d({});
  DecodedCall out;
  d.Entry(c, mem, &out);
  EXPECT_EQ(out.EntryText(), "read(3, ");
  EXPECT_EQ(out.entry_args, 1u);
  d.Exit(c, mem, &out);
  // After "<... read resumed>" (18 columns), "= " is still at column 40.
  EXPECT_EQ(out.ResumedText(18), R"("vm\n", 131072)       = 3)");
  EXPECT_EQ(out.Line(), R"(read(3, "vm\n", 131072)                 = 3)");

  mem.Put(kB, "0123456789abcdef");
  DecodeOptions o;
  o.string_limit = 8;
  EXPECT_EQ(Line(Call("read", {3, kB, 100}, 16), mem, o),
            R"(read(3, "01234567"..., 100)             = 16)");
  EXPECT_EQ(Line(Call("read", {3, kB, 100}, 8), mem, o),
            R"(read(3, "01234567", 100)                = 8)");
  // Failed read: the buffer is an address.
  EXPECT_EQ(Line(Call("read", {3, kB, 100}, -EBADF), mem),
            "read(3, 0x20000, 100)                   = -1 EBADF (Bad file descriptor)");
}

TEST(Decoder, WriteBuffersNullAndUnreadable) {
  FakeMemory mem;
  mem.Put(kA, std::string_view("\0\1x\n", 4));
  EXPECT_EQ(Line(Call("write", {1, kA, 4}, 4), mem),
            R"(write(1, "\0\1x\n", 4)                  = 4)");
  EXPECT_EQ(Line(Call("write", {1, 0, 4}, -EFAULT), mem),
            "write(1, NULL, 4)                       = -1 EFAULT (Bad address)");
  EXPECT_EQ(Line(Call("write", {1, kBad, 4}, -EFAULT), mem),
            "write(1, 0xdead0000, 4)                 = -1 EFAULT (Bad address)");
  // A buffer that ends in unmapped memory is not printed partially.
  EXPECT_EQ(Line(Call("write", {1, kA, 10}, -EFAULT), mem),
            "write(1, 0x10000, 10)                   = -1 EFAULT (Bad address)");
}

TEST(Decoder, PathsAreNotCut) {
  FakeMemory mem;
  std::string p = "/" + std::string(100, 'a');
  mem.PutStr(kA, p);
  DecodeOptions o;
  o.string_limit = 4;
  EXPECT_EQ(Line(Call("unlink", {kA}, 0), mem, o), "unlink(\"" + p + "\") = 0");
  // A path string that runs into unmapped memory before its NUL is printed as an address, as
  // strace prints it (umovestr fails).
  mem.Put(kB, "/abc");
  EXPECT_EQ(Line(Call("unlink", {kB}, -ENOENT), mem),
            R"(unlink(0x20000)                         = -1 ENOENT (No such file or directory))");
  // A string: only when memory ends within -s + 1 bytes (strace reads that many).
  mem.Put(kC, "abcdefgh");
  EXPECT_EQ(FlatLine(Call("memfd_create", {kC, 0}, -EFAULT), mem),
            "memfd_create(0x30000, 0) = -1 EFAULT (Bad address)");
  EXPECT_EQ(FlatLine(Call("memfd_create", {kC, 0}, -EFAULT), mem, o),
            "memfd_create(\"abcd\"..., 0) = -1 EFAULT (Bad address)");
  // A readable string longer than -s is cut with "..." once its NUL is within the limit + 1.
  mem.PutStr(kD, "abcdefgh");
  EXPECT_EQ(FlatLine(Call("memfd_create", {kD, 0}, 3), mem, o), "memfd_create(\"abcd\"..., 0) = 3");
  // A path with no NUL within PATH_MAX: PATH_MAX - 1 bytes and "..." (strace's printpath).
  const std::string long_path(PATH_MAX + 10, 'p');
  mem.PutStr(kBad, long_path);
  EXPECT_EQ(Line(Call("unlink", {kBad}, -ENAMETOOLONG), mem),
            "unlink(\"" + std::string(PATH_MAX - 1, 'p') +
                "\"...) = -1 ENAMETOOLONG (File name too long)");
}

// ---- fidelity: the lines strace 6.1 prints for the same calls (tests/progs/dc_edge.c runs
// them under strace itself in it_decode_fidelity_test) ----

constexpr uint64_t kJunk = 0xdeadbeef00000000ULL;

TEST(Fidelity, IntegersByTheirCType) {
  FakeMemory mem;
  mem.PutStr(kA, "/nonexistent/dc");
  // int / unsigned int from the low 32 bits, whatever the upper half holds.
  EXPECT_EQ(FlatLine(Call("alarm", {kJunk | 42}, 0), mem), "alarm(42) = 0");
  EXPECT_EQ(FlatLine(Call("close", {kJunk | 99}, -EBADF), mem),
            "close(99) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(FlatLine(Call("kill", {kJunk, kJunk}, 0), mem), "kill(0, 0) = 0");
  EXPECT_EQ(FlatLine(Call("listen", {~0ULL, kJunk | 5}, -EBADF), mem),
            "listen(-1, 5) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(FlatLine(Call("epoll_wait", {~0ULL, 0, kJunk | 0xffffffffu, kJunk | 0xfffffffeu},
                          -EBADF), mem),
            "epoll_wait(-1, NULL, -1, -2) = -1 EBADF (Bad file descriptor)");
  // uid_t/gid_t: unsigned 32-bit, except (uid_t)-1.
  EXPECT_EQ(FlatLine(Call("chown", {kA, kJunk | 4294901760u, ~0ULL}, -ENOENT), mem),
            R"(chown("/nonexistent/dc", 4294901760, -1) = -1 ENOENT (No such file or directory))");
  EXPECT_EQ(FlatLine(Call("lchown", {kA, 65534, kJunk | 4294967294u}, -ENOENT), mem),
            R"(lchown("/nonexistent/dc", 65534, 4294967294) = -1 ENOENT )"
            "(No such file or directory)");
  EXPECT_EQ(FlatLine(Call("setresuid", {kJunk | 0xffffffffu, ~0ULL, 0xffffffffULL}, 0), mem),
            "setresuid(-1, -1, -1) = 0");
  // loff_t signed; size_t unsigned 64; truncate's length unsigned as strace prints it.
  EXPECT_EQ(FlatLine(Call("lseek", {kJunk | 3, ~0ULL, SEEK_SET}, 0), mem),
            "lseek(3, -1, SEEK_SET) = 0");
  EXPECT_EQ(FlatLine(Call("write", {~0ULL, 0, ~0ULL}, -EBADF), mem),
            "write(-1, NULL, 18446744073709551615) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(FlatLine(Call("ftruncate", {~0ULL, static_cast<uint64_t>(-4096)}, -EINVAL), mem),
            "ftruncate(-1, 18446744073709547520) = -1 EINVAL (Invalid argument)");
  // dev_t of mknod: an unsigned int.
  EXPECT_EQ(FlatLine(Call("mknod", {kA, S_IFBLK | 0644, kJunk | makedev(8, 1)}, -ENOENT), mem),
            R"(mknod("/nonexistent/dc", S_IFBLK|0644, makedev(0x8, 0x1)) = -1 ENOENT )"
            "(No such file or directory)");
  // i386's 16-bit uid calls: (uint16_t)-1 is -1.
  SyscallCall c16 = Call("chown", {}, -ENOENT);
  c16.abi = Abi::kI386;
  c16.nr = Nr("chown", Abi::kI386);
  c16.args[0] = kA;
  c16.args[1] = 0xffff;
  c16.args[2] = 1000;
  EXPECT_EQ(FlatLine(c16, mem),
            R"(chown("/nonexistent/dc", -1, 1000) = -1 ENOENT (No such file or directory))");
}

TEST(Fidelity, Modes) {
  FakeMemory mem;
  mem.PutStr(kA, "f");
  const char* kEnoent = " = -1 ENOENT (No such file or directory)";
  EXPECT_EQ(FlatLine(Call("chmod", {kA, 051}, -ENOENT), mem),
            std::string(R"(chmod("f", 051))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("chmod", {kA, 0}, -ENOENT), mem),
            std::string(R"(chmod("f", 000))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("chmod", {kA, 04755}, -ENOENT), mem),
            std::string(R"(chmod("f", 04755))") + kEnoent);
  // File-type bits are named for mknod only.
  EXPECT_EQ(FlatLine(Call("mkdir", {kA, 0100000}, -ENOENT), mem),
            std::string(R"(mkdir("f", 0100000))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("fchmodat", {static_cast<uint64_t>(AT_FDCWD), kA, kJunk | 0100644},
                          -ENOENT), mem),
            std::string(R"(fchmodat(AT_FDCWD, "f", 0100644))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("mknod", {kA, S_IFREG | S_ISUID | 0755, 0}, -ENOENT), mem),
            std::string(R"(mknod("f", S_IFREG|S_ISUID|0755))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("mknod", {kA, S_IFIFO | 0644, 0}, -ENOENT), mem),
            std::string(R"(mknod("f", S_IFIFO|0644))") + kEnoent);
  EXPECT_EQ(FlatLine(Call("mknod", {kA, 0170755, 0}, -EINVAL), mem),
            R"(mknod("f", 0170755) = -1 EINVAL (Invalid argument))");
  // umask's result is octal.
  EXPECT_EQ(FlatLine(Call("umask", {022}, 022), mem), "umask(022) = 022");
  EXPECT_EQ(FlatLine(Call("umask", {0777}, 0), mem), "umask(0777) = 000");
}

TEST(Fidelity, UnknownValues) {
  FakeMemory mem;
  mem.PutStr(kA, "f");
  EXPECT_EQ(FlatLine(Call("fsopen", {kA, 2}, -EINVAL), mem),
            R"(fsopen("f", 0x2 /* FSOPEN_??? */) = -1 EINVAL (Invalid argument))");
  EXPECT_EQ(FlatLine(Call("fsopen", {kA, 3}, -EINVAL), mem),
            R"(fsopen("f", FSOPEN_CLOEXEC|0x2) = -1 EINVAL (Invalid argument))");
  EXPECT_EQ(FlatLine(Call("openat", {static_cast<uint64_t>(AT_FDCWD), kA, O_RDONLY | 0x40000000},
                          -ENOENT), mem),
            R"(openat(AT_FDCWD, "f", O_RDONLY|0x40000000) = -1 ENOENT )"
            "(No such file or directory)");
  EXPECT_EQ(FlatLine(Call("lseek", {3, 0, kJunk | 7}, -EINVAL), mem),
            "lseek(3, 0, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("socket", {kJunk | 0xffffffffu, 0, 0}, -EAFNOSUPPORT), mem),
            "socket(0xffffffff /* AF_??? */, 0, 0) = -1 EAFNOSUPPORT (Address family not "
            "supported by protocol)");
  EXPECT_EQ(FlatLine(Call("madvise", {kB, 4096, 25}, -EINVAL), mem),
            "madvise(0x20000, 4096, MADV_COLLAPSE) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("madvise", {kB, 4096, 99}, -EINVAL), mem),
            "madvise(0x20000, 4096, 0x63 /* MADV_??? */) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("mmap", {0, 4096, PROT_READ | 0x100,
                                   MAP_PRIVATE | MAP_ANONYMOUS | (2 << 26), ~0ULL, 0}, kB), mem),
            "mmap(NULL, 4096, PROT_READ|0x100, MAP_PRIVATE|MAP_ANONYMOUS|2<<MAP_HUGE_SHIFT, -1, 0)"
            " = 0x20000");
  EXPECT_EQ(FlatLine(Call("membarrier", {0, 0, 0}, 0x9), mem),
            "membarrier(MEMBARRIER_CMD_QUERY, 0) = 0x9 (MEMBARRIER_CMD_GLOBAL|"
            "MEMBARRIER_CMD_PRIVATE_EXPEDITED)");
  EXPECT_EQ(FlatLine(Call("membarrier", {0x1000, 0, 0}, -EINVAL), mem),
            "membarrier(0x1000 /* MEMBARRIER_CMD_??? */, 0) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("fanotify_init", {0x2000 | 0x1000 | 0x200 | 0x80000000u, O_RDONLY},
                          -EINVAL), mem),
            "fanotify_init(FAN_CLASS_NOTIF|FAN_REPORT_FID|FAN_REPORT_TARGET_FID|"
            "FAN_REPORT_FD_ERROR|0x80000000, O_RDONLY) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("set_mempolicy", {6, 0, 0}, -EINVAL), mem),
            "set_mempolicy(MPOL_WEIGHTED_INTERLEAVE, NULL, 0) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("shutdown", {~0ULL, 7}, -EBADF), mem),
            "shutdown(-1, 0x7 /* SHUT_??? */) = -1 EBADF (Bad file descriptor)");
}

TEST(Fidelity, FlagFieldsAndOrder) {
  FakeMemory mem;
  mem.PutStr(kA, "/nonexistent/dc");
  // statx's sync type: named bits, AT_STATX_SYNC_AS_STAT for 0.
  EXPECT_EQ(FlatLine(Call("statx", {~0ULL, kA, 0x6000 | AT_SYMLINK_NOFOLLOW, 0, kB}, -EBADF), mem),
            R"(statx(-1, "/nonexistent/dc", AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC|)"
            R"(AT_SYMLINK_NOFOLLOW, 0, 0x20000) = -1 EBADF (Bad file descriptor))");
  EXPECT_EQ(FlatLine(Call("statx", {~0ULL, kA, AT_EMPTY_PATH, 0, kB}, -EBADF), mem),
            R"(statx(-1, "/nonexistent/dc", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, 0, 0x20000) = )"
            "-1 EBADF (Bad file descriptor)");
  // An unknown value in a field: hex with the field's comment.
  EXPECT_EQ(FlatLine(Call("mmap", {0, 4096, PROT_READ, 0xf | MAP_FIXED, ~0ULL, 0}, -EINVAL), mem),
            "mmap(NULL, 4096, PROT_READ, 0xf /* MAP_??? */|MAP_FIXED, -1, 0) = -1 EINVAL "
            "(Invalid argument)");
  EXPECT_EQ(FlatLine(Call("fanotify_init", {0xc | 1, O_RDONLY}, -EINVAL), mem),
            "fanotify_init(0xc /* FAN_CLASS_??? */|FAN_CLOEXEC, O_RDONLY) = -1 EINVAL (Invalid "
            "argument)");
  // pipe2 in strace's open_mode_flags order; unshare's and setns's own tables.
  EXPECT_EQ(FlatLine(Call("pipe2", {kB, O_CLOEXEC | O_NONBLOCK | O_DIRECT}, -EFAULT), mem),
            "pipe2(0x20000, O_NONBLOCK|O_DIRECT|O_CLOEXEC) = -1 EFAULT (Bad address)");
  EXPECT_EQ(FlatLine(Call("unshare", {CLONE_NEWNS | CLONE_NEWTIME | CLONE_FS}, 0), mem),
            "unshare(CLONE_NEWTIME|CLONE_FS|CLONE_NEWNS) = 0");
  EXPECT_EQ(FlatLine(Call("setns", {~0ULL, CLONE_NEWNET | CLONE_NEWNS}, -EBADF), mem),
            "setns(-1, CLONE_NEWNS|CLONE_NEWNET) = -1 EBADF (Bad file descriptor)");
  // Fields printed after the flags: page sizes, swap priority.
  EXPECT_EQ(FlatLine(Call("memfd_create", {kA, MFD_HUGETLB | (21u << 26)}, -EINVAL), mem),
            R"(memfd_create("/nonexistent/dc", MFD_HUGETLB|21<<MFD_HUGE_SHIFT) = -1 EINVAL )"
            "(Invalid argument)");
  EXPECT_EQ(FlatLine(Call("shmget", {0x1234, 4096, IPC_CREAT | SHM_HUGETLB | (21u << 26) | 0600},
                          -EPERM), mem),
            "shmget(0x1234, 4096, IPC_CREAT|SHM_HUGETLB|21<<SHM_HUGE_SHIFT|0600) = -1 EPERM "
            "(Operation not permitted)");
  EXPECT_EQ(FlatLine(Call("msgget", {0x1234, 0600}, -ENOENT), mem),
            "msgget(0x1234, 0600) = -1 ENOENT (No such file or directory)");
  EXPECT_EQ(FlatLine(Call("swapon", {kA, 0x8000 | 0x10000 | 5}, -EPERM), mem),
            R"(swapon("/nonexistent/dc", SWAP_FLAG_PREFER|SWAP_FLAG_DISCARD|5) = -1 EPERM )"
            "(Operation not permitted)");
  EXPECT_EQ(FlatLine(Call("swapon", {kA, 0}, -EPERM), mem),
            R"(swapon("/nonexistent/dc", 0) = -1 EPERM (Operation not permitted))");
  EXPECT_EQ(FlatLine(Call("wait4", {~0ULL, 0, WNOHANG | WUNTRACED | __WALL, 0}, -ECHILD), mem),
            "wait4(-1, NULL, WNOHANG|WSTOPPED|__WALL, NULL) = -1 ECHILD (No child processes)");
}

TEST(Fidelity, MemoryEdgeCases) {
  FakeMemory mem;
  // sockaddr: a family's fields only when addrlen covers its struct, else the raw sa_data.
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  mem.PutObj(kA, sin);
  EXPECT_EQ(FlatLine(Call("bind", {4, kA, 8}, -EINVAL), mem),
            R"(bind(4, {sa_family=AF_INET, sa_data="\0P\177\0\0\1"}, 8) = -1 EINVAL )"
            "(Invalid argument)");
  EXPECT_EQ(FlatLine(Call("bind", {4, kA, 1}, -EINVAL), mem),
            "bind(4, 0x10000, 1) = -1 EINVAL (Invalid argument)");
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  strcpy(sun.sun_path, "/nonexistent/dc.sock");
  mem.PutObj(kB, sun);
  EXPECT_EQ(FlatLine(Call("connect", {4, kB, 5}, -ENOENT), mem),
            R"(connect(4, {sa_family=AF_UNIX, sun_path="/no"}, 5) = -1 ENOENT )"
            "(No such file or directory)");
  // A sigsetsize other than 8 prints the set's address (rt_sigpending accepts less).
  uint64_t set = 1 << (SIGUSR1 - 1);
  mem.PutObj(kC, set);
  EXPECT_EQ(FlatLine(Call("rt_sigprocmask", {SIG_BLOCK, kC, 0, 4}, -EINVAL), mem),
            "rt_sigprocmask(SIG_BLOCK, 0x30000, NULL, 4) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("rt_sigprocmask", {SIG_BLOCK, kC, 0, 8}, 0), mem),
            "rt_sigprocmask(SIG_BLOCK, [USR1], NULL, 8) = 0");
  EXPECT_EQ(FlatLine(Call("rt_sigsuspend", {kC, 4}, -EINVAL), mem),
            "rt_sigsuspend(0x30000, 4) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("rt_sigpending", {kC, 4}, 0), mem), "rt_sigpending([USR1], 4) = 0");
}

TEST(Decoder, FdPaths) {
  FakeMemory mem;
  DecodeOptions o;
  o.fd_paths = true;
  o.fd_path = [](pid_t pid, int fd) -> std::optional<std::string> {
    EXPECT_EQ(pid, 42);
    if (fd == AT_FDCWD) return "/tmp";
    if (fd == 3) return "/etc/passwd";
    return std::nullopt;
  };
  EXPECT_EQ(Line(Call("close", {3}, 0), mem, o), "close(3</etc/passwd>)                   = 0");
  EXPECT_EQ(Line(Call("close", {7}, -EBADF), mem, o),
            "close(7)                                = -1 EBADF (Bad file descriptor)");
  mem.PutStr(kA, "/etc/passwd");
  EXPECT_EQ(Line(Call("openat", {static_cast<uint64_t>(AT_FDCWD), kA, O_RDONLY}, 3), mem, o),
            R"(openat(AT_FDCWD</tmp>, "/etc/passwd", O_RDONLY) = 3</etc/passwd>)");
}

// A file's name is chosen by whoever made the file: -y escapes it as strace 6.1 prints it
// (checked against strace in tests/security/outputs_test.cc), so that it cannot forge a line
// or send terminal escapes.
TEST(Decoder, FdPathsAreEscapedAsStraceDoes) {
  FakeMemory mem;
  DecodeOptions o;
  o.fd_paths = true;
  o.fd_path = [](pid_t, int fd) -> std::optional<std::string> {
    if (fd == 3) return std::string("/t/x\n+++ exited with 0 +++\n\033[31mred<a>\"q\"\\b\tz\001\2007");
    return std::nullopt;
  };
  EXPECT_EQ(Line(Call("close", {3}, 0), mem, o),
            R"(close(3</t/x\n+++ exited with 0 +++\n\33[31mred\74a\76\"q\"\\b\tz\1\2007>) = 0)");
}

TEST(Decoder, MmapAndBrk) {
  FakeMemory mem;
  EXPECT_EQ(Line(Call("mmap", {0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               static_cast<uint64_t>(-1), 0}, 0x7f64a6f06000), mem),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
            "0x7f64a6f06000");
  EXPECT_EQ(Line(Call("brk", {0}, 0x55d5f17e0000), mem),
            "brk(NULL)                               = 0x55d5f17e0000");
  EXPECT_EQ(Line(Call("mprotect", {0x7f0000000000, 4096, PROT_NONE}, 0), mem),
            "mprotect(0x7f0000000000, 4096, PROT_NONE) = 0");
}

TEST(Decoder, UnknownSyscall) {
  FakeMemory mem;
  SyscallCall c;
  c.nr = 0x3ff;
  c.args[0] = 1;
  c.ret = -ENOSYS;
  DecodedCall d = Decode(c, mem);
  EXPECT_EQ(d.name, "syscall_0x3ff");
  EXPECT_NE(d.Line().find("= -1 ENOSYS (Function not implemented)"), std::string::npos);
}

TEST(Decoder, I386Write) {
  FakeMemory mem;
  mem.Put(kA, "hi\n");
  SyscallCall c;
  c.abi = Abi::kI386;
  c.nr = Nr("write", Abi::kI386);
  c.args[0] = 0xffffffff00000001ull;  // upper halves are not part of an i386 argument
  c.args[1] = kA;
  c.args[2] = 3;
  c.ret = 3;
  EXPECT_EQ(Decode(c, mem).Line(), R"(write(1, "hi\n", 3)                     = 3)");
}

// ---- structs ----

TEST(Structs, Stat) {
  FakeMemory mem;
  struct stat st{};
  st.st_mode = S_IFREG | 0644;
  st.st_size = 1234;
  mem.PutObj(kB, st);
  mem.PutStr(kA, "/etc/passwd");
  EXPECT_EQ(Line(Call("newfstatat", {static_cast<uint64_t>(AT_FDCWD), kA, kB, 0}, 0), mem),
            R"(newfstatat(AT_FDCWD, "/etc/passwd", {st_mode=S_IFREG|0644, st_size=1234, ...}, 0) = 0)");
  struct stat dev{};
  dev.st_mode = S_IFCHR | 0666;
  dev.st_rdev = makedev(1, 3);
  mem.PutObj(kC, dev);
  EXPECT_EQ(Line(Call("fstat", {0, kC}, 0), mem),
            "fstat(0, {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0");
  // Not written on failure: the pointer.
  EXPECT_EQ(Line(Call("fstat", {9, kC}, -EBADF), mem),
            "fstat(9, 0x30000)                       = -1 EBADF (Bad file descriptor)");
}

TEST(Structs, Sockaddrs) {
  FakeMemory mem;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  mem.PutObj(kA, in);
  EXPECT_EQ(Line(Call("connect", {3, kA, sizeof(in)}, 0), mem),
            "connect(3, {sa_family=AF_INET, sin_port=htons(80), "
            "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0");
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path, "/run/x");
  mem.PutObj(kB, un);
  EXPECT_EQ(Line(Call("bind", {3, kB, sizeof(un)}, 0), mem),
            R"(bind(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0)");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  mem.PutObj(kC, in6);
  EXPECT_EQ(Line(Call("connect", {3, kC, sizeof(in6)}, 0), mem),
            "connect(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), "
            "inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, 28) = 0");
}

TEST(Structs, SocklenInOut) {
  FakeMemory mem;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path + 1, "abstract");
  mem.PutObj(kA, un);
  mem.PutObj(kB, uint32_t{110});
  Decoder d({});
  DecodedCall out;
  SyscallCall c = Call("getsockname", {7, kA, kB}, 0);
  d.Entry(c, mem, &out);
  EXPECT_EQ(out.EntryText(), "getsockname(7, ");
  mem.PutObj(kB, uint32_t{11});  // the kernel writes the length
  d.Exit(c, mem, &out);
  EXPECT_EQ(out.Line(), R"(getsockname(7, {sa_family=AF_UNIX, sun_path=@"abstract"}, [110 => 11]) = 0)");
}

TEST(Structs, IovecAndMsghdr) {
  FakeMemory mem;
  mem.Put(kA, "hello");
  mem.Put(kA + 0x100, "world!");
  iovec iov[2] = {{reinterpret_cast<void*>(kA), 5}, {reinterpret_cast<void*>(kA + 0x100), 6}};
  mem.PutObj(kB, iov);
  EXPECT_EQ(Line(Call("writev", {1, kB, 2}, 11), mem),
            R"(writev(1, [{iov_base="hello", iov_len=5}, {iov_base="world!", iov_len=6}], 2) = 11)");
  // readv: only the bytes read are shown.
  EXPECT_EQ(Line(Call("readv", {0, kB, 2}, 7), mem),
            R"(readv(0, [{iov_base="hello", iov_len=5}, {iov_base="wo", iov_len=6}], 2) = 7)");
  msghdr m{};
  m.msg_iov = reinterpret_cast<iovec*>(kB);
  m.msg_iovlen = 1;
  mem.PutObj(kC, m);
  EXPECT_EQ(Line(Call("sendmsg", {3, kC, 0}, 5), mem),
            "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"hello\", "
            "iov_len=5}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 5");
}

TEST(Structs, TimeStructs) {
  FakeMemory mem;
  timespec ts{1, 500};
  mem.PutObj(kA, ts);
  EXPECT_EQ(Line(Call("nanosleep", {kA, 0}, 0), mem),
            "nanosleep({tv_sec=1, tv_nsec=500}, NULL) = 0");
  EXPECT_EQ(Line(Call("clock_gettime", {CLOCK_MONOTONIC, kA}, 0), mem),
            "clock_gettime(CLOCK_MONOTONIC, {tv_sec=1, tv_nsec=500}) = 0");
  timeval tv{2, 3};
  mem.PutObj(kB, tv);
  struct timezone tz{0, 0};
  mem.PutObj(kC, tz);
  EXPECT_EQ(Line(Call("gettimeofday", {kB, kC}, 0), mem),
            "gettimeofday({tv_sec=2, tv_usec=3}, {tz_minuteswest=0, tz_dsttime=0}) = 0");
  itimerval itv{{0, 0}, {1, 0}};
  mem.PutObj(kD, itv);
  EXPECT_EQ(Line(Call("setitimer", {ITIMER_REAL, kD, 0}, 0), mem),
            "setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=1, "
            "tv_usec=0}}, NULL) = 0");
}

struct KernelSigaction {
  uint64_t handler, flags, restorer, mask;
};

TEST(Structs, SigactionAndSigset) {
  FakeMemory mem;
  KernelSigaction act{0x55d5ba6e5dc0, 0x04000000 /* SA_RESTORER */ | SA_RESTART, 0x7f64a6d55050, 0};
  act.mask = ~((1ull << 31) | (1ull << 32));  // all but 32 and 33
  mem.PutObj(kA, act);
  KernelSigaction old{0, 0, 0, 0};
  mem.PutObj(kB, old);
  EXPECT_EQ(Line(Call("rt_sigaction", {SIGCHLD, kA, kB, 8}, 0), mem),
            "rt_sigaction(SIGCHLD, {sa_handler=0x55d5ba6e5dc0, sa_mask=~[RTMIN RT_1], "
            "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f64a6d55050}, {sa_handler=SIG_DFL, "
            "sa_mask=[], sa_flags=0}, 8) = 0");
  uint64_t set = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
  mem.PutObj(kC, set);
  EXPECT_EQ(Line(Call("rt_sigprocmask", {SIG_BLOCK, kC, 0, 8}, 0), mem),
            "rt_sigprocmask(SIG_BLOCK, [INT TERM], NULL, 8) = 0");
  EXPECT_EQ(Line(Call("kill", {42, SIGUSR1}, 0), mem),
            "kill(42, SIGUSR1)                       = 0");
}

TEST(Structs, Clone) {
  FakeMemory mem;
  Decoder d({});
  DecodedCall out;
  SyscallCall c = Call("clone", {CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0,
                                 0x7f8410be9a10, 0}, 4243);
  d.Entry(c, mem, &out);
  EXPECT_EQ(out.EntryText(), "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  d.Exit(c, mem, &out);
  EXPECT_EQ(out.Line(),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
            "child_tidptr=0x7f8410be9a10) = 4243");
  EXPECT_EQ(out.ResumedText(19), ", child_tidptr=0x7f8410be9a10) = 4243");

  clone_args ca{};
  ca.flags = CLONE_VM | CLONE_VFORK;
  ca.exit_signal = SIGCHLD;
  ca.stack = 0x7f0000001000;
  ca.stack_size = 0x9000;
  mem.PutObj(kA, ca);
  EXPECT_EQ(Line(Call("clone3", {kA, sizeof(ca)}, 99), mem),
            "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f0000001000, "
            "stack_size=0x9000}, 88) = 99");

  // A thread: the kernel writes the new tid through parent_tid, shown after " => ".
  ca.flags = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_PARENT_SETTID;
  ca.exit_signal = 0;
  ca.parent_tid = kB;
  mem.PutObj(kA, ca);
  SyscallCall c3 = Call("clone3", {kA, sizeof(ca)}, 19162);
  DecodedCall t;
  d.Entry(c3, mem, &t);
  EXPECT_EQ(t.EntryText(), "clone3({flags=CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_PARENT_SETTID, "
                           "parent_tid=0x20000, exit_signal=0, stack=0x7f0000001000, "
                           "stack_size=0x9000}");
  mem.PutObj(kB, int32_t{19162});
  d.Exit(c3, mem, &t);
  EXPECT_EQ(t.ResumedText(20), " => {parent_tid=[19162]}, 88) = 19162");
  EXPECT_EQ(t.Line(), "clone3({flags=CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_PARENT_SETTID, "
                      "parent_tid=0x20000, exit_signal=0, stack=0x7f0000001000, "
                      "stack_size=0x9000} => {parent_tid=[19162]}, 88) = 19162");
}

TEST(Structs, RecvmsgNamelen) {
  FakeMemory mem;
  mem.Put(kA, std::string(10, 'x'));
  iovec iov{reinterpret_cast<void*>(kA), 10};
  mem.PutObj(kB, iov);
  msghdr m{};
  m.msg_name = reinterpret_cast<void*>(kD);
  m.msg_namelen = 110;
  m.msg_iov = reinterpret_cast<iovec*>(kB);
  m.msg_iovlen = 1;
  mem.PutObj(kC, m);
  SyscallCall c = Call("recvmsg", {4, kC, 0}, 1);
  Decoder d({});
  DecodedCall out;
  d.Entry(c, mem, &out);
  m.msg_namelen = 0;
  mem.PutObj(kC, m);
  d.Exit(c, mem, &out);
  EXPECT_EQ(out.Line(), "recvmsg(4, {msg_name=0x40000, msg_namelen=110 => 0, msg_iov=[{iov_base="
                        "\"x\", iov_len=10}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 1");
}

TEST(Structs, PollAndEpoll) {
  FakeMemory mem;
  pollfd fds[2] = {{3, POLLIN, 0}, {4, POLLIN | POLLOUT, 0}};
  mem.PutObj(kA, fds);
  Decoder d({});
  DecodedCall out;
  SyscallCall c = Call("poll", {kA, 2, static_cast<uint64_t>(-1)}, 1);
  d.Entry(c, mem, &out);
  fds[1].revents = POLLOUT;
  mem.PutObj(kA, fds);
  d.Exit(c, mem, &out);
  EXPECT_EQ(out.Line(), "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, -1) = 1 "
                        "([{fd=4, revents=POLLOUT}])");
  EXPECT_EQ(Line(Call("poll", {kA, 2, 0}, 0), mem),
            "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLIN|POLLOUT}], 2, 0) = 0 (Timeout)");

  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 5;
  mem.PutObj(kB, ev);
  EXPECT_EQ(Line(Call("epoll_ctl", {3, EPOLL_CTL_ADD, 5, kB}, 0), mem),
            "epoll_ctl(3, EPOLL_CTL_ADD, 5, {events=EPOLLIN, data={u32=5, u64=5}}) = 0");
  EXPECT_EQ(Line(Call("epoll_wait", {3, kB, 8, 100}, 1), mem),
            "epoll_wait(3, [{events=EPOLLIN, data={u32=5, u64=5}}], 8, 100) = 1");
}

TEST(Structs, Select) {
  FakeMemory mem;
  uint64_t rset = (1u << 3) | (1u << 4);
  mem.PutObj(kA, rset);
  timeval tv{1, 0};
  mem.PutObj(kB, tv);
  Decoder d({});
  DecodedCall out;
  SyscallCall c = Call("select", {5, kA, 0, 0, kB}, 1);
  d.Entry(c, mem, &out);
  mem.PutObj(kA, uint64_t{1u << 3});
  timeval left{0, 500};
  mem.PutObj(kB, left);
  d.Exit(c, mem, &out);
  EXPECT_EQ(out.Line(), "select(5, [3 4], NULL, NULL, {tv_sec=1, tv_usec=0}) = 1 (in [3], left "
                        "{tv_sec=0, tv_usec=500})");
}

TEST(Structs, Execve) {
  FakeMemory mem;
  mem.PutStr(kA, "/usr/bin/cat");
  mem.PutStr(kA + 0x100, "cat");
  mem.PutStr(kA + 0x200, "/etc/hostname");
  uint64_t argv[3] = {kA + 0x100, kA + 0x200, 0};
  mem.PutObj(kB, argv);
  uint64_t envp[3] = {kA + 0x100, kA + 0x100, 0};
  mem.PutObj(kC, envp);
  EXPECT_EQ(Line(Call("execve", {kA, kB, kC}, 0), mem),
            R"(execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x30000 /* 2 vars */) = 0)");
  DecodeOptions o;
  o.string_limit = 1;
  EXPECT_EQ(Line(Call("execve", {kA, kB, kC}, -ENOENT), mem, o),
            R"(execve("/usr/bin/cat", ["c"..., ...], 0x30000 /* 2 vars */) = -1 ENOENT (No such file or directory))");
}

TEST(Structs, Wait4) {
  FakeMemory mem;
  mem.PutObj(kA, int32_t{0});
  EXPECT_EQ(Line(Call("wait4", {static_cast<uint64_t>(-1), kA, 0, 0}, 77), mem),
            "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 77");
  mem.PutObj(kA, int32_t{SIGKILL});
  EXPECT_EQ(Line(Call("wait4", {77, kA, __WALL, 0}, 77), mem),
            "wait4(77, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], __WALL, NULL) = 77");
  mem.PutObj(kA, int32_t{(SIGTRAP << 8) | 0x7f | (PTRACE_EVENT_EXEC << 16)});
  EXPECT_EQ(Line(Call("wait4", {77, kA, 0, 0}, 77), mem),
            "wait4(77, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP} | PTRACE_EVENT_EXEC << 16], 0, "
            "NULL) = 77");
  EXPECT_EQ(Line(Call("wait4", {static_cast<uint64_t>(-1), kA, WNOHANG, 0}, -ECHILD), mem),
            "wait4(-1, 0x10000, WNOHANG, NULL)       = -1 ECHILD (No child processes)");
}

TEST(Structs, DirentsPipeRlimitUname) {
  FakeMemory mem;
  std::string buf;
  for (int i = 0; i < 3; ++i) {
    char rec[24] = {};
    uint16_t reclen = 24;
    memcpy(rec + 16, &reclen, 2);
    rec[19] = 'a' + i;
    buf.append(rec, sizeof(rec));
  }
  mem.Put(kA, buf);
  EXPECT_EQ(Line(Call("getdents64", {3, kA, 32768}, 72), mem),
            "getdents64(3, 0x10000 /* 3 entries */, 32768) = 72");
  int fds[2] = {3, 4};
  mem.PutObj(kB, fds);
  EXPECT_EQ(Line(Call("pipe2", {kB, O_CLOEXEC}, 0), mem),
            "pipe2([3, 4], O_CLOEXEC)                = 0");
  rlimit rl{8192 * 1024, RLIM_INFINITY};
  mem.PutObj(kC, rl);
  EXPECT_EQ(Line(Call("prlimit64", {0, RLIMIT_STACK, 0, kC}, 0), mem),
            "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0");
  utsname u{};
  strcpy(u.sysname, "Linux");
  strcpy(u.nodename, "box");
  mem.PutObj(kD, u);
  EXPECT_EQ(Line(Call("uname", {kD}, 0), mem),
            R"(uname({sysname="Linux", nodename="box", ...}) = 0)");
}

TEST(Calls, FcntlIoctlFutexGetrandom) {
  FakeMemory mem;
  EXPECT_EQ(Line(Call("fcntl", {3, F_GETFD}, 1), mem),
            "fcntl(3, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)");
  EXPECT_EQ(Line(Call("fcntl", {3, F_SETFD, FD_CLOEXEC}, 0), mem),
            "fcntl(3, F_SETFD, FD_CLOEXEC)           = 0");
  EXPECT_EQ(Line(Call("fcntl", {3, F_GETFL}, O_RDWR | O_NONBLOCK), mem),
            "fcntl(3, F_GETFL)                       = 0x802 (flags O_RDWR|O_NONBLOCK)");
  EXPECT_EQ(Line(Call("fcntl", {3, F_DUPFD_CLOEXEC, 10}, 10), mem),
            "fcntl(3, F_DUPFD_CLOEXEC, 10)           = 10");
  EXPECT_EQ(Line(Call("ioctl", {1, TCGETS, kA}, -ENOTTY), mem),
            "ioctl(1, TCGETS, 0x10000)               = -1 ENOTTY (Inappropriate ioctl for "
            "device)");
  winsize ws{24, 80, 0, 0};
  mem.PutObj(kA, ws);
  EXPECT_EQ(Line(Call("ioctl", {1, TIOCGWINSZ, kA}, 0), mem),
            "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0");
  EXPECT_EQ(Line(Call("ioctl", {3, _IOC(_IOC_READ, 0x99, 0x1, 8), kA}, -ENOTTY), mem),
            "ioctl(3, _IOC(_IOC_READ, 0x99, 0x1, 0x8), 0x10000) = -1 ENOTTY (Inappropriate "
            "ioctl for device)");
  EXPECT_EQ(Line(Call("ioctl", {3, 0x1234, 0}, -ENOTTY), mem),
            "ioctl(3, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for "
            "device)");
  EXPECT_EQ(Line(Call("ioctl", {3, TCGETS, 0}, -ENOTTY), mem),
            "ioctl(3, TCGETS, NULL)                  = -1 ENOTTY (Inappropriate ioctl for device)");
  struct {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line, cc[19];
  } tios = {ICRNL | IXON, OPOST | ONLCR, B38400 | CS8 | CREAD,
            ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE, 0, {}};
  mem.PutObj(kC, tios);
  EXPECT_EQ(Line(Call("ioctl", {0, TCGETS, kC}, 0), mem),
            "ioctl(0, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, "
            "c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, "
            "...}) = 0");
  tios.iflag = 0;
  mem.PutObj(kC, tios);
  EXPECT_EQ(Line(Call("ioctl", {0, TCSETSW, kC}, 0), mem).substr(0, 50),
            "ioctl(0, SNDCTL_TMR_STOP or TCSETSW, {c_iflag=, c_");
  EXPECT_EQ(Line(Call("ioctl", {3, FIOCLEX}, 0), mem), "ioctl(3, FIOCLEX)                       = 0");
  EXPECT_EQ(Line(Call("futex", {0x7fed20b1ea4c, FUTEX_WAKE_PRIVATE, 2147483647}, 0), mem),
            "futex(0x7fed20b1ea4c, FUTEX_WAKE_PRIVATE, 2147483647) = 0");
  mem.Put(kB, "\x79\x65\xd6\x56");
  EXPECT_EQ(Line(Call("getrandom", {kB, 4, GRND_NONBLOCK}, 4), mem),
            R"(getrandom("\x79\x65\xd6\x56", 4, GRND_NONBLOCK) = 4)");
}

TEST(Calls, MoreArguments) {
  FakeMemory mem;
  uint32_t gids[2] = {0, 27};
  mem.PutObj(kA, gids);
  EXPECT_EQ(Line(Call("getgroups", {2, kA}, 2), mem), "getgroups(2, [0, 27])                   = 2");
  EXPECT_EQ(Line(Call("getgroups", {0, 0}, 2), mem), "getgroups(0, NULL)                      = 2");
  mem.PutObj(kB, int32_t{1});
  EXPECT_EQ(Line(Call("setsockopt", {3, SOL_SOCKET, SO_REUSEADDR, kB, 4}, 0), mem),
            "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
  EXPECT_EQ(Line(Call("setsockopt", {3, SOL_IP, IP_RECVERR, kB, 4}, 0), mem),
            "setsockopt(3, SOL_IP, IP_RECVERR, [1], 4) = 0");
  EXPECT_EQ(Line(Call("socket", {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0}, 3), mem),
            "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3");
  EXPECT_EQ(Line(Call("socket", {AF_UNIX, SOCK_DGRAM, 0}, 3), mem),
            "socket(AF_UNIX, SOCK_DGRAM, 0)          = 3");
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_len = 10;
  mem.PutObj(kC, fl);
  EXPECT_EQ(Line(Call("fcntl", {3, F_SETLKW, kC}, 0), mem),
            "fcntl(3, F_SETLKW, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=10}) = 0");
  mem.PutStr(kD, "worker");
  EXPECT_EQ(Line(Call("prctl", {PR_SET_NAME, kD, 0, 0, 0}, 0), mem),
            R"(prctl(PR_SET_NAME, "worker")            = 0)");
  EXPECT_EQ(Line(Call("prctl", {PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0}, 0), mem),
            "prctl(PR_SET_PDEATHSIG, SIGKILL)        = 0");
  uint64_t all = ~0ull;
  mem.PutObj(kA + 0x100, all);
  EXPECT_EQ(Line(Call("rt_sigprocmask", {SIG_BLOCK, kA + 0x100, 0, 8}, 0), mem),
            "rt_sigprocmask(SIG_BLOCK, ~[], NULL, 8) = 0");
  EXPECT_EQ(Line(Call("rseq", {0x7f8410bea060, 0x20, 0, 0x53053053}, 0), mem),
            "rseq(0x7f8410bea060, 0x20, 0, 0x53053053) = 0");
}

TEST(Calls, PipeWithFdPaths) {
  FakeMemory mem;
  int fds[2] = {3, 4};
  mem.PutObj(kA, fds);
  DecodeOptions o;
  o.fd_paths = true;
  o.fd_path = [](pid_t, int fd) -> std::optional<std::string> {
    return "pipe:[" + std::to_string(100 + fd) + "]";
  };
  EXPECT_EQ(Line(Call("pipe2", {kA, O_CLOEXEC}, 0), mem, o),
            "pipe2([3<pipe:[103]>, 4<pipe:[104]>], O_CLOEXEC) = 0");
  // A failed pipe2 did not write the fds.
  EXPECT_EQ(Line(Call("pipe2", {kA, O_CLOEXEC}, -EMFILE), mem, o),
            "pipe2(0x10000, O_CLOEXEC)               = -1 EMFILE (Too many open files)");
}

TEST(Structs, RemainingDecoders) {
  FakeMemory mem;
  // statfs
  struct statfs sf{};
  sf.f_type = 0xef53;
  sf.f_bsize = 4096;
  sf.f_namelen = 255;
  sf.f_frsize = 4096;
  sf.f_flags = 0x20 | 0x1000;
  mem.PutObj(kA, sf);
  mem.PutStr(kB, "/");
  EXPECT_EQ(Line(Call("statfs", {kB, kA}, 0), mem),
            "statfs(\"/\", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=0, f_bfree=0, "
            "f_bavail=0, f_files=0, f_ffree=0, f_fsid={val=[0, 0]}, f_namelen=255, "
            "f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0");
  // statx
  struct statx sx{};
  sx.stx_mask = STATX_BASIC_STATS;
  sx.stx_attributes = STATX_ATTR_MOUNT_ROOT;
  sx.stx_mode = S_IFDIR | 0755;
  sx.stx_size = 4096;
  mem.PutObj(kC, sx);
  EXPECT_EQ(Line(Call("statx", {static_cast<uint64_t>(AT_FDCWD), kB, 0, STATX_BASIC_STATS, kC},
                      0), mem),
            "statx(AT_FDCWD, \"/\", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS, "
            "stx_attributes=STATX_ATTR_MOUNT_ROOT, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0");
  // getrusage, times, sched_getparam, sched_getattr
  struct rusage ru{};
  ru.ru_utime.tv_usec = 1000;
  mem.PutObj(kD, ru);
  EXPECT_EQ(Line(Call("getrusage", {RUSAGE_SELF, kD}, 0), mem),
            "getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=1000}, ru_stime={tv_sec=0, "
            "tv_usec=0}, ...}) = 0");
  struct tms t{};
  t.tms_utime = 0;
  mem.PutObj(kD, t);
  EXPECT_EQ(Line(Call("times", {kD}, 1234), mem),
            "times({tms_utime=0, tms_stime=0, tms_cutime=0, tms_cstime=0}) = 1234");
  mem.PutObj(kD, int32_t{0});
  EXPECT_EQ(Line(Call("sched_getparam", {0, kD}, 0), mem),
            "sched_getparam(0, [0])                  = 0");
  uint32_t attr[12] = {48};
  mem.PutObj(kD, attr);
  EXPECT_EQ(Line(Call("sched_getattr", {0, kD, 48, 0}, 0), mem),
            "sched_getattr(0, {size=48, sched_policy=SCHED_OTHER, sched_flags=0, sched_nice=0, "
            "sched_priority=0, sched_runtime=0, sched_deadline=0, sched_period=0}, 48, 0) = 0");
  // openat2
  open_how how{O_RDONLY | O_CLOEXEC, 0, 0};
  mem.PutObj(kD, how);
  EXPECT_EQ(Line(Call("openat2", {static_cast<uint64_t>(AT_FDCWD), kB, kD, sizeof(how)}, 3),
                 mem),
            "openat2(AT_FDCWD, \"/\", {flags=O_RDONLY|O_CLOEXEC, resolve=0}, 24) = 3");
  // sigaltstack
  stack_t st{};
  st.ss_sp = reinterpret_cast<void*>(0x7f0000000000);
  st.ss_size = 8192;
  mem.PutObj(kD, st);
  EXPECT_EQ(Line(Call("sigaltstack", {kD, 0}, 0), mem),
            "sigaltstack({ss_sp=0x7f0000000000, ss_flags=0, ss_size=8192}, NULL) = 0");
  // waitid's siginfo
  siginfo_t si{};
  si.si_signo = SIGCHLD;
  si.si_code = CLD_EXITED;
  si.si_pid = 9;
  si.si_status = 3;
  mem.PutObj(kD, si);
  EXPECT_EQ(Line(Call("waitid", {P_PID, 9, kD, WEXITED, 0}, 0), mem),
            "waitid(P_PID, 9, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=9, si_uid=0, "
            "si_status=3, si_utime=0, si_stime=0}, WEXITED, NULL) = 0");
  // timerfd_settime's itimerspec
  itimerspec its{{0, 0}, {1, 5}};
  mem.PutObj(kD, its);
  EXPECT_EQ(Line(Call("timerfd_settime", {3, 0, kD, 0}, 0), mem),
            "timerfd_settime(3, 0, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=1, "
            "tv_nsec=5}}, NULL) = 0");
  // seccomp's sock_fprog
  struct {
    uint16_t len;
    uint64_t filter;
  } prog = {4, 0x5000};
  mem.PutObj(kD, prog);
  EXPECT_EQ(Line(Call("seccomp", {1, 0, kD}, 0), mem),
            "seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=4, filter=0x5000}) = 0");
  // capget
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  mem.PutObj(kC, hdr);
  __user_cap_data_struct data[2] = {{1u << CAP_CHOWN | 1u << CAP_KILL, 1u << CAP_CHOWN, 0}, {}};
  mem.PutObj(kD, data);
  EXPECT_EQ(Line(Call("capget", {kC, kD}, 0), mem),
            "capget({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=1<<CAP_CHOWN|"
            "1<<CAP_KILL, permitted=1<<CAP_CHOWN, inheritable=0}) = 0");
}

TEST(Structs, SysinfoAndGetdents) {
  FakeMemory mem;
  struct sysinfo si{};
  si.uptime = 1403;
  si.loads[0] = 197696;
  si.totalram = 1024;
  si.procs = 125;
  si.mem_unit = 1;
  mem.PutObj(kA, si);
  EXPECT_EQ(Line(Call("sysinfo", {kA}, 0), mem),
            "sysinfo({uptime=1403, loads=[197696, 0, 0], totalram=1024, freeram=0, sharedram=0, "
            "bufferram=0, totalswap=0, freeswap=0, procs=125, totalhigh=0, freehigh=0, "
            "mem_unit=1}) = 0");
  std::string recs(48, '\0');
  recs[16] = 24;
  recs[24 + 16] = 24;
  mem.Put(kB, recs);
  EXPECT_EQ(Line(Call("getdents", {3, kB, 4096}, 48), mem),
            "getdents(3, 0x20000 /* 2 entries */, 4096) = 48");
  EXPECT_EQ(Line(Call("getdents64", {3, kB, 4096}, 0), mem),
            "getdents64(3, 0x20000 /* 0 entries */, 4096) = 0");
}

TEST(Structs, IpcAndMiscDecoders) {
  FakeMemory mem;
  sembuf ops[2] = {{0, -1, SEM_UNDO}, {1, 1, 0}};
  mem.PutObj(kA, ops);
  EXPECT_EQ(Line(Call("semop", {5, kA, 2}, 0), mem),
            "semop(5, [{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}, {sem_num=1, sem_op=1, "
            "sem_flg=0}], 2) = 0");
  struct mq_attr ma{};
  ma.mq_maxmsg = 10;
  ma.mq_msgsize = 8192;
  mem.PutObj(kB, ma);
  EXPECT_EQ(Line(Call("mq_getsetattr", {3, kB, 0}, 0), mem),
            "mq_getsetattr(3, {mq_flags=0, mq_maxmsg=10, mq_msgsize=8192, mq_curmsgs=0}, NULL) "
            "= 0");
  struct mount_attr mattr{};
  mem.PutObj(kC, mattr);
  mem.PutStr(kD, "/mnt");
  EXPECT_EQ(Line(Call("mount_setattr", {static_cast<uint64_t>(AT_FDCWD), kD, 0, kC,
                                        sizeof(mattr)}, 0), mem),
            "mount_setattr(AT_FDCWD, \"/mnt\", 0, {attr_set=0, attr_clr=0, propagation=0, "
            "userns_fd=0}, 32) = 0");
  io_uring_params up{};
  up.sq_entries = 8;
  up.cq_entries = 16;
  mem.PutObj(kA + 0x100, up);
  EXPECT_EQ(Line(Call("io_uring_setup", {8, kA + 0x100}, 3), mem),
            "io_uring_setup(8, {sq_entries=8, cq_entries=16, flags=0, sq_thread_cpu=0, "
            "sq_thread_idle=0, features=0, wq_fd=0, ...}) = 3");
  // Timeouts print as structs, but NULL stays NULL.
  EXPECT_EQ(Line(Call("semtimedop", {5, kA, 1, 0}, 0), mem),
            "semtimedop(5, [{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}], 1, NULL) = 0");
  // sendmmsg / recvmmsg
  mem.Put(kB + 0x100, "abc");
  iovec iov{reinterpret_cast<void*>(kB + 0x100), 3};
  mem.PutObj(kC + 0x100, iov);
  mmsghdr mm{};
  mm.msg_hdr.msg_iov = reinterpret_cast<iovec*>(kC + 0x100);
  mm.msg_hdr.msg_iovlen = 1;
  mm.msg_len = 3;
  mem.PutObj(kD + 0x100, mm);
  EXPECT_EQ(Line(Call("sendmmsg", {3, kD + 0x100, 1, 0}, 1), mem),
            "sendmmsg(3, [{msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", "
            "iov_len=3}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=3}], 1, 0) = 1");
  // i386 _llseek writes a 64-bit result.
  mem.PutObj(kA + 0x200, uint64_t{4096});
  SyscallCall ll;
  ll.abi = Abi::kI386;
  ll.nr = Nr("_llseek", Abi::kI386);
  ll.args[0] = 3;
  ll.args[2] = 4096;
  ll.args[3] = kA + 0x200;
  ll.args[4] = SEEK_SET;
  EXPECT_EQ(Decode(ll, mem).Line(), "_llseek(3, 0, 4096, [4096], SEEK_SET)   = 0");
}

// ---- siginfo ----

TEST(Siginfo, Formats) {
  siginfo_t si{};
  si.si_signo = SIGCHLD;
  si.si_code = CLD_EXITED;
  si.si_pid = 42;
  si.si_uid = 0;
  si.si_status = 0;
  EXPECT_EQ(FormatSiginfo(si), "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, "
                               "si_status=0, si_utime=0, si_stime=0}");
  si.si_code = CLD_KILLED;
  si.si_status = SIGKILL;
  EXPECT_EQ(FormatSiginfo(si), "{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=42, si_uid=0, "
                               "si_status=SIGKILL, si_utime=0, si_stime=0}");
  siginfo_t segv{};
  segv.si_signo = SIGSEGV;
  segv.si_code = SEGV_MAPERR;
  segv.si_addr = reinterpret_cast<void*>(0x1234);
  EXPECT_EQ(FormatSiginfo(segv), "{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x1234}");
  siginfo_t user{};
  user.si_signo = SIGUSR1;
  user.si_code = SI_USER;
  user.si_pid = 7;
  user.si_uid = 1000;
  EXPECT_EQ(FormatSiginfo(user), "{si_signo=SIGUSR1, si_code=SI_USER, si_pid=7, si_uid=1000}");
}

TEST(Siginfo, SeccompSigsys) {
  // A real SIGSYS from a seccomp filter, caught in a forked child and sent back over a pipe.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(p[0]);
    struct sigaction sa{};
    static int out_fd;
    out_fd = p[1];
    sa.sa_sigaction = [](int, siginfo_t* info, void*) {
      (void)!write(out_fd, info, sizeof(*info));
      _exit(0);
    };
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, nullptr);
    // seccomp(SECCOMP_SET_MODE_FILTER) with a one-rule filter trapping getppid.
    struct sock_filter_t {
      uint16_t code;
      uint8_t jt, jf;
      uint32_t k;
    };
    sock_filter_t filter[] = {
        {0x20, 0, 0, 0},                                            // ld nr
        {0x15, 0, 1, static_cast<uint32_t>(SYS_getppid)},           // jeq getppid
        {0x06, 0, 0, 0x00030000},                                   // ret TRAP
        {0x06, 0, 0, 0x7fff0000},                                   // ret ALLOW
    };
    struct {
      uint16_t len;
      sock_filter_t* filter;
    } prog = {4, filter};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, 1, 0, &prog) != 0) _exit(2);
    syscall(SYS_getppid);
    _exit(3);
  }
  close(p[1]);
  siginfo_t si{};
  ssize_t n = read(p[0], &si, sizeof(si));
  close(p[0]);
  int status;
  waitpid(pid, &status, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof(si)));
  std::string s = FormatSiginfo(si);
  EXPECT_TRUE(s.starts_with("{si_signo=SIGSYS, si_code=SYS_SECCOMP, si_call_addr=0x")) << s;
  EXPECT_TRUE(s.ends_with(", si_syscall=__NR_getppid, si_arch=AUDIT_ARCH_X86_64}")) << s;
}

TEST(Signals, Names) {
  EXPECT_EQ(SignalName(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(SignalName(32), "SIGRTMIN");
  EXPECT_EQ(SignalName(35), "SIGRT_3");
  EXPECT_EQ(SignalName(0), "");
}

// ---- a real process through ProcessMemory ----

char g_known[] = "/etc/known-path";

class Child {
 public:
  Child() {
    EXPECT_EQ(pipe(p_), 0);
    pid_ = fork();
    if (pid_ == 0) {
      char c;
      close(p_[1]);
      (void)!read(p_[0], &c, 1);
      _exit(0);
    }
    close(p_[0]);
  }
  ~Child() {
    close(p_[1]);
    int status;
    waitpid(pid_, &status, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  int p_[2];
  pid_t pid_;
};

TEST(ProcessMemory, ReadsAChildsMemory) {
  // Set up a page followed by an unmapped one before the fork: the child has the same layout.
  char* pages = static_cast<char*>(
      mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(pages, MAP_FAILED);
  ASSERT_EQ(munmap(pages + 4096, 4096), 0);
  memcpy(pages + 4096 - 4, "tail", 4);
  Child child;
  g_known[1] = 'X';  // the parent's copy changes; the child's does not
  ProcessMemory mem(child.pid());
  char buf[32] = {};
  EXPECT_EQ(mem.Read(reinterpret_cast<uint64_t>(g_known), buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "/etc/");
  EXPECT_EQ(mem.Read(reinterpret_cast<uint64_t>(pages) + 4096 - 4, buf, 16), 4);
  EXPECT_EQ(std::string(buf, 4), "tail");
  EXPECT_EQ(mem.Read(reinterpret_cast<uint64_t>(pages) + 4096, buf, 4), -1);
  g_known[1] = 'e';
  munmap(pages, 4096);

  SyscallCall c;
  c.pid = child.pid();
  c.nr = Nr("openat");
  c.args[0] = static_cast<uint64_t>(AT_FDCWD);
  c.args[1] = reinterpret_cast<uint64_t>(g_known);
  c.args[2] = O_RDONLY | O_CLOEXEC;
  c.ret = -ENOENT;
  EXPECT_EQ(Decode(c, mem).Line(), "openat(AT_FDCWD, \"/etc/known-path\", O_RDONLY|O_CLOEXEC) = "
                                   "-1 ENOENT (No such file or directory)");
  // A path with no NUL before unmapped memory is printed as its address, as strace does.
  c.nr = Nr("unlink");
  c.args[0] = reinterpret_cast<uint64_t>(pages) + 4096 - 4;
  char addr[32];
  snprintf(addr, sizeof(addr), "%#llx", static_cast<unsigned long long>(c.args[0]));
  EXPECT_EQ(Flat(Decode(c, mem).Line()),
            "unlink(" + std::string(addr) + ") = -1 ENOENT (No such file or directory)");
}

TEST(ProcessMemory, DeadProcessIsUnreadable) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status;
  waitpid(pid, &status, 0);
  ProcessMemory mem(pid);
  char buf[4];
  EXPECT_EQ(mem.Read(reinterpret_cast<uint64_t>(g_known), buf, 4), -1);
}

}  // namespace
}  // namespace pwnbox::core
