// signalfd: blocked SIGUSR1 and SIGCHLD read as signalfd_siginfo (sender pid, child status),
// polled for readiness.
#include <poll.h>
#include <sys/signalfd.h>
#include "co.h"

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0);
  int fd = signalfd(-1, &m, SFD_CLOEXEC);
  CHECK(fd >= 0);
  CHECK(kill(getpid(), SIGUSR1) == 0);
  struct signalfd_siginfo si;
  CHECK(read(fd, &si, sizeof si) == sizeof si);
  CHECK(si.ssi_signo == SIGUSR1 && si.ssi_pid == (uint32_t)getpid() &&
        si.ssi_uid == getuid());
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) _exit(9);
  struct pollfd pfd = {fd, POLLIN, 0};
  CHECK(poll(&pfd, 1, -1) == 1);
  CHECK(read(fd, &si, sizeof si) == sizeof si);
  CHECK(si.ssi_signo == SIGCHLD && si.ssi_pid == (uint32_t)c && si.ssi_code == CLD_EXITED &&
        si.ssi_status == 9);
  CHECK(co_wait(c) == 9);
  printf("signalfd usr1 and chld status %d\n", si.ssi_status);
  return 0;
}
