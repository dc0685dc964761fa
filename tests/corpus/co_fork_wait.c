// fork 20 children exiting with distinct codes; wait for each by pid and for any.
#include "co.h"

int main(void) {
  pid_t pids[20];
  for (int i = 0; i < 20; ++i) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) _exit(i + 1);
  }
  int sum = 0;
  for (int i = 0; i < 10; ++i) sum += co_wait(pids[i]);
  for (int i = 10; i < 20; ++i) {
    int st;
    pid_t p = wait(&st);
    CHECK(p > 0 && WIFEXITED(st));
    sum += WEXITSTATUS(st);
  }
  errno = 0;
  CHECK(wait(NULL) == -1 && errno == ECHILD);
  printf("children 20 sum %d\n", sum);
  return sum == 210 ? 0 : 1;
}
