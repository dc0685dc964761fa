// Struct arguments for the struct-decoding test (it_decode_structs_test), between the marker
// writes write(-1, "st_structs:begin", 16) and "st_structs:end": openat2's open_how, clone3's
// clone_args, sendfile's in/out offset, timer_create's sigevent, kcmp's types, mincore's vector,
// landlock's attrs. Every call either fails on its arguments before acting or acts only on this
// process (a memfd, a timer), so the lines are the same on every run and under both tracers.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NX "/nonexistent/st"

static void Marker(const char* s) { syscall(SYS_write, -1, s, strlen(s)); }

int main(void) {
  static char buf[4096];
  // Three pages: resident, resident, and one never touched (mincore's vector: [1, 1, 0]).
  char* pages = (char*)syscall(SYS_mmap, NULL, 3 * 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pages[0] = 1;
  pages[4096] = 1;
  int memfd = memfd_create("st", 0);  // fd 3
  char data[100];
  memset(data, 'x', sizeof(data));
  write(memfd, data, sizeof(data));
  int null = open("/dev/null", O_WRONLY);  // fd 4
  // The begin marker names this run's pid and ppid (the test replaces them by PID and PPID).
  const pid_t me = getpid();
  char begin[64];
  snprintf(begin, sizeof(begin), "st_structs:begin %d %d", me, getppid());
  Marker(begin);

  // ---- openat2 ----
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
  syscall(SYS_openat2, AT_FDCWD, NX, &how, sizeof(how));
  struct open_how how2 = {.flags = O_WRONLY | O_CREAT | O_EXCL,
                          .mode = 0640,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_IN_ROOT};
  syscall(SYS_openat2, AT_FDCWD, NX, &how2, sizeof(how2));
  struct open_how how3 = {.flags = O_RDONLY, .mode = 0, .resolve = 0x80};
  syscall(SYS_openat2, -1, NX, &how3, sizeof(how3));
  // Larger than open_how: zero bytes past it are fine (ENOENT), others are shown (E2BIG).
  uint64_t big[8] = {O_RDONLY, 0, 0, 0, 0, 0, 0, 0};
  syscall(SYS_openat2, AT_FDCWD, NX, big, 32);
  big[3] = 1;
  syscall(SYS_openat2, AT_FDCWD, NX, big, 32);
  syscall(SYS_openat2, AT_FDCWD, NX, &how, 16);           // too small: the address
  syscall(SYS_openat2, AT_FDCWD, NX, NULL, sizeof(how));  // NULL
  syscall(SYS_openat2, AT_FDCWD, NX, (void*)8, sizeof(how));

  // ---- clone3: every call fails on its arguments (EINVAL) before a task is made ----
  struct clone_args ca;
  memset(&ca, 0, sizeof(ca));
  ca.flags = CLONE_THREAD;  // without CLONE_SIGHAND|CLONE_VM
  ca.exit_signal = SIGCHLD;
  syscall(SYS_clone3, &ca, sizeof(ca));
  memset(&ca, 0, sizeof(ca));
  ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
             CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  ca.exit_signal = SIGUSR1;  // with CLONE_THREAD: EINVAL
  ca.stack = 0x1000;
  ca.stack_size = 0x2000;
  ca.tls = 0x3000;
  ca.parent_tid = (uint64_t)(uintptr_t)buf;
  ca.child_tid = (uint64_t)(uintptr_t)(buf + 8);
  syscall(SYS_clone3, &ca, sizeof(ca));
  memset(&ca, 0, sizeof(ca));
  ca.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
  ca.pidfd = (uint64_t)(uintptr_t)buf;
  ca.parent_tid = (uint64_t)(uintptr_t)buf;  // same as pidfd: EINVAL
  syscall(SYS_clone3, &ca, 64);
  memset(&ca, 0, sizeof(ca));
  ca.flags = CLONE_INTO_CGROUP;
  ca.cgroup = 0x7fffffff;
  ca.exit_signal = 0x7f;  // not a valid signal: EINVAL
  syscall(SYS_clone3, &ca, sizeof(ca));
  syscall(SYS_clone3, NULL, sizeof(ca));
  uint64_t ca_big[16] = {CLONE_THREAD, 0, 0, 0, SIGCHLD};
  ca_big[11] = 1;  // a byte past struct clone_args: E2BIG, the bytes shown
  syscall(SYS_clone3, ca_big, 96);
  ca_big[11] = 0;
  ca_big[12] = 5;
  syscall(SYS_clone3, ca_big, 104);
  syscall(SYS_clone3, &ca, 8);  // smaller than CLONE_ARGS_SIZE_VER0

  // ---- sendfile: the offset before and after ----
  off_t off = 0;
  syscall(SYS_sendfile, null, memfd, &off, 4096);
  off = 40;
  syscall(SYS_sendfile, null, memfd, &off, 10);
  syscall(SYS_sendfile, null, memfd, NULL, 10);
  off = 0;
  syscall(SYS_sendfile, -1, memfd, &off, 10);  // failed: only the entry value
  syscall(SYS_sendfile, null, memfd, (void*)8, 10);

  // ---- timer_create ----
  int tid = -1;
  struct sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_value.sival_int = 42;
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &tid);
  sev.sigev_value.sival_int = 0;  // a zero value is not printed
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &tid);
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_NONE;
  sev.sigev_value.sival_ptr = (void*)0x1234567;  // printed whatever the kind
  syscall(SYS_timer_create, CLOCK_REALTIME, &sev, &tid);
  syscall(SYS_timer_create, CLOCK_BOOTTIME, NULL, &tid);
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGALRM;
  sev._sigev_un._tid = 0x7ffffff0;  // no such thread: EINVAL
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &tid);
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = 7;  // unknown
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &tid);
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD;  // a libc notion: the kernel wants a signal (EINVAL)
  sev._sigev_un._sigev_thread._function = (void (*)(union sigval))0x1234;
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &tid);
  syscall(SYS_timer_create, CLOCK_MONOTONIC, (void*)8, &tid);
  // mq_notify takes the same struct (no such queue: EBADF).
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  syscall(SYS_mq_notify, -1, &sev);
  syscall(SYS_timer_delete, 0);
  syscall(SYS_timer_delete, 1);
  syscall(SYS_timer_delete, 2);
  syscall(SYS_timer_delete, 3);

  // ---- kcmp: this process with itself ----
  syscall(SYS_kcmp, me, me, KCMP_FILE, memfd, memfd);
  syscall(SYS_kcmp, me, me, KCMP_VM, 0, 0);
  syscall(SYS_kcmp, me, me, KCMP_FILES, 0, 0);
  syscall(SYS_kcmp, me, me, KCMP_FS, 0, 0);
  syscall(SYS_kcmp, me, me, KCMP_SIGHAND, 0, 0);
  syscall(SYS_kcmp, me, me, KCMP_IO, 0, 0);
  syscall(SYS_kcmp, me, me, KCMP_SYSVSEM, 0, 0);
  struct kcmp_epoll_slot slot = {.efd = 77, .tfd = memfd, .toff = 0};
  syscall(SYS_kcmp, me, me, KCMP_EPOLL_TFD, memfd, &slot);
  syscall(SYS_kcmp, me, me, 99, 1, 2);

  // ---- mincore ----
  syscall(SYS_mincore, pages, 3 * 4096, buf);
  syscall(SYS_mincore, pages, 4096, buf);
  syscall(SYS_mincore, pages + 1, 4096, buf);  // unaligned: EINVAL, the address
  syscall(SYS_mincore, NULL, 4096, buf);       // ENOMEM

  // ---- landlock ----
  struct landlock_ruleset_attr rs = {
      .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE,
  };
  syscall(SYS_landlock_create_ruleset, &rs, 8, 0);  // fd 5
  syscall(SYS_landlock_create_ruleset, &rs, sizeof(rs), 0);  // fd 6
  syscall(SYS_close, 6);
  // The kernel's attr is 24 bytes now (handled_access_net since 6.7, scoped since 6.12):
  // strace prints the fields it knows of the given size.
  uint64_t rs3[3] = {LANDLOCK_ACCESS_FS_EXECUTE, 1 /* LANDLOCK_ACCESS_NET_BIND_TCP */, 0};
  syscall(SYS_landlock_create_ruleset, rs3, 16, 0);  // fd 6
  syscall(SYS_close, 6);
  syscall(SYS_landlock_create_ruleset, rs3, 24, 0);  // fd 6
  syscall(SYS_close, 6);
  struct landlock_path_beneath_attr pb = {
      .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
      .parent_fd = memfd,
  };
  syscall(SYS_landlock_add_rule, 5, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
  syscall(SYS_landlock_add_rule, 5, LANDLOCK_RULE_PATH_BENEATH, NULL, 0);
  syscall(SYS_landlock_add_rule, 5, 99, &pb, 0);
  // LANDLOCK_RULE_NET_PORT (Linux 6.7): the ruleset handles no network access (EINVAL).
  uint64_t np[2] = {1 /* LANDLOCK_ACCESS_NET_BIND_TCP */, 80};
  syscall(SYS_landlock_add_rule, 5, 2, np, 0);
  syscall(SYS_close, 5);

  Marker("st_structs:end");
  return 0;
}
