// O_PATH handles, as find, systemd and container tools use them: on a file, on a symlink
// itself (O_NOFOLLOW), on a directory used as a dirfd; fstatat(AT_EMPTY_PATH) and fchdir on them,
// read refused with EBADF, re-opening through /proc/self/fd.
#include "co.h"

int main(void) {
  int f = open("file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(f >= 0 && write(f, "opath", 5) == 5 && close(f) == 0);
  CHECK(symlink("file", "link") == 0 && mkdir("dir", 0755) == 0);
  int pf = open("file", O_PATH | O_CLOEXEC);
  if (pf < 0) {
    printf("open(O_PATH): %s\n", strerror(errno));  // what a program reports
    return 0;
  }
  struct stat st;
  CHECK(fstatat(pf, "", &st, AT_EMPTY_PATH) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
  char c;
  errno = 0;
  CHECK(read(pf, &c, 1) == -1 && errno == EBADF);
  char proc[64], buf[8] = {0};
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", pf);
  int again = open(proc, O_RDONLY);
  CHECK(again >= 0 && read(again, buf, 5) == 5);
  int pl = openat(AT_FDCWD, "link", O_PATH | O_NOFOLLOW);
  CHECK(pl >= 0 && fstatat(pl, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode));
  char target[16] = {0};
  CHECK(readlinkat(pl, "", target, sizeof target) == 4);
  int pd = open("dir", O_PATH | O_DIRECTORY);
  CHECK(pd >= 0 && fchdir(pd) == 0 && chdir("..") == 0);
  int in = openat(pd, "inside", O_WRONLY | O_CREAT, 0644);
  CHECK(in >= 0 && close(in) == 0 && unlinkat(pd, "inside", 0) == 0);
  CHECK(unlink("link") == 0 && unlink("file") == 0 && rmdir("dir") == 0);
  printf("O_PATH handles: file \"%s\", link -> %s, dir as dirfd\n", buf, target);
  return 0;
}
