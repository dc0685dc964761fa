// tr_fork [fork|vfork]: the parent forks (or vforks); the child writes "child\n" and exits 7;
// the parent wait4s it and exits with the child's exit status.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int use_vfork = argc > 1 && strcmp(argv[1], "vfork") == 0;
  pid_t pid = use_vfork ? vfork() : fork();
  if (pid == 0) {
    syscall(SYS_write, 1, "child\n", 6);
    syscall(SYS_exit_group, 7);
  }
  if (pid < 0) return 2;
  int status = 0;
  syscall(SYS_wait4, pid, &status, 0, NULL);
  syscall(SYS_exit_group, WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  return 0;
}
