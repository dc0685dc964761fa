// kill(0, sig) signals the whole process group: this process and two children in it (with a
// handler) and a child in its own group (that must not get it). The signal reaches whatever
// else shares the group too, so the program first makes its own group, as a job-control shell
// would have. Then killpg from a child to the parent's group.
#include "co.h"

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
  CHECK(setpgid(0, 0) == 0);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  sigset_t m, old;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &m, &old) == 0);
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t kids[3];
  for (int i = 0; i < 3; ++i) {
    kids[i] = fork();
    CHECK(kids[i] >= 0);
    if (kids[i] == 0) {
      if (i == 2) setpgid(0, 0);
      // Waits for SIGUSR1 (or, in its own group, for SIGTERM from the parent): both blocked
      // before telling the parent it is ready.
      sigset_t w;
      sigemptyset(&w);
      sigaddset(&w, SIGUSR1);
      sigaddset(&w, SIGTERM);
      sigprocmask(SIG_BLOCK, &w, NULL);
      close(ready[0]);
      write(ready[1], "r", 1);
      close(ready[1]);
      int s = 0;
      sigwait(&w, &s);
      _exit(s == SIGUSR1 ? 10 + i : 20 + i);
    }
  }
  close(ready[1]);
  char c;
  for (int i = 0; i < 3; ++i) CHECK(read(ready[0], &c, 1) == 1);
  CHECK(kill(0, SIGUSR1) == 0);
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  CHECK(got == 1);
  int a = co_wait(kids[0]), b = co_wait(kids[1]);
  CHECK(kill(kids[2], SIGTERM) == 0);
  int d = co_wait(kids[2]);
  printf("group kill: self %d children %d %d, other group %d\n", (int)got, a, b, d);
  CHECK(a == 10 && b == 11 && d == 22);
  pid_t k = fork();
  CHECK(k >= 0);
  if (k == 0) _exit(killpg(getpgid(getppid()), SIGUSR1) == 0 ? 0 : 1);
  CHECK(co_wait(k) == 0);
  CHECK(got == 2);
  printf("killpg from child ok\n");
  return 0;
}
