// inotify on a directory (the run's cwd): create, write, rename, delete a file, and a watch on
// the file itself; events read and printed in order.
#include <sys/inotify.h>
#include "co.h"

int main(void) {
  CHECK(mkdir("watched", 0755) == 0);
  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  CHECK(in >= 0);
  int wd = inotify_add_watch(in, "watched", IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                                              IN_DELETE | IN_CLOSE_WRITE);
  CHECK(wd >= 0);
  int fd = open("watched/a", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "hi", 2) == 2);
  close(fd);
  int fw = inotify_add_watch(in, "watched/a", IN_ATTRIB | IN_DELETE_SELF);
  CHECK(fw >= 0 && fw != wd);
  CHECK(chmod("watched/a", 0600) == 0);
  CHECK(rename("watched/a", "watched/b") == 0);
  CHECK(unlink("watched/b") == 0);
  char buf[4096] __attribute__((aligned(8)));
  ssize_t n = read(in, buf, sizeof buf);
  CHECK(n > 0);
  for (char* p = buf; p < buf + n;) {
    struct inotify_event* e = (struct inotify_event*)p;
    printf("%s %08x %s\n", e->wd == wd ? "dir" : "file", e->mask & ~IN_ISDIR,
           e->len ? e->name : "-");
    p += sizeof *e + e->len;
  }
  CHECK(rmdir("watched") == 0);
  return 0;
}
