// Named pipes and device files: a FIFO opened non-blocking for reading, a child writer, EOF on
// its close; /dev/zero, /dev/null, /dev/urandom reads; /dev/full's ENOSPC; O_NONBLOCK writer with
// no reader (ENXIO).
#include "co.h"

int main(void) {
  CHECK(mkfifo("ff", 0600) == 0);
  errno = 0;
  CHECK(open("ff", O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
  int r = open("ff", O_RDONLY | O_NONBLOCK);
  CHECK(r >= 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    int w = open("ff", O_WRONLY);
    if (w < 0) _exit(1);
    write(w, "through fifo", 12);
    _exit(0);
  }
  CHECK(co_wait(c) == 0);
  CHECK(fcntl(r, F_SETFL, 0) == 0);
  char buf[32] = {0};
  CHECK(read(r, buf, sizeof buf) == 12 && read(r, buf + 12, 1) == 0);
  CHECK(unlink("ff") == 0);
  int z = open("/dev/zero", O_RDONLY), n = open("/dev/null", O_RDWR),
      u = open("/dev/urandom", O_RDONLY), f = open("/dev/full", O_WRONLY);
  CHECK(z >= 0 && n >= 0 && u >= 0 && f >= 0);
  char zb[64];
  memset(zb, 1, sizeof zb);
  CHECK(read(z, zb, sizeof zb) == 64 && zb[0] == 0 && zb[63] == 0);
  CHECK(write(n, zb, 64) == 64 && read(n, zb, 64) == 0 && read(u, zb, 64) == 64);
  errno = 0;
  CHECK(write(f, "x", 1) == -1 && errno == ENOSPC);
  printf("fifo \"%s\", devices ok\n", buf);
  return 0;
}
