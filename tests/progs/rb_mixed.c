// For tests/integration/rule_backend_test.cc: makes exactly the calls a policy mixing notify and
// ptrace rules acts on, and prints what it saw.
//   rb_mixed FILE NPPID NPGRP
// 1. opens FILE (a path rule redirects it: only the notify loop emulates that) and prints
//    "file=<its first line>";
// 2. write(1, "0123456789\n", 11) (a modify rule shortens it: only the tracer can);
// 3. getppid() NPPID times and getpgrp() NPGRP times (return rules, each on its own route),
//    printing "ppid=<last result> pgrp=<last result>";
// 4. prints "tracer=<TracerPid of /proc/self/status>".
// Every other write is longer than 11 bytes.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char* s) {
  size_t n = strlen(s);
  if (n == 11) {  // never the modify rule's count by accident
    (void)!write(1, s, n - 1);
    (void)!write(1, "\n", 1);
    return;
  }
  (void)!write(1, s, n);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  char buf[512], line[600];
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    snprintf(line, sizeof(line), "file=open failed: %s\n", strerror(errno));
  } else {
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    snprintf(line, sizeof(line), "file=%s\n", buf);
  }
  say(line);
  (void)!syscall(SYS_write, 1, "0123456789\n", 11);
  say("\n<after the modified write>\n");
  long ppid = -1, pgrp = -1;
  for (int i = 0; i < atoi(argv[2]); ++i) ppid = syscall(SYS_getppid);
  for (int i = 0; i < atoi(argv[3]); ++i) pgrp = syscall(SYS_getpgrp);
  snprintf(line, sizeof(line), "ppid=%ld pgrp=%ld\n", ppid, pgrp);
  say(line);
  long tracer = -1;
  FILE* f = fopen("/proc/self/status", "re");
  if (f) {
    while (fgets(buf, sizeof(buf), f))
      if (strncmp(buf, "TracerPid:", 10) == 0) tracer = strtol(buf + 10, NULL, 10);
    fclose(f);
  }
  snprintf(line, sizeof(line), "tracer=%ld\n", tracer);
  say(line);
  return 0;
}
