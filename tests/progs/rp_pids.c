// Calls that name a process by the id getpid() returned (replay feeds the recorded one), and
// prints each result: prlimit64, sched_getaffinity, getpriority, getpgid, getsid, kcmp,
// process_vm_readv, then waits for a child by pid. Replayed, each must reach the replayed
// process itself, as recorded.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char* what, long r) {
  printf("%s=%s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(void) {
  pid_t me = getpid();
  struct rlimit rl;
  show("prlimit", syscall(SYS_prlimit64, me, RLIMIT_NOFILE, NULL, &rl));
  cpu_set_t set;
  show("sched_getaffinity", syscall(SYS_sched_getaffinity, me, sizeof set, &set));
  errno = 0;
  long prio = syscall(SYS_getpriority, PRIO_PROCESS, me);
  show("getpriority", errno ? -1 : prio);
  show("getpgid", syscall(SYS_getpgid, me));
  show("getsid", syscall(SYS_getsid, me));
  show("kcmp", syscall(SYS_kcmp, me, me, 0 /* KCMP_FILE */, 1, 1));
  char src[8] = "abcdefg", dst[8];
  struct iovec l = {dst, sizeof dst}, r = {src, sizeof src};
  show("process_vm_readv", syscall(SYS_process_vm_readv, me, &l, 1, &r, 1, 0));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(3);
  int st = 0;
  show("wait4", syscall(SYS_wait4, c, &st, 0, NULL));
  printf("child=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
