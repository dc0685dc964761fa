// stat family: statx by path and with AT_EMPTY_PATH on an fd, fstatat with AT_EMPTY_PATH and
// AT_SYMLINK_NOFOLLOW, fstat, newfstatat on "." and "..": all must agree on inode and size.
#include "co.h"

int main(void) {
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0640);
  CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
  struct stat a, b, c;
  CHECK(fstat(fd, &a) == 0 && stat("f", &b) == 0 && fstatat(fd, "", &c, AT_EMPTY_PATH) == 0);
  CHECK(a.st_ino == b.st_ino && b.st_ino == c.st_ino && c.st_size == 10);
  struct statx x, y;
  CHECK(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS | STATX_BTIME, &x) == 0);
  CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE | STATX_INO, &y) == 0);
  CHECK(x.stx_ino == a.st_ino && y.stx_ino == a.st_ino && x.stx_size == 10 &&
        (x.stx_mode & 0777) == 0640 && (y.stx_mask & STATX_SIZE));
  CHECK(symlink("f", "l") == 0);
  CHECK(fstatat(AT_FDCWD, "l", &c, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(c.st_mode));
  CHECK(statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &x) == 0 && S_ISLNK(x.stx_mode));
  CHECK(statx(AT_FDCWD, "l", 0, STATX_TYPE, &x) == 0 && S_ISREG(x.stx_mode));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(fstatat(dir, "", &a, AT_EMPTY_PATH) == 0 && stat(".", &b) == 0 && a.st_ino == b.st_ino);
  CHECK(fstatat(dir, "..", &a, 0) == 0 && S_ISDIR(a.st_mode));
  errno = 0;
  CHECK(fstatat(dir, "", &a, 0) == -1 && errno == ENOENT);
  errno = 0;
  CHECK(statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &x) == -1 && errno == ENOENT);
  CHECK(unlink("l") == 0 && unlink("f") == 0);
  printf("stat family agrees: size %lld mode %o\n", (long long)y.stx_size, 0640);
  return 0;
}
