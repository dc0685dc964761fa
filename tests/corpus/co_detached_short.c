// A child that outlives the program briefly while holding its stdout: it writes nothing, waits
// for its parent to be gone (its pipe closes), then exits. The program's output is complete
// when it exits; the runner sees end of file on stdout once the child has exited too.
#include "co.h"

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    close(p[1]);
    char x;
    while (read(p[0], &x, 1) > 0) {}
    _exit(0);
  }
  close(p[0]);
  printf("parent exits first\n");
  return 0;
}
