// Opens /proc/<getpid()>/status and /proc/<getpid()>/task/<gettid()>/stat by number (replay
// feeds the recorded ids back, so these name the recorded pid) and prints whether each opened.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char path[128];
  snprintf(path, sizeof path, "/proc/%d/status", (int)getpid());
  int fd = open(path, O_RDONLY);
  printf("status=%s\n", fd >= 0 ? "ok" : "failed");
  if (fd >= 0) close(fd);
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)getpid(), (int)syscall(SYS_gettid));
  fd = openat(AT_FDCWD, path, O_RDONLY);
  printf("task=%s\n", fd >= 0 ? "ok" : "failed");
  if (fd >= 0) close(fd);
  return 0;
}
