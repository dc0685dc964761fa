// How children end, as the parent sees it: exit codes, SIGSEGV, SIGABRT, SIGKILL, a stop and
// continue (WUNTRACED/WCONTINUED), waitid with WNOWAIT, and SIGCHLD ignored (auto-reap: ECHILD).
#include <sys/resource.h>
#include "co.h"

static pid_t spawn(int how) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c) return c;
  signal(SIGSEGV, SIG_DFL);
  struct rlimit no_core = {0, 0};  // no core files from the crashes
  setrlimit(RLIMIT_CORE, &no_core);
  switch (how) {
    case 0: _exit(3);
    case 1: *(volatile int*)16 = 0; break;
    case 2: abort();
    case 3: for (;;) pause();
  }
  _exit(100);
}

int main(void) {
  int codes[3];
  for (int i = 0; i < 3; ++i) codes[i] = co_wait(spawn(i));
  pid_t k = spawn(3);
  CHECK(kill(k, SIGSTOP) == 0);
  int st;
  CHECK(waitpid(k, &st, WUNTRACED) == k && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  CHECK(kill(k, SIGCONT) == 0);
  CHECK(waitpid(k, &st, WCONTINUED) == k && WIFCONTINUED(st));
  CHECK(kill(k, SIGKILL) == 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(waitid(P_PID, (id_t)k, &si, WEXITED | WNOWAIT) == 0 && si.si_code == CLD_KILLED);
  int killed = co_wait(k);
  signal(SIGCHLD, SIG_IGN);
  pid_t z = spawn(0);
  errno = 0;
  int r = waitpid(z, &st, 0);
  CHECK(r == -1 && errno == ECHILD);
  printf("exit %d, segv %d, abort %d, stopped/continued, killed %d, auto-reaped\n", codes[0],
         codes[1], codes[2], killed);
  return 0;
}
