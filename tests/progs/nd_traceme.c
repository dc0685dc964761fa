// Debugs its own child as strace and gdb do: the child asks to be traced (PTRACE_TRACEME) and
// stops; the parent sees the stop, continues it, and sees it exit 7. Prints
// "traced child exited 7" and exits 0, or says which step failed (exit 1).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int p[2];
  if (pipe(p) != 0) return 2;
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    close(p[0]);
    int err = ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : errno;
    if (write(p[1], &err, sizeof err) != sizeof err) _exit(2);
    if (err) _exit(1);
    raise(SIGSTOP);
    _exit(7);
  }
  close(p[1]);
  int err = 0;
  if (read(p[0], &err, sizeof err) != sizeof err) err = EIO;
  if (err) {
    printf("PTRACE_TRACEME: %s\n", strerror(err));
    waitpid(child, NULL, 0);
    return 1;
  }
  int st;
  if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
    printf("no stop: status %#x\n", st);
    return 1;
  }
  if (ptrace(PTRACE_CONT, child, 0, 0) != 0) {
    printf("PTRACE_CONT: %s\n", strerror(errno));
    return 1;
  }
  if (waitpid(child, &st, 0) != child || !WIFEXITED(st)) {
    printf("no exit: status %#x\n", st);
    return 1;
  }
  printf("traced child exited %d\n", WEXITSTATUS(st));
  return 0;
}
