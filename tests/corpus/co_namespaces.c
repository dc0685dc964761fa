// A new user and PID namespace (when unprivileged user namespaces work here, else "skipped"):
// the first process of the PID namespace is PID 1 and sees uid 0 after its maps are written.
#include <sched.h>
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
    // Each clone(CLONE_NEWPID) starts a namespace whose first process is its PID 1.
    long init = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, NULL, NULL, 0);
    if (init == 0) _exit(getpid() == 1 && getuid() == 0 ? 0 : 1);
    if (init < 0 || co_wait((pid_t)init) != 0) _exit(2);
    _exit(0);
  }
  close(p[1]);
  char ok = 0;
  CHECK(read(p[0], &ok, 1) == 1);
  int code = co_wait(c);
  if (ok == 'n') {
    printf("user namespaces unavailable: skipped\n");
    return 0;
  }
  printf("pid 1 and uid 0 in new namespaces: status %d\n", code);
  return code;
}
