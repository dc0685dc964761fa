// O_TMPFILE: an unnamed file in the cwd, written, then given a name with linkat through
// /proc/self/fd (AT_SYMLINK_FOLLOW) and with AT_EMPTY_PATH when allowed; O_TMPFILE|O_EXCL
// cannot be linked. Filesystems without O_TMPFILE print "unsupported" (the same in every mode).
#include "co.h"

int main(void) {
  int fd = open(".", O_TMPFILE | O_RDWR, 0600);
  if (fd < 0 && errno == EOPNOTSUPP) {
    printf("O_TMPFILE unsupported\n");
    return 0;
  }
  CHECK(fd >= 0);
  CHECK(write(fd, "anonymous", 9) == 9);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  CHECK(linkat(AT_FDCWD, path, AT_FDCWD, "named", AT_SYMLINK_FOLLOW) == 0);
  int empty = linkat(fd, "", AT_FDCWD, "named2", AT_EMPTY_PATH);
  CHECK(empty == 0 || errno == ENOENT || errno == EPERM);
  char buf[16] = {0};
  int r = open("named", O_RDONLY);
  CHECK(r >= 0 && read(r, buf, sizeof buf) == 9);
  close(r);
  int ex = open(".", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
  CHECK(ex >= 0);
  snprintf(path, sizeof path, "/proc/self/fd/%d", ex);
  errno = 0;
  CHECK(linkat(AT_FDCWD, path, AT_FDCWD, "named3", AT_SYMLINK_FOLLOW) == -1 && errno == ENOENT);
  CHECK(unlink("named") == 0);
  if (empty == 0) CHECK(unlink("named2") == 0);
  printf("tmpfile linked \"%s\"\n", buf);
  return 0;
}
