// 4 MiB through a pipe from a child to the parent with a checksum, a pipe with O_DIRECT
// (packet mode), F_SETPIPE_SZ, and FIONREAD.
#include <sys/ioctl.h>
#include "co.h"

int main(void) {
  int p[2];
  CHECK(pipe2(p, O_CLOEXEC) == 0);
  CHECK(fcntl(p[1], F_SETPIPE_SZ, 1 << 16) >= (1 << 16));
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    close(p[0]);
    static unsigned char buf[8192];
    for (int i = 0; i < 512; ++i) {
      for (int j = 0; j < 8192; ++j) buf[j] = (unsigned char)(i * 31 + j);
      CHECK(co_write_all(p[1], buf, sizeof buf) == 0);
    }
    _exit(0);
  }
  close(p[1]);
  unsigned long sum = 0, total = 0;
  unsigned char buf[3000];
  ssize_t k;
  while ((k = read(p[0], buf, sizeof buf)) > 0) {
    for (ssize_t j = 0; j < k; ++j) sum = sum * 131 + buf[j];
    total += (unsigned long)k;
  }
  CHECK(k == 0);
  CHECK(co_wait(c) == 0);
  close(p[0]);
  CHECK(pipe2(p, O_DIRECT) == 0);
  CHECK(write(p[1], "abc", 3) == 3 && write(p[1], "de", 2) == 2);
  int avail = 0;
  CHECK(ioctl(p[0], FIONREAD, &avail) == 0 && avail == 5);
  char small[16];
  CHECK(read(p[0], small, sizeof small) == 3);  // one packet per read
  CHECK(read(p[0], small, sizeof small) == 2);
  printf("pipe bytes %lu sum %lx packets ok\n", total, sum);
  return 0;
}
