// vfork + execve of /bin/sh with an exit code, and vfork + _exit.
#include "co.h"

int main(void) {
  pid_t p = vfork();
  CHECK(p >= 0);
  if (p == 0) {
    execl("/bin/sh", "sh", "-c", "exit 42", (char*)NULL);
    _exit(127);
  }
  int a = co_wait(p);
  p = vfork();
  CHECK(p >= 0);
  if (p == 0) _exit(7);
  int b = co_wait(p);
  printf("vfork exec %d exit %d\n", a, b);
  return a == 42 && b == 7 ? 0 : 1;
}
