// Directory listing: 50 files made in a subdirectory, read back with raw getdents64 in a small
// buffer (many calls), with readdir, and with scandir in sorted order; d_type of each.
#include <dirent.h>
#include "co.h"

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int main(void) {
  CHECK(mkdir("list", 0755) == 0);
  for (int i = 0; i < 50; ++i) {
    char p[32];
    snprintf(p, sizeof p, "list/f%02d", i);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
  }
  CHECK(mkdir("list/subdir", 0755) == 0);
  int d = open("list", O_RDONLY | O_DIRECTORY);
  CHECK(d >= 0);
  char buf[256];
  int files = 0, dirs = 0, calls = 0;
  long n;
  while ((n = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {
    calls++;
    for (long off = 0; off < n;) {
      struct linux_dirent64* e = (struct linux_dirent64*)(buf + off);
      if (e->d_type == DT_REG) files++;
      else if (e->d_type == DT_DIR) dirs++;
      off += e->d_reclen;
    }
  }
  CHECK(n == 0 && calls > 5);
  DIR* dir = fdopendir(d);
  rewinddir(dir);
  int entries = 0;
  while (readdir(dir)) entries++;
  closedir(dir);
  struct dirent** names;
  int k = scandir("list", &names, NULL, alphasort);
  CHECK(k == 53);
  printf("files %d dirs %d entries %d first %s last %s\n", files, dirs, entries, names[2]->d_name,
         names[k - 1]->d_name);
  for (int i = 0; i < k; ++i) {
    if (names[i]->d_name[0] == 'f') {
      char p[300];
      snprintf(p, sizeof p, "list/%s", names[i]->d_name);
      CHECK(unlink(p) == 0);
    }
    free(names[i]);
  }
  free(names);
  CHECK(rmdir("list/subdir") == 0 && rmdir("list") == 0);
  return 0;
}
