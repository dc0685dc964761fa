// File metadata: chmod/fchmodat, chown to one's own ids, utimensat (UTIME_OMIT, fixed times,
// AT_SYMLINK_NOFOLLOW on a link), futimens, access/faccessat with AT_EACCESS, truncate by path,
// mknod of a FIFO, mkdirat with a mode under umask, xattrs when the filesystem has them.
#include <sys/xattr.h>
#include "co.h"

int main(void) {
  umask(027);
  int fd = open("meta", O_RDWR | O_CREAT | O_TRUNC, 0666);
  CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640);
  CHECK(chmod("meta", 0604) == 0 && fchmodat(AT_FDCWD, "meta", 0644, 0) == 0);
  CHECK(chown("meta", getuid(), getgid()) == 0 && fchown(fd, (uid_t)-1, getgid()) == 0);
  struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
  CHECK(utimensat(AT_FDCWD, "meta", ts, 0) == 0);
  CHECK(stat("meta", &st) == 0 && st.st_mtim.tv_sec == 1200000000 && st.st_atim.tv_nsec == 5);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  CHECK(futimens(fd, omit) == 0 && fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1000000000 &&
        st.st_mtim.tv_sec == 1300000000);
  CHECK(symlink("meta", "meta.lnk") == 0);
  CHECK(utimensat(AT_FDCWD, "meta.lnk", ts, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(lstat("meta.lnk", &st) == 0 && st.st_mtim.tv_sec == 1200000000);
  CHECK(access("meta", R_OK | W_OK) == 0 && faccessat(AT_FDCWD, "meta", R_OK, AT_EACCESS) == 0);
  CHECK(truncate("meta", 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4);
  CHECK(mknod("fifo", S_IFIFO | 0600, 0) == 0 && stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(mkdirat(AT_FDCWD, "dir", 0777) == 0 && stat("dir", &st) == 0 &&
        (st.st_mode & 0777) == 0750);
  int x = fsetxattr(fd, "user.co", "v1", 2, 0);
  if (x == 0) {
    char v[8] = {0};
    CHECK(getxattr("meta", "user.co", v, sizeof v) == 2 && strcmp(v, "v1") == 0);
    CHECK(removexattr("meta", "user.co") == 0);
    printf("xattr ok\n");
  } else {
    printf("xattr: %s\n", strerror(errno));
  }
  CHECK(unlink("meta") == 0 && unlink("meta.lnk") == 0 && unlink("fifo") == 0 &&
        rmdir("dir") == 0);
  printf("metadata ok\n");
  return 0;
}
