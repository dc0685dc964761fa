// The working directory: chdir into a deep tree (60 levels), getcwd's length, fchdir back
// through a saved fd, relative opens after each change, a removed cwd (getcwd fails ENOENT,
// "." still works for fstat), chdir("..") out of it.
#include "co.h"

int main(void) {
  char start[4096];
  CHECK(getcwd(start, sizeof start) != NULL);
  int home = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(home >= 0);
  for (int i = 0; i < 60; ++i) {
    char d[16];
    snprintf(d, sizeof d, "level%02d", i);
    CHECK(mkdir(d, 0755) == 0 && chdir(d) == 0);
  }
  char deep[8192];
  CHECK(getcwd(deep, sizeof deep) != NULL);
  size_t added = strlen(deep) - strlen(start);
  int fd = open("leaf", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0);
  close(fd);
  CHECK(fchdir(home) == 0);
  char path[8192] = "level00";
  for (int i = 1; i < 60; ++i) {
    char d[16];
    snprintf(d, sizeof d, "/level%02d", i);
    strcat(path, d);
  }
  strcat(path, "/leaf");
  struct stat st;
  CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
  CHECK(unlink(path) == 0);
  for (char* slash; (slash = strrchr(path, '/')) != NULL;) {
    *slash = 0;
    CHECK(rmdir(path) == 0);
  }
  CHECK(mkdir("gone", 0755) == 0 && chdir("gone") == 0 && rmdir("../gone") == 0);
  char buf[4096];
  errno = 0;
  CHECK(getcwd(buf, sizeof buf) == NULL && errno == ENOENT);
  CHECK(stat(".", &st) == 0 && st.st_nlink == 0);
  int dot = open("./", O_RDONLY | O_DIRECTORY);
  CHECK(dot >= 0 && fstat(dot, &st) == 0 && st.st_nlink == 0 && close(dot) == 0);
  CHECK(stat("./../.", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink >= 2);
  errno = 0;
  CHECK(open("new", O_WRONLY | O_CREAT, 0644) == -1 && errno == ENOENT);
  CHECK(chdir("..") == 0 && getcwd(buf, sizeof buf) != NULL && strcmp(buf, start) == 0);
  printf("deep cwd added %zu chars, removed cwd behaves\n", added);
  return 0;
}
