// A blocking read interrupted by timer signals: with SA_RESTART the read is restarted after each
// SIGALRM until the handler's third run writes a byte; without SA_RESTART it fails with EINTR.
#include <sys/time.h>
#include "co.h"

static int wfd;
static volatile sig_atomic_t ticks;
static void on_alarm(int s) {
  (void)s;
  if (++ticks == 3) {
    int e = errno;
    write(wfd, "x", 1);
    errno = e;
  }
}

int main(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  wfd = p[1];
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
  char c;
  ssize_t n = read(p[0], &c, 1);
  CHECK(n == 1 && c == 'x' && ticks >= 3);
  struct itimerval off = {{0, 0}, {0, 0}};
  CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);

  sa.sa_flags = 0;
  CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
  ticks = 100;
  struct itimerval once = {{0, 0}, {0, 5000}};
  CHECK(setitimer(ITIMER_REAL, &once, NULL) == 0);
  errno = 0;
  n = read(p[0], &c, 1);
  CHECK(n == -1 && errno == EINTR);
  printf("restarted read %c, unrestarted read EINTR\n", c);
  return 0;
}
