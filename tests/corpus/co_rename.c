// rename, renameat, renameat2 with RENAME_NOREPLACE (EEXIST) and RENAME_EXCHANGE, rename of a
// directory over an empty one, and over a non-empty one (ENOTEMPTY).
#include "co.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static void put(const char* p, const char* s) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s) && close(fd) == 0);
}
static const char* get(const char* p) {
  static char buf[32];
  memset(buf, 0, sizeof buf);
  int fd = open(p, O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) >= 0 && close(fd) == 0);
  return buf;
}

int main(void) {
  put("a", "A");
  put("b", "B");
  errno = 0;
  CHECK(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE) == -1 &&
        errno == EEXIST);
  CHECK(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE) == 0);
  printf("after exchange a=%s", get("a"));
  printf(" b=%s\n", get("b"));
  CHECK(rename("a", "c") == 0 && access("a", F_OK) == -1);
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(renameat(dir, "c", dir, "b") == 0);
  printf("after renames b=%s\n", get("b"));
  CHECK(mkdir("d1", 0755) == 0 && mkdir("d2", 0755) == 0);
  put("d1/x", "X");
  CHECK(rename("d1", "d2") == 0);
  CHECK(mkdir("d3", 0755) == 0);
  errno = 0;
  CHECK(rename("d3", "d2") == -1 && (errno == ENOTEMPTY || errno == EEXIST));
  printf("d2/x=%s\n", get("d2/x"));
  CHECK(unlink("d2/x") == 0 && rmdir("d2") == 0 && rmdir("d3") == 0 && unlink("b") == 0);
  return 0;
}
