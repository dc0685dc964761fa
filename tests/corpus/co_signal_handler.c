// Signal handlers: SA_SIGINFO with si_code/si_pid, SA_RESETHAND, SA_NODEFER, blocked signals
// delivered on unblock, sigsuspend, and a SIGCHLD handler reaping a child.
#include "co.h"

static volatile sig_atomic_t usr1, usr2, chld, code_ok;
static void on_usr1(int s, siginfo_t* si, void* uc) {
  (void)s; (void)uc;
  if (si->si_code == SI_USER && si->si_pid == getpid()) code_ok = 1;
  usr1++;
}
static void on_usr2(int s) { (void)s; usr2++; }
static void on_chld(int s) { (void)s; chld++; }

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  CHECK(kill(getpid(), SIGUSR1) == 0);
  CHECK(usr1 == 1 && code_ok == 1);

  struct sigaction sb = {0};
  sb.sa_handler = on_usr2;
  sb.sa_flags = SA_RESETHAND | SA_NODEFER;
  CHECK(sigaction(SIGUSR2, &sb, NULL) == 0);
  CHECK(raise(SIGUSR2) == 0);
  struct sigaction cur;
  CHECK(sigaction(SIGUSR2, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL);

  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0);
  CHECK(raise(SIGUSR1) == 0 && raise(SIGUSR1) == 0);  // standard signals coalesce
  CHECK(usr1 == 1);
  sigset_t pend;
  CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1));
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  CHECK(usr1 == 2);

  struct sigaction sc = {0};
  sc.sa_handler = on_chld;
  CHECK(sigaction(SIGCHLD, &sc, NULL) == 0);
  CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) _exit(0);
  sigset_t wait_mask = old;
  sigdelset(&wait_mask, SIGCHLD);
  while (!chld) sigsuspend(&wait_mask);
  CHECK(co_wait(c) == 0);
  printf("usr1 %d usr2 %d chld %d\n", (int)usr1, (int)usr2, (int)chld);
  return 0;
}
