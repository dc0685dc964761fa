// tl_pidns_segv [KIND]: starts the init of a new PID namespace (a user namespace too when not
// root) that makes a fault, and prints how it ended: `init: signal N` or `init: exit N`. The
// init first starts a member of the namespace that waits in pause(); once the init is reaped,
// `member: dead` or `member: alive` (natively the kernel kills the namespace with its init).
// KIND: segv (NULL dereference, the default), ud2 (SIGILL), div (SIGFPE); queue: no fault, the
// init queues itself three SIGSEGVs that look like one (rt_tgsigqueueinfo, si_code SEGV_MAPERR),
// which an init ignores, then exits 1 if it is traced (TracerPid), else 0.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int Traced(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  int tracer = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
  if (f) fclose(f);
  return tracer != 0;
}

static void Fault(const char* kind) {
  if (!strcmp(kind, "queue")) {
    // rt_tgsigqueueinfo(1, 1, SIGSEGV, &si) directly followed by another syscall instruction
    // (rax = 0: read(1, 1, 11) on a write-only fd 1, EBADF): a tracer that steps past the first
    // meets the second.
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    for (int i = 0; i < 3; ++i) {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      si.si_signo = SIGSEGV;
      si.si_code = SEGV_MAPERR;
      const long self = getpid();  // (before r10 is set: a call clobbers it)
      long ret = SYS_rt_tgsigqueueinfo;
      register long r10 __asm__("r10") = (long)&si;
      __asm__ volatile("syscall\n\tsyscall"
                       : "+a"(ret)
                       : "D"(self), "S"(self), "d"((long)SIGSEGV), "r"(r10)
                       : "rcx", "r11", "memory");
    }
    _exit(Traced());
  }
  if (!strcmp(kind, "ud2")) __asm__ volatile("ud2");
  if (!strcmp(kind, "div"))
    __asm__ volatile("xor %%ecx, %%ecx; mov $1, %%eax; cltd; idiv %%ecx" ::: "eax", "ecx", "edx");
  *(volatile int*)0 = 1;
}

int main(int argc, char** argv) {
  const char* kind = argc > 1 ? argv[1] : "segv";
  int flags = CLONE_NEWPID;
  if (geteuid() != 0) flags |= CLONE_NEWUSER;
  if (unshare(flags) != 0) {
    perror("unshare");
    return 2;
  }
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 2;
  pid_t init = fork();
  if (init < 0) {
    perror("fork");
    return 2;
  }
  if (init == 0) {
    // PID 1 of the new namespace: one member that outlives nothing, then the fault.
    pid_t member = fork();
    if (member == 0)
      for (;;) pause();
    // The parent finds the member's pid in its own namespace in /proc, then says go.
    write(ready[1], "m", 1);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(3);
    Fault(kind);
    _exit(0);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return 3;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
  FILE* f = fopen(path, "r");
  int member = 0;
  if (!f || fscanf(f, "%d", &member) != 1) {
    fprintf(stderr, "no member in %s\n", path);
    return 3;
  }
  fclose(f);
  int member_fd = (int)syscall(SYS_pidfd_open, member, 0);
  if (member_fd < 0) {
    perror("pidfd_open");
    return 3;
  }
  write(go[1], "g", 1);
  int status = 0;
  if (waitpid(init, &status, 0) != init) {
    perror("waitpid");
    return 2;
  }
  if (WIFSIGNALED(status))
    printf("init: signal %d%s\n", WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
  else
    printf("init: exit %d\n", WEXITSTATUS(status));
  struct pollfd p = {member_fd, POLLIN, 0};
  printf("member: %s\n", poll(&p, 1, 0) == 1 ? "dead" : "alive");
  return 0;
}
