// memfd_create with sealing: write, seal against shrinking and writing, the mapping and a
// re-open through /proc/self/fd see the data; F_GET_SEALS.
#include <sys/mman.h>
#include "co.h"

int main(void) {
  int fd = memfd_create("co-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  CHECK(fd >= 0);
  CHECK(write(fd, "sealed data", 11) == 11);
  CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0);
  CHECK(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
  errno = 0;
  CHECK(write(fd, "x", 1) == -1 && errno == EPERM);
  CHECK(ftruncate(fd, 0) == -1 && errno == EPERM);
  char* m = mmap(NULL, 11, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED && memcmp(m, "sealed data", 11) == 0);
  char path[64], link[128] = {0};
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  CHECK(readlink(path, link, sizeof link - 1) > 0);
  int again = open(path, O_RDONLY);
  CHECK(again >= 0);
  char buf[12] = {0};
  CHECK(read(again, buf, 11) == 11);
  printf("memfd %s \"%s\"\n", link, buf);
  return 0;
}
