// Says "ready PID", then waits in sigsuspend() until a handled SIGUSR1 arrives, and exits 0. Recorded
// with the SIGUSR1 sent from outside; replayed, no SIGUSR1 comes, so it waits until interrupted.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  // Blocked until sigsuspend: a SIGUSR1 sent as soon as "ready" is read is not lost.
  sigset_t usr1, none;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  sigsuspend(&none);
  return 0;
}
