// Struct decoders, from a FakeMemory (the decoder's own input: address -> bytes), against the
// lines Debian's strace 6.1 printed for the same calls (tests/progs/st_structs.c and st_more.c
// under strace; it_decode_structs_test compares whole runs). Where strace 6.1 is older than the
// struct's field or the syscall, the expected text is current strace's (its sources), as noted.
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "core/decoder.h"

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
constexpr uint64_t kBad = 0xdead0000;
constexpr uint64_t kAtFdcwd = static_cast<uint32_t>(AT_FDCWD);
constexpr int64_t kEinval = -EINVAL;

SyscallCall Call(const char* name, std::initializer_list<uint64_t> args, int64_t ret = 0) {
  SyscallCall c;
  c.pid = 42;
  std::optional<int> nr = SyscallNumber(name, Abi::kX86_64);
  EXPECT_TRUE(nr.has_value()) << name;
  c.nr = nr.value_or(-1);
  int i = 0;
  for (uint64_t a : args) c.args[i++] = a;
  c.ret = ret;
  return c;
}

// The line without the padding before "= " (strace's column 40).
std::string Flat(const DecodedCall& dc) {
  return std::regex_replace(dc.Line(), std::regex(R"(\) +=)"), ") =");
}

std::string FlatLine(const SyscallCall& call, TargetMemory& mem) {
  Decoder d(DecodeOptions{});
  DecodedCall out;
  d.Entry(call, mem, &out);
  d.Exit(call, mem, &out);
  return Flat(out);
}

TEST(DecodeStructs, Openat2How) {
  FakeMemory mem;
  mem.PutStr(kA, "/nonexistent/st");
  open_how how = {.flags = O_RDONLY | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
  mem.PutObj(kB, how);
  EXPECT_EQ(FlatLine(Call("openat2", {kAtFdcwd, kA, kB, 24}, -ENOENT), mem),
            "openat2(AT_FDCWD, \"/nonexistent/st\", {flags=O_RDONLY|O_CLOEXEC, "
            "resolve=RESOLVE_NO_SYMLINKS}, 24) = -1 ENOENT (No such file or directory)");
  how = {.flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0640, .resolve = 0x80};
  mem.PutObj(kB, how);
  EXPECT_EQ(FlatLine(Call("openat2", {kAtFdcwd, kA, kB, 24}, kEinval), mem),
            "openat2(AT_FDCWD, \"/nonexistent/st\", {flags=O_WRONLY|O_CREAT|O_EXCL, mode=0640, "
            "resolve=0x80 /* RESOLVE_??? */}, 24) = -1 EINVAL (Invalid argument)");
  // Bytes past the struct strace knows: shown in hex when not zero.
  const uint64_t big[4] = {O_RDONLY, 0, 0, 1};
  mem.PutObj(kB, big);
  EXPECT_EQ(FlatLine(Call("openat2", {kAtFdcwd, kA, kB, 32}, -E2BIG), mem),
            "openat2(AT_FDCWD, \"/nonexistent/st\", {flags=O_RDONLY, resolve=0, /* bytes 24..31 "
            "*/ \"\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"}, 32) = -1 E2BIG (Argument list too "
            "long)");
  const uint64_t zero_tail[4] = {O_RDONLY, 0, 0, 0};
  mem.PutObj(kB, zero_tail);
  EXPECT_EQ(FlatLine(Call("openat2", {kAtFdcwd, kA, kB, 32}, -ENOENT), mem),
            "openat2(AT_FDCWD, \"/nonexistent/st\", {flags=O_RDONLY, resolve=0}, 32) = -1 ENOENT "
            "(No such file or directory)");
  mem.PutObj(kB, how);
  // Below OPEN_HOW_SIZE_VER0 the kernel reads nothing: the address.
  EXPECT_EQ(FlatLine(Call("openat2", {kAtFdcwd, kA, kB, 16}, kEinval), mem),
            "openat2(AT_FDCWD, \"/nonexistent/st\", 0x20000, 16) = -1 EINVAL (Invalid argument)");
}

TEST(DecodeStructs, SendfileOffsetInAndOut) {
  FakeMemory mem;
  mem.PutObj(kA, uint64_t{40});
  Decoder d(DecodeOptions{});
  DecodedCall out;
  SyscallCall call = Call("sendfile", {4, 3, kA, 10}, 10);
  d.Entry(call, mem, &out);
  mem.PutObj(kA, uint64_t{50});  // what the kernel stores back
  d.Exit(call, mem, &out);
  EXPECT_EQ(Flat(out), "sendfile(4, 3, [40] => [50], 10) = 10");
  // A failed call: only the value at entry.
  call = Call("sendfile", {static_cast<uint64_t>(-1), 3, kA, 10}, -EBADF);
  d.Entry(call, mem, &out);
  d.Exit(call, mem, &out);
  EXPECT_EQ(Flat(out), "sendfile(-1, 3, [50], 10) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(FlatLine(Call("sendfile", {4, 3, 0, 10}, 0), mem), "sendfile(4, 3, NULL, 10) = 0");
  EXPECT_EQ(FlatLine(Call("sendfile", {4, 3, 8, 10}, -EFAULT), mem),
            "sendfile(4, 3, 0x8, 10) = -1 EFAULT (Bad address)");
}

TEST(DecodeStructs, TimerCreateSigevent) {
  FakeMemory mem;
  sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_value.sival_int = 42;
  mem.PutObj(kA, sev);
  mem.PutObj(kB, int32_t{0});
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, kA, kB}), mem),
            "timer_create(CLOCK_MONOTONIC, {sigev_value={sival_int=42, sival_ptr=0x2a}, "
            "sigev_signo=SIGUSR2, sigev_notify=SIGEV_SIGNAL}, [0]) = 0");
  sev.sigev_value.sival_int = 0;  // a zero value is left out
  mem.PutObj(kA, sev);
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, kA, kB}), mem),
            "timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGUSR2, sigev_notify=SIGEV_SIGNAL}, "
            "[0]) = 0");
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGALRM;
  sev._sigev_un._tid = 2147483632;
  mem.PutObj(kA, sev);
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, kA, kB}, kEinval), mem),
            "timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGALRM, sigev_notify=SIGEV_THREAD_ID, "
            "sigev_notify_thread_id=2147483632}, 0x20000) = -1 EINVAL (Invalid argument)");
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_value.sival_int = 5;
  mem.PutObj(kA, sev);
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, kA, kB}, kEinval), mem),
            "timer_create(CLOCK_MONOTONIC, {sigev_value={sival_int=5, sival_ptr=0x5}, "
            "sigev_signo=0, sigev_notify=SIGEV_THREAD, sigev_notify_function=NULL, "
            "sigev_notify_attributes=NULL}, 0x20000) = -1 EINVAL (Invalid argument)");
  sev.sigev_notify = 7;
  sev.sigev_value.sival_int = 0;
  mem.PutObj(kA, sev);
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, kA, kB}, kEinval), mem),
            "timer_create(CLOCK_MONOTONIC, {sigev_signo=0, sigev_notify=0x7 /* SIGEV_??? */}, "
            "0x20000) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("timer_create", {CLOCK_MONOTONIC, 8, kB}, -EFAULT), mem),
            "timer_create(CLOCK_MONOTONIC, 0x8, 0x20000) = -1 EFAULT (Bad address)");
}

TEST(DecodeStructs, KcmpByType) {
  FakeMemory mem;
  EXPECT_EQ(FlatLine(Call("kcmp", {7, 7, 0, 3, 3}), mem), "kcmp(7, 7, KCMP_FILE, 3, 3) = 0");
  EXPECT_EQ(FlatLine(Call("kcmp", {7, 7, 1, 0, 0}), mem), "kcmp(7, 7, KCMP_VM) = 0");
  EXPECT_EQ(FlatLine(Call("kcmp", {7, 7, 6, 0, 0}), mem), "kcmp(7, 7, KCMP_SYSVSEM) = 0");
  const uint32_t slot[3] = {77, 3, 0};
  mem.PutObj(kA, slot);
  EXPECT_EQ(FlatLine(Call("kcmp", {7, 7, 7, 3, kA}, -EBADF), mem),
            "kcmp(7, 7, KCMP_EPOLL_TFD, 3, {efd=77, tfd=3, toff=0}) = -1 EBADF (Bad file "
            "descriptor)");
  EXPECT_EQ(FlatLine(Call("kcmp", {7, 7, 99, 1, 2}, kEinval), mem),
            "kcmp(7, 7, 0x63 /* KCMP_??? */, 0x1, 0x2) = -1 EINVAL (Invalid argument)");
}

TEST(DecodeStructs, LandlockAttrs) {
  FakeMemory mem;
  const uint64_t attr[3] = {0x6, 0x1, 0};
  mem.PutObj(kA, attr);
  EXPECT_EQ(FlatLine(Call("landlock_create_ruleset", {kA, 8, 0}, 5), mem),
            "landlock_create_ruleset({handled_access_fs=LANDLOCK_ACCESS_FS_WRITE_FILE|"
            "LANDLOCK_ACCESS_FS_READ_FILE}, 8, 0) = 5");
  // Current strace (strace 6.1 prints "..." after handled_access_fs).
  EXPECT_EQ(FlatLine(Call("landlock_create_ruleset", {kA, 24, 0}, 5), mem),
            "landlock_create_ruleset({handled_access_fs=LANDLOCK_ACCESS_FS_WRITE_FILE|"
            "LANDLOCK_ACCESS_FS_READ_FILE, handled_access_net=LANDLOCK_ACCESS_NET_BIND_TCP, "
            "scoped=0}, 24, 0) = 5");
  EXPECT_EQ(FlatLine(Call("landlock_create_ruleset", {kA, 4, 0}, kEinval), mem),
            "landlock_create_ruleset(0x10000, 4, 0) = -1 EINVAL (Invalid argument)");
  struct __attribute__((packed)) {
    uint64_t allowed;
    int32_t fd;
  } pb = {0x4, 3};
  mem.PutObj(kB, pb);
  EXPECT_EQ(FlatLine(Call("landlock_add_rule", {5, 1, kB, 0}, -EBADFD), mem),
            "landlock_add_rule(5, LANDLOCK_RULE_PATH_BENEATH, {allowed_access="
            "LANDLOCK_ACCESS_FS_READ_FILE, parent_fd=3}, 0) = -1 EBADFD (File descriptor in bad "
            "state)");
  EXPECT_EQ(FlatLine(Call("landlock_add_rule", {5, 99, kB, 0}, kEinval), mem),
            "landlock_add_rule(5, 0x63 /* LANDLOCK_RULE_??? */, 0x20000, 0) = -1 EINVAL "
            "(Invalid argument)");
}

TEST(DecodeStructs, IsoCommentsOnTimesSetOnFiles) {
  setenv("TZ", "UTC", 1);
  tzset();
  FakeMemory mem;
  mem.PutStr(kA, "/nx");
  const timespec ts[2] = {{0, 5}, {5, 2000000000}};
  mem.PutObj(kB, ts);
  EXPECT_EQ(FlatLine(Call("utimensat", {kAtFdcwd, kA, kB, 0}, -ENOENT), mem),
            "utimensat(AT_FDCWD, \"/nx\", [{tv_sec=0, tv_nsec=5} /* "
            "1970-01-01T00:00:00.000000005+0000 */, {tv_sec=5, tv_nsec=2000000000}], 0) = -1 "
            "ENOENT (No such file or directory)");
  const timespec ts2[2] = {{0, UTIME_NOW}, {-1, 0}};
  mem.PutObj(kB, ts2);
  EXPECT_EQ(FlatLine(Call("utimensat", {kAtFdcwd, kA, kB, 0}, -ENOENT), mem),
            "utimensat(AT_FDCWD, \"/nx\", [UTIME_NOW, {tv_sec=-1, tv_nsec=0} /* "
            "1969-12-31T23:59:59+0000 */], 0) = -1 ENOENT (No such file or directory)");
  const timeval tv[2] = {{1700000000, 7}, {0, 0}};
  mem.PutObj(kB, tv);
  EXPECT_EQ(FlatLine(Call("utimes", {kA, kB}, -ENOENT), mem),
            "utimes(\"/nx\", [{tv_sec=1700000000, tv_usec=7} /* 2023-11-14T22:13:20.000007+0000 "
            "*/, {tv_sec=0, tv_usec=0}]) = -1 ENOENT (No such file or directory)");
  const int64_t ub[2] = {0, 5};
  mem.PutObj(kB, ub);
  EXPECT_EQ(FlatLine(Call("utime", {kA, kB}, -ENOENT), mem),
            "utime(\"/nx\", {actime=0, modtime=5 /* 1970-01-01T00:00:05+0000 */}) = -1 ENOENT "
            "(No such file or directory)");
  // clock_settime and settimeofday: no comment (strace 6.1 prints none).
  const timespec now = {1700000000, 0};
  mem.PutObj(kB, now);
  EXPECT_EQ(FlatLine(Call("clock_settime", {CLOCK_REALTIME, kB}, -EPERM), mem),
            "clock_settime(CLOCK_REALTIME, {tv_sec=1700000000, tv_nsec=0}) = -1 EPERM "
            "(Operation not permitted)");
}

TEST(DecodeStructs, QuotactlCommands) {
  FakeMemory mem;
  mem.PutStr(kA, "/nx");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x80000700, kA, 0, kBad}, -ENOENT), mem),
            "quotactl(QCMD(Q_GETQUOTA, USRQUOTA), \"/nx\", 0, 0xdead0000) = -1 ENOENT (No such "
            "file or directory)");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x80000101, 0, 0, 0}), mem),
            "quotactl(QCMD(Q_SYNC, GRPQUOTA), NULL) = 0");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x80000202, kA, 4, kA}, -ENOENT), mem),
            "quotactl(QCMD(Q_QUOTAON, PRJQUOTA), \"/nx\", QFMT_VFS_V1, \"/nx\") = -1 ENOENT (No "
            "such file or directory)");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x80000300, kA, 5, 0}, -ENOENT), mem),
            "quotactl(QCMD(Q_QUOTAOFF, USRQUOTA), \"/nx\") = -1 ENOENT (No such file or "
            "directory)");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x80000400, kA, 5, 0x1000}, -ENOENT), mem),
            "quotactl(QCMD(Q_GETFMT, USRQUOTA), \"/nx\", 0x1000) = -1 ENOENT (No such file or "
            "directory)");
  EXPECT_EQ(FlatLine(Call("quotactl", {0x4207, kA, 5, 0}, kEinval), mem),
            "quotactl(QCMD(0x42 /* Q_??? */, 0x7 /* ???QUOTA */), \"/nx\", 5, NULL) = -1 EINVAL "
            "(Invalid argument)");
}

TEST(DecodeStructs, ModifyLdt) {
  FakeMemory mem;
  const uint32_t d[4] = {9000, 0x1000, 0xfffff, 1 | (2 << 1) | (1 << 6)};
  mem.PutObj(kA, d);
  // The kernel zero-extends modify_ldt's int result.
  EXPECT_EQ(FlatLine(Call("modify_ldt", {1, kA, 16}, 0xffffffea), mem),
            "modify_ldt(1, {entry_number=9000, base_addr=0x001000, limit=0x0fffff, seg_32bit=1, "
            "contents=2, read_exec_only=0, limit_in_pages=0, seg_not_present=0, useable=1, "
            "lm=0}, 16) = 4294967274 EINVAL (Invalid argument)");
  const uint32_t z[4] = {};
  mem.PutObj(kA, z);
  EXPECT_EQ(FlatLine(Call("modify_ldt", {2, kA, 16}, 16), mem),
            "modify_ldt(2, {entry_number=0, base_addr=00000000, limit=00000000, seg_32bit=0, "
            "contents=0, read_exec_only=0, limit_in_pages=0, seg_not_present=0, useable=0, "
            "lm=0}, 16) = 16");
  EXPECT_EQ(FlatLine(Call("modify_ldt", {1, kA, 4}, 0xffffffea), mem),
            "modify_ldt(1, 0x10000, 4) = 4294967274 EINVAL (Invalid argument)");
}

TEST(DecodeStructs, BpfAttrs) {
  FakeMemory mem;
  uint8_t attr[144] = {};
  const uint32_t create[5] = {2, 4, 8, 0, 0x8 | 0x4};  // ARRAY, RDONLY|NUMA_NODE
  memcpy(attr, create, sizeof(create));
  attr[24] = 1;  // numa_node
  memcpy(attr + 28, "st_map", 6);
  mem.PutObj(kA, attr);
  EXPECT_EQ(FlatLine(Call("bpf", {0, kA, 144}, kEinval), mem),
            "bpf(BPF_MAP_CREATE, {map_type=BPF_MAP_TYPE_ARRAY, key_size=4, value_size=8, "
            "max_entries=0, map_flags=BPF_F_NUMA_NODE|BPF_F_RDONLY, inner_map_fd=0, numa_node=1, "
            "map_name=\"st_map\", map_ifindex=0, btf_fd=0, btf_key_type_id=0, "
            "btf_value_type_id=0, btf_vmlinux_value_type_id=0, map_extra=0}, 144) = -1 EINVAL "
            "(Invalid argument)");
  EXPECT_EQ(FlatLine(Call("bpf", {0, kA, 20}, kEinval), mem),
            "bpf(BPF_MAP_CREATE, {map_type=BPF_MAP_TYPE_ARRAY, key_size=4, value_size=8, "
            "max_entries=0, map_flags=BPF_F_NUMA_NODE|BPF_F_RDONLY}, 20) = -1 EINVAL (Invalid "
            "argument)");
  // The first fields are printed whatever the size (strace reads into a zeroed buffer).
  const uint32_t odd[2] = {0x40, 0};
  mem.PutObj(kB, odd);
  EXPECT_EQ(FlatLine(Call("bpf", {0, kB, 8}, kEinval), mem),
            "bpf(BPF_MAP_CREATE, {map_type=0x40 /* BPF_MAP_TYPE_??? */, key_size=0, "
            "value_size=0, max_entries=0}, 8) = -1 EINVAL (Invalid argument)");
  const uint64_t elem[4] = {0xffffffff, 0, 0, 1};  // map_fd -1, flags BPF_NOEXIST
  mem.PutObj(kB, elem);
  EXPECT_EQ(FlatLine(Call("bpf", {1, kB, 32}, kEinval), mem),
            "bpf(BPF_MAP_LOOKUP_ELEM, {map_fd=-1, key=NULL, value=NULL, flags=0x1 /* BPF_??? "
            "*/}, 32) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(FlatLine(Call("bpf", {2, kB, 32}, -EBADF), mem),
            "bpf(BPF_MAP_UPDATE_ELEM, {map_fd=-1, key=NULL, value=NULL, flags=BPF_NOEXIST}, 32) "
            "= -1 EBADF (Bad file descriptor)");
  // Non-zero bytes past the command's struct: ", ...".
  EXPECT_EQ(FlatLine(Call("bpf", {3, kB, 32}, kEinval), mem),
            "bpf(BPF_MAP_DELETE_ELEM, {map_fd=-1, key=NULL, ...}, 32) = -1 EINVAL (Invalid "
            "argument)");
  EXPECT_EQ(FlatLine(Call("bpf", {99, kB, 32}, kEinval), mem),
            "bpf(0x63 /* BPF_??? */, 0x20000, 32) = -1 EINVAL (Invalid argument)");
}

TEST(DecodeStructs, PerfEventAttr) {
  FakeMemory mem;
  uint64_t attr[16] = {};
  attr[0] = 1 | (0ULL << 32);         // PERF_TYPE_SOFTWARE, size 0
  attr[1] = 99;                       // config
  attr[2] = 1000;                     // sample_freq (freq is set)
  attr[3] = 0x3;                      // PERF_SAMPLE_IP|PERF_SAMPLE_TID
  attr[4] = 0x14;                     // PERF_FORMAT_ID|PERF_FORMAT_LOST
  attr[5] = (1ULL << 4) | (1ULL << 10) | (3ULL << 15) | (1ULL << 37);
  mem.PutObj(kA, attr);
  EXPECT_EQ(FlatLine(Call("perf_event_open", {kA, 0, static_cast<uint64_t>(-1),
                                              static_cast<uint64_t>(-1), 0x80000000},
                          kEinval),
                     mem),
            "perf_event_open({type=PERF_TYPE_SOFTWARE, size=0 /* PERF_ATTR_SIZE_??? */, "
            "config=0x63 /* PERF_COUNT_SW_??? */, sample_freq=1000, "
            "sample_type=PERF_SAMPLE_IP|PERF_SAMPLE_TID, read_format=PERF_FORMAT_ID|"
            "PERF_FORMAT_LOST, exclude_user=1, freq=1, precise_ip=3 /* must have 0 skid */, "
            "sigtrap=1, ...}, 0, -1, -1, 0x80000000 /* PERF_FLAG_??? */) = -1 EINVAL (Invalid "
            "argument)");
  attr[0] = 0 | (72ULL << 32);  // PERF_TYPE_HARDWARE, PERF_ATTR_SIZE_VER1
  attr[1] = 1;
  attr[2] = 5;
  attr[3] = attr[4] = 0;
  attr[5] = 1ULL << 38;
  mem.PutObj(kA, attr);
  EXPECT_EQ(FlatLine(Call("perf_event_open", {kA, static_cast<uint64_t>(-1), 0,
                                              static_cast<uint64_t>(-1), 0},
                          kEinval),
                     mem),
            "perf_event_open({type=PERF_TYPE_HARDWARE, size=PERF_ATTR_SIZE_VER1, "
            "config=PERF_COUNT_HW_INSTRUCTIONS, sample_period=5, sample_type=0, read_format=0, "
            "precise_ip=0 /* arbitrary skid */, __reserved_1=0x1 /* Bits 63..38 */, ...}, -1, 0, "
            "-1, 0) = -1 EINVAL (Invalid argument)");
  attr[0] = 1 | (1ULL << 32);  // size 1: E2BIG, the address
  mem.PutObj(kA, attr);
  EXPECT_EQ(FlatLine(Call("perf_event_open", {kA, 0, static_cast<uint64_t>(-1),
                                              static_cast<uint64_t>(-1), 0},
                          -E2BIG),
                     mem),
            "perf_event_open(0x10000, 0, -1, -1, 0) = -1 E2BIG (Argument list too long)");
}

// futex2 is newer than strace 6.1: current strace's format (its src/futex2.c).
TEST(DecodeStructs, Futex2) {
  FakeMemory mem;
  EXPECT_EQ(FlatLine(Call("futex_wake", {kA, 0xffffffff, 1, 0x82}), mem),
            "futex_wake(0x10000, FUTEX_BITSET_MATCH_ANY, 1, FUTEX2_SIZE_U32|FUTEX2_PRIVATE) = 0");
  EXPECT_EQ(FlatLine(Call("futex_wait", {kA, 4, 1, 0x2, 0, CLOCK_MONOTONIC}, -EAGAIN), mem),
            "futex_wait(0x10000, 4, 0x1, FUTEX2_SIZE_U32, NULL, CLOCK_MONOTONIC) = -1 EAGAIN "
            "(Resource temporarily unavailable)");
  const uint64_t waitv[6] = {5, kB, 0x82, 0, kB + 4, 0x2};
  mem.PutObj(kA, waitv);
  EXPECT_EQ(FlatLine(Call("futex_requeue", {kA, 0, 1, 0}, kEinval), mem),
            "futex_requeue([{val=0x5, uaddr=0x20000, flags=FUTEX2_SIZE_U32|FUTEX2_PRIVATE}, "
            "{val=0, uaddr=0x20004, flags=FUTEX2_SIZE_U32}], 0, 1, 0) = -1 EINVAL (Invalid "
            "argument)");
}

}  // namespace
}  // namespace pwnbox::core
