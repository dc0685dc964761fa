// poll, ppoll, select and pselect over pipes: readiness, timeouts of 0 and of 1 ms, POLLNVAL on
// a closed fd, and pselect's mask letting a blocked signal interrupt it (EINTR).
#include <poll.h>
#include <sys/select.h>
#include "co.h"

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got = 1; }

int main(void) {
  int a[2], b[2];
  CHECK(pipe(a) == 0 && pipe(b) == 0);
  struct pollfd p[3] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}, {b[1], POLLOUT, 0}};
  CHECK(poll(p, 3, 0) == 1 && p[2].revents == POLLOUT);
  CHECK(write(a[1], "x", 1) == 1);
  CHECK(poll(p, 3, -1) == 2 && p[0].revents == POLLIN && p[1].revents == 0);
  CHECK(ppoll(p, 2, &(struct timespec){0, 1000000}, NULL) == 1);
  int dead = dup(b[0]);
  close(dead);
  struct pollfd q = {dead, POLLIN, 0};
  CHECK(poll(&q, 1, 0) == 1 && q.revents == POLLNVAL);

  fd_set r;
  FD_ZERO(&r);
  FD_SET(a[0], &r);
  FD_SET(b[0], &r);
  struct timeval tv = {0, 1000};
  int maxfd = a[0] > b[0] ? a[0] : b[0];
  CHECK(select(maxfd + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(a[0], &r) &&
        !FD_ISSET(b[0], &r));
  FD_ZERO(&r);
  FD_SET(b[0], &r);
  tv = (struct timeval){0, 1000};
  CHECK(select(b[0] + 1, &r, NULL, NULL, &tv) == 0);

  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  sigset_t m, empty;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigemptyset(&empty);
  CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0);
  CHECK(raise(SIGUSR1) == 0);
  FD_ZERO(&r);
  FD_SET(b[0], &r);
  errno = 0;
  CHECK(pselect(b[0] + 1, &r, NULL, NULL, NULL, &empty) == -1 && errno == EINTR && got);
  printf("poll select ppoll pselect ok\n");
  return 0;
}
