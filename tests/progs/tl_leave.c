// tl_leave STATUS CMD [ARG...]: starts CMD (stdin, stdout and stderr on /dev/null) and leaves it
// behind: once CMD is executing (a close-on-exec pipe reads EOF), prints its pid and exits
// STATUS.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int exec_done[2];
  if (pipe2(exec_done, O_CLOEXEC) != 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[2], argv + 2);
    char c = 'x';  // exec failed: say so
    write(exec_done[1], &c, 1);
    _exit(127);
  }
  close(exec_done[1]);
  char c;
  if (read(exec_done[0], &c, 1) != 0) {
    fprintf(stderr, "tl_leave: cannot execute %s\n", argv[2]);
    return 2;
  }
  printf("%d\n", (int)pid);
  return atoi(argv[1]);
}
