// An exec chain: the program execs itself 4 times: through /proc/self/exe, execveat of an fd
// with AT_EMPTY_PATH, execve of argv[0], and /bin/sh -c 'exec ...'.
#include "co.h"

extern char** environ;
int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  char num[16];
  snprintf(num, sizeof num, "%d", n + 1);
  if (n == 0) {
    char* a[] = {argv[0], num, NULL};
    execv("/proc/self/exe", a);
  } else if (n == 1) {
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    char* a[] = {argv[0], num, NULL};
    syscall(SYS_execveat, fd, "", a, environ, AT_EMPTY_PATH);
  } else if (n == 2) {
    char* a[] = {argv[0], num, NULL};
    execve(argv[0], a, environ);
  } else if (n == 3) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec '%s' %s", argv[0], num);
    execl("/bin/sh", "sh", "-c", cmd, (char*)NULL);
  } else {
    printf("exec chain depth %d\n", n);
    return 0;
  }
  CHECK(!"exec failed");
}
