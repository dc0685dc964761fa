// Redirecting its own stdout: dup the original, dup2 a file over fd 1, write through printf and
// write, restore, then copy the file to the real stdout; writev and pwritev on the file.
#include <sys/uio.h>
#include "co.h"

int main(void) {
  int saved = dup(1);
  int f = open("out.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(saved >= 0 && f >= 0);
  fflush(stdout);
  CHECK(dup2(f, 1) == 1);
  printf("into the file via printf\n");
  fflush(stdout);
  struct iovec iov[2] = {{"via ", 4}, {"writev\n", 7}};
  CHECK(writev(1, iov, 2) == 11);
  CHECK(dup2(saved, 1) == 1);
  close(saved);
  struct iovec p[1] = {{"pwritev\n", 8}};
  off_t end = lseek(f, 0, SEEK_END);
  CHECK(pwritev(f, p, 1, end) == 8);
  char buf[256] = {0};
  CHECK(pread(f, buf, sizeof buf - 1, 0) > 0);
  printf("file holds:\n%s", buf);
  CHECK(unlink("out.txt") == 0);
  return 0;
}
