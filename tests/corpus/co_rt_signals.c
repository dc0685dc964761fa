// Real-time signals: 6 queued values to itself (kept in order, not coalesced), taken with
// sigwaitinfo and sigtimedwait; rt_tgsigqueueinfo to a thread; a queued value to a child.
#include <pthread.h>
#include "co.h"

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN);
  sigaddset(&m, SIGRTMIN + 1);
  CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0);
  for (int i = 0; i < 3; ++i) {
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 100 + i}) == 0);
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i}) == 0);
  }
  // Lower-numbered real-time signals first, each in queue order.
  int order[6];
  for (int i = 0; i < 6; ++i) {
    siginfo_t si;
    int s = i < 3 ? sigwaitinfo(&m, &si) : sigtimedwait(&m, &si, &(struct timespec){1, 0});
    CHECK(s == si.si_signo && si.si_code == SI_QUEUE && si.si_pid == getpid());
    order[i] = si.si_value.sival_int;
  }
  printf("rt order %d %d %d %d %d %d\n", order[0], order[1], order[2], order[3], order[4],
         order[5]);
  CHECK(order[0] == 0 && order[2] == 2 && order[3] == 100 && order[5] == 102);
  // To a child: it waits for its value and exits with it.
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    siginfo_t si;
    if (sigwaitinfo(&m, &si) != SIGRTMIN) _exit(1);
    _exit(si.si_value.sival_int);
  }
  CHECK(sigqueue(c, SIGRTMIN, (union sigval){.sival_int = 77}) == 0);
  CHECK(co_wait(c) == 77);
  printf("child got 77\n");
  return 0;
}
