// Copying without user buffers: copy_file_range between files, sendfile file -> socket and
// file -> file, splice file -> pipe -> file, tee, vmsplice; the result compared byte for byte.
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "co.h"

static int make(const char* p, size_t n) {
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  char buf[4096];
  for (size_t off = 0; off < n; off += sizeof buf) {
    for (size_t i = 0; i < sizeof buf; ++i) buf[i] = (char)((off + i) * 13);
    CHECK(write(fd, buf, sizeof buf) == sizeof buf);
  }
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}
static int same(int a, int b, size_t n) {
  static char x[1 << 16], y[1 << 16];
  CHECK(n <= sizeof x);
  return pread(a, x, n, 0) == (ssize_t)n && pread(b, y, n, 0) == (ssize_t)n &&
         memcmp(x, y, n) == 0;
}

int main(void) {
  const size_t n = 1 << 16;
  int src = make("src", n);
  int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
  loff_t in_off = 0;
  size_t left = n;
  while (left > 0) {
    ssize_t k = copy_file_range(src, &in_off, dst, NULL, left, 0);
    CHECK(k > 0);
    left -= (size_t)k;
  }
  CHECK(same(src, dst, n));

  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  off_t off = 0;
  CHECK(sendfile(sv[0], src, &off, 4096) == 4096);
  char buf[4096], ref[4096];
  CHECK(co_read_all(sv[1], buf, 4096) == 0 && pread(src, ref, 4096, 0) == 4096);
  CHECK(memcmp(buf, ref, 4096) == 0);
  int d2 = open("dst2", O_RDWR | O_CREAT | O_TRUNC, 0644);
  off = 0;
  left = n;
  while (left > 0) {
    ssize_t k = sendfile(d2, src, &off, left);
    CHECK(k > 0);
    left -= (size_t)k;
  }
  CHECK(same(src, d2, n));

  int p[2], q[2];
  CHECK(pipe(p) == 0 && pipe(q) == 0);
  int d3 = open("dst3", O_RDWR | O_CREAT | O_TRUNC, 0644);
  loff_t so = 0;
  ssize_t moved = 0;
  while (moved < (ssize_t)n) {
    ssize_t k = splice(src, &so, p[1], NULL, 8192, SPLICE_F_MOVE);
    CHECK(k > 0);
    CHECK(tee(p[0], q[1], (size_t)k, 0) == k);
    CHECK(splice(p[0], NULL, d3, NULL, (size_t)k, SPLICE_F_MOVE) == k);
    static char teed[8192];
    CHECK(co_read_all(q[0], teed, (size_t)k) == 0);
    moved += k;
  }
  CHECK(same(src, d3, n));
  struct iovec iov = {"vmspliced", 9};
  CHECK(vmsplice(p[1], &iov, 1, 0) == 9);
  char v[10] = {0};
  CHECK(read(p[0], v, 9) == 9);
  CHECK(unlink("src") == 0 && unlink("dst") == 0 && unlink("dst2") == 0 && unlink("dst3") == 0);
  printf("copy_file_range sendfile splice tee %zu bytes, %s\n", n, v);
  return 0;
}
