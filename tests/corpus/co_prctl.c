// prctl: PR_GET_PDEATHSIG is 0 (nothing set by anyone), set and read back in a child, which
// gets that signal when its parent (a middle process) dies; PR_SET_NAME/PR_GET_NAME,
// PR_GET_DUMPABLE, PR_SET_CHILD_SUBREAPER adopting an orphaned grandchild.
#include <sys/prctl.h>
#include "co.h"

int main(void) {
  int sig = -1;
  CHECK(prctl(PR_GET_PDEATHSIG, &sig) == 0);
  printf("pdeathsig at start %d\n", sig);
  CHECK(prctl(PR_SET_NAME, "co-renamed") == 0);
  char name[17] = {0};
  CHECK(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "co-renamed") == 0);
  printf("dumpable %d name %s\n", prctl(PR_GET_DUMPABLE), name);
  CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t mid = fork();
  CHECK(mid >= 0);
  if (mid == 0) {
    pid_t g = fork();
    if (g < 0) _exit(1);
    if (g == 0) {
      close(p[0]);
      prctl(PR_SET_PDEATHSIG, SIGUSR1);
      int s = 0;
      prctl(PR_GET_PDEATHSIG, &s);
      sigset_t m;
      sigemptyset(&m);
      sigaddset(&m, SIGUSR1);
      sigprocmask(SIG_BLOCK, &m, NULL);
      write(p[1], "r", 1);  // ready: the middle process may die now
      int got = 0;
      sigwait(&m, &got);
      _exit(got == SIGUSR1 && s == SIGUSR1 ? 33 : 1);
    }
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  close(p[1]);
  CHECK(co_wait(mid) == 0);
  // The grandchild was reparented to this process (the subreaper) and got its signal.
  int st;
  pid_t g = wait(&st);
  CHECK(g > 0 && WIFEXITED(st));
  printf("orphan reaped by subreaper, exit %d\n", WEXITSTATUS(st));
  return WEXITSTATUS(st) == 33 && sig == 0 ? 0 : 1;
}
