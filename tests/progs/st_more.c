// More struct arguments for the struct-decoding test (it_decode_structs_test), between the
// marker writes write(-1, "st_more:begin ...", n) and "st_more:end": times the kernel sets
// (clock_settime, settimeofday, utimensat: strace's ISO-8601 comments), perf_event_open, bpf,
// modify_ldt, quotactl, and the futex2 calls (futex_wait, futex_wake, futex_requeue, newer than
// strace 6.1). Every call fails on its arguments or its privilege before acting, or acts only
// on this process, so the lines are the same on every run and under both tracers.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#define SYS_futex_wait 455
#define SYS_futex_requeue 456
#endif
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128
#endif

#define NX "/nonexistent/st"

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[4096];
  char begin[64];
  snprintf(begin, sizeof(begin), "st_more:begin %d %d", getpid(), getppid());
  Marker(begin);

  // ---- times: EPERM without CAP_SYS_TIME (as nobody) or EINVAL (bad fields, as root) ----
  struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 2000000000};  // tv_nsec invalid
  syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
  struct timeval tv = {.tv_sec = 1700000000, .tv_usec = 2000000};  // tv_usec invalid
  syscall(SYS_settimeofday, &tv, NULL);
  struct timespec times[2] = {{.tv_sec = 1700000000, .tv_nsec = 5},
                              {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
  syscall(SYS_utimensat, AT_FDCWD, NX, times, 0);
  times[0].tv_nsec = UTIME_NOW;
  times[1].tv_sec = -1;
  times[1].tv_nsec = 0;
  syscall(SYS_utimensat, AT_FDCWD, NX, times, AT_SYMLINK_NOFOLLOW);
  struct timeval tvs[2] = {{.tv_sec = 1700000000, .tv_usec = 7}, {.tv_sec = 0, .tv_usec = 0}};
  syscall(SYS_utimes, NX, tvs);
  syscall(SYS_futimesat, AT_FDCWD, NX, tvs);

  // ---- perf_event_open: an attr the kernel rejects (E2BIG/EINVAL/EACCES, never opens) ----
  struct perf_event_attr pa;
  memset(&pa, 0, sizeof(pa));
  pa.type = PERF_TYPE_SOFTWARE;
  pa.size = 1;  // below PERF_ATTR_SIZE_VER0: E2BIG
  pa.config = PERF_COUNT_SW_CPU_CLOCK;
  syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
  syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  // An unknown flag (0x80000000) fails every call before the kernel looks at the attr.
  memset(&pa, 0, sizeof(pa));
  pa.type = PERF_TYPE_SOFTWARE;
  pa.size = sizeof(pa);
  pa.config = PERF_COUNT_SW_CPU_CLOCK;
  pa.disabled = 1;
  pa.exclude_kernel = 1;
  syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0x80000000);
  memset(&pa, 0, sizeof(pa));
  pa.type = PERF_TYPE_SOFTWARE;
  pa.size = 0;
  pa.config = 99;
  pa.freq = 1;
  pa.sample_freq = 1000;
  pa.precise_ip = 3;
  pa.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID;
  pa.read_format = PERF_FORMAT_ID | 16 /* PERF_FORMAT_LOST */;
  pa.sigtrap = 1;
  pa.exclude_user = 1;
  syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0x80000000);
  memset(&pa, 0, sizeof(pa));
  pa.type = PERF_TYPE_HARDWARE;
  pa.size = 72;
  pa.config = PERF_COUNT_HW_INSTRUCTIONS;
  pa.sample_period = 5;
  pa.__reserved_1 = 1;
  syscall(SYS_perf_event_open, &pa, -1, 0, -1, 0x80000000 | PERF_FLAG_FD_CLOEXEC);
  memset(&pa, 0, sizeof(pa));
  pa.type = PERF_TYPE_TRACEPOINT;
  pa.size = 136;
  pa.config = 12;
  syscall(SYS_perf_event_open, &pa, -1, 0, -1, 0x80000000);
  pa.type = 77;
  pa.size = 64;
  syscall(SYS_perf_event_open, &pa, -1, 0, -1, 0x80000000);

  // ---- bpf: commands with attrs the kernel rejects ----
  union bpf_attr ba;
  memset(&ba, 0, sizeof(ba));
  syscall(SYS_bpf, BPF_MAP_CREATE, NULL, 0);
  ba.map_type = BPF_MAP_TYPE_ARRAY;
  ba.key_size = 4;
  ba.value_size = 8;
  ba.max_entries = 0;  // EINVAL
  ba.map_flags = BPF_F_RDONLY | BPF_F_NUMA_NODE;
  ba.numa_node = 1;
  strcpy(ba.map_name, "st_map");
  syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba));
  syscall(SYS_bpf, BPF_MAP_CREATE, &ba, 20);  // fields up to map_flags
  memset(&ba, 0, sizeof(ba));
  ba.map_type = 0x40;
  syscall(SYS_bpf, BPF_MAP_CREATE, &ba, 8);
  memset(&ba, 0, sizeof(ba));
  ba.map_fd = -1;
  ba.flags = BPF_NOEXIST;
  syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &ba, 32);
  syscall(SYS_bpf, BPF_MAP_UPDATE_ELEM, &ba, 32);
  syscall(SYS_bpf, BPF_MAP_DELETE_ELEM, &ba, 32);
  syscall(SYS_bpf, BPF_MAP_GET_NEXT_KEY, &ba, 32);
  memset(&ba, 0, sizeof(ba));
  ba.pathname = (uint64_t)(uintptr_t)NX;
  ba.bpf_fd = -1;
  ba.file_flags = BPF_F_RDONLY;
  syscall(SYS_bpf, BPF_OBJ_GET, &ba, sizeof(ba));
  syscall(SYS_bpf, BPF_OBJ_PIN, &ba, sizeof(ba));
  memset(&ba, 0, sizeof(ba));
  syscall(SYS_bpf, BPF_PROG_LOAD, NULL, 0);
  syscall(SYS_bpf, 99, NULL, 0);

  // ---- modify_ldt: read the LDT (none: 0 bytes), the default one, a bad write, a bad func ----
  syscall(SYS_modify_ldt, 0, buf, 16);
  syscall(SYS_modify_ldt, 0, NULL, 16);
  syscall(SYS_modify_ldt, 0, buf, 0);
  struct user_desc_ {
    unsigned int entry_number, base_addr, limit;
    unsigned int seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1,
        seg_not_present : 1, useable : 1, lm : 1;
  } d = {.entry_number = 9000, .base_addr = 0x1000, .limit = 0xfffff, .seg_32bit = 1,
         .contents = 2, .useable = 1};
  syscall(SYS_modify_ldt, 1, &d, sizeof(d));  // entry 9000 > LDT_ENTRIES: EINVAL
  syscall(SYS_modify_ldt, 0x11, &d, sizeof(d));
  syscall(SYS_modify_ldt, 1, &d, 4);
  syscall(SYS_modify_ldt, 2, &d, sizeof(d));  // the default LDT: 16 zero bytes
  syscall(SYS_modify_ldt, 99, NULL, 0);

  // ---- quotactl: no such device ----
  syscall(SYS_quotactl, QCMD(Q_GETQUOTA, USRQUOTA), NX, 0, buf);
  syscall(SYS_quotactl, QCMD(Q_SYNC, GRPQUOTA), NULL, 0, NULL);
  syscall(SYS_quotactl, QCMD(Q_QUOTAON, PRJQUOTA), NX, QFMT_VFS_V1, NX);
  syscall(SYS_quotactl, QCMD(Q_QUOTAOFF, USRQUOTA), NX, 5, NULL);
  syscall(SYS_quotactl, QCMD(Q_GETFMT, USRQUOTA), NX, 5, buf);
  syscall(SYS_quotactl, QCMD(0x5805 /* Q_XGETQSTAT */, USRQUOTA), NX, 5, buf);
  syscall(SYS_quotactl, QCMD(0x42, 7), NX, 5, NULL);  // unknown command and type: hex

  // ---- futex2 (Linux 6.7) ----
  static uint32_t word = 5;
  syscall(SYS_futex_wake, &word, 1, 1, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE);
  syscall(SYS_futex_wait, &word, 4, 1, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, NULL, CLOCK_MONOTONIC);
  syscall(SYS_futex_requeue, NULL, 0, 1, 0);

  Marker("st_more:end");
  return 0;
}
