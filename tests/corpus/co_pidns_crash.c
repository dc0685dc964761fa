// The init (PID 1) of a new PID namespace (in a new user namespace; "skipped" where unprivileged
// user namespaces do not work) dies of SIGSEGV, and its parent sees it die of it (issue 13:
// under trace, pwnbox and that init spun until killed).
#include <sched.h>
#include <sys/resource.h>
#include "co.h"

static void write_file(const char* p, const char* s) {
  int fd = open(p, O_WRONLY);
  CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s));
  close(fd);
}

int main(void) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  int p[2];
  CHECK(pipe(p) == 0);
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    close(p[0]);
    int ok = unshare(CLONE_NEWUSER) == 0;
    write(p[1], ok ? "y" : "n", 1);
    if (!ok) _exit(0);
    char m[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(m, sizeof m, "0 %u 1", uid);
    write_file("/proc/self/uid_map", m);
    snprintf(m, sizeof m, "0 %u 1", gid);
    write_file("/proc/self/gid_map", m);
    long crash = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, NULL, NULL, 0);
    if (crash == 0) {
      struct rlimit no_core = {0, 0};
      setrlimit(RLIMIT_CORE, &no_core);
      signal(SIGSEGV, SIG_DFL);
      *(volatile int*)8 = 1;
      _exit(4);
    }
    if (crash < 0) _exit(3);
    _exit(co_wait((pid_t)crash) == 128 + SIGSEGV ? 0 : 5);
  }
  close(p[1]);
  char ok = 0;
  CHECK(read(p[0], &ok, 1) == 1);
  int code = co_wait(c);
  if (ok == 'n') {
    printf("user namespaces unavailable: skipped\n");
    return 0;
  }
  printf("init of a new pid namespace died of SIGSEGV, seen: status %d\n", code);
  return code;
}
