// A program that debugs its own child, as strace, gdb and sanitizers do: PTRACE_TRACEME, the
// child stops itself, the parent sees the stop, reads a register, continues it, sees its exit.
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include "co.h"

int main(void) {
  pid_t c = fork();
  CHECK(c >= 0);
  if (c == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
      fprintf(stderr, "PTRACE_TRACEME: %s\n", strerror(errno));
      _exit(99);
    }
    raise(SIGSTOP);
    _exit(5);
  }
  int st;
  CHECK(waitpid(c, &st, 0) == c);
  if (WIFEXITED(st)) {
    printf("child exited %d before stopping\n", WEXITSTATUS(st));
    return 1;
  }
  CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  errno = 0;
  long rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), NULL);
  CHECK(errno == 0 && rip != 0);
  CHECK(ptrace(PTRACE_CONT, c, NULL, NULL) == 0);
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st));
  printf("traced child stopped, continued, exit %d\n", WEXITSTATUS(st));
  return WEXITSTATUS(st) == 5 ? 0 : 1;
}
