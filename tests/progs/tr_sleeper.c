// tr_sleeper: prints its pid and a newline on stdout, then forever writes "tick\n" to
// /dev/null (fd 3) and sleeps 50 ms (nanosleep). For attach (-p) tests.
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  printf("%d\n", (int)getpid());
  fflush(stdout);
  int fd = open("/dev/null", O_WRONLY);
  if (fd != 3) {
    dup2(fd, 3);
    close(fd);
  }
  struct timespec ts = {0, 50 * 1000 * 1000};
  for (;;) {
    syscall(SYS_write, 3, "tick\n", 5);
    syscall(SYS_nanosleep, &ts, NULL);
  }
}
