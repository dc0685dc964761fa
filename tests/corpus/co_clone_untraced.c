// A raw clone(CLONE_UNTRACED | SIGCHLD): the child makes calls (getpid, write to a pipe) and
// exits with a code the parent checks. Natively this is an ordinary fork.
#include <sched.h>
#include "co.h"

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  long r = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, NULL, NULL, 0);
  if (r == 0) {
    pid_t me = (pid_t)syscall(SYS_getpid);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", me);
    if (write(p[1], buf, (size_t)n) != n) _exit(1);
    _exit(7);
  }
  if (r < 0) {
    printf("clone(CLONE_UNTRACED) failed: %s\n", strerror(errno));
    return 0;
  }
  close(p[1]);
  char buf[32] = {0};
  CHECK(read(p[0], buf, sizeof buf - 1) > 0);
  int code = co_wait((pid_t)r);
  CHECK(atoi(buf) == r);
  printf("untraced child exit %d, its getpid matched\n", code);
  return code == 7 ? 0 : 1;
}
