// open flags: O_DIRECTORY with a mode argument (issue 13), O_DIRECTORY on a file (ENOTDIR),
// O_CREAT|O_EXCL (EEXIST), a mode under umask, O_NOFOLLOW on a symlink (ELOOP),
// O_APPEND, O_TRUNC, openat relative to a directory fd, openat2 with RESOLVE_BENEATH.
#include <linux/openat2.h>
#include "co.h"

int main(void) {
  umask(022);
  int d = openat(AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY, 0644);
  CHECK(d >= 0);
  close(d);
  d = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(d >= 0);
  int f = openat(d, "hostname", O_RDONLY | O_DIRECTORY);
  CHECK(f == -1 && (errno == ENOTDIR || errno == ENOENT));
  close(d);
  CHECK(mkdir("sub", 0750) == 0);
  int sub = open("sub", O_RDONLY | O_DIRECTORY, 0644);
  CHECK(sub >= 0);
  f = openat(sub, "file", O_WRONLY | O_CREAT | O_EXCL, 0666);
  CHECK(f >= 0);
  struct stat st;
  CHECK(fstat(f, &st) == 0 && (st.st_mode & 0777) == 0644);
  CHECK(write(f, "12345", 5) == 5);
  close(f);
  errno = 0;
  CHECK(openat(sub, "file", O_WRONLY | O_CREAT | O_EXCL, 0666) == -1 && errno == EEXIST);
  f = openat(sub, "file", O_WRONLY | O_APPEND);
  CHECK(f >= 0 && write(f, "67", 2) == 2 && fstat(f, &st) == 0 && st.st_size == 7);
  close(f);
  CHECK(symlinkat("file", sub, "link") == 0);
  errno = 0;
  CHECK(openat(sub, "link", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP);
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
  f = (int)syscall(SYS_openat2, sub, "link", &how, sizeof how);
  CHECK(f >= 0);
  char buf[8] = {0};
  CHECK(read(f, buf, 7) == 7);
  close(f);
  errno = 0;
  CHECK(syscall(SYS_openat2, sub, "../sub/file", &how, sizeof how) == -1 && errno == EXDEV);
  f = openat(sub, "file", O_RDWR | O_TRUNC);
  CHECK(f >= 0 && fstat(f, &st) == 0 && st.st_size == 0);
  close(f);
  CHECK(unlinkat(sub, "link", 0) == 0 && unlinkat(sub, "file", 0) == 0);
  close(sub);
  CHECK(rmdir("sub") == 0);
  printf("open flags ok, content %s\n", buf);
  return 0;
}
