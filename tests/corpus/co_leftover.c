// A program that leaves a process behind: a child in a new session, with no descriptor of the
// program's, sleeps 10 s after the program has exited. The program itself finishes at once;
// whatever runs it must return then (not wait for the leftover), with the program's status.
#include "co.h"

int main(void) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2) close(null);
    struct timespec t = {10, 0};
    nanosleep(&t, NULL);
    _exit(0);
  }
  printf("left child behind\n");
  return 0;
}
