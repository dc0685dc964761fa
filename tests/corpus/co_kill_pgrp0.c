// `kill 0` as a script does it: kill(0, SIGUSR1) without making a group of its own first, so
// the signal goes to the group the program was started in (the driver makes one per run).
// A handler counts it; then kill(0, SIGTERM) with SIGTERM ignored, and kill(-getpgrp(), 0).
#include "co.h"

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  sigset_t m, old;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &m, &old) == 0);
  CHECK(kill(0, SIGUSR1) == 0);
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  CHECK(got == 1);
  signal(SIGTERM, SIG_IGN);
  CHECK(kill(0, SIGTERM) == 0);
  CHECK(kill(-getpgrp(), 0) == 0);
  printf("kill 0: got %d, still running\n", (int)got);
  return 0;
}
