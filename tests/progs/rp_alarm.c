// Signals from outside the program's own calls: alarm(1) then pause() until SIGALRM, then a
// child that exits and pause() until its SIGCHLD; prints the handler's count after each.
// Replayed, the real timer is never armed and the child's real SIGCHLD is dropped: each signal
// is delivered once, at the pause the recording shows it interrupting.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t count;

static void on_signal(int sig) {
  (void)sig;
  count++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);
  // Blocked until sigsuspend, so that neither signal can come before the wait for it.
  sigset_t both, none;
  sigemptyset(&both);
  sigaddset(&both, SIGALRM);
  sigaddset(&both, SIGCHLD);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &both, NULL);
  alarm(1);
  sigsuspend(&none);
  printf("alarm count=%d\n", (int)count);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(0);
  sigsuspend(&none);
  printf("child count=%d\n", (int)count);
  waitpid(c, NULL, 0);
  return 0;
}
