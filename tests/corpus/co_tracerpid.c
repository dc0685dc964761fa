// Anti-debugging checks, as some programs and runtimes do: TracerPid in /proc/self/status is 0
// in the program and in a child it forks.
#include "co.h"

static long tracer_of(const char* status_path) {
  char buf[8192] = {0};
  int fd = open(status_path, O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, sizeof buf - 1) > 0);
  close(fd);
  const char* t = strstr(buf, "\nTracerPid:\t");
  CHECK(t != NULL);
  return strtol(t + 12, NULL, 10);
}

int main(void) {
  long self = tracer_of("/proc/self/status");
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) _exit(tracer_of("/proc/self/status") == 0 ? 0 : 1);
  int child = co_wait(c);
  printf("TracerPid %s, child's %s\n", self == 0 ? "0" : "nonzero", child == 0 ? "0" : "nonzero");
  return 0;
}
