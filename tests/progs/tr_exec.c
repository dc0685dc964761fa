// tr_exec [--fork] PROG [ARG...]: execve PROG with ARGs (argv[0] = PROG). With --fork, a child
// does the execve and the parent wait4s it and exits with the child's exit status (128+N when it
// was killed by signal N). Exits 127 if execve fails.
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  int i = 1;
  int do_fork = argc > 1 && strcmp(argv[1], "--fork") == 0;
  if (do_fork) ++i;
  if (i >= argc) return 2;
  if (do_fork) {
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid > 0) {
      int status = 0;
      syscall(SYS_wait4, pid, &status, 0, NULL);
      syscall(SYS_exit_group, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
  syscall(SYS_execve, argv[i], argv + i, environ);
  syscall(SYS_exit_group, 127);
  return 127;
}
