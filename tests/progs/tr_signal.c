// tr_signal MODE:
//   handler: installs a SIGUSR1 handler (rt_sigaction), sends itself SIGUSR1 with kill(2)
//            (SI_USER) and then tgkill(2) (SI_TKILL); the handler writes "usr1\n" to stdout
//            each time. Exits 0.
//   kill:    kills itself with SIGKILL (the tracer prints "+++ killed by SIGKILL +++").
//   child:   forks a child that kills itself with SIGKILL; the parent wait4s it and exits 0.
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void OnUsr1(int sig) {
  (void)sig;
  syscall(SYS_write, 1, "usr1\n", 5);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "handler") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnUsr1;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t pid = (pid_t)syscall(SYS_getpid);
    syscall(SYS_kill, pid, SIGUSR1);
    syscall(SYS_tgkill, pid, pid, SIGUSR1);
    syscall(SYS_exit_group, 0);
  } else if (strcmp(argv[1], "kill") == 0) {
    syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
  } else if (strcmp(argv[1], "child") == 0) {
    pid_t pid = fork();
    if (pid == 0) syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
    int status = 0;
    syscall(SYS_wait4, pid, &status, 0, NULL);
    syscall(SYS_exit_group, WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1);
  }
  return 2;
}
