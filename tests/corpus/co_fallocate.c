// Space and sparse files: fallocate (plain, KEEP_SIZE, PUNCH_HOLE), ftruncate, SEEK_DATA and
// SEEK_HOLE, pwrite past the end, posix_fadvise; unsupported modes print their errno, which is
// the same in every mode on the same filesystem.
#include "co.h"

int main(void) {
  int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  int r = fallocate(fd, 0, 0, 1 << 16);
  printf("fallocate %s\n", r == 0 ? "ok" : strerror(errno));
  struct stat st;
  if (r == 0) CHECK(fstat(fd, &st) == 0 && st.st_size == 1 << 16);
  r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 1 << 16, 1 << 16);
  printf("keep size %s\n", r == 0 ? "ok" : strerror(errno));
  CHECK(ftruncate(fd, 1 << 20) == 0);
  CHECK(pwrite(fd, "end", 3, (1 << 21) - 3) == 3);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 1 << 21);
  r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096);
  printf("punch hole %s\n", r == 0 ? "ok" : strerror(errno));
  off_t data = lseek(fd, 1 << 20, SEEK_DATA);
  off_t hole = lseek(fd, (1 << 21) - 3, SEEK_HOLE);
  CHECK(data >= (1 << 20) && data <= (1 << 21) - 3 && hole == 1 << 21);
  CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  char buf[4];
  CHECK(pread(fd, buf, 3, (1 << 21) - 3) == 3 && memcmp(buf, "end", 3) == 0);
  CHECK(unlink("sparse") == 0);
  printf("size %lld\n", (long long)st.st_size);
  return 0;
}
