// Hard and symbolic links: link/linkat counts, symlink/readlink/readlinkat, lstat vs stat,
// a dangling symlink, a symlink loop (ELOOP), relative symlinks through a directory.
#include "co.h"

int main(void) {
  int fd = open("target", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0 && write(fd, "T", 1) == 1);
  close(fd);
  CHECK(link("target", "hard1") == 0);
  CHECK(linkat(AT_FDCWD, "hard1", AT_FDCWD, "hard2", 0) == 0);
  struct stat st, lst;
  CHECK(stat("target", &st) == 0 && st.st_nlink == 3);
  CHECK(mkdir("dir", 0755) == 0);
  CHECK(symlink("../target", "dir/rel") == 0);
  CHECK(stat("dir/rel", &st) == 0 && S_ISREG(st.st_mode));
  CHECK(lstat("dir/rel", &lst) == 0 && S_ISLNK(lst.st_mode) && lst.st_size == 9);
  char buf[64] = {0};
  CHECK(readlink("dir/rel", buf, sizeof buf) == 9);
  int d = open("dir", O_RDONLY | O_DIRECTORY);
  char buf2[64] = {0};
  CHECK(readlinkat(d, "rel", buf2, sizeof buf2) == 9 && strcmp(buf, buf2) == 0);
  CHECK(symlink("nowhere", "dangling") == 0);
  errno = 0;
  CHECK(stat("dangling", &st) == -1 && errno == ENOENT);
  CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
  errno = 0;
  CHECK(open("loop1", O_RDONLY) == -1 && errno == ELOOP);
  errno = 0;
  CHECK(link("dir", "dirlink") == -1 && errno == EPERM);
  CHECK(unlink("hard1") == 0 && unlink("hard2") == 0 && stat("target", &st) == 0 &&
        st.st_nlink == 1);
  CHECK(unlink("dir/rel") == 0 && rmdir("dir") == 0 && unlink("dangling") == 0 &&
        unlink("loop1") == 0 && unlink("loop2") == 0 && unlink("target") == 0);
  printf("links: rel -> %s, counts and errors ok\n", buf);
  return 0;
}
